"""``lab report RUN --latex``: every table of the report as a booktabs ``.tex`` file, a
``figures.tex`` that includes the figures' PDFs with their captions, and a ``report.tex`` that
inputs both, under ``RUN_DIR/latex/``. Tables come from pandas' LaTeX writer (``Styler.to_latex``);
figures are sized to the text width, which the figure style already fits (one A4 column)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lab.report.captions import caption

PREAMBLE = r"""\documentclass[a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs}
\usepackage{graphicx}
\usepackage[margin=2cm]{geometry}
\begin{document}
"""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].rstrip("-")


def escape(text: str) -> str:
    """Text for LaTeX (captions, headings): its special characters escaped."""
    table = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
    }
    return "".join(table.get(c, c) for c in text)


def table_tex(table: pd.DataFrame, heading: str, label: str) -> str:
    """One table as a booktabs ``table`` float, its heading as the caption."""
    if table.empty:
        body = r"\centering (none)"
    else:
        styler = table.style.hide(axis="index").format(precision=3, na_rep="--", escape="latex")
        styler = styler.format_index(escape="latex", axis=1)
        column_format = _column_format(table)
        tabular = styler.to_latex(hrules=True, column_format=column_format)
        if len(table.columns) > 6 or "p{" in column_format:  # scaled to the text width
            tabular = f"\\resizebox{{\\linewidth}}{{!}}{{%\n{tabular}}}"
        body = r"\centering\scriptsize" + "\n" + tabular
    return (
        "\\begin{table}[htbp]\n"
        f"\\caption{{{escape(heading)}}}\\label{{tab:{label}}}\n"
        f"{body}\n"
        "\\end{table}\n"
    )


def _column_format(table: pd.DataFrame) -> str:
    """Numbers right, short text left, long text (sources, reasons) wrapped in a paragraph."""
    formats = []
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_numeric_dtype(values):
            formats.append("r")
        elif values.astype(str).str.len().max() > 40:
            formats.append(r"p{0.4\linewidth}")
        else:
            formats.append("l")
    return "".join(formats)


def figure_tex(pdf: Path, relative_to: Path) -> str:
    """One figure float: the PDF at the text width, its caption from the function that drew it."""
    path = Path("..") / pdf.relative_to(relative_to)
    return (
        "\\begin{figure}[htbp]\n\\centering\n"
        f"\\includegraphics[width=\\linewidth]{{{path.as_posix()}}}\n"
        f"\\caption{{{escape(caption(pdf))}}}\\label{{fig:{slug(pdf.stem)}}}\n"
        "\\end{figure}\n"
    )


def write_latex(
    run_dir: Path, tables: list[tuple[str, pd.DataFrame]], figures: list[Path]
) -> list[Path]:
    """Write ``latex/tables/*.tex``, ``latex/figures.tex`` and ``latex/report.tex``."""
    out = Path(run_dir) / "latex"
    (out / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    for index, (heading, table) in enumerate(tables, start=1):
        path = out / "tables" / f"{index:02d}-{slug(heading)}.tex"
        path.write_text(table_tex(table, heading, f"{index:02d}-{slug(heading)}"))
        written.append(path)
    pdfs = [f.with_suffix(".pdf") for f in figures if f.with_suffix(".pdf").exists()]
    figures_tex = out / "figures.tex"
    figures_tex.write_text("".join(figure_tex(pdf, Path(run_dir)) for pdf in pdfs))
    report = out / "report.tex"
    report.write_text(
        PREAMBLE
        + "\\input{figures.tex}\n\\clearpage\n"
        + "".join(f"\\input{{tables/{p.name}}}\n" for p in written)
        + "\\end{document}\n"
    )
    return [*written, figures_tex, report]
