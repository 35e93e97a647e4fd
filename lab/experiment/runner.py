"""The one run loop, for every target: the pending trials of each architecture, deploy -> for each
technique: warm up -> trials -> clean up -> destroy, every trial appended to the store the moment it
ends; then metering, the final ordering and the manifest. What differs between the emulated
account, the stand-in and a real account is the target (``lab.experiment.target``): the account a
worker gets, the clock a trial runs on and how it is observed.

On the emulated target each architecture runs in its own fresh account (its own process, so the
architectures run side by side on a multi-core machine)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue as queue_module
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lab import interrupt, parent_watch
from lab.architectures.registry import SPLITTABLE, splits_on_one_machine
from lab.attacks.registry import technique as get_technique
from lab.cost.usage import meter_run, record_inventory
from lab.experiment.cluster import cluster_workers, run_units
from lab.experiment.plan import RunPlan, WorkUnit, plan_run
from lab.experiment.results import finish_manifest, start_manifest
from lab.experiment.scenario import Scenario
from lab.experiment.store import TrialKey, TrialStore
from lab.experiment.target import Target
from lab.experiment.worker import Message, run_unit

Progress = Callable[[str, int, int], None]  # (description, done, total)
Pending = Sequence[tuple[str, int]]  # (technique, trial)


class RunError(RuntimeError):
    """An architecture's worker failed; its completed trials are kept in the store."""


def _worker(unit: WorkUnit, out: Any, claims: Any = None) -> None:
    interrupt.install()
    parent_watch.exit_with_parent()
    claim = None if claims is None else claims.get  # blocking: a None per worker ends the queue
    with contextlib.suppress(BaseException):  # failures are reported through the queue
        run_unit(unit, emit=out.put, claim=claim)


# A worker's start (a process, its imports, an emulator, a deploy or a restore) costs a few seconds:
# by default a spare worker takes a share of an architecture only if the share keeps this many
# trials (an explicit ``--jobs`` splits whatever the size).
MIN_TRIALS_PER_SHARE = 30


