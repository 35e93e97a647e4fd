"""Every figure function: PNG (300 dpi) + PDF for a small DataFrame, one clear error for an empty one,
drawn in the lab's one style."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from PIL import Image

from lab.cost.report import summary
from lab.report.cost_figures import cost_breakdown, cost_regions, cost_vs_scale
from lab.report.coverage import coverage_table
from lab.report.figures import (
    coverage_matrix,
    incident_timeline,
    latency_comparison,
    measured_vs_simulated,
    sensitivity,
)
from lab.report.style import STYLE_FILE, EmptyDataError
from lab.report.survival_figures import survival_curves


def _trials(sweep=False) -> pd.DataFrame:
    rows = []
    for point, factor in (("p0", 1.0), ("p1", 3.0)) if sweep else (("p0", 1.0),):
        for k in range(6):
            for arch, base in (("manual", 100.0), ("serverless", 10.0)):
                rows.append(
                    {
                        "point": point,
                        "technique": "ec2-sg-open-ssh",
                        "architecture": arch,
                        "trial": k,
                        "outcome": "remediated",
                        "time_to_detect_s": base * factor * (1 + k / 10),
                        "time_to_alert_s": base * factor * (1.1 + k / 10),
                        "time_to_remediate_s": 5 * base * factor * (1 + k / 10),
                        **({"sweep.calibration.stages.x_s.scale": factor} if sweep else {}),
                    }
                )
    return pd.DataFrame(rows)


def _cost_lines() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"profile": "p", "architecture": a, "category": c, "item": c, "cost_usd": v}
            for a, c, v in (
                ("manual", "compute", 8.0),
                ("manual", "people", 300.0),
                ("serverless", "logging", 5.0),
                ("serverless", "detection-response", 12.0),
            )
        ]
    )


def _cost_scale() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "architecture": a,
                "scale": s,
                "management_events_per_day": 1000 * s,
                "monthly_cost_usd": (300 if a == "manual" else 20 * s),
            }
            for a in ("manual", "serverless")
            for s in (0.1, 1.0, 10.0, 100.0)
        ]
    )


def _cost_grid():
    """Manual cheaper at low activity and a low rate, serverless elsewhere: a crossing to draw."""
    return pd.DataFrame(
        [
            {
                "architecture": a,
                "hourly_rate_usd": r,
                "scale": s,
                "management_events_per_day": 1000 * s,
                "monthly_cost_usd": (3 * r if a == "manual" else 20 * s + r),
            }
            for a in ("manual", "serverless")
            for s in (0.1, 1.0, 10.0, 100.0)
            for r in (20.0, 60.0, 120.0)
        ]
    )


FIGURES = {
    "latency_comparison": (latency_comparison, _trials),
    "survival_curves": (
        lambda data, out: survival_curves(data, out, pd.Series(3600.0, index=data.index)),
        _trials,
    ),
    "incident_timeline": (incident_timeline, _trials),
    "coverage_matrix": (coverage_matrix, lambda: coverage_table(_trials())),
    "sensitivity": (sensitivity, lambda: _trials(sweep=True)),
    "measured_vs_simulated": (
        measured_vs_simulated,
        lambda: pd.concat(
            [_trials().assign(source="measured"), _trials().assign(source="simulated")]
        ),
    ),
    "cost_breakdown": (cost_breakdown, _cost_lines),
    "cost_vs_scale": (lambda data, out: cost_vs_scale(data, out, 15_000.0), _cost_scale),
    "cost_regions": (cost_regions, _cost_grid),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_writes_png_at_300_dpi_and_pdf_sized_for_an_a4_column(tmp_path, name):
    draw, data = FIGURES[name]
    png, pdf = draw(data(), tmp_path / name)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2_000
    with Image.open(png) as image:
        dpi = image.info["dpi"][0]
        width_in = image.size[0] / dpi
    assert round(dpi) == 300
    assert 4.0 <= width_in <= 7.5  # an A4 thesis column is 6.3 in; tight bbox trims or adds a bit


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_of_an_empty_dataframe_is_one_clear_error(tmp_path, name):
    draw, data = FIGURES[name]
    with pytest.raises(EmptyDataError, match="no rows"):
        draw(data().iloc[0:0], tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_sensitivity_refuses_trials_without_a_sweep(tmp_path):
    with pytest.raises(ValueError, match="sweep"):
        sensitivity(_trials(), tmp_path / "s")


def test_style_is_colour_blind_safe_and_leaves_global_matplotlib_alone(tmp_path):
    before = dict(plt.rcParams)
    latency_comparison(_trials(), tmp_path / "latency")
    assert dict(plt.rcParams) == before
    text = STYLE_FILE.read_text()
    assert "0072B2" in text and "E69F00" in text  # Okabe-Ito
    assert "linestyle" in text  # series also differ in greyscale


def test_cost_summary_splits_people_and_infrastructure():
    table = summary(_cost_lines()).set_index("architecture")
    assert table.loc["manual", "people"] == 300.0
    assert table.loc["serverless", "infrastructure"] == 17.0


def test_ttr_by_time_of_week_places_each_attack_in_its_hour_of_the_week(tmp_path):
    import pandas as pd

    from lab.report.week_figures import hour_of_week, ttr_by_time_of_week

    instants = pd.Series(["2026-01-05T00:30:00Z", "2026-01-10T13:00:00Z", "2026-01-11T23:00:00Z"])
    assert hour_of_week(instants).tolist() == [0.5, 5 * 24 + 13, 6 * 24 + 23]
    trials = pd.DataFrame(
        {
            "technique": "t",
            "architecture": "manual",
            "trial": [0, 1, 2],
            "outcome": ["remediated", "remediated", "detected only"],
            "injected_at": instants,
            "time_to_remediate_s": [600.0, 90_000.0, None],
            "sweep.operator": ["business-hours", "business-hours", "on-call"],
        }
    )
    paths = ttr_by_time_of_week(trials, tmp_path / "week")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert all(p.stat().st_size > 5_000 for p in paths)


def test_coverage_names_the_path_that_saw_a_technique_first_in_most_trials():
    trials = _trials()
    trials["detection_source"] = [
        "cspm:ec2_ebs_public_snapshot" if a == "manual" else "eventbridge:lab-rule"
        for a in trials["architecture"]
    ]
    table = coverage_table(trials)
    assert set(table.loc[table["architecture"] == "manual", "first_path"]) == {"cspm"}
    assert set(table.loc[table["architecture"] == "serverless", "first_path"]) == {"eventbridge"}
