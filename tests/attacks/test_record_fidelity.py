"""The emulator's records beside real CloudTrail records of the same calls: each
technique's detonating call, recorded by the emulator, agrees with the record AWS writes for it
(tests/fixtures/cloudtrail/incident.json, written in the shape of AWS's documented examples) on
field presence, value types and layout. Values differ (accounts, ids, times); shapes may not."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lab.attacks.registry import technique

FIXTURE = Path(__file__).parents[1] / "fixtures" / "cloudtrail" / "incident.json"
# Top-level fields CloudTrail writes only for some calls or callers (TLS, console sessions, the
# resources a call names): present or not, they are not the layout of a call.
OPTIONAL = {"tlsDetails", "sessionCredentialFromConsole", "resources", "additionalEventData"}


def assert_layout_holds(ours: Any, real: Any, path: str = "") -> None:
    """Every field of the real record is in ours, with the same type and layout (ours may carry
    more: parameters the lab's call sends, such as its lab:run-id tags)."""
    if isinstance(real, dict):
        assert isinstance(ours, dict), f"{path}: {ours!r} is not an object"
        for key, value in real.items():
            assert key in ours, f"{path}.{key} missing"
            assert_layout_holds(ours[key], value, f"{path}.{key}")
    elif isinstance(real, list):
        assert isinstance(ours, list), f"{path}: {ours!r} is not a list"
        if real and ours:
            assert_layout_holds(ours[0], real[0], f"{path}[0]")
    else:
        assert type(ours) is type(real), f"{path}: {ours!r} vs {real!r}"


def _real(event_name: str) -> dict[str, Any]:
    records = json.loads(FIXTURE.read_text())["Records"]
    return next(r for r in records if r["eventName"] == event_name)


@pytest.mark.parametrize(
    ("technique_id", "event_name"),
    [
        ("ec2-sg-open-ssh", "AuthorizeSecurityGroupIngress"),
        ("ebs-snapshot-made-public", "ModifySnapshotAttribute"),
        ("iam-create-admin-user", "CreateUser"),
        ("iam-create-admin-user", "AttachUserPolicy"),
        ("cloudtrail-stop-logging", "StopLogging"),
    ],
)
def test_detonations_are_recorded_as_aws_records_them(emulator, technique_id, event_name):
    chosen = technique(technique_id)
    prerequisites = chosen.warm_up(emulator.endpoints)
    emulator.recorder.drain()
    chosen.detonate(emulator.endpoints, prerequisites)
    ours = next(r for r in emulator.recorder.drain() if r["eventName"] == event_name)
    real = _real(event_name)
    assert set(ours) - {"lab"} - OPTIONAL == set(real) - OPTIONAL
    assert set(ours["userIdentity"]) == set(real["userIdentity"])
    assert_layout_holds(ours["requestParameters"], real["requestParameters"])
    assert_layout_holds(ours["responseElements"], real["responseElements"])
    assert (ours["responseElements"] is None) == (real["responseElements"] is None)
    if event_name == "CreateUser":  # IAM writes its times as "Nov 29, 2026 10:03:00 AM"
        written = ours["responseElements"]["user"]["createDate"]
        assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M", written)
    for field in ("eventVersion", "eventType", "eventCategory", "readOnly", "managementEvent"):
        assert ours[field] == real[field], field
