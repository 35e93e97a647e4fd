"""A real account (or the emulated stand-in playing one) as a target: wall-clock time, trials
observed by probes from outside (``wallclock.py``), one architecture at a time in this process, a
maximum duration, and a tagged-resource sweep of the run (``cleanup.py``) after everything, on
success, error and Ctrl-C alike. The run loop is the lab's one (``lab.experiment.runner``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lab.emulator.endpoints import Endpoints
from lab.emulator.server import EmulatorServer
from lab.experiment.outcome import Observation
from lab.experiment.results import RunNotFound, latest_run
from lab.experiment.scenario import Scenario
from lab.experiment.target import Events, RunStopped, TrialRequest
from lab.paths import RUNBOOKS_DIR
from lab.seeds import Stream, stream_seed
from lab.sim.operator import OnCallPerson, RunbookResult, WallClockPerson
from lab.targets.cleanup import cleanup
from lab.targets.singletons import adopt
from lab.targets.wallclock import AlertProbe, StandIn, run_topics, wallclock_trial

Prompt = Callable[[str], Any]


class EstimateUnavailable(RuntimeError):
    """No emulated run of the scenario to estimate the cost from."""


def cost_estimate(scenario: Scenario, results_dir: Path, run_s: float) -> dict[str, float]:
    """USD per architecture for ``run_s`` seconds of the scenario on AWS: the monthly list-price
    cost of what it deploys (teaching-lab profile, infrastructure only), pro rata, from the newest
    emulated run of the same scenario (its ``usage.json``)."""
    from lab.cost.report import cost_lines

    try:
        newest = latest_run(results_dir, scenario.name, requires="usage.json")
    except RunNotFound as exc:
        raise EstimateUnavailable(
            f"no emulated run of {scenario.name} under {results_dir} to estimate the cost from: "
            f"run it on the emulator first (lab run SCENARIO)"
        ) from exc
    lines = cost_lines(newest, profiles=["teaching-lab"])
    infra = lines[lines["category"] != "people"].groupby("architecture")["cost_usd"].sum()
    share = run_s / (730 * 3600)
    return {arch: round(float(infra.get(arch, 0.0)) * share, 2) for arch in scenario.architectures}


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


@dataclass
class AwsAccount:
    """The account as one worker sees it: probes per architecture, wall-clock trials."""

    target: AwsTarget
    probe: AlertProbe | None = None

    @property
    def endpoints(self) -> Endpoints:
        return self.target.endpoints

    def deploy(self, architecture: Any, workdir: Path) -> dict[str, Any]:
        """Always for real: a real account's deploy is what the run measures. What the region
        has one of at most and the account has already, the stack adopts (``singletons``)."""
        adopt(architecture, self.endpoints)
        return architecture.deploy(self.endpoints, workdir)

    def inventory(self) -> None:
        return None  # a real account is billed by AWS, not metered here

    def teardown(self, architecture: Any, workdir: Path) -> None:
        architecture.destroy(self.endpoints, workdir)

    def seed(self, seed: int) -> None:
        """AWS makes its own ids."""

    @contextmanager
    def watching(self, architecture: str, run_id: str) -> Iterator[None]:
        self.probe = AlertProbe.create(self.endpoints, run_id, run_topics(self.endpoints, run_id))
        try:
            yield
        finally:
            self.probe.delete()
            self.probe = None

    def trial(self, request: TrialRequest) -> tuple[Observation, Events]:
        target, scenario = self.target, request.scenario
        assert self.probe is not None, "trial outside watching()"
        seed = stream_seed(scenario.seed, Stream.WALL_CLOCK, request.trial)
        profile = request.calibration.operator(scenario.operator)
        stand_in = None
        if target.stand_in is not None:
            stand_in = StandIn.start(
                target.stand_in,
                request.calibration,
                profile,
                request.workdir,
                seed,
                target.time_factor,
            )
        events: list[dict[str, Any]] = []
        person = self._person(profile, seed, stand_in, events)
        injected = datetime.now(UTC)
        error = None
        timing: dict[str, Any] = {}
        try:
            timing = wallclock_trial(
                self.endpoints,
                request.technique,
                self.probe,
                person,
                events,
                scenario.max_trial_s,
                target.poll_s,
                stand_in,
            )
        except Exception as exc:  # recorded, the run goes on
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if stand_in is not None:
                stand_in.close()
            request.technique.revert()
        alerted = timing.get("alerted_s")
        first_alert = next((e for e in events if e["kind"] == "probe.alert"), None)
        observation = Observation(
            labels=request.labels,
            at=lambda s: (injected + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            injected_s=0.0,
            detected_s=alerted,  # from outside, the first alert is the first sign
            alerted_s=alerted,
            remediated_s=timing.get("remediated_s"),
            detection_source=f"alert:{first_alert['subject']}"[:200] if first_alert else None,
            remediated_by="observed" if timing.get("remediated_s") is not None else None,
            error=error,
        )
        return observation, [{**request.labels, **e} for e in events]

    def _person(
        self, profile: Any, seed: int, stand_in: StandIn | None, events: list[dict[str, Any]]
    ) -> WallClockPerson:
        """The on-call person on the wall clock (always on duty: the profile's hours are not
        applied to a rehearsal); ``prompt``: you, asked to run each runbook."""
        prompt = self.target.prompt

        def ask(script: Path, args: list[str], env: dict[str, str]) -> RunbookResult:
            assert prompt is not None
            prompt(f"run: cli-baseline/runbooks/{script.name} {' '.join(args)}")
            return RunbookResult(0)

        person = OnCallPerson(
            profile,
            RUNBOOKS_DIR,
            self.endpoints,
            np.random.default_rng(seed),
            clock=stand_in.sim.now_datetime if stand_in else lambda: datetime.now(UTC),
            log=lambda kind, alert, **fields: events.append(
                {"kind": kind, "t_s": wall.now_s, **fields}
            ),
            on_hours=False,
            **({"runner": ask} if prompt is not None else {}),
        )
        wall = WallClockPerson(person)
        return wall


@dataclass
class AwsTarget:
    """A real account at ``endpoints`` (``stand_in``: the emulator playing it, its simulated
    services acting as AWS, ``time_factor`` wall seconds per simulated second)."""

    endpoints: Endpoints
    max_run_s: float
    stand_in: EmulatorServer | None = None
    time_factor: float = 1.0
    poll_s: float = 10.0
    prompt: Prompt | None = None
    meters_usage: bool = False
    _deadline: float = field(default=float("inf"), repr=False)

    @property
    def name(self) -> str:
        return "aws" if self.stand_in is None else "aws-stand-in"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.max_run_s

    def manifest_fields(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "time_factor": self.time_factor,
            "poll_s": self.poll_s,
            "max_run_s": self.max_run_s,
            "operator_mode": "prompt" if self.prompt else "bot",
            # Which credentials acted as root (techniques that need them run only with them).
            "root_profile": self.endpoints.root_profile,
        }

    def workers(self, jobs: int | None, architectures: int) -> int:
        return 1  # one account: one architecture at a time

    @contextmanager
    def account(self, scenario: Scenario, run_id: str) -> Iterator[AwsAccount]:
        yield AwsAccount(self)

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise RunStopped(f"the run reached its maximum duration ({self.max_run_s:.0f} s)")

    def finish(self, run_id: str) -> dict[str, Any]:
        """Teardown always: whatever the run tagged and a teardown missed goes too."""
        leftovers = cleanup(self.endpoints, run_id)
        return {"cleanup": {"deleted": leftovers.deleted, "failed": leftovers.failed}}
