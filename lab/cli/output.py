"""What every command shares: the consoles, the one way to fail, the progress bar, the summary."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(width=max(Console().width, 120))  # the summary table needs ~110 columns
err = Console(stderr=True, soft_wrap=True)  # errors are never wrapped mid-path


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error and exit with ``code`` (2: bad input, 1: it failed)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def warn_unlocked() -> None:
    """Say so when the installed packages are not the lock's: results would not reproduce."""
    from lab.lock import lock_state

    state = lock_state()
    if state.differs:
        shown = "; ".join(state.differs[:5]) + (" ..." if len(state.differs) > 5 else "")
        err.print(
            f"[bold yellow]warning:[/] the installed packages differ from {state.path} ({shown}); "
            "the manifest records it. `make env` installs the lock.",
            highlight=False,
        )


def progress_bar() -> Progress:
    """The bar of long commands: what is happening, done / total, time elapsed."""
    return Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def print_summary(run_dir: Path) -> None:
    """The run's summary table: per technique and architecture, rates and latencies."""
    from lab.experiment.results import load_trials, short_name, sweep_columns
    from lab.report.summary import summary_table

    table = summary_table(load_trials(run_dir))
    out = Table(
        title=f"{run_dir.name}: seconds from injection (virtual time)",
        caption="TTD: time to detect, TTR: time to remediate; med: median",
    )
    columns = ("technique", "arch", "n", "detected", "fixed", "TTD med", "TTD p90", "TTR med")
    for column in (*columns, "TTR p90"):
        justify = "left" if column in ("technique", "arch") else "right"
        out.add_column(column, justify=justify, no_wrap=True, min_width=len(column))

    def fmt(value: object) -> str:
        return "-" if value is None or value != value else f"{value:,.1f}"

    swept = sweep_columns(table)
    for row in table.to_dict("records"):
        point = ", ".join(f"{short_name(c.removeprefix('sweep.'))}={row[c]}" for c in swept)
        out.add_row(
            f"{row['technique']} ({point})" if point else row["technique"],
            row["architecture"],
            str(row["n"]),
            f"{row['detected']:.0%}",
            f"{row['remediated']:.0%}",
            fmt(row["detect_median_s"]),
            fmt(row["detect_p90_s"]),
            fmt(row["remediate_median_s"]),
            fmt(row["remediate_p90_s"]),
        )
    console.print(out)


def print_published(run_dir: Path, latex: bool = False) -> None:
    """Draw the run's figures and write its report; say where they are."""
    from lab.report.publish import publish

    published = publish(run_dir, latex=latex)
    console.print(f"figure: {published.figures[0]} (and {published.figures[1].name})")
    if published.report_html is not None and published.report_md is not None:
        console.print(f"report: {published.report_html} (and {published.report_md.name})")
        if latex:
            console.print(f"LaTeX: {run_dir / 'latex' / 'report.tex'} (tables/, figures.tex)")
    if published.benchmark_md is not None:
        console.print(f"benchmark: {published.benchmark_md} (and benchmark.csv)")
