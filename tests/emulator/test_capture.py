"""A captured deploy replays into a fresh account with the same answers, at once: the waits of
the capture (a retry after IAM's propagation window) are moves of the emulator's clock, not sleeps."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from botocore.exceptions import ClientError

from lab.emulator.compat.ec2 import PROPAGATION_S


def _launch(endpoints, image: str, profile: str) -> str:
    return endpoints.client("ec2").run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        IamInstanceProfile={"Name": profile},
    )["Instances"][0]["InstanceId"]


def _profile(endpoints, name: str) -> None:
    iam = endpoints.client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def test_a_retry_after_a_propagation_refusal_replays_without_waiting_and_answers_the_same(
    emulator,
):
    endpoints = emulator.endpoints
    image = endpoints.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    emulator.capture.start()
    _profile(endpoints, "monitor")
    with pytest.raises(ClientError, match="Invalid IAM Instance Profile name"):
        _launch(endpoints, image, "monitor")  # IAM has not propagated the new profile yet
    time.sleep(PROPAGATION_S + 0.5)
    _launch(endpoints, image, "monitor")  # the retry, once it has
    requests = emulator.capture.stop()
    assert [r.status for r in requests if "RunInstances" in r.body.decode()] == [400, 200]
    # As if the client had waited half a minute before its retry (a provider's back-off).
    retry = len(requests) - 1
    requests[retry] = dataclasses.replace(requests[retry], at=requests[retry].at + 30.0)

    emulator.reset()
    started = time.monotonic()
    emulator.replay(requests, {})  # raises ReplayMismatch if any answer differs
    assert time.monotonic() - started < 15.0  # the half minute is the clock's, not slept
    reservations = endpoints.client("ec2").describe_instances()["Reservations"]
    assert [
        i["IamInstanceProfile"]["Arn"].split("/")[-1] for r in reservations for i in r["Instances"]
    ] == ["monitor"]
    # The window the replay moved past stays past: the profile works at once afterwards.
    _launch(endpoints, image, "monitor")
    # A profile made now is refused as a new one is: the clock moved, the window did not vanish.
    _profile(endpoints, "fresh")
    with pytest.raises(ClientError, match="Invalid IAM Instance Profile name"):
        _launch(endpoints, image, "fresh")
