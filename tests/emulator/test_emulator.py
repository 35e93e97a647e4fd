import socket
import urllib.request

import pytest

from lab.emulator import EmulatorError, EmulatorServer


def test_starts_on_a_free_port_answers_and_stops():
    with EmulatorServer() as server:
        assert server.port > 0
        assert server.healthy()
        identity = server.endpoints.client("sts").get_caller_identity()
        assert identity["Account"] == "123456789012"
        url = server.url
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_lab/health", timeout=1)


def test_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(EmulatorError, match="port in use"):
            EmulatorServer(port=busy.getsockname()[1]).start()


def test_reset_forgets_resources(emulator):
    sns = emulator.endpoints.client("sns")
    sns.create_topic(Name="forget-me")
    emulator.reset()
    assert sns.list_topics()["Topics"] == []
    assert emulator.recorder.records()[-1]["eventName"] == "ListTopics"


def test_export_lines_point_the_cli_at_the_emulator(emulator):
    lines = emulator.endpoints.export_lines("attacker")
    assert f"export AWS_ENDPOINT_URL={emulator.url}" in lines
    assert "export AWS_ACCESS_KEY_ID=AKIALABATTACKER00001" in lines


def test_sessions_sharing_one_model_loader_send_what_their_own_would(emulator):
    """``boto3_session`` (the process's one botocore loader) and a plain ``boto3.Session``: the
    same request, as the emulator records it (user agent and caller included)."""
    import boto3

    from lab.emulator.actors import actor
    from lab.emulator.endpoints import boto3_session

    who = actor("observer")
    keys = {"aws_access_key_id": who.access_key_id, "aws_secret_access_key": who.secret_access_key}
    seen = []
    for make in (boto3.Session, boto3_session, boto3_session):
        emulator.recorder.clear()
        make(region_name="us-east-1", **keys).client(
            "iam", endpoint_url=emulator.endpoints.url
        ).list_users()
        (record,) = emulator.recorder.records()
        seen.append({k: record[k] for k in ("userAgent", "userIdentity", "eventName")})
    assert seen[0] == seen[1] == seen[2]
