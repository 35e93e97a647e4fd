"""Cloud Custodian's packed notify messages, packed by c7n itself, read as the person reads them."""

from __future__ import annotations

import json
import subprocess

import pytest

from lab.architectures.custodian import CustodianError, executable
from lab.engines.custodian_message import as_event_message, unpack
from lab.paths import RUNBOOKS_DIR
from lab.sim.runbook_index import runbook_order

EVENT = {
    "detail-type": "AWS API Call via CloudTrail",
    "detail": {
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "DeleteTrail",
        "userIdentity": {"type": "IAMUser", "userName": "compromised-developer"},
        "requestParameters": {"name": "lab-target-trail"},
    },
}


def _packed(actions: list) -> str:
    """The message c7n's notify action publishes for ``EVENT`` (c7n's own ``pack``)."""
    try:
        python = executable().parent / "python"
    except CustodianError as exc:
        pytest.skip(str(exc))
    document = {"event": EVENT, "policy": {"name": "p", "actions": actions}, "resources": [{}]}
    code = "import json,sys; from c7n.actions.notify import BaseNotify; "
    code += "print(BaseNotify.pack(None, json.load(sys.stdin)))"
    result = subprocess.run(
        [str(python), "-c", code], input=json.dumps(document), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_alert_only_policy_gives_the_person_the_event_and_its_runbook():
    message = _packed([{"type": "notify"}])
    assert unpack(message)["event"] == EVENT
    order = runbook_order(message, RUNBOOKS_DIR / "index.yaml")
    assert order is not None
    assert order.runbook == "cloudtrail-restore.sh" and order.args == ("lab-target-trail",)


def test_a_policy_that_fixed_before_notifying_is_only_reviewed():
    message = _packed([{"type": "set-logging", "enabled": True}, {"type": "notify"}])
    assert json.loads(as_event_message(message))["status"] == "remediated"
    assert runbook_order(message, RUNBOOKS_DIR / "index.yaml") is None


def test_other_messages_are_not_custodians():
    assert as_event_message(json.dumps(EVENT)) is None
    assert as_event_message("not base64 at all") is None
