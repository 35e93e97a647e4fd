"""Where the time goes: stage moments read from a timeline, their medians, and the waterfall."""

import json

from lab.report.stage_figures import stage_waterfall
from lab.report.stages import stage_table, stage_times


def _event(trial, kind, t_s, **fields):
    return {
        "technique": "t",
        "architecture": "manual",
        "trial": trial,
        "kind": kind,
        "t_s": t_s,
        **fields,
    }


def test_each_stage_is_the_first_event_after_the_injection_and_background_is_not_the_trials(
    tmp_path,
):
    events = []
    for k, delay in enumerate((10.0, 20.0, 30.0)):
        events += [
            _event(k, "cron.ran", 50.0),  # before the injection: not the trial's
            _event(k, "technique.detonated", 100.0),
            _event(k, "detector.alerted", 100.0 + delay, detection=True, background=True),
            _event(k, "cron.ran", 100.0 + delay),
            _event(k, "detector.alerted", 100.0 + delay, detection=True, source="cron:x"),
            _event(k, "sns.delivered", 110.0 + delay, alert=True),
            _event(k, "operator.read_alert", 400.0 + delay),
            _event(k, "technique.remediated", 900.0 + delay),
        ]
    events.append(_event(3, "technique.detonated", 100.0))  # a trial that got nowhere
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    times = stage_times(tmp_path).set_index("trial")
    assert times.loc[1].to_dict() == {
        "technique": "t",
        "architecture": "manual",
        "first log delivered": 20.0,
        "detected": 20.0,
        "alert delivered": 30.0,
        "response started": 320.0,
        "remediated": 820.0,
    }
    table = stage_table(times.reset_index()).set_index("stage")
    assert table.loc["detected", "median_s"] == 20.0
    assert (table.loc["remediated", "reached"], table.loc["remediated", "trials"]) == (3, 4)
    png, pdf = stage_waterfall(table.reset_index(), tmp_path / "waterfall")
    assert png.stat().st_size > 10_000 and pdf.exists()
