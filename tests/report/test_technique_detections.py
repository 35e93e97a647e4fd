"""Which detections of the shared list a technique's calls match: computed by detonating each
technique in the emulated account, held against what its metadata declares and what its prose says."""

from __future__ import annotations

import re

import pytest

from lab.attacks.registry import technique, techniques
from lab.detections import load
from lab.report.technique_detections import detonation_detections, matching_detections

# Prose that says an architecture has nothing for a technique, or that nothing detects it.
DENIAL = re.compile(r"Manual: (none|no )|none by default|Missed by both|not undone", re.I)
# The shared list's rules are the same for both architectures: the prose does not credit one arm
# with them ("the EventBridge fast path"); the per-technique part comes from shared_detections.
ARM_CLAIM = re.compile(r"fast path|Serverless: the EventBridge", re.I)


def test_a_call_matches_the_detection_whose_pattern_names_it(emulator):
    ec2 = emulator.endpoints.client("ec2", "attacker")
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::any-bucket",
    )
    created = emulator.recorder.records()
    assert matching_detections(created) == ()
    ids = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]]
    seen = len(emulator.recorder.records())
    ec2.delete_flow_logs(FlowLogIds=ids)
    assert matching_detections(emulator.recorder.records()[seen:]) == ("network-logging-tampering",)
    assert matching_detections(emulator.recorder.records()[seen:], detections=()) == ()


@pytest.fixture(scope="module")
def computed(session_emulator):
    """Each technique's detonation, in a freshly reset account: the detections it matches."""
    session_emulator.reset()
    return {t: detonation_detections(technique(t), session_emulator) for t in sorted(techniques())}


def test_each_technique_declares_the_detections_its_calls_match(computed):
    declared = {t: tuple(technique(t).metadata.shared_detections) for t in computed}
    assert declared == computed


def test_declared_detections_are_in_the_list():
    ids = {d.id for d in load()}
    for technique_id in techniques():
        assert set(technique(technique_id).metadata.shared_detections) <= ids, technique_id


@pytest.mark.parametrize("technique_id", sorted(techniques()))
def test_detection_prose_does_not_contradict_the_list(technique_id):
    metadata = technique(technique_id).metadata
    assert not ARM_CLAIM.search(metadata.detection), metadata.detection
    if metadata.shared_detections:
        assert not DENIAL.search(metadata.detection), metadata.detection
