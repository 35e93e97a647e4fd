"""``lab cost`` (monthly cost per architecture) and ``lab load`` (locust against the account)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail
from lab.paths import RESULTS_DIR


def cost(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run directory (default: the newest with usage).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="One workload profile (default: all).")
    ] = None,
    region: Annotated[
        str, typer.Option(help="Price file lab/cost/prices/<region>.yaml.")
    ] = "us-east-1",
    rate: Annotated[
        float | None,
        typer.Option(min=0, help="Engineer cost, USD per hour (default: profiles.yaml)."),
    ] = None,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep",
            help="Also sweep the profile's scale (cost vs scale, break-even point), scale x hourly "
            "rate (which architecture is cheaper where), and the upkeep effort x0.5/x1/x2 (the "
            "break-even point under each).",
        ),
    ] = False,
) -> None:
    """Monthly cost of each architecture: infrastructure (usage scaled to a profile) + people; and
    what one incident costs in each (the response's services, the person's time, and the damage
    while the attack stayed in place: lab/cost/damage.yaml, assumptions)."""
    from rich.table import Table

    from lab.cost.pricing import PricingError
    from lab.cost.report import (
        cost_lines,
        effort_break_even,
        region_sweep,
        summary,
    )
    from lab.cost.report import sweep as cost_sweep
    from lab.experiment.results import USAGE, RunNotFound, latest_run
    from lab.report.cost_figures import cost_breakdown, cost_regions, cost_vs_scale
    from lab.report.incidents import run_table as incident_table

    if run_dir is not None and not (run_dir / "manifest.json").is_file():
        fail(f"{run_dir} is not a run directory (no manifest.json); `lab runs` lists the runs")
    try:
        run_dir = run_dir or latest_run(requires=USAGE)
        lines = cost_lines(run_dir, region, rate, [profile] if profile else None)
    except (RunNotFound, FileNotFoundError, PricingError, KeyError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    lines.to_csv(run_dir / "cost.csv", index=False)
    table = Table(title=f"monthly cost, USD ({region} list prices; {run_dir.name})")
    for column in ("profile", "architecture", "infrastructure", "people", "total"):
        table.add_column(
            column, justify="left" if column in ("profile", "architecture") else "right"
        )
    for row in summary(lines).to_dict("records"):
        table.add_row(
            row["profile"],
            row["architecture"],
            f"{row.get('infrastructure', 0):,.2f}",
            f"{row.get('people', 0):,.2f}",
            f"{row['total']:,.2f}",
        )
    console.print(table)
    figures = cost_breakdown(lines, run_dir / "figures" / "cost_breakdown")
    console.print(f"lines: {run_dir / 'cost.csv'}; figure: {figures[0]}")
    try:
        per_incident = incident_table(run_dir, region, rate)
    except FileNotFoundError as exc:
        fail(str(exc))
    per_incident.to_csv(run_dir / "cost_per_incident.csv", index=False)
    table = Table(
        title="one incident: the response's services + the person's time + the damage while it "
        "stayed (exposure x damage.yaml by severity: assumptions), mean per trial, USD"
    )
    columns = ("technique", "architecture", "outcomes", "exposure h", "services", "person h")
    for column in (*columns, "person", "damage", "total"):
        table.add_column(column, justify="left" if column in columns[:3] else "right")
    for row in per_incident.sort_values(["technique", "architecture"]).to_dict("records"):
        benign = row["kind"] == "benign"
        outcomes = (
            f"false alarm: {row['remediated']} work broken (counted, not priced) / "
            f"{row['detected only']} alert only / {row['missed']} left alone"
            if benign
            else f"{row['remediated']} fixed / {row['detected only']} detected / "
            f"{row['missed']} missed"
        )
        table.add_row(
            row["technique"],
            row["architecture"],
            outcomes,
            "-" if benign else f"{row['exposure_hours']:.2f}",
            f"{row['services_usd']:.4f}",
            f"{row['person_hours']:.2f}",
            f"{row['person_usd']:,.2f}",
            "-" if benign else f"{row['damage_usd']:,.2f}",
            f"{row['total_usd']:,.2f}",
        )
    console.print(table)
    if sweep:
        base = profile or "small-company"
        frame, even = cost_sweep(run_dir, base, region, rate)
        frame.to_csv(run_dir / "cost_sweep.csv", index=False)
        paths = cost_vs_scale(frame, run_dir / "figures" / "cost_vs_scale", even)
        where = f"{even:,.0f} management events per day" if even else "none in the range swept"
        console.print(f"break-even: {where}; figure: {paths[0]}")
        if frame["architecture"].nunique() == 2:
            grid = region_sweep(run_dir, base, region)
            grid.to_csv(run_dir / "cost_regions.csv", index=False)
            console.print(f"regions: {cost_regions(grid, run_dir / 'figures' / 'cost_regions')[0]}")
            efforts = effort_break_even(run_dir, base, region, rate)
            efforts.to_csv(run_dir / "cost_effort.csv", index=False)
            table = Table(title="break-even (management events per day) as the upkeep varies")
            for column in efforts.columns:
                table.add_column(column, justify="right")
            for row in efforts.to_dict("records"):
                even_at = row["break_even_events_per_day"]
                table.add_row(
                    *(f"x{v:g}" for v in list(row.values())[:2]),
                    "none" if even_at is None or even_at != even_at else f"{even_at:,.0f}",
                )
            console.print(table)


def load(
    profile: Annotated[
        str, typer.Option(help="Load profile of lab/load/profiles.yaml (light, busy, heavy).")
    ] = "light",
    users: Annotated[
        int | None, typer.Option(min=1, help="Locust users (overrides the profile).")
    ] = None,
    spawn_rate: Annotated[
        float | None,
        typer.Option(min=0.1, help="Users started per second (overrides the profile)."),
    ] = None,
    duration: Annotated[
        int | None, typer.Option(min=1, help="Seconds of load (overrides the profile).")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="A running emulator's URL (default: start one here for the run)."),
    ] = None,
    techniques: Annotated[
        str, typer.Option(help="Comma-separated techniques the attacker users detonate and revert.")
    ] = "ec2-sg-open-ssh,s3-bucket-public-acl",
    out: Annotated[Path, typer.Option(help="Results root.")] = RESULTS_DIR,
) -> None:
    """Locust headless against the emulated account: benign users (inventory reads, object writes,
    log lines, metrics) and attackers detonating techniques; writes locust's CSVs and a summary
    into OUT/load/<run-id>/ and prints the request rate and p50 / p95 latency."""
    from rich.table import Table

    from lab.load.run import plan_load, run_load_plan
    from lab.load.runner import LoadError

    overrides = {"users": users, "spawn_rate": spawn_rate, "duration_s": duration}
    try:
        plan = plan_load(profile, overrides, techniques, out)
    except LoadError as exc:
        fail(str(exc))
    chosen = plan.profile
    console.print(
        f"locust: {chosen.users} users, {chosen.spawn_rate}/s, {chosen.duration_s} s -> "
        f"{plan.run_dir}"
    )
    try:
        result = run_load_plan(plan, endpoint)
    except LoadError as exc:
        fail(str(exc), code=1)
    table = Table(title=f"load {plan.run_dir.name} ({profile})")
    for column in ("requests", "failures", "req/s", "p50 ms", "p95 ms", "emulator req/s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{result.requests:,}",
        f"{result.failures:,}",
        f"{result.requests_per_s:,.1f}",
        f"{result.p50_ms:,.0f}",
        f"{result.p95_ms:,.0f}",
        "-" if result.emulator_requests_per_s is None else f"{result.emulator_requests_per_s:,.1f}",
    )
    console.print(table)
    console.print(f"locust statistics: {result.stats_csv}")
