"""Cloud Custodian's ``notify`` messages as the person reads them.

A ``notify`` action with the SNS transport publishes its message packed: the JSON of the event,
the policy and the resources, zlib-compressed and base64-encoded, with the message attribute
``mtype: maidmsg/1.0`` (c7n/actions/notify.py, ``Notify.pack`` and ``send_sns``). A team reads it
through c7n-mailer, which unpacks the same message and renders the event, the policy and its
actions into the e-mail; the lab's person reads that content: the event behind the alert, and
whether the policy fixed the resource before it notified (c7n runs a policy's actions in order
and stops at the first that fails, so a ``notify`` after a fix means the fix was made).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any


def unpack(message: str) -> dict[str, Any] | None:
    """The document a c7n ``notify`` action packed into ``message``, or None (another message)."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(message, validate=True)))
    except (ValueError, zlib.error, binascii.Error):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("policy"), dict):
        return None
    return data


def fixed_before_notify(policy: dict[str, Any]) -> bool:
    """Whether the policy's actions before its ``notify`` change something (a fix)."""
    kinds = [a if isinstance(a, str) else a.get("type") for a in policy.get("actions") or []]
    before = kinds[: kinds.index("notify")] if "notify" in kinds else []
    return any(kind != "notify" for kind in before)


def as_event_message(message: str) -> str | None:
    """A Custodian alert as c7n-mailer shows it, in the shape every other arm's alert has: the
    event that triggered the policy, ``status: remediated`` when the policy fixed the resource.
    None when ``message`` is not Custodian's or carries no event."""
    data = unpack(message)
    if data is None or not isinstance(data.get("event"), dict):
        return None
    status = {"status": "remediated"} if fixed_before_notify(data["policy"]) else {}
    return json.dumps({**data["event"], **status, "policy": data["policy"].get("name")})
