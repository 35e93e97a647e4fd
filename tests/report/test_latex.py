"""`lab report RUN --latex`: booktabs tables, figures with their captions, a document that compiles."""

import shutil
import subprocess

import pandas as pd
import pytest

from lab.report.figures import latency_comparison
from lab.report.latex import write_latex


def _trials():
    return pd.DataFrame(
        [
            {
                "technique": "ec2-sg-open-ssh",
                "architecture": arch,
                "trial": k,
                "outcome": "remediated",
                "time_to_detect_s": base * (1 + k),
                "time_to_alert_s": base * (1.5 + k),
                "time_to_remediate_s": base * (3 + k),
            }
            for arch, base in (("manual", 100.0), ("serverless", 10.0))
            for k in range(4)
        ]
    )


@pytest.fixture
def written(tmp_path):
    figure = latency_comparison(_trials(), tmp_path / "figures" / "latency_comparison")[0]
    tables = [
        ("Latency per stage (95 % CI; r > 0 & p_value < 0.05)", _trials().head(3)),
        ("Empty", pd.DataFrame()),
    ]
    return tmp_path, write_latex(tmp_path, tables, [figure])


def test_tables_are_booktabs_with_escaped_captions_and_figures_include_the_pdfs(written):
    run_dir, paths = written
    names = sorted(p.relative_to(run_dir / "latex").as_posix() for p in paths)
    assert names == [
        "figures.tex",
        "report.tex",
        "tables/01-latency-per-stage-95-ci-r-0-p-value-0-05.tex",
        "tables/02-empty.tex",
    ]
    table = (run_dir / "latex" / "tables" / names[2].split("/")[1]).read_text()
    assert "\\toprule" in table and "\\midrule" in table and "\\bottomrule" in table
    assert "95 \\% CI; r \\textgreater{} 0 \\& p\\_value" in table  # the caption, escaped
    assert "time\\_to\\_detect\\_s" in table and "ec2-sg-open-ssh" in table
    figures = (run_dir / "latex" / "figures.tex").read_text()
    assert "\\includegraphics[width=\\linewidth]{../figures/latency_comparison.pdf}" in figures
    assert "one row per technique" in figures  # the caption is the figure function's docstring
    report = (run_dir / "latex" / "report.tex").read_text()
    assert "\\usepackage{booktabs}" in report and "\\input{tables/02-empty.tex}" in report


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine on this machine")
def test_the_latex_report_compiles(written):
    run_dir, _ = written
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
        cwd=run_dir / "latex",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (run_dir / "latex" / "report.pdf").stat().st_size > 10_000
