"""A caption for every figure a run folder holds, from the docstring of the function that drew it
(so a caption never drifts from its figure): the report's figure index and the LaTeX export."""

from __future__ import annotations

import re
from pathlib import Path

from lab.report.attribution_figures import attribution_effects
from lab.report.cost_figures import cost_breakdown, cost_regions, cost_vs_scale
from lab.report.figures import (
    coverage_matrix,
    incident_timeline,
    latency_comparison,
    measured_vs_simulated,
    sensitivity,
)
from lab.report.forest_figures import forest_plot
from lab.report.stage_figures import stage_waterfall
from lab.report.survival_figures import survival_curves
from lab.report.week_figures import ttr_by_time_of_week

# File stem (or its prefix before "_<detail>") -> the function that draws it.
_DRAWN_BY = {
    "latency_comparison": latency_comparison,
    "incident_timeline": incident_timeline,
    "coverage": coverage_matrix,
    "measured_vs_simulated": measured_vs_simulated,
    "cost_breakdown": cost_breakdown,
    "cost_vs_scale": cost_vs_scale,
    "cost_regions": cost_regions,
    "stage_waterfall": stage_waterfall,
    "attribution": attribution_effects,
    "ttr_by_time_of_week": ttr_by_time_of_week,
    "forest": forest_plot,
}


def caption(figure: Path) -> str:
    """The figure's caption: the drawing function's docstring, first paragraph, in plain words."""
    stem = re.sub(r"_p\d+$", "", Path(figure).stem)  # a page of a paged figure
    if stem.startswith("survival_"):
        stage = "remediated" if stem.endswith("remediate") else "detected"
        return f"{_plain(survival_curves.__doc__ or '')} Stage: {stage}."
    if stem.startswith("sensitivity_"):
        return _plain(sensitivity.__doc__ or "") + f" Parameter: {stem[len('sensitivity_') :]}."
    function = _DRAWN_BY.get(stem)
    return _plain(function.__doc__ or "") if function else stem.replace("_", " ")


def _plain(docstring: str) -> str:
    first = docstring.strip().split("\n\n")[0]
    text = " ".join(first.split())
    return re.sub(r"``([^`]+)``", r"\1", text)
