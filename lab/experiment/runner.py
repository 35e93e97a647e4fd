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
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab import interrupt
from lab.architectures.registry import SPLITTABLE, arm_base, build
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique as get_technique
from lab.cost.usage import meter_run, record_inventory
from lab.experiment.outcome import trial_row
from lab.experiment.results import finish_manifest, start_manifest
from lab.experiment.scenario import Scenario
from lab.experiment.store import TrialStore
from lab.experiment.target import RunStopped, Target, TrialRequest
from lab.seeds import derived_seed, stable_key
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration

Progress = Callable[[str, int, int], None]  # (description, done, total)
Message = tuple[
    str, Any, Any
]  # ("trial", row, events) | ("status", text, None) | ("inventory", arch, resources)
#   | ("done"/"error"/"stopped", worker, detail)
Pending = list[tuple[str, int]]  # (technique, trial)


class RunError(RuntimeError):
    """An architecture's worker failed; its completed trials are kept in the store."""


def run_architecture(
    target: Target,
    scenario_json: str,
    run_dir: str,
    calibration_path: str,
    arch_name: str,
    pending: Pending,
    emit: Callable[[Message], None],
    worker: str | None = None,
    claim: Callable[[], str | None] | None = None,
) -> None:
    """Deploy ``arch_name`` into the worker's account on ``target``, run its pending trials, tear
    down. ``worker`` names this worker in its messages (default: the architecture's name).
    ``claim``: the next technique to run, shared with the architecture's other workers (None: no
    more); without it, every technique of ``pending``."""
    scenario = Scenario.model_validate_json(scenario_json)
    calibration = Calibration.load(Path(calibration_path))
    run_id = Path(run_dir).name
    worker = worker or arch_name
    workdir = Path(run_dir) / ".work" / worker
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
                        account.seed(derived_seed(scenario.seed, stable_key(technique_id), 0x3A))
                        life = TechniqueRun(get_technique(technique_id), account.endpoints, run_id)
                        with life.warm():
                            for _, trial in (p for p in pending if p[0] == technique_id):
                                interrupt.check()
                                target.check_time()
                                request = TrialRequest(
                                    scenario, calibration, life, arch_name, trial, workdir
                                )
                                observation, events = account.trial(request)
                                emit(("trial", trial_row(observation, scenario.seed), events))
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


def _techniques(pending: Pending, claim: Callable[[], str | None] | None):
    """The techniques of ``pending`` in order, or as ``claim`` hands them out."""
    if claim is None:
        yield from dict.fromkeys(t for t, _ in pending)
        return
    while (technique_id := claim()) is not None:
        yield technique_id


def _worker(args: tuple[Any, ...], out: Any, claims: Any = None) -> None:
    interrupt.install()
    claim = None if claims is None else claims.get  # blocking: a None per worker ends the queue
    with contextlib.suppress(BaseException):  # failures are reported through the queue
        run_architecture(*args[:6], emit=out.put, worker=args[6], claim=claim)


