"""Runs a scenario: for each architecture, deploy into a fresh emulated account, run every trial,
append each result at once, tear down; then the manifest and the figure."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lab.architectures.registry import build
from lab.attacks.registry import technique as get_technique
from lab.emulator.server import EmulatorServer
from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.experiment.scenario import Scenario
from lab.experiment.store import TrialStore
from lab.experiment.trial import run_trial
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration

Progress = Callable[[str, int, int], None]  # (description, done, total)


def new_run_id(scenario: Scenario) -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{scenario.digest[:8]}"


def run_scenario(scenario: Scenario, run_dir: Path, calibration_path: Path | None = None,
                 progress: Progress | None = None) -> Path:  # fmt: skip
    """Run (or resume) ``scenario`` into ``run_dir``; return ``run_dir``."""
    calibration_path = Path(calibration_path or scenario.calibration or DEFAULT_CALIBRATION)
    calibration = Calibration.load(calibration_path)
    run_dir.mkdir(parents=True, exist_ok=True)
    store = TrialStore(run_dir)
    store.drop_orphan_events()
    done = store.completed()
    manifest_path = run_dir / "manifest.json"
    previous = write_manifest(manifest_path, {})
    if previous.get("scenario_sha256") not in (None, scenario.digest):
        raise ValueError(f"{run_dir} holds a run of a different scenario; resume it with that scenario")
    if previous.get("calibration_sha256") not in (None, calibration.digest):
        raise ValueError(f"{run_dir} was run with a different calibration")
    write_manifest(manifest_path, {
        "run_id": run_dir.name, "scenario": scenario.model_dump(mode="json"),
        "scenario_sha256": scenario.digest, "seed": scenario.seed,
        "calibration_path": str(calibration_path), "calibration_sha256": calibration.digest,
        "target": scenario.target, "versions": versions(), "git": git_commit(), "status": "running",
        "started_at": previous.get("started_at") or datetime.now(UTC).isoformat(timespec="seconds"),
    })  # fmt: skip
    techniques = [get_technique(t) for t in scenario.techniques]
    plan = [(t, a, k) for a in scenario.architectures for t in techniques for k in range(scenario.trials)]
    total, finished = len(plan), sum((t.id, a, k) in done for t, a, k in plan)
    started = time.perf_counter()
    notify = progress or (lambda *_: None)
    notify("starting", finished, total)
    with EmulatorServer() as emulator:
        for arch_name, options in scenario.architectures.items():
            pending = [(t, k) for t, a, k in plan if a == arch_name and (t.id, a, k) not in done]
            if not pending:
                continue
            emulator.reset()
            emulator.seed(scenario.seed)
            workdir = run_dir / ".work" / arch_name
            architecture = build(arch_name, run_dir.name, options)
            notify(f"deploying {arch_name}", finished, total)
            try:
                architecture.deploy(emulator.endpoints, workdir)
                for technique in techniques:
                    trials = [k for t, k in pending if t is technique]
                    if not trials:
                        continue
                    prerequisites = technique.warm_up(emulator.endpoints)
                    for trial in trials:
                        row, events = run_trial(emulator, scenario, calibration, technique,
                                                prerequisites, arch_name, trial, workdir)  # fmt: skip
                        store.append(row, events)
                        finished += 1
                        notify(f"{arch_name} {technique.id}", finished, total)
                    technique.cleanup(emulator.endpoints, prerequisites)
            finally:
                notify(f"tearing down {arch_name}", finished, total)
                architecture.destroy(emulator.endpoints, workdir)
                shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(run_dir / ".work", ignore_errors=True)
    write_manifest(manifest_path, {
        "status": "complete", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s_last_session": round(time.perf_counter() - started, 1),
    })  # fmt: skip
    return run_dir
