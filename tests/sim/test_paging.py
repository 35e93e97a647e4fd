"""Paging: both architectures page the on-call phone by SMS (deployed by the real CLI and by real
Terraform), the simulated SNS delivers the page, and the person acts on whichever copy of a message
they read first, at any hour for a page; a profile without a pager ignores pages."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
import simpy
import yaml

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.registry import technique
from lab.cost.usage import meter
from lab.emulator import Endpoints
from lab.engines.alert_message import PAGE_MAX_CHARS, page_line
from lab.experiment.scenario import PAGER_PHONE, Scenario
from lab.paths import RUNBOOKS_DIR
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration
from lab.sim.operator import OnCallPerson, RunbookResult
from lab.sim.sns import sms_parts
from tests.sim.test_person import drive
from tests.sim.test_simulation import run_trial

SATURDAY_2AM = "2026-01-10T02:00:00Z"  # a business-hours person is away until Monday 09:00


def _night_trial(emulator, workdir, architecture: str):
    """ec2-sg-open-ssh at 02:00 on a Saturday, a business-hours person on the other end."""
    chosen = technique("ec2-sg-open-ssh")
    prerequisites = chosen.warm_up(emulator.endpoints)
    scenario = Scenario.model_validate(
        {
            "name": "paging",
            "seed": 5,
            "trials": 1,
            "techniques": [chosen.id],
            "architectures": {architecture: {}},
            "operator": "business-hours",
            "start": SATURDAY_2AM,
            "injection": "fixed",
            "max_trial_s": 4 * 86400,
        }
    )
    try:
        return run_trial(
            emulator, scenario, Calibration.load(), chosen, prerequisites, architecture, 0, workdir
        )
    finally:
        chosen.cleanup(emulator.endpoints, prerequisites)


def _sms_subscriptions(endpoints, topic_arn):
    subscriptions = endpoints.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)
    return [s["Endpoint"] for s in subscriptions["Subscriptions"] if s["Protocol"] == "sms"]


def _monday_9am_s() -> float:
    """Seconds from the fixed injection (start + 600 s settling) to Monday 09:00."""
    start = datetime.fromisoformat(SATURDAY_2AM)
    return (datetime(2026, 1, 12, 9, tzinfo=UTC) - (start + timedelta(seconds=600))).total_seconds()


@pytest.mark.parametrize("paged", [False, True])
def test_the_manual_baseline_pages_by_cli_and_the_person_fixes_it_at_night(
    emulator, tmp_path, paged
):
    arch = ManualArchitecture(detectors=("config",), alert_phone=PAGER_PHONE if paged else None)
    deployed = arch.deploy(emulator.endpoints, tmp_path / "manual")  # the next test resets it
    topic = emulator.endpoints.client("sns").list_topics()["Topics"][0]["TopicArn"]
    assert _sms_subscriptions(emulator.endpoints, topic) == ([PAGER_PHONE] if paged else [])
    row, events = _night_trial(emulator, tmp_path, "manual")
    assert deployed is not None
    assert row["outcome"] == "remediated", row
    read = [e for e in events if e["kind"] == "operator.read_alert"]
    if paged:
        # Woken by the page: fixed within hours, not on Monday morning; the e-mail copy, read
        # on Monday, is recognised as read already.
        assert read[0].get("via") == "page"
        assert row["time_to_remediate_s"] < 6 * 3600
        assert any(e["kind"] == "operator.already_read" for e in events)
        assert any(e["kind"] == "sns.delivered" and e.get("channel") == "sms" for e in events)
    else:
        assert "via" not in read[0]
        assert row["time_to_remediate_s"] > _monday_9am_s()


def test_the_serverless_stack_pages_by_terraform_and_the_person_answers_the_page(
    emulator, tmp_path, deploy_kept
):
    arch = ServerlessArchitecture(
        variables={
            "alert_email": "security@example.com",
            "alert_phone": PAGER_PHONE,
            "auto_remediation": False,  # every fix left to the person, so the page matters
        }
    )
    deploy_kept(arch, emulator, tmp_path / "serverless")  # no destroy: the next test resets it
    topic = next(
        t["TopicArn"]
        for t in emulator.endpoints.client("sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(":lab-security-alerts")
    )
    assert _sms_subscriptions(emulator.endpoints, topic) == [PAGER_PHONE]
    row, events = _night_trial(emulator, tmp_path, "serverless")
    assert row["outcome"] == "remediated", row
    assert row["remediated_by"].startswith("operator:"), row
    assert row["time_to_remediate_s"] < 6 * 3600  # not Monday morning
    assert next(e.get("via") for e in events if e["kind"] == "operator.read_alert") == "page"
    # The functions' pages were one short line each (their alerts are several KB of JSON by
    # e-mail), and the person found what to do in the e-mail's detail. (CloudWatch's own alarm
    # notifications are CloudWatch's format, not the stack's.)
    pages = [
        e
        for e in events
        if e["kind"] == "sns.delivered"
        and e.get("channel") == "sms"
        and e["subject"].startswith("[lab] ")
    ]
    assert pages and all(e["sms_parts"] <= sms_parts("x" * PAGE_MAX_CHARS) for e in pages)


def _person(profile: str, log: list):
    return OnCallPerson(
        Calibration.load().operator(profile),
        RUNBOOKS_DIR,
        Endpoints(url="http://127.0.0.1:9", region="us-east-1"),
        np.random.default_rng(1),
        clock=lambda: datetime(2026, 1, 10, 2, tzinfo=UTC),  # Saturday night
        log=lambda kind, alert, **fields: log.append((kind, alert.channel, fields)),
        runner=lambda script, args, env: RunbookResult(0),
    )


def _copies(message_id: str = "m-1"):
    text = "a finding that names no runbook"
    return [
        SimpleNamespace(subject="s", message=text, channel=c, message_id=message_id)
        for c in ("email", "sms")
    ]


def _handle_all(person, alerts):
    drive(simpy.Environment(), person, alerts)


def test_the_first_copy_read_wins_and_the_other_is_not_handled_twice():
    log: list = []
    _handle_all(_person("business-hours", log), _copies())
    kinds = [(kind, channel) for kind, channel, _ in log]
    # At night the page is read first; the e-mail waits for Monday and is then already read.
    assert kinds.index(("operator.read_alert", "sms")) < kinds.index(
        ("operator.already_read", "email")
    )
    assert [k for k, _ in kinds].count("operator.acknowledged") == 1


def test_a_page_of_one_line_sends_the_person_to_the_e_mails_detail_for_the_runbook():
    """The page names what and where; the runbook's arguments come from the event in the e-mail,
    which the person reads when the page wakes them."""
    event = {
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventName": "AuthorizeSecurityGroupIngress",
            "requestParameters": {"groupId": "sg-1"},
        },
    }
    page = SimpleNamespace(
        subject="s",
        message=page_line(
            "[lab] AuthorizeSecurityGroupIngress: needs a look", "sg-1", "see the e-mail"
        ),
        channel="sms",
        message_id="m-1",
        detail=json.dumps(event),
    )
    log: list = []
    _handle_all(_person("business-hours", log), [page])
    done = [fields for kind, _, fields in log if kind == "operator.runbook_done"]
    assert [(d["runbook"], d["args"]) for d in done] == [("sg-open-world.sh", ["sg-1"])]


def test_a_person_without_a_pager_ignores_the_page_and_reads_the_mail():
    calibration = Calibration.load()
    profile = calibration.operator("business-hours").model_copy(update={"page_ack_s": None})
    log: list = []
    person = _person("business-hours", log)
    person.profile = profile
    _handle_all(person, _copies())
    kinds = [(kind, channel) for kind, channel, _ in log]
    assert ("operator.page_ignored", "sms") in kinds
    assert ("operator.read_alert", "email") in kinds
    assert ("operator.off_duty", "email") in kinds  # the e-mail still waits for office hours


def test_sms_parts_and_billing_follow_the_documented_limits():
    assert sms_parts("x" * 140) == 1 and sms_parts("x" * 141) == 2
    assert sms_parts("x" * 10_000) == sms_parts("x" * 1_600) == 12  # 1,600 characters at most
    events = [
        {"kind": "sns.delivered", "architecture": "manual", "trial": 0, "technique": "t"},
        {
            "kind": "sns.delivered",
            "architecture": "manual",
            "trial": 0,
            "technique": "t",
            "channel": "sms",
            "sms_parts": 3,
        },
    ]
    totals = meter(events)["manual"]["totals"]
    assert totals["sns.email_deliveries"] == 1 and totals["sns.sms_parts"] == 3


def _lab_run(tmp_path, scenario: dict, *extra: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "run", str(path), "--out", str(out), *extra],
        capture_output=True,
        text=True,
    )
    return result, out


BASE = {
    "name": "p",
    "seed": 1,
    "trials": 1,
    "techniques": ["ec2-sg-open-ssh"],
    "architectures": {"manual": {}},
}


def test_paging_with_a_profile_that_carries_no_pager_is_refused_before_anything_is_written(
    tmp_path,
):
    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text())
    del raw["operators"]["on-call"]["page_ack_s"]
    calibration = tmp_path / "no-pager.yaml"
    calibration.write_text(yaml.safe_dump(raw))
    result, out = _lab_run(tmp_path, BASE | {"paging": True}, "--calibration", str(calibration))
    assert result.returncode == 2, result.stderr
    assert "carries no pager" in result.stderr + result.stdout
    assert not out.exists() or not any(out.iterdir())


def test_a_phone_that_is_not_e164_is_refused(tmp_path):
    result, out = _lab_run(
        tmp_path, BASE | {"architectures": {"manual": {"alert_phone": "0612345678"}}}
    )
    assert result.returncode == 2, result.stderr
    assert "E.164" in result.stderr + result.stdout
    assert not out.exists() or not any(out.iterdir())
