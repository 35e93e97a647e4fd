"""Everything a finished run publishes: its comparison and coverage figures, its report and its
benchmark table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.experiment.results import MANIFEST, load_trials
from lab.report.benchmark import write_benchmark
from lab.report.coverage import coverage_table
from lab.report.document import write_report
from lab.report.figures import coverage_matrix, latency_comparison
from lab.report.pages import ROWS_PER_PAGE, draw_pages


@dataclass
class Published:
    figures: list[Path]
    report_md: Path | None
    report_html: Path | None
    benchmark_md: Path | None = None


def publish(run_dir: Path, latex: bool = False) -> Published:
    """Write ``report.md``, ``report.html`` and ``benchmark.csv`` / ``benchmark.md`` when the run
    has a manifest (``latex``: and the LaTeX tables and figures under ``latex/``), which draws
    every figure; without one, draw the comparison and coverage figures alone (paged by tactic at
    catalog scale). ``figures``: the first page of the latency comparison, PNG and PDF."""
    figures_dir = run_dir / "figures"
    if (run_dir / MANIFEST).exists():
        report_md, report_html = write_report(run_dir, latex=latex)
        written = write_benchmark(run_dir)
    else:
        trials = load_trials(run_dir)
        draw_pages(latency_comparison, trials, figures_dir / "latency_comparison")
        draw_pages(
            coverage_matrix,
            coverage_table(trials),
            figures_dir / "coverage",
            per_page=ROWS_PER_PAGE,
        )
        report_md = report_html = None
        written = None
    candidates = [figures_dir / f"latency_comparison{s}.png" for s in ("", "_p1")]
    first = max((c for c in candidates if c.exists()), key=lambda c: c.stat().st_mtime)
    return Published(
        [first, first.with_suffix(".pdf")], report_md, report_html, written[1] if written else None
    )
