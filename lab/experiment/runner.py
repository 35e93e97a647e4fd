"""Runs a scenario: each architecture in its own fresh emulated account (its own process, so the
architectures run side by side on a multi-core machine), every trial appended to the store the
moment it ends, teardown always; then the manifest."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue as queue_module
import shutil
import signal
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.architectures.registry import SPLITTABLE, build
from lab.attacks.registry import technique as get_technique
from lab.cost.inventory import inventory
from lab.cost.usage import meter_run, record_inventory
from lab.emulator.server import EmulatorServer
from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.experiment.scenario import Scenario
from lab.experiment.store import TrialStore
from lab.experiment.trial import run_trial
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration

Progress = Callable[[str, int, int], None]  # (description, done, total)
Message = tuple[
    str, Any, Any
]  # ("trial", row, events) | ("status", text, None) | ("done"/"error", arch, detail)


class RunError(RuntimeError):
    """An architecture's worker failed; its completed trials are kept in the store."""


class ResumeMismatch(ValueError):
    """The run directory holds a run of another scenario or calibration."""


def new_run_id(scenario: Scenario) -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{scenario.digest[:8]}"


def start_manifest(
    run_dir: Path,
    scenario: Scenario,
    calibration_path: Path,
    calibration: Calibration,
    **extra: Any,
) -> Path:
    """Check that ``run_dir`` is new or holds this scenario with this calibration (before anything
    in it is touched), then write its manifest with status ``running``; return the manifest path."""
    manifest_path = run_dir / "manifest.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if previous.get("scenario_sha256") not in (None, scenario.digest):
        raise ResumeMismatch(
            f"{run_dir} holds a run of a different scenario; resume it with that scenario"
        )
    if previous.get("calibration_sha256") not in (None, calibration.digest):
        raise ResumeMismatch(f"{run_dir} was run with a different calibration")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(
        manifest_path,
        {
            "run_id": run_dir.name,
            "scenario": scenario.model_dump(mode="json"),
            "scenario_sha256": scenario.digest,
            "seed": scenario.seed,
            "calibration_path": str(calibration_path),
            "calibration_sha256": calibration.digest,
            "target": scenario.target,
            "versions": versions(),
            "git": git_commit(),
            "status": "running",
            "started_at": previous.get("started_at")
            or datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        },
    )
    return manifest_path


def run_architecture(
    scenario_json: str,
    run_dir: str,
    calibration_path: str,
    arch_name: str,
    pending: list[tuple[str, int]],
    emit: Callable[[Message], None],
    worker: str | None = None,
) -> None:
    """Deploy ``arch_name`` into a fresh emulated account, run its pending trials, tear down.
    ``worker`` names this worker in its messages (default: the architecture's name)."""
    scenario = Scenario.model_validate_json(scenario_json)
    calibration = Calibration.load(Path(calibration_path))
    worker = worker or arch_name
    workdir = Path(run_dir) / ".work" / worker
    # A fresh emulated account each time: state left by an interrupted session means nothing now.
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        with EmulatorServer() as emulator:
            emulator.reset()  # moto's state is per process: start from an empty account
            emulator.seed(scenario.seed)
            architecture = build(arch_name, Path(run_dir).name, scenario.architectures[arch_name])
            emit(("status", f"deploying {worker}", None))
            try:
                architecture.deploy(emulator.endpoints, workdir)
                emit(("inventory", arch_name, inventory(emulator.endpoints)))
                for technique_id in dict.fromkeys(t for t, _ in pending):
                    technique = get_technique(technique_id)
                    prerequisites = technique.warm_up(emulator.endpoints)
                    for _, trial in (p for p in pending if p[0] == technique_id):
                        row, events = run_trial(
                            emulator,
                            scenario,
                            calibration,
                            technique,
                            prerequisites,
                            arch_name,
                            trial,
                            workdir,
                        )
                        emit(("trial", row, events))
                    technique.cleanup(emulator.endpoints, prerequisites)
            finally:
                emit(("status", f"tearing down {worker}", None))
                architecture.destroy(emulator.endpoints, workdir)
        emit(("done", worker, None))
    except BaseException:
        emit(("error", worker, traceback.format_exc()))
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _worker(args: tuple[Any, ...], out: Any) -> None:
    with contextlib.suppress(BaseException):  # failures are reported through the queue
        run_architecture(*args[:5], emit=out.put, worker=args[5])


