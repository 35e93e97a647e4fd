"""One trial: inject the technique at a random phase, let the account's services react in virtual
time, observe when it was detected, alerted and remediated (read back from the account)."""

from __future__ import annotations

import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lab.attacks.base import Prerequisites, Technique
from lab.emulator.actors import actor
from lab.emulator.server import EmulatorServer
from lab.experiment.scenario import Scenario
from lab.paths import RUNBOOKS_DIR
from lab.seeds import derived_seed
from lab.sim.background import BackgroundLoad
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.services import start_services

# Timeline events that close an alert a person received.
ALERT_HANDLED = {
    "operator.acknowledged",
    "operator.runbook_done",
    "operator.duplicate_alert",
    "operator.runbook_missing",
}


def stable_key(text: str) -> int:
    """A seed component that is the same on every machine and Python run (unlike ``hash``)."""
    return zlib.crc32(text.encode())


def run_trial(
    emulator: EmulatorServer,
    scenario: Scenario,
    calibration: Calibration,
    technique: Technique,
    prerequisites: Prerequisites,
    architecture: str,
    trial: int,
    workdir: Path,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one trial; return its row for ``trials.csv`` and its timeline."""
    endpoints = emulator.endpoints
    # Resource ids the trial makes (keys, groups, executions) come from its own seed, not from what
    # the account made before it: a trial's timeline is the same whichever trials ran before it in
    # this account (resumed runs, split workers).
    emulator.seed(
        derived_seed(scenario.seed, stable_key(technique.id), stable_key(architecture), trial, 0x1D)
    )
    # Common random numbers: the injection phase of trial k is the same for every architecture.
    phase_rng = np.random.default_rng([scenario.seed, stable_key(technique.id), trial])
    rng = np.random.default_rng(
        [scenario.seed, stable_key(technique.id), stable_key(architecture), trial]
    )
    epoch = scenario.start + timedelta(seconds=trial * scenario.trial_spacing_s)
    labels = {"technique": technique.id, "architecture": architecture, "trial": trial}
    sim = Simulation(endpoints, emulator.recorder, calibration, rng, epoch, labels=labels)
    services = start_services(sim, workdir, calibration.operator(scenario.operator), RUNBOOKS_DIR)
    # The same background in trial k for every architecture (common random numbers).
    background = BackgroundLoad(
        sim,
        services.cloudtrail,
        scenario.background_events_per_day,
        seed=derived_seed(scenario.seed, 0xB6, trial),
    )
    done = sim.env.event()
    state: dict[str, Any] = {}

    def observe(event: dict[str, Any]) -> None:
        # The trial ends once the attack is undone, a person has been told, and every alert
        # delivered has been handled by that person (or at max_trial_s).
        if "injected_s" not in state or done.triggered:
            return
        if event.get("background"):  # the background load's alerts are not the attack's
            return
        if event.get("alert"):
            state.setdefault("alerted_s", sim.now)
            state["alerts_open"] = state.get("alerts_open", 0) + 1
        if event["kind"] in ALERT_HANDLED:
            state["alerts_open"] = state.get("alerts_open", 0) - 1
        if (
            event["kind"] == "responder.finished"
            and "remediated_s" not in state
            and technique.is_remediated(endpoints, prerequisites)
        ):
            state["remediated_s"], state["remediated_by"] = sim.now, event["source"]
            sim.log("technique.remediated", source=event["source"])
        finished = "remediated_s" in state and "alerted_s" in state
        if finished and state.get("alerts_open", 0) <= 0 and not done.triggered:
            done.succeed()

    def attack():
        yield sim.env.timeout(
            scenario.settle + float(phase_rng.uniform(0, scenario.injection_window))
        )
        technique.detonate(endpoints, prerequisites)
        state["injected_s"] = sim.now
        sim.log("technique.detonated")
        sim.pump()
        activity = technique.metadata.activity
        if activity is not None and prerequisites.get("instance_id"):
            services.hosts.start(
                prerequisites["instance_id"],
                activity,
                actor(activity.source).source_ip,
                active=lambda: bool(prerequisites.get("active")) and not done.triggered,
                network=lambda: technique.network(endpoints, prerequisites),
            )

    sim.on_log(observe)
    sim.env.process(attack())
    error = None
    try:
        sim.env.run(until=sim.env.any_of([done, sim.env.timeout(scenario.max_trial_s)]))
    except Exception as exc:  # a trial that breaks is recorded as failed, the run goes on
        error = f"{type(exc).__name__}: {exc}"
        sim.log("trial.failed", error=error)
    finally:
        services.close()
    technique.revert(endpoints, prerequisites)
    if background.delivered:
        sim.log(
            "background.summary",
            records=background.delivered,
            peak_lambda_concurrency=services.lambda_runtime.peak_concurrency,
        )
    return _row(sim, scenario, state, error), sim.timeline


def _row(
    sim: Simulation, scenario: Scenario, state: dict[str, Any], error: str | None
) -> dict[str, Any]:
    injected = state.get("injected_s")
    after = injected if injected is not None else float("inf")
    detection = sim.first(lambda e: bool(e.get("detection")) and not e.get("background"), after)
    alert = sim.first(lambda e: bool(e.get("alert")) and not e.get("background"), after)
    remediated = state.get("remediated_s")

    def at(seconds: float | None) -> str | None:
        return sim.at(seconds) if seconds is not None else None

    def since(seconds: float | None) -> float | None:
        return (
            round(seconds - injected, 3) if seconds is not None and injected is not None else None
        )

    detected_s = detection["t_s"] if detection else None
    alerted_s = alert["t_s"] if alert else None
    if error or injected is None:
        outcome = "failed"
    elif remediated is not None:
        outcome = "remediated"
    elif detection is not None or alert is not None:
        outcome = "detected only"
    else:
        outcome = "missed"
    return {
        **sim.labels,
        "seed": scenario.seed,
        "outcome": outcome,
        "injected_at": at(injected),
        "detected_at": at(detected_s),
        "alerted_at": at(alerted_s),
        "remediated_at": at(remediated),
        "time_to_detect_s": since(detected_s),
        "time_to_alert_s": since(alerted_s),
        "time_to_remediate_s": since(remediated),
        "detection_source": detection.get("source") if detection else None,
        "remediated_by": state.get("remediated_by"),
        "error": error,
    }
