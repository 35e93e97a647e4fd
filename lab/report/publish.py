"""Everything a finished run publishes: its comparison and coverage figures and its report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.experiment.results import MANIFEST, load_trials
from lab.report.coverage import coverage_table
from lab.report.document import write_report
from lab.report.figures import coverage_matrix, latency_comparison


@dataclass
class Published:
    figures: list[Path]
    report_md: Path | None
    report_html: Path | None


def publish(run_dir: Path, latex: bool = False) -> Published:
    """Draw the run's figures; write ``report.md`` and ``report.html`` when it has a manifest
    (``latex``: and the LaTeX tables and figures under ``latex/``)."""
    trials = load_trials(run_dir)
    figures = [
        *latency_comparison(trials, run_dir / "figures" / "latency_comparison"),
        *coverage_matrix(coverage_table(trials), run_dir / "figures" / "coverage"),
    ]
    if not (run_dir / MANIFEST).exists():
        return Published(figures, None, None)
    report_md, report_html = write_report(run_dir, latex=latex)
    return Published(figures, report_md, report_html)