def split_plan(
    plan: dict[str, list[tuple[str, int]]],
    processes: int,
    splittable: set[str] | frozenset[str] = SPLITTABLE,
    min_share: int = 1,
) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(architecture, worker name, pending trials) per worker: one per architecture, and the
    processes left over split the splittable architectures' trials by technique (whole techniques,
    balanced by trial count), each spare one to the architecture with the most trials per worker
    while its shares keep ``min_share`` trials. Each trial's result does not depend on the trials
    run before it in the same account (see ``run_trial``), so the split changes the wall time
    only."""
    todo = {arch: pending for arch, pending in plan.items() if pending}
    spare = max(0, processes - len(todo))
    shards = {arch: 1 for arch in todo}
    for _ in range(spare):
        candidates = [
            arch
            for arch in todo
            if arch in splittable
            and shards[arch] < len({t for t, _ in todo[arch]})
            and len(todo[arch]) / (shards[arch] + 1) >= min_share
        ]
        if not candidates:
            break
        shards[max(candidates, key=lambda arch: len(todo[arch]) / shards[arch])] += 1
    out = []
    for arch, pending in todo.items():
        order = {trial: n for n, trial in enumerate(pending)}
        by_technique: dict[str, list[tuple[str, int]]] = {}
        for technique_id, trial in pending:
            by_technique.setdefault(technique_id, []).append((technique_id, trial))
        count = min(shards[arch], len(by_technique))
        groups: list[list[tuple[str, int]]] = [[] for _ in range(count)]
        for trials in sorted(by_technique.values(), key=len, reverse=True):
            min(groups, key=len).extend(trials)
        for i, group in enumerate(groups):
            group.sort(key=order.__getitem__)
            out.append((arch, arch if count == 1 else f"{arch}-{i + 1}", group))
    return out


def run_scenario(
    scenario: Scenario,
    run_dir: Path,
    calibration_path: Path | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    *,
    target: Target,
    cluster: Any | None = None,
) -> Path:
    """``run_plan`` of ``scenario`` planned by the one rule (``lab.experiment.plan.plan_run``)."""
    return run_plan(
        plan_run(scenario, calibration_path),
        Path(run_dir),
        progress,
        jobs,
        target=target,
        cluster=cluster,
    )


def run_plan(
    plan: RunPlan,
    run_dir: Path,
    progress: Progress | None = None,
    jobs: int | None = None,
    *,
    target: Target,
    cluster: Any | None = None,
) -> Path:
    """Run (or resume) ``plan`` on ``target`` into ``run_dir``; return ``run_dir``.

    ``jobs`` workers run at once as the target allows (emulated: each in its own process and
    account; default two per CPU, at least one per architecture, the architectures' larger shares
    split across the spare ones, see ``split_plan``); one worker runs the architectures one
    by one in this process. ``cluster``: a Dask client; the same units run on its workers
    (``lab.experiment.cluster``), as many at once as it has.
    """
    interrupt.install()
    scenario = plan.scenario
    start_manifest(
        run_dir,
        scenario,
        plan.calibration_source,
        plan.calibration,
        **target.manifest_fields(),
    )
    store = TrialStore(run_dir)
    store.drop_orphan_events()
    done = store.completed()
    pending = _pending(scenario, done)
    total = len(scenario.architectures) * len(scenario.techniques) * scenario.trials
    started = time.perf_counter()
    handle = _Messages(run_dir, store, done, total, progress or (lambda *_: None))
    errors = handle.errors

    handle.notify("starting", handle.finished, total)
    processes = (
        max(len(pending), cluster_workers(cluster))
        if cluster is not None
        else target.workers(jobs, len(pending))
    )
    units = _units(
        plan,
        target,
        Path(run_dir),
        pending,
        processes,
        on_cluster=cluster is not None,
        min_share=1 if jobs or cluster is not None else MIN_TRIALS_PER_SHARE,
    )
    status = "interrupted"
    finished: dict[str, Any] = {}
    try:
        if cluster is not None:
            run_units(cluster, units, handle, errors)
        elif processes <= 1 or len(units) <= 1:
            for unit in units:
                try:
                    run_unit(unit, emit=handle)
                except Exception:
                    break
        else:
            _run_in_processes(units, handle, errors)
        status = "stopped" if handle.stopped else "failed" if errors else "complete"
    finally:
        # The workers tear their deployments down themselves (on Ctrl-C too); what landed stays.
        finished = target.finish(Path(run_dir).name)
        shutil.rmtree(run_dir / ".work", ignore_errors=True)
        if status == "interrupted":
            finish_manifest(run_dir, status, **finished)
    if not errors:
        if target.meters_usage:
            meter_run(run_dir)
        store.finalize(_all_trials(scenario))
    finish_manifest(
        run_dir,
        status,
        wall_time_s_last_session=round(time.perf_counter() - started, 1),
        **finished,
    )
    if errors:
        raise RunError(
            "an architecture failed (completed trials are kept; resume with --resume):\n"
            + "\n".join(errors)
        )
    return run_dir


def _pending(scenario: Scenario, done: set[TrialKey]) -> dict[str, list[tuple[str, int]]]:
    """Per architecture, the (technique, trial) pairs not yet in ``trials.csv``."""
    return {
        arch: [(t, k) for t, a, k in _all_trials(scenario) if a == arch and (t, a, k) not in done]
        for arch in scenario.architectures
    }


class _Messages:
    """What the workers send, taken in: each trial appended once (a unit run again, its worker
    having died, sends its trials again), progress, inventories, errors and stops."""

    def __init__(
        self, run_dir: Path, store: TrialStore, done: set[TrialKey], total: int, notify: Progress
    ) -> None:
        self.run_dir, self.store, self.total, self.notify = run_dir, store, total, notify
        self.seen = set(done)
        self.finished = len(done)
        self.errors: list[str] = []
        self.stopped = False

    def __call__(self, message: Message) -> None:
        kind, payload, detail = message
        if kind == "trial":
            key = (payload["technique"], payload["architecture"], payload["trial"])
            if key in self.seen:
                return
            self.seen.add(key)
            self.store.append(payload, detail)
            self.finished += 1
            self.notify(
                f"{payload['architecture']} {payload['technique']}", self.finished, self.total
            )
        elif kind == "status":
            self.notify(payload, self.finished, self.total)
        elif kind == "inventory":
            record_inventory(self.run_dir, payload, detail)
        elif kind in ("error", "stopped"):
            self.errors.append(f"{payload}:\n{detail}")
            self.stopped = self.stopped or kind == "stopped"


def _all_trials(scenario: Scenario) -> list[tuple[str, str, int]]:
    """Every (technique, architecture, trial) of ``scenario``, in the order of its results."""
    return [
        (t, a, k)
        for a in scenario.architectures
        for t in scenario.techniques
        for k in range(scenario.trials)
    ]


def _units(
    plan: RunPlan,
    target: Target,
    run_dir: Path,
    pending: dict[str, list[tuple[str, int]]],
    processes: int,
    on_cluster: bool,
    min_share: int = 1,
) -> list[WorkUnit]:
    """The run's work units, ``processes`` at most at once (see ``split_plan``). On a cluster every
    architecture is split over the workers it has: a deployment per share costs a minute, but the
    shares run at once instead of one after another."""
    arms = plan.scenario.architectures
    splittable = (
        set(arms) if on_cluster else {a for a, o in arms.items() if splits_on_one_machine(a, o)}
    )
    return [
        WorkUnit(plan, target, run_dir, arch, worker, tuple(share))
        for arch, worker, share in split_plan(pending, processes, splittable, min_share)
    ]


def heaviest_first(pending: Pending) -> list[str]:
    """The techniques of ``pending``, those with simulated host activity first (their trials run
    longest: agent logs, alarms and a person at work), each group in the scenario's order."""
    techniques = list(dict.fromkeys(t for t, _ in pending))
    return sorted(techniques, key=lambda t: get_technique(t).metadata.activity is None)


