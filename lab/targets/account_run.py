"""A scenario on a real account (or the emulated stand-in), in wall-clock time, with guaranteed
teardown: each architecture is deployed, its trials observed by probes (``wallclock.py``), and it is
destroyed on success, on error and on Ctrl-C; then a tagged-resource sweep of the run
(``cleanup.py``) removes anything a teardown missed. Results go to the same files as emulated runs
(``trials.csv``, ``events.jsonl``, ``manifest.json`` with ``target: aws``)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lab.architectures.registry import build
from lab.attacks.registry import technique as get_technique
from lab.emulator.endpoints import Endpoints
from lab.experiment.manifest import write_manifest
from lab.experiment.runner import RunError, start_manifest
from lab.experiment.scenario import Scenario
from lab.experiment.store import TrialStore
from lab.seeds import derived_seed
from lab.sim.calibration import Calibration
from lab.targets.cleanup import cleanup
from lab.targets.wallclock import AlertProbe, OperatorBot, StandIn, run_topics, wallclock_trial

Progress = Callable[[str, int, int], None]


class EstimateUnavailable(RuntimeError):
    """No emulated run of the scenario to estimate the cost from."""


def cost_estimate(scenario: Scenario, results_dir: Path, run_s: float) -> dict[str, float]:
    """USD per architecture for ``run_s`` seconds of the scenario on AWS: the monthly list-price
    cost of what it deploys (teaching-lab profile, infrastructure only), pro rata, from the newest
    emulated run of the same scenario (its ``usage.json``)."""
    from lab.cost.report import cost_lines

    runs = sorted(
        (p.parent for p in Path(results_dir).glob(f"{scenario.name}/*/usage.json")),
        key=lambda p: p.stat().st_mtime,
    )
    if not runs:
        raise EstimateUnavailable(
            f"no emulated run of {scenario.name} under {results_dir} to estimate the cost from: "
            f"run it on the emulator first (lab run SCENARIO)"
        )
    lines = cost_lines(runs[-1], profiles=["teaching-lab"])
    infra = lines[lines["category"] != "people"].groupby("architecture")["cost_usd"].sum()
    share = run_s / (730 * 3600)
    return {arch: round(float(infra.get(arch, 0.0)) * share, 2) for arch in scenario.architectures}


def run_on_account(
    scenario: Scenario,
    run_dir: Path,
    endpoints: Endpoints,
    calibration_path: Path,
    max_run_s: float,
    stand_in: Any | None = None,
    time_factor: float = 1.0,
    poll_s: float = 10.0,
    prompt: Callable[[str], Any] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run ``scenario`` against the account at ``endpoints``; ``stand_in`` is the emulator playing
    that account (its simulated services then act as AWS, ``time_factor`` wall s per simulated s)."""
    calibration = Calibration.load(calibration_path)
    target = "aws" if stand_in is None else "aws-stand-in"
    manifest_path = start_manifest(
        run_dir,
        scenario,
        calibration_path,
        calibration,
        target=target,
        time_factor=time_factor,
        poll_s=poll_s,
        max_run_s=max_run_s,
        operator_mode="prompt" if prompt else "bot",
    )
    store = TrialStore(run_dir)
    store.drop_orphan_events()
    done = store.completed()
    total = len(scenario.architectures) * len(scenario.techniques) * scenario.trials
    finished = len(done)
    notify = progress or (lambda *_: None)
    deadline = time.monotonic() + max_run_s
    profile = calibration.operator(scenario.operator)
    status = "interrupted"
    try:
        for arch_name, config in scenario.architectures.items():
            pending = [
                (t, k)
                for t in scenario.techniques
                for k in range(scenario.trials)
                if (t, arch_name, k) not in done
            ]
            if not pending:
                continue
            workdir = run_dir / ".work" / arch_name
            architecture = build(arch_name, run_dir.name, config)
            notify(f"deploying {arch_name}", finished, total)
            try:
                architecture.deploy(endpoints, workdir)
                probe = AlertProbe.create(
                    endpoints, run_dir.name, run_topics(endpoints, run_dir.name)
                )
                try:
                    for technique_id in dict.fromkeys(t for t, _ in pending):
                        technique = get_technique(technique_id)
                        prerequisites = technique.warm_up(endpoints)
                        try:
                            for _, trial in (p for p in pending if p[0] == technique_id):
                                if time.monotonic() > deadline:
                                    raise RunError(
                                        f"the run reached its maximum duration ({max_run_s:.0f} s)"
                                    )
                                row, events = _trial(
                                    scenario,
                                    endpoints,
                                    technique,
                                    prerequisites,
                                    arch_name,
                                    trial,
                                    probe,
                                    profile,
                                    calibration,
                                    stand_in,
                                    time_factor,
                                    poll_s,
                                    prompt,
                                    workdir,
                                )
                                store.append(row, events)
                                finished += 1
                                notify(f"{arch_name} {technique_id}", finished, total)
                        finally:
                            technique.cleanup(endpoints, prerequisites)
                finally:
                    probe.delete()
            finally:
                notify(f"tearing down {arch_name}", finished, total)
                architecture.destroy(endpoints, workdir)
        status = "complete"
    except RunError:
        status = "stopped"
        raise
    finally:
        # Teardown always: whatever the run tagged and a teardown missed goes too.
        leftovers = cleanup(endpoints, run_dir.name)
        shutil.rmtree(run_dir / ".work", ignore_errors=True)
        write_manifest(
            manifest_path,
            {
                "status": status,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cleanup": {"deleted": leftovers.deleted, "failed": leftovers.failed},
            },
        )
    store.finalize(
        [
            (t, a, k)
            for a in scenario.architectures
            for t in scenario.techniques
            for k in range(scenario.trials)
        ]
    )
    return run_dir


