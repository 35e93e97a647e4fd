"""What a missed or slow response costs: the hours an attack stays in place (exposure) times a
cost per hour by the technique's severity (``damage.yaml``, assumptions, swept)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DAMAGE_FILE = Path(__file__).with_name("damage.yaml")
Severity = Literal["low", "medium", "high", "critical"]


class HourlyDamage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float = Field(gt=0)  # an attack left in place always costs something
    status: Literal["documented", "measured", "assumption"]
    source: str = Field(min_length=1)


class Damage(BaseModel):
    """USD per hour of exposure by severity, and the multipliers the sensitivity sweeps."""

    model_config = ConfigDict(extra="forbid")
    usd_per_hour: dict[Severity, HourlyDamage]
    sweep: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_severity(self) -> Damage:
        missing = set(Severity.__args__) - set(self.usd_per_hour)  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"usd_per_hour lacks {', '.join(sorted(missing))}")
        if 1 not in self.sweep:
            raise ValueError("sweep must hold 1 (the figures as written)")
        return self

    def usd(self, severity: str, exposure_s: float, scale: float = 1.0) -> float:
        """The damage of ``exposure_s`` seconds of an attack of ``severity``."""
        return self.usd_per_hour[severity].value * scale * exposure_s / 3600  # type: ignore[index]


def damage(path: Path = DAMAGE_FILE) -> Damage:
    return Damage.model_validate(yaml.safe_load(Path(path).read_text()))
