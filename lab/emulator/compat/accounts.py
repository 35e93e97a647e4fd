"""Every account: what moto rebuilds at each reset and each new account from data that never changes
in a process, built once. Speed, not a gap: the accounts are the ones moto makes, with the same ids
(the same random draws in the same order), tested against moto's own.

Measured on a reset followed by an opened account (``EmulatorServer.reset`` + ``open_account``,
about 1.9 s of CPU, paid by every test, every unit of a run and every worker's warm-up):

- moto's reset made every loaded backend anew before dropping it (``BaseBackend.reset`` runs
  ``__init__`` again), which the emulator then dropped (``server.reset``): about 1 s. Here a backend
  is only dropped; a backend class with a reset of its own (S3 closes its keys' temporary files and
  frees the bucket names, which are global to the process; Batch stops its jobs' threads) still
  runs it.
- Each IAM backend (one per partition, six per account: moto's account lookup visits every
  partition) parsed the 1 MB file of AWS managed policies and wrote each policy's document back to
  JSON: about 0.1 s each. Here the file is parsed and the documents written once per process; each
  backend still makes its own policy objects, drawing their ids as moto does.

``LAB_EMULATOR_CACHES=0`` leaves moto as it is.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from lab import settings


def apply() -> None:
    if not settings.current().emulator_caches:
        return
    _drop_backends_on_reset()
    _parse_aws_managed_policies_once()


def _drop_backends_on_reset() -> None:
    from moto.core.base_backend import BackendDict, BaseBackend, backend_lock

    original = BackendDict.reset
    if getattr(original, "_lab_cached", False):
        return

    def reset(cls: type[BackendDict]) -> None:
        with backend_lock:
            for backends in BackendDict._instances:  # type: ignore[attr-defined]
                for account in backends.values():
                    for backend in account.values():
                        if type(backend).reset is not BaseBackend.reset:
                            backend.reset()  # its own cleanup (files, threads, global names)
                backends.clear()
            BackendDict._instances.clear()  # type: ignore[attr-defined]

    reset._lab_cached = True  # type: ignore[attr-defined]
    BackendDict.reset = classmethod(reset)  # type: ignore[assignment,method-assign]


@cache
def _aws_managed_policies() -> tuple[tuple[str, dict[str, Any]], ...]:
    """moto's AWS managed policies, parsed once: each one's arguments, its document as moto writes
    it (``AWSManagedPolicy.from_data``)."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return tuple(
        (
            name,
            {
                "default_version_id": data.get("DefaultVersionId"),
                "path": data.get("Path"),
                "document": json.dumps(data.get("Document")),
                "create_date": datetime.fromisoformat(data["CreateDate"]),
                "update_date": datetime.fromisoformat(data["UpdateDate"]),
            },
        )
        for name, data in json.loads(aws_managed_policies_data).items()
    )


def _parse_aws_managed_policies_once() -> None:
    from moto.iam import models

    original = models.IAMBackend._init_aws_policies
    if getattr(original, "_lab_cached", False):
        return

    def _init_aws_policies(self: models.IAMBackend) -> list[models.ManagedPolicy]:
        if not models.load_iam_aws_managed_policies():
            return []
        return [
            models.AWSManagedPolicy(
                name, account_id=self.account_id, region=self.region_name, **arguments
            )
            for name, arguments in _aws_managed_policies()
        ]

    _init_aws_policies._lab_cached = True  # type: ignore[attr-defined]
    models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
