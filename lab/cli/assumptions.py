"""``lab assumptions``: how a sweep's comparison moves with what it assumed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail


def assumptions(
    run_dir: Annotated[
        Path,
        typer.Argument(help="A sweep run (e.g. of scenarios/assumptions.yaml, one at a time)."),
    ],
    target: Annotated[
        float,
        typer.Option(min=1, help="The response objective in seconds the break-even is read at."),
    ] = 900.0,
    key: Annotated[
        str | None,
        typer.Option(
            help="The swept delay of the break-even figure (default: the one swept at the most values)."
        ),
    ] = None,
) -> None:
    """Time to remediate against each assumed delay of a one-at-a-time sweep: the median and p90
    per architecture (Kaplan-Meier: censored trials count), the break-even value of one delay at
    which each architecture meets --target, a tornado chart of every delay's effect, and which
    conclusions hold over the whole range; and the cost of one incident (the person's time and the
    damage while the attack stayed) as the damage figures are multiplied (lab/cost/damage.yaml's
    sweep), with which architecture costs least at each. Writes RUN_DIR/figures/delay_response.png
    and tornado.png, RUN_DIR/assumptions.csv and assumptions_damage.csv."""
    from rich.table import Table

    from lab.experiment.results import RunNotFound, load_run
    from lab.report import assumptions as analysis
    from lab.report import incidents

    try:
        run = load_run(run_dir)
        found = analysis.write(
            run.trials, run.manifest.get("scenario", {}), run.figures_dir(), target, key
        )
    except (RunNotFound, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    found["estimates"].to_csv(run_dir / "assumptions.csv", index=False)
    table = Table(
        title="median time to remediate at each delay's lowest and highest value (others at "
        "baseline; Kaplan-Meier)"
    )
    for column in ("key", "architecture", "low", "high", "baseline", "at low", "at high"):
        table.add_column(column)
    seconds = analysis.seconds
    for row in found["effects"].itertuples():
        table.add_row(
            row.key,
            row.architecture,
            str(row.low_value),
            str(row.high_value),
            seconds(row.baseline_s),
            seconds(row.at_low_s),
            seconds(row.at_high_s),
        )
    console.print(table)
    for architecture, value in found["break_even"].items():
        shown = analysis.break_even_words(value)
        console.print(f"{architecture} meets {target:,.0f} s (median) {shown} of {found['key']}")
    for line in found["conclusions"]:
        console.print(line)
    try:
        costs = incidents.run_sweep(run_dir)
    except FileNotFoundError as exc:  # a run without events: the cost side cannot be read
        console.print(f"damage sweep skipped: {exc}")
    else:
        costs.to_csv(run_dir / "assumptions_damage.csv", index=False)
        table = Table(
            title="cost of one incident (person + damage; attack techniques, each weighing the "
            "same) as every damage figure of lab/cost/damage.yaml is multiplied (baseline point)"
        )
        for column in ("damage x", "architecture", "USD per incident", "damage share"):
            table.add_column(column, justify="right")
        for row in costs.itertuples():
            table.add_row(
                f"x{row.damage_x:g}",
                str(row.architecture),
                f"{row.cost_per_incident_usd:,.2f}",
                f"{row.damage_share:.0%}",
            )
        console.print(table)
        for line in incidents.cost_conclusions(costs):
            console.print(line)
    for path in found["figures"]:
        console.print(f"wrote {path}")
