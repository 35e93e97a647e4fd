"""The figures of a run's report, every one redrawn from the run each time (never one left in the
folder by another command with other options), small multiples paged by ATT&CK tactic
(``lab.report.pages``) so each page prints on A4 or letter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lab.experiment.results import load_trials, sweep_columns
from lab.report.attribution_figures import attribution_effects
from lab.report.cost_figures import cost_breakdown
from lab.report.figures import (
    coverage_matrix,
    incident_timeline,
    latency_comparison,
    measured_vs_simulated,
    sensitivity,
)
from lab.report.forest_figures import forest_plot, techniques_per_page
from lab.report.pages import ROWS_PER_PAGE, Page, draw_pages, per_page
from lab.report.stage_figures import stage_waterfall
from lab.report.survival_figures import survival_curves
from lab.report.week_figures import ttr_by_time_of_week


def first_point(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials of a sweep's first point (all trials of an ordinary run)."""
    return trials[trials["point"] == trials["point"].iloc[0]] if "point" in trials else trials


def report_figures(
    run_dir: Path,
    manifest: dict,
    trials: pd.DataFrame,
    window: pd.Series,
    tables: dict[str, pd.DataFrame],
    emulated: Path | None = None,
) -> list[Page]:
    """Draw every figure the report embeds; ``tables``: ``km`` (of the first point), ``coverage``,
    ``attribution`` and ``stages`` (may be empty). A sweep's figures show its first point; the
    sensitivity figures show the sweep."""
    figures_dir = run_dir / "figures"
    first = first_point(trials)
    km, coverage = tables["km"], tables["coverage"]
    arms = trials["architecture"].nunique()
    # Techniques per page: a forest row and a box row grow with the arms, a lane is one arm.
    forest_page = techniques_per_page(arms)
    rows_page, lanes_page = per_page(48, arms), per_page(24, arms)
    pages = [
        *(
            [*draw_pages(forest_plot, km, figures_dir / "forest", per_page=forest_page)]
            if len(km)
            else []
        ),
        *draw_pages(
            latency_comparison, first, figures_dir / "latency_comparison", per_page=rows_page
        ),
        *draw_pages(survival_curves, first, figures_dir / "survival_detect", window),
        *draw_pages(
            survival_curves,
            first,
            figures_dir / "survival_remediate",
            window,
            "time_to_remediate_s",
        ),
        *draw_pages(
            incident_timeline, first, figures_dir / "incident_timeline", per_page=lanes_page
        ),
    ]
    if len(tables["stages"]):
        pages += draw_pages(
            stage_waterfall, tables["stages"], figures_dir / "stage_waterfall", per_page=lanes_page
        )
    pages += draw_pages(coverage_matrix, coverage, figures_dir / "coverage", per_page=ROWS_PER_PAGE)
    if len(tables["attribution"]):
        pages.append(
            _whole(attribution_effects(tables["attribution"], figures_dir / "attribution"))
        )
    scenario = manifest.get("scenario", {})
    if scenario.get("injection", "fixed") != "fixed" and trials["injected_at"].notna().any():
        # Injections across the week: every trial (a staffing sweep's points in colour).
        pages.append(_whole(ttr_by_time_of_week(trials, figures_dir / "ttr_by_time_of_week")))
    if (run_dir / "usage.json").exists():  # at the report's rates, as its cost table
        from lab.cost.report import cost_lines

        pages.append(_whole(cost_breakdown(cost_lines(run_dir), figures_dir / "cost_breakdown")))
    for column in sweep_columns(trials):
        name = column.removeprefix("sweep.").replace(".", "_")
        pages.append(_whole(sensitivity(trials, figures_dir / f"sensitivity_{name}", column)))
    if emulated is not None:  # a wall-clock run beside an emulated one of the same scenario
        both = pd.concat(
            [trials.assign(source="measured"), load_trials(emulated).assign(source="simulated")],
            ignore_index=True,
        )
        pages.append(_whole(measured_vs_simulated(both, figures_dir / "measured_vs_simulated")))
    return pages


def _whole(paths: list[Path]) -> Page:
    return Page(paths[0], ())


def not_redrawn(run_dir: Path, pages: list[Page]) -> list[Path]:
    """Figures in the folder this report did not draw (another command's, or an older layout's):
    left out of the report, since their options may not be the report's."""
    drawn = {page.png for page in pages}
    return sorted(p for p in (run_dir / "figures").glob("*.png") if p not in drawn)
