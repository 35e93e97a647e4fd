"""The report never contradicts itself: every embedded figure redrawn from the run, no NaN in a
table, survival estimates first and the reached-only median labelled beside them."""

import json
import re
import shutil
from pathlib import Path

import pytest

from lab.report.document import write_report

DEMO_RUN = Path(__file__).parents[2] / "docs" / "reference-runs" / "demo"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run") / "demo"
    shutil.copytree(DEMO_RUN, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["calibration_path"] = None  # the kept path is the machine's that ran it
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    stale = run_dir / "figures" / "cost_vs_scale.png"  # as `lab cost --rate -5` would leave it
    stale.parent.mkdir()
    stale.write_bytes(b"\x89PNG\r\n\x1a\n stale")
    md_path, html_path = write_report(run_dir)
    return run_dir, md_path.read_text(), html_path.read_text()


def test_only_figures_drawn_by_the_report_are_embedded(report):
    run_dir, md, html = report
    embedded = re.findall(r"!\[Figure \d+\. [^\]]+\]\(([^)]+)\)", md)
    assert (
        "figures/cost_vs_scale.png" not in embedded and "cost_vs_scale" not in html.split("<h2>")[1]
    )
    assert "| cost_vs_scale.png |" in md  # said to be left out
    assert {"figures/forest.png", "figures/survival_detect.png"} <= set(embedded)
    for relative in embedded:
        assert (run_dir / relative).stat().st_mtime >= (run_dir / "trials.csv").stat().st_mtime


def test_no_table_prints_nan_and_survival_comes_first(report):
    _, md, _ = report
    assert not re.search(r"\bnan\b", md, re.IGNORECASE)
    headings = re.findall(r"^## (.+)$", md, re.MULTILINE)
    assert headings[1].startswith("Latency per stage, censored trials kept (Kaplan-Meier)")
    assert "the median of the trials that got there ONLY" in headings[1]
    assert any("Family for p_holm (Holm)" in h for h in headings)
    assert any(
        h.startswith("Pooled over techniques: the log-rank test stratified") for h in headings
    )
