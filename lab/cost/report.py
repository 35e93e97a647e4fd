"""Cost of a run's architectures for every workload profile, and across scales."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from lab.cost.model import Profile, break_even, monthly_cost, total, workloads
from lab.cost.pricing import price_book


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
) -> tuple[pd.DataFrame, float | None]:
    """Monthly totals as ``base_profile`` is scaled from 1/30x to 1000x; and the break-even point
    (in management events per day) where the cheaper architecture changes, if it does."""
    usage, prices, loads = load_usage(run_dir), price_book(region), workloads()
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
                        monthly_cost(arch, arch_usage, profile, prices, loads, rate)
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
