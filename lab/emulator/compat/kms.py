"""KMS: the end of a key's waiting period, on request (the lab's cleanup of its own key)."""

from __future__ import annotations

from lab.emulator.compat.routes import Answer, Route, answer

# POST .../<account>/<region>/<key id>: a key pending deletion reaches the end of its waiting period.
KMS_WAITING_PERIOD_OVER_PATH = "/_lab/kms-waiting-period-over"


def apply() -> None:
    """Nothing of moto's KMS is patched; the waiting period's end is a route."""


def _waiting_period_over(rest: str, body: bytes) -> Answer:
    """The end of KMS's waiting period for a key pending deletion: the key is deleted (AWS does it
    7-30 days after ScheduleKeyDeletion; the lab's cleanup of its own key asks for it now)."""
    from moto.kms.models import kms_backends

    try:
        account, region, key_id = rest.split("/", 2)
        backend = kms_backends[account][region]
        if backend.keys[key_id].key_state != "PendingDeletion":
            raise ValueError("not pending deletion")
        backend.delete_key(key_id)
    except Exception:
        return answer("409 Conflict", "no such key pending deletion")
    return answer("200 OK", "deleted")


ROUTES = (Route(KMS_WAITING_PERIOD_OVER_PATH, _waiting_period_over),)
