"""KMS: deletion dates on the account's clock; the end of a key's waiting period, on request (the
lab's cleanup of its own key)."""

from __future__ import annotations

from datetime import timedelta

from lab.emulator.compat import running
from lab.emulator.compat.routes import Answer, Route, answer

# POST .../<account>/<region>/<key id>: a key pending deletion reaches the end of its waiting period.
KMS_WAITING_PERIOD_OVER_PATH = "/_lab/kms-waiting-period-over"


def apply() -> None:
    _patch_deletion_date_on_the_accounts_clock()


def _patch_deletion_date_on_the_accounts_clock() -> None:
    """Gap: moto dates a key's deletion from the host's clock, so in virtual time ScheduleKeyDeletion
    answered (and CloudTrail recorded) a ``DeletionDate`` that changed from run to run and lay
    outside the simulated account's time. AWS dates it from the request: the waiting period after
    now (KMS API, ScheduleKeyDeletion ``DeletionDate``); "now" is the account's clock, the one its
    CloudTrail records carry."""
    from moto.core.utils import unix_time
    from moto.kms.models import KmsBackend

    original = KmsBackend.schedule_key_deletion

    def schedule_key_deletion(self: KmsBackend, key_id: str, pending_window_in_days: int) -> float:
        result = original(self, key_id, pending_window_in_days)
        recorder = running.recorder()
        key = self.keys[key_id]
        if recorder is not None and key.deletion_date is not None:
            now = recorder.clock().replace(tzinfo=None)
            key.deletion_date = now + timedelta(days=pending_window_in_days)
            return unix_time(key.deletion_date)
        return result

    KmsBackend.schedule_key_deletion = schedule_key_deletion  # type: ignore[method-assign]


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