def _run_in_processes(
    units: list[WorkUnit], handle: Callable[[Message], None], errors: list[str]
) -> None:
    """One process per worker. The workers of one architecture share its techniques through a
    queue, heaviest first, each taking the next when it finishes one: the load balances itself
    whatever each technique costs (results do not depend on which worker runs a trial)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    shards: dict[str, list[WorkUnit]] = {}
    for unit in units:
        shards.setdefault(unit.architecture, []).append(unit)
    claims: dict[str, Any] = {}
    for arch, workers in shards.items():
        if len(workers) > 1:
            claims[arch] = context.Queue()
            pending = [p for w in workers for p in w.pending]
            for technique_id in [*heaviest_first(pending), *[None] * len(workers)]:
                claims[arch].put(technique_id)
    processes = [
        context.Process(
            target=_worker,
            args=(
                unit
                if unit.architecture not in claims
                else unit.with_pending(_all_pending(shards[unit.architecture])),
                out,
                claims.get(unit.architecture),
            ),
            name=f"lab-{unit.worker}",
        )
        for unit in units
    ]
    for process in processes:
        process.start()
    running = {p.name: p for p in processes}
    try:
        while running:
            try:
                message = out.get(timeout=1.0)
            except queue_module.Empty:
                for name, process in list(running.items()):
                    if not process.is_alive():
                        running.pop(name)
                        if process.exitcode:
                            errors.append(f"{name} exited with code {process.exitcode}")
                continue
            handle(message)
            if message[0] in ("done", "error", "stopped"):
                running.pop(f"lab-{message[1]}", None)
    except KeyboardInterrupt:
        # Ctrl-C at a terminal reaches every process of the group; a SIGINT sent to this process
        # alone is passed on, so the workers tear their deployments down too.
        for process in processes:
            if process.is_alive() and process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGINT)
        raise
    finally:
        for process in processes:
            process.join(timeout=600)


def _all_pending(workers: list[WorkUnit]) -> Pending:
    """Every pending trial of an architecture's workers, in the order the plan had them."""
    return sorted((p for w in workers for p in w.pending), key=lambda p: (p[0], p[1]))
