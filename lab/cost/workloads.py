"""Workload profiles, people's effort and the drivers of billed units (``profiles.yaml``): what an
account does in a month, what each architecture costs in people, and how deployed services turn
volumes into units."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")


class Profile(BaseModel):
    """What an account does in a month."""

    model_config = ConfigDict(extra="forbid")
    description: str
    source: str = "Assumption."
    management_events_per_day: float
    log_gb_per_day: float
    flow_log_gb_per_day: float
    resource_changes_per_day: float
    sg_ingress_changes_per_day: float
    incidents_per_month: float
    log_retention_days: int
    s3_retention_months: int

    def scaled(self, factor: float) -> Profile:
        """The same account, ``factor`` times busier."""
        volumes = (
            "management_events_per_day",
            "log_gb_per_day",
            "flow_log_gb_per_day",
            "resource_changes_per_day",
            "sg_ingress_changes_per_day",
            "incidents_per_month",
        )
        return self.model_copy(update={k: getattr(self, k) * factor for k in volumes})


class Effort(BaseModel):
    model_config = ConfigDict(extra="forbid")
    build_hours: float
    maintenance_hours_per_month: float
    source: str


class Drivers(BaseModel):
    """How deployed services turn a profile's volumes into billed units (profiles.yaml says why)."""

    model_config = ConfigDict(extra="forbid")
    cloudwatch_logs_compression: float
    s3_gzip_ratio: float
    kms_requests_per_trail_log_file: float
    insights_window_hours: float
    securityhub_checks_per_resource_change: float
    securityhub_periodic_checks_per_day: float
    source: str


class Workloads(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hourly_rate_usd: float
    amortization_months: int
    effort: dict[str, Effort]
    drivers: Drivers
    profiles: dict[str, Profile]

    def with_effort(self, factors: dict[str, float]) -> Workloads:
        """The same workloads with each architecture's upkeep multiplied by ``factors[arch]``."""
        effort = {
            arch: e.model_copy(
                update={
                    "maintenance_hours_per_month": e.maintenance_hours_per_month
                    * factors.get(arch, 1.0)
                }
            )
            for arch, e in self.effort.items()
        }
        return self.model_copy(update={"effort": effort})

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise KeyError(f"unknown workload profile {name!r}; known: {', '.join(self.profiles)}")
        return self.profiles[name]


@cache
def workloads(path: Path = PROFILES_FILE) -> Workloads:
    return Workloads.model_validate(yaml.safe_load(Path(path).read_text()))
