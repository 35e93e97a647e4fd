"""Figures at catalog scale, on the kept coverage run (53 techniques): pages of at most a dozen
panels by ATT&CK tactic, each printable (width <= 4,000 px, aspect <= 3.5:1) with no text over
text (every visible text's box checked as the figure is saved)."""

import json
from pathlib import Path

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lab.report.coverage import coverage_table
from lab.report.figures import coverage_matrix, incident_timeline, latency_comparison
from lab.report.forest_figures import forest_plot
from lab.report.layout import overlapping_texts
from lab.report.pages import PANELS_PER_PAGE, ROWS_PER_PAGE, draw_pages, paginate, tactic_of
from lab.report.survival import km_table, observation_window_s
from lab.report.survival_figures import survival_curves
from lab.report.week_figures import ttr_by_time_of_week

COVERAGE_RUN = Path(__file__).parents[2] / "docs" / "reference-runs" / "coverage"
MAX_WIDTH_PX, MAX_ASPECT = 4000, 3.5


@pytest.fixture(scope="module")
def run():
    trials = pd.read_csv(COVERAGE_RUN / "trials.csv")
    scenario = json.loads((COVERAGE_RUN / "manifest.json").read_text())["scenario"]
    return trials, observation_window_s(trials, scenario)


@pytest.fixture
def overlaps(monkeypatch):
    """Every PNG saved in the test, with the overlapping texts found as it was saved. Each page's
    PDF is not written: nothing here reads it (the PNG is what is measured and checked), and
    writing it (a second drawing, its fonts embedded) is a large share of a page's time."""
    found: dict[str, list] = {}
    original = matplotlib.figure.Figure.savefig

    def checked(self, fname, *args, **kwargs):
        if str(fname).endswith(".pdf"):
            return None
        if str(fname).endswith(".png"):
            found[Path(fname).name] = overlapping_texts(self)
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", checked)
    return found


def _printable(pages, overlaps):
    for page in pages:
        width, height = Image.open(page.png).size
        assert width <= MAX_WIDTH_PX, page.png.name
        assert max(width, height) / min(width, height) <= MAX_ASPECT, (page.png.name, width, height)
        assert overlaps[page.png.name] == [], page.png.name


def test_pages_keep_tactics_together_and_hold_every_technique_once(run):
    trials, _ = run
    techniques = sorted(set(trials["technique"]))
    pages = paginate(techniques)
    assert sorted(t for page in pages for t in page) == techniques
    assert all(len(page) <= PANELS_PER_PAGE for page in pages)
    for page in pages:  # a page is whole tactics, or one tactic's slice
        tactics = [tactic_of(t) for t in page]
        assert tactics == sorted(tactics)
    assert len(pages) >= 53 / PANELS_PER_PAGE


@pytest.mark.parametrize(
    "draw, args",
    [
        (survival_curves, ("window",)),
        (latency_comparison, ()),
        (incident_timeline, ()),
    ],
)
def test_small_multiples_are_paged_and_printable(run, overlaps, tmp_path, draw, args):
    trials, window = run
    values = [window if a == "window" else a for a in args]
    pages = draw_pages(draw, trials, tmp_path / draw.__name__, *values)
    assert len(pages) > 1 and all(0 < len(p.techniques) <= PANELS_PER_PAGE for p in pages)
    _printable(pages, overlaps)


def test_the_forest_plot_and_coverage_matrix_are_paged_and_printable(run, overlaps, tmp_path):
    trials, window = run
    km = km_table(trials, window)
    forest = draw_pages(forest_plot, km, tmp_path / "forest", per_page=ROWS_PER_PAGE)
    coverage = draw_pages(
        coverage_matrix, coverage_table(trials), tmp_path / "coverage", per_page=ROWS_PER_PAGE
    )
    assert {t for p in forest for t in p.techniques} == set(trials["technique"])
    _printable([*forest, *coverage], overlaps)


def test_time_of_week_is_one_panel_per_tactic_and_printable(run, overlaps, tmp_path):
    trials, _ = run
    png = ttr_by_time_of_week(trials, tmp_path / "week")[0]
    width, height = Image.open(png).size
    assert width <= MAX_WIDTH_PX and max(width, height) / min(width, height) <= MAX_ASPECT
    assert overlaps["week.png"] == []


def test_the_overlap_check_finds_text_over_text(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "one long label")
    ax.text(0.52, 0.5, "another long label")
    assert overlapping_texts(fig) == [("one long label", "another long label")]
    plt.close(fig)


def test_a_short_log_range_has_no_colliding_minor_labels(run, overlaps, tmp_path):
    # Six tactics' short panels (three rows) whose times to remediate span about a decade (570 s
    # to 6,630 s, some never): matplotlib would label the minor ticks 3x10^-1 and 4x10^-1 over
    # each other (as it did on an ablation's first trials).
    trials, _ = run
    tactics = trials.assign(tactic=trials["technique"].map(tactic_of))
    chosen = tactics.drop_duplicates("tactic")["technique"].head(6)
    rows = trials[trials["technique"].isin(chosen) & (trials["architecture"] == "manual")].copy()
    spread = np.geomspace(570.0, 6630.0, len(rows))
    rows["time_to_remediate_s"] = np.where(np.arange(len(rows)) % 4 == 0, np.nan, spread)
    rows["outcome"] = np.where(rows["time_to_remediate_s"].isna(), "missed", "remediated")
    ttr_by_time_of_week(rows, tmp_path / "week")
    assert overlaps["week.png"] == []


def test_six_arms_keep_every_page_printable(run, overlaps, tmp_path):
    # An ablation's six arms on twelve techniques of the coverage run (its two arms relabelled
    # three times each): rows grow with the arms, pages hold fewer techniques.
    from lab.report.forest_figures import techniques_per_page
    from lab.report.pages import per_page

    trials, window = run
    twelve = sorted(set(trials["technique"]))[:12]
    base = trials[trials["technique"].isin(twelve)]
    arms = pd.concat(
        [base.assign(architecture=base["architecture"] + f"-{k}") for k in range(3)],
        ignore_index=True,
    )
    arm_window = pd.Series(window.iloc[0], index=arms.index)
    km = km_table(arms, arm_window)
    pages = [
        *draw_pages(forest_plot, km, tmp_path / "forest", per_page=techniques_per_page(6)),
        *draw_pages(incident_timeline, arms, tmp_path / "timeline", per_page=per_page(24, 6)),
        *draw_pages(coverage_matrix, coverage_table(arms), tmp_path / "coverage", per_page=27),
    ]
    _printable(pages, overlaps)
