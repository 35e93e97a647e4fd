"""A second attempt of one SDK call gets the first attempt's answer; a new call does not."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def _role(endpoints) -> str:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]}
    return endpoints.client("iam").create_role(
        RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]


def _client_sending(endpoints, invocation: str):
    """A Lambda client of its own (``endpoints.client`` is shared, cached) whose every call
    carries ``invocation`` as its SDK invocation id, as every attempt of one call does."""
    client = endpoints.session().client("lambda", endpoint_url=endpoints.url)

    def same_invocation(request, **_: object) -> None:
        request.headers["amz-sdk-invocation-id"] = invocation

    client.meta.events.register("before-send.lambda.*", same_invocation)
    return client


def _create(client, role: str) -> dict:
    return client.create_function(
        FunctionName="respond",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _zip()},
    )


def test_a_retry_of_a_carried_out_call_gets_its_answer_and_is_recorded_once(emulator):
    role = _role(emulator.endpoints)
    emulator.recorder.clear()
    retrying = _client_sending(emulator.endpoints, "11111111-2222-4333-8444-555555555555")
    first = _create(retrying, role)
    again = _create(retrying, role)  # the attempt an SDK sends when the first answer was late
    assert again == first  # the same answer, request id included
    created = [
        r for r in emulator.recorder.records() if r["eventName"].startswith("CreateFunction")
    ]
    assert len(created) == 1

    # A new call (another invocation id) is carried out: AWS refuses the duplicate.
    other = _client_sending(emulator.endpoints, "99999999-2222-4333-8444-555555555555")
    with pytest.raises(ClientError, match="ResourceConflictException"):
        _create(other, role)


def test_a_retry_of_a_refused_call_is_carried_out_again(emulator):
    retrying = _client_sending(emulator.endpoints, "22222222-2222-4333-8444-555555555555")
    missing = "arn:aws:iam::123456789012:role/not-yet"
    with pytest.raises(ClientError, match="cannot be assumed"):
        _create(retrying, missing)
    role = _role(emulator.endpoints)  # the role the first attempt lacked, made before the retry
    assert _create(retrying, role)["FunctionName"] == "respond"


def test_a_reset_account_forgets_the_answers_of_the_old_one(emulator):
    retrying = _client_sending(emulator.endpoints, "33333333-2222-4333-8444-555555555555")
    _create(retrying, _role(emulator.endpoints))
    emulator.reset()
    emulator.open_account(0)
    with pytest.raises(ClientError, match="cannot be assumed"):
        _create(retrying, "arn:aws:iam::123456789012:role/fn")
