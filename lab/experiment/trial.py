"""One trial: inject the technique at a random phase, let the account's services react in virtual
time, observe when it was detected, alerted and remediated (read back from the account)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from lab.attacks.benign import allow_list_kept
from lab.attacks.lifecycle import TechniqueRun
from lab.emulator.actors import actor
from lab.emulator.server import EmulatorServer
from lab.experiment.injection import Injection, draw_injection
from lab.experiment.outcome import Observation, trial_row
from lab.experiment.target import TrialRequest
from lab.paths import RUNBOOKS_DIR
from lab.seeds import Stream, stream, stream_seed
from lab.sim.background import BackgroundLoad
from lab.sim.kernel import Simulation
from lab.sim.posture_scans import CspmSchedule, Scanner
from lab.sim.services import AccountServices, start_services

# Timeline events that close an alert a person received.
ALERT_HANDLED = {
    "operator.acknowledged",
    "operator.runbook_done",
    "operator.duplicate_alert",
    "operator.runbook_missing",
    "operator.already_read",
    "operator.page_ignored",
}


def run_trial(
    emulator: EmulatorServer, request: TrialRequest, scanner: Scanner | None = None
) -> tuple[Observation, list[dict[str, Any]]]:
    """Run one trial in virtual time; return what was observed and its timeline (``scanner``:
    the CSPM tool, when the scenario scans)."""
    scenario, life, trial = request.scenario, request.technique, request.trial
    sim, injection = _trial_clock(emulator, request)
    # The same person in every architecture: their reading, diagnosing and typing times come from
    # the trial's common stream, not the architecture's (common random numbers for the person).
    person_rng = stream(scenario.seed, Stream.PERSON, life.technique.id, trial)
    services = start_services(
        sim,
        request.workdir,
        request.calibration.operator(scenario.operator),
        RUNBOOKS_DIR,
        person_rng=person_rng,
        cspm=cspm_schedule(scenario, scanner),
    )
    # The same background in trial k for every architecture (common random numbers).
    background = BackgroundLoad(
        sim,
        services.cloudtrail,
        scenario.background_events_per_day,
        seed=stream_seed(scenario.seed, Stream.BACKGROUND, trial),
    )
    watch = _TrialWatch(sim, life)

    def attack():
        yield sim.env.timeout(injection.delay_s)
        with allow_list_kept(scenario.allow_list):  # the benign actions tag their routine changes
            life.detonate()
        watch.state["injected_s"] = sim.now
        detonated(sim, services, life, watching=lambda: not watch.done.triggered)

    sim.on_log(watch.observe)
    sim.env.process(attack())
    error = None
    try:
        # Watched for max_trial_s after the attack, whenever in the week it lands.
        timeout = sim.env.timeout(injection.delay_s + scenario.max_trial_s)
        sim.env.run(until=sim.env.any_of([watch.done, timeout]))
    except Exception as exc:  # a trial that breaks is recorded as failed, the run goes on
        error = f"{type(exc).__name__}: {exc}"
        sim.log("trial.failed", error=error)
    finally:
        services.close()
    life.revert()
    if background.delivered:
        sim.log(
            "background.summary",
            records=background.delivered,
            peak_lambda_concurrency=services.lambda_runtime.peak_concurrency,
        )
    return _observation(sim, watch.state, error), sim.timeline


def _trial_clock(emulator: EmulatorServer, request: TrialRequest) -> tuple[Simulation, Injection]:
    """The trial's simulation, its epoch the drawn injection moment's, and the injection."""
    scenario, architecture, trial = request.scenario, request.architecture, request.trial
    technique = request.technique.technique
    # Resource ids the trial makes (keys, groups, executions) come from its own seed, not from what
    # the account made before it: a trial's timeline is the same whichever trials ran before it in
    # this account (resumed runs, split workers). So do the log events it reads, the alarms'
    # states it starts from and the instances it finds: the trials before it left theirs, on
    # clocks of their own, in the same days as this one's.
    emulator.forget_log_events()
    emulator.restore_alarm_states()
    emulator.forget_terminated_instances()
    emulator.seed(stream_seed(scenario.seed, Stream.TRIAL_IDS, technique.id, architecture, trial))
    # Common random numbers: the injection phase of trial k is the same for every architecture.
    phase_rng = stream(scenario.seed, Stream.INJECTION, technique.id, trial)
    rng = stream(scenario.seed, Stream.ARCHITECTURE, technique.id, architecture, trial)
    injection = draw_injection(
        scenario.injection,
        scenario.start + timedelta(seconds=trial * scenario.trial_spacing_s),
        scenario.settle,
        scenario.injection_window,
        phase_rng,
    )
    sim = Simulation(
        emulator.endpoints,
        emulator.recorder,
        request.calibration,
        rng,
        injection.epoch,
        labels=request.labels,
    )
    return sim, injection


class _TrialWatch:
    """When the trial is over: once the attack is undone, a person has been told, and every alert
    delivered has been handled by that person (or at max_trial_s). ``state`` holds the moments."""

    def __init__(self, sim: Simulation, life: TechniqueRun) -> None:
        self.sim, self.life = sim, life
        self.done = sim.env.event()
        self.state: dict[str, Any] = {}

    def observe(self, event: dict[str, Any]) -> None:
        sim, state, done = self.sim, self.state, self.done
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
            and self.life.is_remediated()
        ):
            state["remediated_s"], state["remediated_by"] = sim.now, event["source"]
            sim.log("technique.remediated", source=event["source"])
        finished = "remediated_s" in state and "alerted_s" in state
        if finished and state.get("alerts_open", 0) <= 0 and not done.triggered:
            done.succeed()


def cspm_schedule(scenario: Any, scanner: Scanner | None) -> CspmSchedule | None:
    """The scenario's posture scans: every technique's checks, the same for each trial."""
    if scenario.cspm is None:
        return None
    if scanner is None:
        raise RuntimeError("the scenario scans with a CSPM tool and this target has none")
    from lab.attacks.registry import technique

    checks = sorted({c for t in scenario.techniques for c in technique(t).metadata.cspm_checks})
    return CspmSchedule(scanner, scenario.cspm.every_s, tuple(checks))


def detonated(
    sim: Simulation, services: AccountServices, life: TechniqueRun, watching: Callable[[], bool]
) -> None:
    """What follows a detonation in the account's services: the timeline's mark, the attack's calls
    routed to the services, and an activity technique's traffic started on its instance (while the
    attacker keeps it up and ``watching()``)."""
    technique, prerequisites = life.technique, life.prerequisites
    sim.log("technique.detonated")
    sim.pump()
    activity = technique.metadata.activity
    if activity is not None and prerequisites.get("instance_id"):
        services.hosts.start(
            prerequisites["instance_id"],
            activity,
            actor(activity.source).source_ip,
            active=lambda: bool(prerequisites.get("active")) and watching(),
            network=lambda: technique.network(life.endpoints, prerequisites),
        )


def _observation(sim: Simulation, state: dict[str, Any], error: str | None) -> Observation:
    """The trial seen from inside: its first detection and first alert (not the background's)."""
    injected = state.get("injected_s")
    after = injected if injected is not None else float("inf")
    detection = sim.first(lambda e: bool(e.get("detection")) and not e.get("background"), after)
    alert = sim.first(lambda e: bool(e.get("alert")) and not e.get("background"), after)
    return Observation(
        labels=sim.labels,
        at=sim.at,
        injected_s=injected,
        detected_s=detection["t_s"] if detection else None,
        alerted_s=alert["t_s"] if alert else None,
        remediated_s=state.get("remediated_s"),
        detection_source=detection.get("source") if detection else None,
        remediated_by=state.get("remediated_by"),
        error=error,
    )


def run_trial_row(
    emulator: EmulatorServer, request: TrialRequest
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``run_trial`` with its observation as the trial's ``trials.csv`` row."""
    observation, events = run_trial(emulator, request)
    return trial_row(observation, request.scenario.seed), events
