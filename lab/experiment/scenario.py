"""The scenario file: what to run, how often, with which seed and which calibration."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from lab.architectures.manual import DEFAULT_CRON_SCHEDULE
from lab.experiment.injection import InjectionMode
from lab.sim.calibration import Calibration


def cron_period_s(schedule: str) -> float:
    """Seconds between two runs of a cron schedule (from a fixed reference time)."""
    runs = croniter(schedule, datetime(2026, 1, 5, tzinfo=UTC))
    first = runs.get_next(datetime)
    return (runs.get_next(datetime) - first).total_seconds()


SWEEPABLE_FIELDS = frozenset(
    {
        "operator",
        "injection",
        "settle_s",
        "injection_window_s",
        "trial_spacing_s",
        "max_trial_s",
        "background_events_per_day",
        "paging",
        "allow_list",
    }
)
# The on-call phone every arm's alert topic pages when ``paging`` is on (a fictional number, E.164).
PAGER_PHONE = "+15555550100"


class ScenarioError(ValueError):
    """The scenario file is missing, not YAML, or does not match the schema."""


class CspmOption(BaseModel):
    """Periodic posture scans as a detection path (``lab.sim.posture_scans``): Prowler every ``every_s``
    seconds, from midnight UTC, with the checks the scenario's techniques name."""

    model_config = ConfigDict(extra="forbid")
    tool: Literal["prowler"] = "prowler"
    every_s: float = Field(default=43_200, ge=300)


