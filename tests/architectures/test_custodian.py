"""The custodian architecture: its policies against the shared detection list, and the real
``custodian`` CLI deploying them into the emulated account (moto over HTTP), where a technique is
detonated, caught by the function Custodian deployed, run by the lab's Lambda runtime, and fixed."""

from __future__ import annotations

import json
import subprocess

import pytest

from lab.architectures.custodian import (
    FUNCTION_PREFIX,
    ROLE_NAME,
    TOPIC_NAME,
    TRAIL_NAME,
    CustodianArchitecture,
    CustodianError,
    executable,
    function_names,
    policies,
    policy_files,
    unsupported,
)
from lab.architectures.registry import arm_problem, build
from lab.architectures.stacks import PERSON_INBOX
from lab.attacks.lifecycle import Stage, TechniqueRun
from lab.attacks.registry import technique
from lab.detections import load as load_detections
from lab.experiment.scenario import Scenario
from lab.experiment.target import TrialRequest
from lab.experiment.trial import run_trial_row
from lab.paths import FUNCTIONS_DIR
from lab.sim.calibration import Calibration

PLAYBOOK = json.loads((FUNCTIONS_DIR / "respond" / "playbook.json").read_text())
NOT_DETECTIONS = {"account-trail"}  # custodian/policies/account-trail.yml: the trail they need


def _custodian() -> str:
    try:
        return str(executable())
    except CustodianError as exc:
        pytest.skip(str(exc))


def _event_policies(detection_id: str) -> list[dict]:
    return [p for p in policies() if p["file"] == detection_id]


def _fixes(policy: dict) -> bool:
    kinds = [a if isinstance(a, str) else a["type"] for a in policy.get("actions", [])]
    return any(kind != "notify" for kind in kinds[: kinds.index("notify")])


def test_every_detection_is_a_policy_file_or_listed_with_its_reason():
    detections = {d.id for d in load_detections()}
    files = {path.stem for path in policy_files()} - NOT_DETECTIONS
    listed = {entry["id"] for entry in unsupported()["detections"]}
    assert files | listed == detections
    assert not files & listed
    assert all(entry["reason"].strip() and entry["source"] for entry in unsupported()["detections"])


@pytest.mark.parametrize("detection", load_detections(), ids=lambda d: d.id)
def test_each_policy_file_watches_exactly_its_detections_calls(detection):
    chosen = _event_policies(detection.id)
    if not chosen:
        pytest.skip(f"{detection.id}: listed in custodian/unsupported.yaml")
    assert all(p["mode"]["type"] == "cloudtrail" for p in chosen)
    watched = [event for p in chosen for event in p["mode"]["events"]]
    detail = detection.pattern["detail"]
    assert sorted(e["event"] for e in watched) == sorted(detail["eventName"])
    if "eventSource" in detail:
        assert {e["source"] for e in watched} == set(detail["eventSource"])
    # What the shared pattern matches beside the call (a parameter, the caller) is in each policy.
    extra = {k: v for k, v in detail.items() if k not in ("eventSource", "eventName")}
    for policy in chosen:
        assert (policy["mode"].get("pattern") or {}).get("detail", {}) == extra, policy["name"]
    # Every policy alerts the same person's topic.
    for policy in chosen:
        notify = [a for a in policy["actions"] if isinstance(a, dict) and a["type"] == "notify"]
        assert notify and notify[-1]["transport"] == {"type": "sns", "topic": TOPIC_NAME}


def test_where_the_serverless_arm_fixes_custodian_fixes_or_says_why_not():
    listed = {
        (entry["detection"], event) for entry in unsupported()["fixes"] for event in entry["events"]
    }
    for detection in load_detections():
        for event in detection.event_names:
            if PLAYBOOK.get(event, {}).get("action", "alert") == "alert":
                continue
            fixed = any(
                _fixes(p) and event in {e["event"] for e in p["mode"]["events"]}
                for p in _event_policies(detection.id)
            )
            assert fixed != ((detection.id, event) in listed), (detection.id, event)


def test_a_scenario_arm_names_custodian_with_its_options():
    assert arm_problem("custodian", {}) is None
    assert arm_problem("custodian", {"alert_phone": "+15555550100"}) is None
    assert "no option ['cron_schedule']" in arm_problem("custodian", {"cron_schedule": "* * * * *"})
    assert isinstance(build("custodian", "r1"), CustodianArchitecture)


