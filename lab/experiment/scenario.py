"""The scenario file: what to run, how often, with which seed and which calibration."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lab.architectures.registry import ARCHITECTURES


class ScenarioError(ValueError):
    """The scenario file is missing, not YAML, or does not match the schema."""


class Scenario(BaseModel):
    """One experiment. Times are in seconds; ``start`` is the virtual date of the first trial.

    Each trial starts at ``start + trial * trial_spacing_s``; the account's services run for
    ``settle_s`` (periodic detectors catch up with the reverted state, as they would between
    trials), then the technique is detonated at a uniform phase within ``injection_window_s``.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    seed: int = Field(ge=0)
    trials: int = Field(ge=1, le=10_000)
    techniques: list[str] = Field(min_length=1)
    architectures: dict[Literal["manual", "serverless"], dict[str, Any]] = Field(min_length=1)
    operator: str = "on-call"
    target: Literal["emulated"] = "emulated"
    start: datetime = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
    trial_spacing_s: float = Field(default=86_400, gt=0)
    settle_s: float = Field(default=600, ge=0)
    injection_window_s: float = Field(default=300, gt=0)
    max_trial_s: float = Field(default=86_400, gt=0)
    calibration: str | None = None

    @field_validator("techniques")
    @classmethod
    def _known_techniques(cls, value: list[str]) -> list[str]:
        from lab.attacks.registry import techniques

        unknown = [t for t in value if t not in techniques()]
        if unknown:
            raise ValueError(f"unknown technique(s) {unknown}; known: {sorted(techniques())}")
        return value

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2026-01-05T09:00:00Z")
        return value

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
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScenarioError(f"{path} is not a valid scenario: {problems}") from exc


__all__ = ["ARCHITECTURES", "Scenario", "ScenarioError", "load_scenario"]
