"""Every detection of the shared list is deployed by both architectures, read back from the
account: the manual one's EventBridge rules (made by deploy.sh with the aws CLI) send the call to
its alert topic, the serverless stack's (made by terraform apply) to its orchestrator Lambda; the
manual arm kept as it was before the list (`detectors` without api-calls) has none of them."""

from __future__ import annotations

import json

from lab.architectures.manual import MANUAL_DETECTORS, ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.detections import load


def _rules(endpoints, prefix: str) -> dict[str, tuple[dict, list[str]]]:
    events = endpoints.client("events")
    found = {}
    for rule in events.list_rules(NamePrefix=prefix)["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        found[rule["Name"][len(prefix) :]] = (
            json.loads(rule["EventPattern"]),
            [t["Arn"] for t in targets],
        )
    return found


def test_the_manual_arm_mails_every_detection_of_the_list(emulator, tmp_path):
    state = ManualArchitecture(run_id="run-1").deploy(emulator.endpoints, tmp_path)
    rules = _rules(emulator.endpoints, "lab-manual-")
    for detection in load():
        pattern, targets = rules[detection.id]
        assert pattern == detection.pattern, detection.id
        assert targets == [state["ALERT_TOPIC_ARN"]], detection.id


def test_the_classic_manual_arm_has_none_of_them(emulator, tmp_path):
    classic = [d for d in MANUAL_DETECTORS if d != "api-calls"]
    ManualArchitecture(run_id="run-1", detectors=tuple(classic)).deploy(
        emulator.endpoints, tmp_path
    )
    assert not {d.id for d in load()} & set(_rules(emulator.endpoints, "lab-manual-"))


def test_the_serverless_stack_sends_every_detection_to_its_orchestrator(
    emulator, tmp_path, deploy_kept
):
    arch = ServerlessArchitecture(variables={"alert_email": "security@example.com"}, run_id="run-1")
    deploy_kept(arch, emulator, tmp_path)
    rules = _rules(emulator.endpoints, "lab-")
    function = emulator.endpoints.client("lambda").get_function(FunctionName="lab-respond")
    for detection in load():
        pattern, targets = rules[detection.id]
        assert pattern == detection.pattern, detection.id
        assert targets == [function["Configuration"]["FunctionArn"]], detection.id
