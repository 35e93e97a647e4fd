"""A monthly bill as lines, and what each cost meter (``lab.cost.meters``) reads: the deployed
inventory, the per-trial quantities measured in the run, the workload profile and its drivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.cost.pricing import PriceBook
from lab.cost.workloads import Drivers, Profile

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class Line:
    """One line of a monthly bill."""

    category: str  # compute | logging | detection-response | notification | people
    service: str
    item: str
    quantity: float
    unit: str
    cost_usd: float


@dataclass(frozen=True)
class Month:
    """A month of the account: what is deployed, what a trial measured, what the profile does."""

    inventory: dict[str, Any]
    per_trial: dict[str, float]
    profile: Profile
    drivers: Drivers

    @property
    def management_events(self) -> float:
        """Management events in the month (every trail and GuardDuty process them all)."""
        return self.profile.management_events_per_day * DAYS_PER_MONTH

    @property
    def flow_log_gb(self) -> float:
        """The workload's VPC flow records in the month, in GB."""
        return self.profile.flow_log_gb_per_day * DAYS_PER_MONTH

    def ratio(self, numerator: str, denominator: str, default: float) -> float:
        """A per-unit quantity measured in the run (``default`` where the run had none)."""
        per_trial = self.per_trial
        return (
            per_trial[numerator] / per_trial[denominator] if per_trial.get(denominator) else default
        )


@dataclass
class Bill:
    """The lines so far; one line per item, priced on its monthly total (free tier and tiers are
    per account and month, not per driver). A meter bills only the services it names."""

    prices: PriceBook
    lines: list[Line] = field(default_factory=list)
    services: tuple[str, ...] = ()  # the services the meter now running may bill

    def __call__(self, category: str, service: str, item: str, quantity: float) -> None:
        """Add ``quantity`` of ``service``'s ``item``."""
        if service not in self.services:
            raise ValueError(f"a meter billed {service!r} without naming it in its SERVICES")
        spec = self.prices.item(service, item)
        for i, line in enumerate(self.lines):
            if (line.service, line.item) == (service, item):
                total_quantity = line.quantity + quantity
                self.lines[i] = Line(
                    line.category,
                    service,
                    item,
                    total_quantity,
                    spec.unit,
                    spec.cost(total_quantity),
                )
                return
        self.lines.append(Line(category, service, item, quantity, spec.unit, spec.cost(quantity)))
