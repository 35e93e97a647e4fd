"""Cost of a run's architectures for every workload profile, and across scales."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from lab.cost.model import break_even, monthly_cost, total
from lab.cost.pricing import price_book
from lab.cost.usage import meter
from lab.cost.workloads import Profile, workloads


def load_usage(run_dir: Path) -> dict:
    path = Path(run_dir) / "usage.json"
    if not path.exists():
        raise FileNotFoundError(f"no usage.json in {run_dir} (run a scenario first: make demo)")
    return json.loads(path.read_text())


def _arm_bases(run_dir: Path) -> dict[str, str]:
    """The architecture each arm of the run deploys (an ablation's arms: their ``architecture:``),
    for the effort figures, which are per architecture."""
    manifest = Path(run_dir) / "manifest.json"
    if not manifest.exists():
        return {}
    arms = json.loads(manifest.read_text()).get("scenario", {}).get("architectures", {}) or {}
    return {arm: str((o or {}).get("architecture", arm)) for arm, o in arms.items()}


def cost_lines(
    run_dir: Path,
    region: str = "us-east-1",
    rate: float | None = None,
    profiles: list[str] | None = None,
) -> pd.DataFrame:
    """Every bill line, for each profile and architecture of the run."""
    usage, prices, loads = load_usage(run_dir), price_book(region), workloads()
    arms = _arm_bases(run_dir)
    rows = []
    for name in profiles or list(loads.profiles):
        profile = loads.profile(name)
        for arch, arch_usage in sorted(usage.items()):
            base = arms.get(arch, arch)
            for line in monthly_cost(base, arch_usage, profile, prices, loads, rate):
                rows.append({"profile": name, "architecture": arch, **asdict(line)})
    return pd.DataFrame(rows)


def summary(lines: pd.DataFrame) -> pd.DataFrame:
    """Monthly totals per profile and architecture, split into infrastructure and people."""
    lines = lines.assign(part=np.where(lines["category"] == "people", "people", "infrastructure"))
    table = lines.pivot_table(
        index=["profile", "architecture"],
        columns="part",
        values="cost_usd",
        aggfunc="sum",
        fill_value=0.0,
    )
    table["total"] = table.sum(axis=1)
    return table.reset_index()


def sweep(
    run_dir: Path,
    base_profile: str = "small-company",
    region: str = "us-east-1",
    rate: float | None = None,
    points: int = 41,
    effort_factors: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, float | None]:
    """Monthly totals as ``base_profile`` is scaled from 1/30x to 1000x; and the break-even point
    (in management events per day) where the cheaper architecture changes, if it does.
    ``effort_factors``: each architecture's upkeep multiplied (the effort figures swept)."""
    usage, prices = load_usage(run_dir), price_book(region)
    loads = workloads().with_effort(effort_factors or {})
    arms = _arm_bases(run_dir)
    base: Profile = loads.profile(base_profile)
    factors = np.logspace(np.log10(1 / 30), 3, points)
    rows = []
    for factor in factors:
        profile = base.scaled(float(factor))
        for arch, arch_usage in sorted(usage.items()):
            rows.append(
                {
                    "architecture": arch,
                    "scale": float(factor),
                    "management_events_per_day": profile.management_events_per_day,
                    "monthly_cost_usd": total(
                        monthly_cost(arms.get(arch, arch), arch_usage, profile, prices, loads, rate)
                    ),
                }
            )
    frame = pd.DataFrame(rows)
    archs = sorted(usage)
    if len(archs) != 2:
        return frame, None
    a, b = (frame[frame["architecture"] == x].sort_values("scale") for x in archs)
    x = a["management_events_per_day"].tolist()
    return frame, break_even(a["monthly_cost_usd"].tolist(), b["monthly_cost_usd"].tolist(), x)


# What one incident uses, metered per trial -> the bill item it is priced as.
INCIDENT_ITEMS: dict[str, tuple[str, str]] = {
    "lambda.requests": ("lambda", "requests"),
    "lambda.gb_seconds": ("lambda", "gb_seconds_x86"),
    "ssm.automation_steps": ("ssm_automation", "steps"),
    "sns.publishes": ("sns", "publishes"),
    "sns.email_deliveries": ("sns", "email_deliveries"),
    "sns.sms_parts": ("sns", "sms_parts"),
    "securityhub.findings_ingested": ("securityhub", "finding_ingestion"),
}


def incident_costs(
    run_dir: Path, region: str = "us-east-1", rate: float | None = None
) -> pd.DataFrame:
    """What one incident costs in each architecture, per technique: the services its response used
    (Lambda, SSM steps, SNS, Security Hub ingestion) at the list price past the free tier, and the
    person's minutes at the hourly rate. The fair unit for comparing responses; fixed monthly
    costs are left to ``cost_lines``."""
    path = Path(run_dir) / "events.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no events.jsonl in {run_dir} (run a scenario first: make demo)")
    events = [json.loads(line) for line in path.read_text().splitlines() if line]
    prices, loads = price_book(region), workloads()
    hourly = loads.hourly_rate_usd if rate is None else rate
    rows = []
    for (arch, technique), usage in sorted(
        meter(events, key=lambda e: (e.get("architecture", "?"), e.get("technique", ""))).items()
    ):
        per_trial = usage["per_trial"]
        services = sum(
            per_trial.get(meter_name, 0.0) * prices.item(*item).tiers[0].price
            for meter_name, item in INCIDENT_ITEMS.items()
        )
        person_hours = per_trial.get("operator.work_s", 0.0) / 3600
        rows.append(
            {
                "architecture": arch,
                "technique": technique,
                "trials": usage["trials"],
                "services_usd": services,
                "person_hours": person_hours,
                "person_usd": person_hours * hourly,
                "total_usd": services + person_hours * hourly,
            }
        )
    return pd.DataFrame(rows)


def region_sweep(
    run_dir: Path,
    base_profile: str = "small-company",
    region: str = "us-east-1",
    rates: list[float] | None = None,
    points: int = 25,
    effort_factors: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Monthly totals of two architectures over a grid of scale (``base_profile`` from 1/30x to
    1000x) x engineer hourly rate, with upkeep multiplied by ``effort_factors`` per architecture:
    which one is cheaper where (the break-even figure's regions)."""
    frames = [
        sweep(run_dir, base_profile, region, rate, points, effort_factors)[0].assign(
            hourly_rate_usd=rate
        )
        for rate in rates or [20.0, 40.0, 60.0, 90.0, 120.0, 160.0]
    ]
    return pd.concat(frames, ignore_index=True)


def effort_break_even(
    run_dir: Path,
    base_profile: str = "small-company",
    region: str = "us-east-1",
    rate: float | None = None,
    factors: tuple[float, ...] = (0.5, 1.0, 2.0),
) -> pd.DataFrame:
    """The break-even scale of a two-architecture run for each combination of upkeep multipliers
    (the effort figures are assumptions: how much the answer depends on them)."""
    archs = sorted(load_usage(run_dir))
    bases = [_arm_bases(run_dir).get(a, a) for a in (archs[0], archs[-1])]
    rows = []
    for fa in factors:
        for fb in factors:
            _, even = sweep(
                run_dir, base_profile, region, rate, effort_factors={bases[0]: fa, bases[1]: fb}
            )
            rows.append(
                {
                    f"{archs[0]}_upkeep_x": fa,
                    f"{archs[-1]}_upkeep_x": fb,
                    "break_even_events_per_day": even,
                }
            )
    return pd.DataFrame(rows)