def split_plan(
    plan: dict[str, list[tuple[str, int]]],
    processes: int,
    splittable: set[str] | frozenset[str] = SPLITTABLE,
) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(architecture, worker name, pending trials) per worker: one per architecture, and the
    processes left over split the splittable architectures' trials by technique (whole techniques,
    balanced by trial count). Each trial's result does not depend on the trials run before it in
    the same account (see ``run_trial``), so the split changes the wall time only."""
    todo = {arch: pending for arch, pending in plan.items() if pending}
    spare = max(0, processes - len(todo))
    splittable_now = [arch for arch in todo if arch in splittable]
    shards = {arch: 1 for arch in todo}
    for i in range(spare):
        if splittable_now:
            shards[splittable_now[i % len(splittable_now)]] += 1
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
    """Run (or resume) ``scenario`` on ``target`` into ``run_dir``; return ``run_dir``.

    ``jobs`` workers run at once as the target allows (emulated: each in its own process and
    account; default one more than the CPUs, at least one per architecture, the manual baseline's
    trials split across the spare ones, see ``split_plan``); one worker runs the architectures one
    by one in this process. ``cluster``: a Dask client; the same units run on its workers
    (``lab.experiment.cluster``), as many at once as it has.
    """
    interrupt.install()
    calibration_path = Path(calibration_path or scenario.calibration or DEFAULT_CALIBRATION)
    calibration = Calibration.load(calibration_path)
    start_manifest(run_dir, scenario, calibration_path, calibration, **target.manifest_fields())
    store = TrialStore(run_dir)
    store.drop_orphan_events()
    done = store.completed()
    plan = {
        arch: [
            (t, k)
            for t in scenario.techniques
            for k in range(scenario.trials)
            if (t, arch, k) not in done
        ]
        for arch in scenario.architectures
    }
    total = len(scenario.architectures) * len(scenario.techniques) * scenario.trials
    state: dict[str, Any] = {"finished": len(done), "started": time.perf_counter()}
    notify = progress or (lambda *_: None)
    errors: list[str] = []

    seen = set(done)

    def handle(message: Message) -> None:
        kind, payload, detail = message
        if kind == "trial":
            key = (payload["technique"], payload["architecture"], payload["trial"])
            if key in seen:  # a unit run again (its worker died) sends its trials again
                return
            seen.add(key)
            store.append(payload, detail)
            state["finished"] += 1
            notify(f"{payload['architecture']} {payload['technique']}", state["finished"], total)
        elif kind == "status":
            notify(payload, state["finished"], total)
        elif kind == "inventory":
            record_inventory(run_dir, payload, detail)
        elif kind in ("error", "stopped"):
            errors.append(f"{payload}:\n{detail}")
            state["stopped"] = state.get("stopped") or kind == "stopped"

    notify("starting", state["finished"], total)
    if cluster is not None:
        from lab.experiment.cluster import cluster_workers

        processes = max(len(plan), cluster_workers(cluster))
    else:
        processes = target.workers(jobs, len(plan))
    args = [
        (
            target,
            scenario.model_dump_json(),
            str(run_dir),
            str(calibration_path),
            arch,
            pending,
            worker,
        )
        for arch, worker, pending in split_plan(
            plan,
            processes,
            # On a cluster every architecture is split over the workers it has: a deployment per
            # share costs a minute, but the shares run at once instead of one after another.
            set(scenario.architectures)
            if cluster is not None
            else {a for a, o in scenario.architectures.items() if arm_base(a, o) in SPLITTABLE},
        )
    ]
    status = "interrupted"
    finished: dict[str, Any] = {}
    try:
        if cluster is not None:
            from lab.experiment.cluster import run_units

            run_units(cluster, args, handle, errors, calibration_path)
        elif processes <= 1 or len(args) <= 1:
            for arg in args:
                try:
                    run_architecture(*arg[:6], emit=handle, worker=arg[6])
                except Exception:
                    break
        else:
            _run_in_processes(args, handle, errors)
        status = "stopped" if state.get("stopped") else "failed" if errors else "complete"
    finally:
        # The workers tear their deployments down themselves (on Ctrl-C too); what landed stays.
        finished = target.finish(Path(run_dir).name)
        shutil.rmtree(run_dir / ".work", ignore_errors=True)
        if status == "interrupted":
            finish_manifest(run_dir, status, **finished)
    if not errors:
        if target.meters_usage:
            meter_run(run_dir)
        store.finalize(
            [
                (t, a, k)
                for a in scenario.architectures
                for t in scenario.techniques
                for k in range(scenario.trials)
            ]
        )
    finish_manifest(
        run_dir,
        status,
        wall_time_s_last_session=round(time.perf_counter() - state["started"], 1),
        **finished,
    )
    if errors:
        raise RunError(
            "an architecture failed (completed trials are kept; resume with --resume):\n"
            + "\n".join(errors)
        )
    return run_dir


def heaviest_first(pending: Pending) -> list[str]:
    """The techniques of ``pending``, those with simulated host activity first (their trials run
    longest: agent logs, alarms and a person at work), each group in the scenario's order."""
    techniques = list(dict.fromkeys(t for t, _ in pending))
    return sorted(techniques, key=lambda t: get_technique(t).metadata.activity is None)


def _run_in_processes(
    args: list[tuple[Any, ...]], handle: Callable[[Message], None], errors: list[str]
) -> None:
    """One process per worker. The workers of one architecture share its techniques through a
    queue, heaviest first, each taking the next when it finishes one: the load balances itself
    whatever each technique costs (results do not depend on which worker runs a trial)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    shards: dict[str, list[tuple[Any, ...]]] = {}
    for arg in args:
        shards.setdefault(arg[4], []).append(arg)
    claims: dict[str, Any] = {}
    for arch, workers in shards.items():
        if len(workers) > 1:
            claims[arch] = context.Queue()
            pending = [p for w in workers for p in w[5]]
            for technique_id in [*heaviest_first(pending), *[None] * len(workers)]:
                claims[arch].put(technique_id)
    processes = [
        context.Process(
            target=_worker,
            args=(
                arg if arg[4] not in claims else (*arg[:5], _all_pending(shards[arg[4]]), arg[6]),
                out,
                claims.get(arg[4]),
            ),
            name=f"lab-{arg[6]}",
        )
        for arg in args
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


def _all_pending(workers: list[tuple[Any, ...]]) -> Pending:
    """Every pending trial of an architecture's workers, in the order the plan had them."""
    return sorted((p for w in workers for p in w[5]), key=lambda p: (p[0], p[1]))
