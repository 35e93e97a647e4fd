import pandas as pd

from lab.report.figures import latency_comparison
from lab.report.summary import summary_table


def _trials() -> pd.DataFrame:
    rows = []
    for k in range(10):
        rows.append(
            {
                "technique": "ec2-sg-open-ssh",
                "architecture": "manual",
                "trial": k,
                "outcome": "remediated",
                "time_to_detect_s": 30.0 * (k + 1),
                "time_to_alert_s": 31.0 * (k + 1),
                "time_to_remediate_s": 600.0 * (k + 1),
            }
        )
        rows.append(
            {
                "technique": "ec2-sg-open-ssh",
                "architecture": "serverless",
                "trial": k,
                "outcome": "remediated" if k else "missed",
                "time_to_detect_s": None if k == 0 else 10.0 + k,
                "time_to_alert_s": None if k == 0 else 20.0 + k,
                "time_to_remediate_s": None if k == 0 else 11.0 + k,
            }
        )
    return pd.DataFrame(rows)


def test_summary_medians_p90_and_rates():
    table = summary_table(_trials()).set_index("architecture")
    assert table.loc["manual", "detect_median_s"] == 165.0  # median of 30..300
    # Kaplan-Meier p90: the curve sits at exactly 0.1 from 5400 s to 6000 s: their midpoint (R's
    # survfit convention; with nothing censored, as the ordinary median does)
    assert table.loc["manual", "remediate_p90_s"] == 5700.0
    # serverless missed trial 0: censored, not dropped; the reached-only median stands apart
    from lifelines import KaplanMeierFitter

    detect = [None] + [10.0 + k for k in range(1, 10)]
    fitter = KaplanMeierFitter().fit(
        [t if t is not None else 1e6 for t in detect], [t is not None for t in detect]
    )
    # S falls to exactly 1/2 at 15 s and stays there to 16 s: lifelines says the interval's start,
    # R's survfit (and the lab) its midpoint
    assert fitter.median_survival_time_ == 15.0
    assert table.loc["serverless", "detect_median_s"] == 15.5
    assert table.loc["serverless", "detect_reached_median_s"] == 15.0
    assert table.loc["serverless", "detected"] == 0.9
    assert table.loc["serverless", "remediated"] == 0.9
    assert table.loc["serverless", "n"] == 10


def test_figure_is_written_as_png_and_pdf(tmp_path):
    png, pdf = latency_comparison(_trials(), tmp_path / "fig")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.stat().st_size > 20_000


def test_detection_paths_keep_every_path_of_a_trial(tmp_path):
    import json as _json

    from lab.report.paths import first_detections, path_table

    base = {"technique": "t", "architecture": "serverless"}
    events = []
    for trial, (fast, slow) in enumerate([(30.0, 400.0), (50.0, 600.0)]):
        events += [
            {**base, "trial": trial, "kind": "technique.detonated", "t_s": 100.0},
            {
                **base,
                "trial": trial,
                "kind": "eventbridge.matched",
                "t_s": 100 + fast,
                "detection": True,
                "source": "eventbridge:r",
            },
            {
                **base,
                "trial": trial,
                "kind": "eventbridge.matched",
                "t_s": 200 + fast,
                "detection": True,
                "source": "eventbridge:r",
            },
            {
                **base,
                "trial": trial,
                "kind": "guardduty.finding",
                "t_s": 100 + slow,
                "detection": True,
                "source": "guardduty:X",
            },
        ]
    (tmp_path / "events.jsonl").write_text("\n".join(_json.dumps(e) for e in events) + "\n")
    firsts = first_detections(tmp_path)
    assert len(firsts) == 4  # one per trial and source, the first only
    table = path_table(tmp_path).set_index("path")
    assert (
        table.loc["eventbridge", "median_s"] == 40.0 and table.loc["guardduty", "median_s"] == 500.0
    )
    assert table.loc["guardduty", "trials"] == 2
    assert table.loc["guardduty", "techniques"] == 1  # one technique: the trials resampled
    assert (
        table.loc["guardduty", "median_ci_low_s"]
        <= 500.0
        <= table.loc["guardduty", "median_ci_high_s"]
    )