def split_plan(
    plan: dict[str, list[tuple[str, int]]], processes: int
) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(architecture, worker name, pending trials) per worker: one per architecture, and the
    processes left over split the splittable architectures' trials by technique (whole techniques,
    balanced by trial count). Each trial's result does not depend on the trials run before it in
    the same account (see ``run_trial``), so the split changes the wall time only."""
    todo = {arch: pending for arch, pending in plan.items() if pending}
    spare = max(0, processes - len(todo))
    splittable = [arch for arch in todo if arch in SPLITTABLE]
    shards = {arch: 1 for arch in todo}
    for i in range(spare):
        if splittable:
            shards[splittable[i % len(splittable)]] += 1
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
) -> Path:
    """Run (or resume) ``scenario`` into ``run_dir``; return ``run_dir``.

    ``jobs`` workers run at once, each in its own process and emulator (default: one more than the
    CPUs, at least one per architecture; the manual baseline's trials are split across the spare
    ones, see ``split_plan``); ``jobs=1`` runs the architectures one by one in this process.
    """
    calibration_path = Path(calibration_path or scenario.calibration or DEFAULT_CALIBRATION)
    calibration = Calibration.load(calibration_path)
    manifest_path = start_manifest(run_dir, scenario, calibration_path, calibration)
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
    state = {"finished": len(done), "started": time.perf_counter()}
    notify = progress or (lambda *_: None)
    errors: list[str] = []

    def handle(message: Message) -> None:
        kind, payload, detail = message
        if kind == "trial":
            store.append(payload, detail)
            state["finished"] += 1
            notify(f"{payload['architecture']} {payload['technique']}", state["finished"], total)
        elif kind == "status":
            notify(payload, state["finished"], total)
        elif kind == "inventory":
            record_inventory(run_dir, payload, detail)
        elif kind == "error":
            errors.append(f"{payload}:\n{detail}")

    notify("starting", state["finished"], total)
    processes = jobs or max(len(plan), (multiprocessing.cpu_count() or 1) + 1)
    workers = split_plan(plan, processes)
    args = [
        (scenario.model_dump_json(), str(run_dir), str(calibration_path), arch, pending, worker)
        for arch, worker, pending in workers
    ]
    try:
        if processes <= 1 or len(args) <= 1:
            for arg in args:
                try:
                    run_architecture(*arg[:5], emit=handle, worker=arg[5])
                except Exception:
                    break
        else:
            _run_in_processes(args, handle, errors)
    except KeyboardInterrupt:
        # The workers tear their deployments down on the same signal; what landed stays.
        write_manifest(
            manifest_path,
            {
                "status": "interrupted",
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        raise
    shutil.rmtree(run_dir / ".work", ignore_errors=True)
    if not errors:
        meter_run(run_dir)
        store.finalize(
            [
                (t, a, k)
                for a in scenario.architectures
                for t in scenario.techniques
                for k in range(scenario.trials)
            ]
        )
    write_manifest(
        manifest_path,
        {
            "status": "failed" if errors else "complete",
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s_last_session": round(time.perf_counter() - state["started"], 1),
        },
    )
    if errors:
        raise RunError(
            "an architecture failed (completed trials are kept; resume with --resume):\n"
            + "\n".join(errors)
        )
    return run_dir


def _run_in_processes(
    args: list[tuple[Any, ...]], handle: Callable[[Message], None], errors: list[str]
) -> None:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [
        context.Process(target=_worker, args=(arg, out), name=f"lab-{arg[5]}") for arg in args
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
            if message[0] in ("done", "error"):
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
