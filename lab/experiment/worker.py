"""One worker's share of a run: deploy an architecture into the account its target gives, run
its pending trials technique by technique, tear down; every message (a trial's row and timeline, a
status, the inventory, the end) handed to ``emit`` as it happens. The same in this process, in a
worker process and on a Dask worker (``lab.experiment.runner``, ``lab.experiment.cluster``)."""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from lab import interrupt
from lab.architectures.registry import build
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique as get_technique
from lab.experiment.outcome import trial_row
from lab.experiment.plan import WorkUnit
from lab.experiment.target import RunStopped, TrialRequest
from lab.seeds import Stream, stream_seed

Message = tuple[
    str, Any, Any
]  # ("trial", row, events) | ("status", text, None) | ("inventory", arch, resources)
#   | ("done"/"error"/"stopped", worker, detail)


def run_unit(
    unit: WorkUnit,
    emit: Callable[[Message], None],
    claim: Callable[[], str | None] | None = None,
) -> None:
    """Deploy the unit's architecture into the worker's account on its target, run its pending
    trials, tear down. ``claim``: the next technique to run, shared with the architecture's other
    workers (None: no more); without it, every technique of the unit's pending trials."""
    plan, target, arch_name, worker = unit.plan, unit.target, unit.architecture, unit.worker
    scenario, pending, run_id = plan.scenario, unit.pending, unit.run_id
    workdir = unit.run_dir / ".work" / worker
    # A fresh start each time: state left by an interrupted session means nothing now.
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        with target.account(scenario, run_id) as account:
            architecture = build(arch_name, run_id, scenario.arm_options(arch_name))
            emit(("status", f"deploying {worker}", None))
            try:
                account.deploy(architecture, workdir)
                resources = account.inventory()
                if resources is not None:
                    emit(("inventory", arch_name, resources))
                with account.watching(arch_name, run_id):
                    for technique_id in _techniques(pending, claim):
                        # The prerequisites' ids depend on the technique only, not on the deploy
                        # or the techniques this worker ran before (split workers, resumed runs).
                        account.seed(stream_seed(plan.seed, Stream.PREREQUISITES, technique_id))
                        life = TechniqueRun(get_technique(technique_id), account.endpoints, run_id)
                        with life.warm():
                            for _, trial in (p for p in pending if p[0] == technique_id):
                                interrupt.check()
                                target.check_time()
                                request = TrialRequest(
                                    scenario, plan.calibration, life, arch_name, trial, workdir
                                )
                                observation, events = account.trial(request)
                                emit(("trial", trial_row(observation, plan.seed), events))
            finally:
                emit(("status", f"tearing down {worker}", None))
                account.teardown(architecture, workdir)
        emit(("done", worker, None))
    except BaseException as exc:
        emit(
            ("stopped" if isinstance(exc, RunStopped) else "error", worker, traceback.format_exc())
        )
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _techniques(
    pending: Sequence[tuple[str, int]], claim: Callable[[], str | None] | None
) -> Iterator[str]:
    """The techniques of ``pending`` in order, or as ``claim`` hands them out."""
    if claim is None:
        yield from dict.fromkeys(t for t, _ in pending)
        return
    while (technique_id := claim()) is not None:
        yield technique_id