class Scenario(BaseModel):
    """One experiment. Times are in seconds; ``start`` is the virtual date of the first trial.

    Each trial starts at ``start + trial * trial_spacing_s``; ``injection`` says where in the week
    after that its attack lands (``uniform-week``, ``business-hours``, ``off-hours``, or ``fixed``:
    at the start, after settling; see ``lab.experiment.injection``). The account's services run for
    ``settle_s`` (default: 600 s or one detector period if longer, so periodic detectors catch up
    with the reverted state, as they would between trials), then the technique is detonated at a uniform phase within ``injection_window_s``
    (default: the period of the manual architecture's cron schedule, so the phase against the
    polling detectors is measured, not fixed; 300 s when there is no manual architecture).

    ``paging: true`` subscribes the on-call phone to every arm's alert topic by SMS (the serverless
    stack's ``alert_phone``, the manual baseline's ``alert_phone``): the person is paged as well as
    e-mailed, at any hour, and acknowledges after the staffing profile's ``page_ack_s``.

    ``allow_list: true``: the company keeps an allow-list (``lab.attacks.benign``): the benign
    actions tag what they make, or the CI identity, with ``lab:allowed-changes`` naming the routine
    call, and both the serverless orchestrator and the person's runbooks leave what is tagged alone.

    ``background_events_per_day`` adds the account's everyday activity (a synthetic CloudTrail
    stream, ``lab.sim.background``) to every trial.

    ``architectures`` maps each arm to its options: ``manual`` and ``serverless``, or any name with
    ``architecture: manual|serverless`` (an ablation's arms); ``factors: {factor: level}`` labels an
    arm, with the levels of each factor declared in the scenario's ``factors`` (low level first),
    for the report's attribution (``lab.report.attribution``).

    ``techniques: all`` runs the whole attack catalog (benign actions only when listed by id,
    e.g. ``scenarios/benign-admin.yaml``). ``repeat: R`` runs everything R times with
    independent seeds (repetition 0 keeps ``seed``). ``sweep:`` maps a parameter to the values it
    takes; every combination is a point, run ``repeat`` times (see ``lab.experiment.sweep``);
    ``sweep_design: one-at-a-time`` runs instead each key's first value as its baseline and every
    other value of one key with the others at their baselines (a tornado chart's design):

    - ``architectures.<architecture>.<variable>``: a deployment variable (Terraform variable of the
      serverless stack, ``cron_schedule`` of the manual one);
    - ``calibration.<stages|constants|operators>.<name>...<parameter>``: a calibration parameter
      (``calibration.stages.<stage>.scale`` multiplies a whole distribution, its shape kept);
    - ``operator``, ``paging``, ``allow_list``, ``injection``, ``settle_s``, ``injection_window_s``,
      ``trial_spacing_s``, ``max_trial_s``, ``background_events_per_day``.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="The scenario's name: results go under results/<name>/<run-id>/.",
    )
    description: str = Field("", description="One line on what the scenario asks.")
    seed: int = Field(ge=0, description="Every random draw of the run comes from it.")
    trials: int = Field(ge=1, le=10_000, description="Trials per technique and arm.")
    techniques: list[str] | Literal["all"] = Field(
        min_length=1,
        description="Technique ids (`lab techniques`), benign actions by id, or `all` (the attack "
        "catalog).",
    )
    architectures: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")], dict[str, Any]
    ] = Field(
        min_length=1,
        description="Arms: `manual` / `serverless` with their options, or any name with "
        "`architecture:` (and `factors:` for an ablation).",
    )
    operator: str = Field(
        "on-call", description="The staffing profile of the calibration the person follows."
    )
    target: Literal["emulated", "aws"] = Field(
        "emulated", description="The emulated account (virtual time) or a real one (wall clock)."
    )
    start: datetime = Field(
        datetime.fromisoformat("2026-01-05T09:00:00+00:00"),
        description="The virtual date of the first trial.",
    )
    injection: InjectionMode = Field(
        "uniform-week",
        description="Where in the week after a trial's start its attack lands: uniform-week, "
        "business-hours, off-hours or fixed.",
    )
    paging: bool = Field(
        False, description="The on-call phone subscribed by SMS to every arm's alert topic."
    )
    allow_list: bool = Field(
        False,
        description="The company keeps an allow-list: its routine changes carry the tag "
        "lab:allowed-changes, which the serverless orchestrator and the person's runbooks honour.",
    )
    trial_spacing_s: float = Field(
        default=86_400, gt=0, description="Seconds between the starts of two trials."
    )
    settle_s: float | None = Field(
        default=None,
        ge=0,
        description="Seconds the services run before the injection window (default: 600 s or "
        "one detector period).",
    )
    injection_window_s: float | None = Field(
        default=None,
        gt=0,
        description="The window the attack's phase is uniform in (default: the manual cron "
        "period).",
    )
    max_trial_s: float = Field(
        default=86_400,
        gt=0,
        description="Seconds a trial is watched after its attack; later ones are censored.",
    )
    calibration: str | None = Field(
        None, description="Another calibration file (default: lab/sim/calibration.yaml)."
    )
    repeat: int = Field(
        default=1, ge=1, le=1_000, description="Repetitions with independent seeds."
    )
    background_events_per_day: float = Field(
        default=0,
        ge=0,
        le=100_000_000,
        description="The account's everyday activity, as synthetic CloudTrail records a day.",
    )
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="Parameter -> the values it takes (docs/experiments.md lists what is sweepable).",
    )
    sweep_design: Literal["grid", "one-at-a-time"] = Field(
        "grid",
        description="Every combination, or each key's values with the others at their first "
        "(baseline) value.",
    )
    factors: dict[str, list[str]] = Field(
        default_factory=dict, description="Factor -> its levels, low first (an ablation's arms)."
    )
    cspm: CspmOption | None = Field(
        None, description="Periodic posture scans (Prowler) as a detection path."
    )

    @field_validator("techniques")
    @classmethod
    def _known_techniques(cls, value: list[str] | str) -> list[str]:
        from lab.attacks.registry import actions, techniques

        if value == "all":  # the attack catalog; benign actions run only when listed
            return list(techniques())
        unknown = [t for t in value if t not in actions()]
        if unknown:
            raise ValueError(f"unknown technique(s) {unknown}; known: {sorted(actions())}")
        return value

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2026-01-05T09:00:00Z")
        return value

    @model_validator(mode="after")
    def _architecture_options(self) -> Scenario:
        from lab.architectures.registry import arm_problem

        for name, options in self.architectures.items():
            problem = arm_problem(name, options)
            if problem:
                raise ValueError(f"architectures.{name}: {problem}")
        return self

    @model_validator(mode="after")
    def _factor_levels(self) -> Scenario:
        """An ablation's factors: each arm's levels among the ones declared (low level first)."""
        for name, options in self.architectures.items():
            for factor, level in (options.get("factors") or {}).items():
                if not self.factors:
                    continue
                if factor not in self.factors:
                    raise ValueError(
                        f"arm {name!r}: factor {factor!r} is not declared; factors: "
                        f"{sorted(self.factors)}"
                    )
                if str(level) not in self.factors[factor]:
                    raise ValueError(
                        f"arm {name!r}: {factor} level {level!r} is not one of "
                        f"{self.factors[factor]}"
                    )
        return self

    @model_validator(mode="after")
    def _sweepable(self) -> Scenario:
        for key, values in self.sweep.items():
            if not values:
                raise ValueError(f"sweep {key!r} needs at least one value")
            head, _, rest = key.partition(".")
            if key in SWEEPABLE_FIELDS or (head == "calibration" and rest.count(".") >= 2):
                continue
            if key == "cspm.every_s" and self.cspm is not None:
                continue
            if head == "architectures":
                arch, _, variable = rest.partition(".")
                if arch in self.architectures and variable and "." not in variable:
                    from lab.architectures.registry import arm_base, options_problem

                    base = arm_base(arch, self.architectures[arch])
                    for value in values:
                        problem = options_problem(base, {variable: value})
                        if problem:
                            raise ValueError(f"sweep {key!r}: {problem}")
                    continue
                raise ValueError(
                    f"sweep {key!r}: architectures.<name>.<variable> with <name> one of "
                    f"{sorted(self.architectures)}"
                )
            raise ValueError(
                f"sweep {key!r} is not sweepable; use architectures.<name>.<variable>, "
                f"calibration.stages.<stage>.<parameter>, cspm.every_s (with cspm:), or one of "
                f"{sorted(SWEEPABLE_FIELDS)}"
            )
        return self

    def arm_options(self, name: str) -> dict[str, Any]:
        """Arm ``name``'s options as deployed: the scenario's, with the pager's phone when
        ``paging`` is on (the same phone in every arm, unless the arm names its own)."""
        options = dict(self.architectures[name])
        if self.paging:
            options.setdefault("alert_phone", PAGER_PHONE)
        return options

    def person_problem(self, calibration: Calibration) -> str | None:
        """Why the scenario's person cannot be simulated with ``calibration`` (None: they can)."""
        try:
            profile = calibration.operator(self.operator)
        except KeyError as exc:
            return str(exc.args[0])
        if self.paging and profile.page_ack_s is None:
            return (
                f"paging: true, but operator profile {self.operator!r} carries no pager "
                "(give it page_ack_s in the calibration, or set paging: false)"
            )
        return None

    @property
    def is_sweep(self) -> bool:
        """True when the scenario runs more than one point (a sweep or repetitions)."""
        return bool(self.sweep) or self.repeat > 1

    @property
    def settle(self) -> float:
        """Seconds the services run before the injection window opens: by default at least one
        detector period, so a polling detector has seen the reverted state of the last trial."""
        return self.settle_s if self.settle_s is not None else max(600.0, self.injection_window)

    @property
    def injection_window(self) -> float:
        """Seconds within which the injection phase is drawn (see the class docstring)."""
        if self.injection_window_s is not None:
            return self.injection_window_s
        from lab.architectures.registry import arm_base

        manual = [o for n, o in self.architectures.items() if arm_base(n, o) == "manual"]
        if not manual:
            return 300.0
        return max(cron_period_s(o.get("cron_schedule", DEFAULT_CRON_SCHEDULE)) for o in manual)

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario; every problem becomes one ``ScenarioError`` that names it."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"scenario file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path} must be a mapping of scenario fields")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path} is not a valid scenario: {validation_problems(exc)}") from exc


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as one line: ``field.path: message; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
    )