def test_the_policies_validate_with_custodian_itself():
    result = subprocess.run(
        [_custodian(), "validate", *map(str, policy_files())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.count("Configuration valid") == len(policy_files())


@pytest.fixture(scope="module")
def deployed(session_emulator, tmp_path_factory):
    """Custodian's policies deployed once by ``custodian run`` into a fresh emulated account."""
    _custodian()
    session_emulator.reset()
    workdir = tmp_path_factory.mktemp("custodian")
    architecture = CustodianArchitecture(run_id="custodian-test")
    outputs = architecture.deploy(session_emulator.endpoints, workdir)
    yield session_emulator, workdir, architecture, outputs
    architecture.destroy(session_emulator.endpoints, workdir)


def test_custodian_run_deploys_a_function_and_a_rule_per_policy(deployed):
    emulator, _, _, outputs = deployed
    e = emulator.endpoints
    functions = {f["FunctionName"]: f for f in e.client("lambda").list_functions()["Functions"]}
    assert sorted(functions) == sorted(function_names())
    role = e.client("iam").get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    assert {f["Role"] for f in functions.values()} == {role}
    assert {f["Handler"] for f in functions.values()} == {"custodian_policy.run"}
    rules = {r["Name"]: r for r in e.client("events").list_rules()["Rules"]}
    for name in function_names():
        targets = e.client("events").list_targets_by_rule(Rule=name)["Targets"]
        assert [t["Arn"] for t in targets] == [functions[name]["FunctionArn"]]
        statement = json.loads(e.client("lambda").get_policy(FunctionName=name)["Policy"])
        (allowed,) = statement["Statement"]
        assert allowed["Principal"] == {"Service": "events.amazonaws.com"}
        assert allowed["Condition"]["ArnLike"]["AWS:SourceArn"] == rules[name]["Arn"]
    # The rules Custodian rendered watch what the shared list watches, detail-type included.
    for detection in load_detections():
        chosen = [FUNCTION_PREFIX + p["name"] for p in _event_policies(detection.id)]
        if not chosen:
            continue
        patterns = [json.loads(rules[name]["EventPattern"]) for name in chosen]
        names = sorted(n for p in patterns for n in p["detail"]["eventName"])
        assert names == sorted(detection.event_names), detection.id
        assert {t for p in patterns for t in p["detail-type"]} == set(
            detection.pattern["detail-type"]
        )
    # The trail the policies need, made by Custodian's enable-cloudtrail, and the person's inbox.
    cloudtrail = e.client("cloudtrail")
    (trail,) = [t for t in cloudtrail.describe_trails()["trailList"] if t["Name"] == TRAIL_NAME]
    assert trail["IsMultiRegionTrail"] and trail["IncludeGlobalServiceEvents"]
    assert cloudtrail.get_trail_status(Name=TRAIL_NAME)["IsLogging"]
    subscriptions = e.client("sns").list_subscriptions_by_topic(
        TopicArn=outputs["alert_topic_arn"]
    )["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", PERSON_INBOX)]


def _trial(emulator, workdir, technique_id: str) -> tuple[dict, list[dict]]:
    chosen = technique(technique_id)
    life = TechniqueRun(chosen, emulator.endpoints, stage=Stage.COLD)
    life.warm_up()
    scenario = Scenario.model_validate(
        {
            "name": "t",
            "seed": 3,
            "trials": 1,
            "techniques": [technique_id],
            "architectures": {"custodian": {}},
            "max_trial_s": 6 * 3600,
            "injection": "fixed",
        }
    )
    request = TrialRequest(scenario, Calibration.load(), life, "custodian", 0, workdir)
    try:
        return run_trial_row(emulator, request)
    finally:
        life.cleanup()


def test_a_stopped_trail_is_caught_and_started_by_the_function_custodian_deployed(deployed):
    emulator, workdir, _, _ = deployed
    row, events = _trial(emulator, workdir, "cloudtrail-stop-logging")
    assert row["outcome"] == "remediated", row
    assert row["detection_source"] == "eventbridge:custodian-cloudtrail-tampering-fix"
    assert row["remediated_by"] == "lambda:custodian-cloudtrail-tampering-fix"
    invoked = [e for e in events if e["kind"] == "lambda.invoked"]
    assert invoked and invoked[0]["ok"] and invoked[0]["result"] is True
    # Its notify reached the person, who read that it was fixed and only reviewed it.
    assert any(e["kind"] == "sns.delivered" and e["endpoint"] == PERSON_INBOX for e in events)
    assert any(e["kind"] == "operator.acknowledged" for e in events)
    assert not any(e["kind"].startswith("operator.runbook") for e in events)


def test_an_alert_only_policy_reaches_the_person_who_runs_the_runbook(deployed):
    emulator, workdir, _, _ = deployed
    row, _ = _trial(emulator, workdir, "ebs-unencrypted-volume")
    assert row["outcome"] == "remediated", row
    assert row["detection_source"] == "eventbridge:custodian-unencrypted-volume"
    assert row["remediated_by"] == "operator:volume-unencrypted"


def test_destroy_removes_what_deploy_made(deployed):
    emulator, workdir, architecture, _ = deployed
    e = emulator.endpoints
    architecture.destroy(e, workdir)
    assert not e.client("lambda").list_functions()["Functions"]
    assert not [
        r for r in e.client("events").list_rules()["Rules"] if r["Name"].startswith("custodian-")
    ]
    assert ROLE_NAME not in {r["RoleName"] for r in e.client("iam").list_roles()["Roles"]}
    assert not [t for t in e.client("sns").list_topics()["Topics"] if TOPIC_NAME in t["TopicArn"]]
    assert TRAIL_NAME not in {
        t["Name"] for t in e.client("cloudtrail").describe_trails()["trailList"]
    }
    architecture.destroy(e, workdir)  # idempotent
