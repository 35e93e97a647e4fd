"""Latency distributions with their sources, read from ``calibration.yaml``."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_CALIBRATION = Path(__file__).with_name("calibration.yaml")
_Z90 = 1.2815515655446004  # standard normal quantile at 0.9


TIME_PARAMETERS = ("value", "low", "high", "median", "p90", "mean")


def scale_distribution(node: dict[str, Any], factor: float, digits: int | None = None) -> None:
    """Stretch a distribution (its raw mapping) by ``factor``, shape kept: every time parameter it
    has is multiplied (rounded to ``digits`` if given)."""
    for name in TIME_PARAMETERS:
        if node.get(name) is not None:
            scaled = node[name] * factor
            node[name] = round(scaled, digits) if digits is not None else scaled


class CalibrationError(ValueError):
    """The calibration file is missing, not YAML, or does not match the schema."""


class Distribution(BaseModel):
    """One latency distribution in seconds, with where the figure comes from."""

    model_config = ConfigDict(extra="forbid")
    distribution: Literal["constant", "uniform", "lognormal", "exponential"]
    value: float | None = None
    low: float | None = None
    high: float | None = None
    median: float | None = None
    p90: float | None = None
    mean: float | None = None
    status: Literal["documented", "measured", "assumption"]
    source: str

    @model_validator(mode="after")
    def _parameters_present(self) -> Distribution:
        needed = {
            "constant": ("value",),
            "uniform": ("low", "high"),
            "lognormal": ("median", "p90"),
            "exponential": ("mean",),
        }[self.distribution]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.distribution} needs {', '.join(missing)}")
        if self.distribution == "lognormal" and self.p90 < self.median:  # type: ignore[operator]
            raise ValueError("lognormal p90 must be >= median")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, in seconds."""
        match self.distribution:
            case "constant":
                return float(self.value)  # type: ignore[arg-type]
            case "uniform":
                return float(rng.uniform(self.low, self.high))
            case "exponential":
                return float(rng.exponential(self.mean))
            case _:
                sigma = math.log(self.p90 / self.median) / _Z90  # type: ignore[operator]
                return float(self.median * math.exp(sigma * rng.standard_normal()))  # type: ignore[operator]


class Constant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any
    status: Literal["documented", "measured", "assumption"]
    source: str


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Availability(BaseModel):
    """When the person looks at the alert mailbox (UTC, in virtual time).

    ``always``: any time (a staffed SOC, a pager). ``hours``: on the listed days between ``start`` and
    ``end``. ``checks``: only at the listed times of the listed days (a student who reads mail twice a
    day); the alert waits for the next one.
    """

    model_config = ConfigDict(extra="forbid")
    mode: Literal["always", "hours", "checks"] = "always"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = list(_WEEKDAYS)
    start: str = "00:00"
    end: str = "24:00"
    times: list[str] = []
    status: Literal["documented", "measured", "assumption"] = "assumption"
    source: str = "Stated assumption of the profile."

    @staticmethod
    def _minutes(hhmm: str) -> int:
        hours, minutes = hhmm.split(":")
        return int(hours) * 60 + int(minutes)

    @model_validator(mode="after")
    def _valid(self) -> Availability:
        for value in (self.start, self.end, *self.times):
            if not re.fullmatch(r"([01]\d|2[0-4]):[0-5]\d", value):
                raise ValueError(f"not a HH:MM time: {value!r}")
        if self.mode == "checks" and not self.times:
            raise ValueError("mode 'checks' needs times")
        if self.mode == "hours" and self._minutes(self.start) >= self._minutes(self.end):
            raise ValueError("start must be before end")
        return self

    def wait_s(self, moment: datetime) -> float:
        """Seconds from ``moment`` until the person next looks (0 if they are looking now)."""
        if self.mode == "always":
            return 0.0
        day_start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(8):
            day = day_start + timedelta(days=offset)
            if _WEEKDAYS[day.weekday()] not in self.days:
                continue
            if self.mode == "hours":
                opens = day + timedelta(minutes=self._minutes(self.start))
                closes = day + timedelta(minutes=self._minutes(self.end))
                if moment < closes:
                    return max(0.0, (opens - moment).total_seconds())
            else:
                for hhmm in sorted(self.times):
                    check = day + timedelta(minutes=self._minutes(hhmm))
                    if check >= moment:
                        return (check - moment).total_seconds()
        raise CalibrationError("availability has no working time in a week")


class OperatorProfile(BaseModel):
    """When a person is reachable, and how fast they read an alert, diagnose it and type each
    runbook command. ``page_ack_s``: how long they take to acknowledge a page (an SMS from the
    alert topic) at any hour; a profile without it carries no pager. ``capacity``: incidents the
    profile works at once (one person: 1; a team on shift: more); the rest wait their turn."""

    model_config = ConfigDict(extra="forbid")
    description: str
    availability: Availability = Availability()
    capacity: int = Field(1, ge=1)
    read_alert_s: Distribution
    diagnose_s: Distribution
    runbook_command_s: Distribution
    review_alert_s: Distribution
    page_ack_s: Distribution | None = None


# Constants that name a model: the values the simulator knows (a typo in a sweep is refused before
# anything runs, not in the middle of a run).
CHOICES = {"guardduty_anomaly_model": ("off", "first-call")}


class Calibration(BaseModel):
    """Every latency the simulator draws, by stage name."""

    model_config = ConfigDict(extra="forbid")
    version: int
    stages: dict[str, Distribution]
    constants: dict[str, Constant]
    operators: dict[str, OperatorProfile]

    @model_validator(mode="after")
    def _known_choices(self) -> Calibration:
        for name, allowed in CHOICES.items():
            if name in self.constants and self.constants[name].value not in allowed:
                raise ValueError(
                    f"constants.{name}: {self.constants[name].value!r} is not one of {allowed}"
                )
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> Calibration:
        """Read and validate a calibration file; any problem is one ``CalibrationError``."""
        path = Path(path)
        if not path.is_file():
            raise CalibrationError(f"calibration file not found: {path}")
        return cls.parse(path.read_text(), path)

    @classmethod
    def parse(cls, text: str, source: Path | str = "calibration") -> Calibration:
        """Validate a calibration's text (``source`` names it in the one ``CalibrationError``)."""
        try:
            return cls.model_validate(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            raise CalibrationError(f"{source} is not valid YAML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise CalibrationError(f"{source} is not a valid calibration: {problems}") from exc

    @property
    def digest(self) -> str:
        """SHA-256 of the calibration's content (not of its file's formatting)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def stage(self, name: str) -> Distribution:
        if name not in self.stages:
            raise KeyError(
                f"calibration has no stage {name!r}; known: {', '.join(sorted(self.stages))}"
            )
        return self.stages[name]

    def operator(self, profile: str) -> OperatorProfile:
        if profile not in self.operators:
            raise KeyError(
                f"unknown operator profile {profile!r}; known: {', '.join(self.operators)}"
            )
        return self.operators[profile]

    def constant(self, name: str) -> Any:
        return self.constants[name].value