def _trial(
    scenario: Scenario,
    endpoints: Endpoints,
    technique: Any,
    prerequisites: Any,
    arch_name: str,
    trial: int,
    probe: AlertProbe,
    profile: Any,
    calibration: Calibration,
    stand_in_emulator: Any | None,
    time_factor: float,
    poll_s: float,
    prompt: Callable[[str], Any] | None,
    workdir: Path,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seed = derived_seed(scenario.seed, trial)
    bot = OperatorBot(endpoints, profile, np.random.default_rng(seed), time_factor, prompt)
    stand_in = None
    if stand_in_emulator is not None:
        stand_in = StandIn.start(
            stand_in_emulator, calibration, profile, workdir, seed, time_factor
        )
    injected = datetime.now(UTC)
    error = None
    timing: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    try:
        timing, events = wallclock_trial(
            endpoints, technique, prerequisites, probe, bot, scenario.max_trial_s, poll_s, stand_in
        )
    except Exception as exc:  # recorded, the run goes on
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if stand_in is not None:
            stand_in.close()
        technique.revert(endpoints, prerequisites)
    labels = {"technique": technique.id, "architecture": arch_name, "trial": trial}
    alerted, remediated = timing.get("alerted_s"), timing.get("remediated_s")

    def at(seconds: float | None) -> str | None:
        if seconds is None:
            return None
        return (injected + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    outcome = (
        "failed"
        if error
        else "remediated"
        if remediated is not None
        else "detected only"
        if alerted is not None
        else "missed"
    )
    first_alert = next((e for e in events if e["kind"] == "probe.alert"), None)
    row = {
        **labels,
        "seed": scenario.seed,
        "outcome": outcome,
        "injected_at": at(0.0),
        "detected_at": at(alerted),  # from outside, the first alert is the first sign
        "alerted_at": at(alerted),
        "remediated_at": at(remediated),
        "time_to_detect_s": alerted,
        "time_to_alert_s": alerted,
        "time_to_remediate_s": remediated,
        "detection_source": f"alert:{first_alert['subject']}"[:200] if first_alert else None,
        "remediated_by": "observed" if remediated is not None else None,
        "error": error,
    }
    return row, [{**labels, **e} for e in events]


def write_plan(
    scenario: Scenario, account: str, estimate: dict[str, float], max_run_s: float
) -> str:
    """What a run on ``account`` will do, for the confirmation prompt."""
    lines = [
        f"account {account}: deploy, attack and tear down, one architecture at a time:",
        *(
            f"  {arch}: {len(scenario.techniques)} techniques x {scenario.trials} trials; "
            f"about ${estimate.get(arch, 0):.2f} of infrastructure for the run"
            for arch in scenario.architectures
        ),
        f"  every resource tagged lab:project and lab:run-id; maximum duration {max_run_s:.0f} s",
        f"  techniques: {', '.join(scenario.techniques)}",
    ]
    return "\n".join(lines)
