"""Monthly cost of an architecture for a workload profile: infrastructure + people.

Infrastructure = what was deployed (inventory, read back from the account) running for a month, plus
what the profile's volumes make the deployed services process, using per-unit quantities measured in
the run (bytes per CloudTrail record, Lambda GB-seconds per invocation, alerts per incident). People =
the operator time the simulated responses took, per incident, plus build (amortised) and upkeep.
"""

from __future__ import annotations

from typing import Any

from lab.cost.bill import Line, Month
from lab.cost.meters import bill_month
from lab.cost.pricing import PriceBook
from lab.cost.workloads import Profile, Workloads


def monthly_cost(
    architecture: str,
    usage: dict[str, Any],
    profile: Profile,
    prices: PriceBook,
    loads: Workloads,
    hourly_rate_usd: float | None = None,
) -> list[Line]:
    """The monthly bill of ``architecture`` at ``profile``, line by line: each service's meter
    (``lab.cost.meters``), then the people."""
    inventory = usage.get("inventory", {})
    per_trial = usage.get("per_trial", {})
    rate = loads.hourly_rate_usd if hourly_rate_usd is None else hourly_rate_usd
    lines = bill_month(Month(inventory, per_trial, profile, loads.drivers), prices)

    # People: response time per incident (simulated), upkeep and amortised build (profiles.yaml;
    # a registered stack has no effort figures there: its bill leaves them out, it does not guess).
    response_hours = profile.incidents_per_month * per_trial.get("operator.work_s", 0.0) / 3600
    lines.append(
        Line(
            "people", "operator", "incident response", response_hours, "hour", response_hours * rate
        )
    )
    effort = loads.effort.get(architecture)
    if effort is None:
        return lines
    lines.append(
        Line(
            "people",
            "engineer",
            "maintenance",
            effort.maintenance_hours_per_month,
            "hour",
            effort.maintenance_hours_per_month * rate,
        )
    )
    build = effort.build_hours / loads.amortization_months
    lines.append(Line("people", "engineer", "build (amortised)", build, "hour", build * rate))
    return lines


def total(lines: list[Line]) -> float:
    return sum(line.cost_usd for line in lines)


def break_even(costs_a: list[float], costs_b: list[float], scales: list[float]) -> float | None:
    """The first scale where the cheaper architecture changes (linear interpolation), if any."""
    for i in range(1, len(scales)):
        before, after = costs_a[i - 1] - costs_b[i - 1], costs_a[i] - costs_b[i]
        if before == 0:
            return scales[i - 1]
        if before * after < 0:
            return scales[i - 1] + (scales[i] - scales[i - 1]) * before / (before - after)
    return None
