"""The assumptions sweep's reference blocks (``lab.report.assumptions_blocks``), on a kept run of
known trials: the time to remediate along the read delay with each architecture's break-even,
every delay's swing and the conclusions, and the two figures as ``lab assumptions`` draws them."""

from __future__ import annotations

from lab.report import assumptions_blocks
from lab.report.reference import KeptRun
from tests.report.test_assumptions import POINTS, SCENARIO, _trials


def _run() -> KeptRun:
    return KeptRun("assumptions", {"scenario": SCENARIO}, _trials(POINTS))


def test_the_response_to_the_read_delay_ends_with_each_architectures_break_even():
    table = assumptions_blocks.delay_response(_run())
    manual = table[table["architecture"] == "manual"].set_index("read delay")
    # Kaplan-Meier medians along the read delay (the typing time at its baseline).
    assert manual.loc[["x0.5", "x1", "x4"], "median TTR (KM)"].tolist() == [
        "350 s",
        "700 s",
        "3,500 s",
    ]
    assert manual.loc["x4", "remediated"] == "60%" and manual.loc["x4", "p90 TTR (KM)"] == (
        "not reached"
    )
    # 700 s at x1 and 3,500 s at x4: a 900 s median at x1 + 200 / 2,800 * 3 = x1.21.
    assert manual.loc["break-even", "median TTR (KM)"] == "within 900 s up to x1.21"
    serverless = table[table["architecture"] == "serverless"].set_index("read delay")
    assert serverless.loc["break-even", "median TTR (KM)"] == "within 900 s at every swept value"


def test_each_delays_swing_comes_largest_first_then_what_holds():
    table = assumptions_blocks.effects(_run())
    manual = table[table["architecture"] == "manual"]
    assert manual["delay"].tolist() == ["read_alert_s", "runbook_command_s"]
    read = manual.iloc[0]
    assert (read["swept"], read["at lowest"], read["at highest"], read["swing"]) == (
        "x0.5 to x4",
        "350 s",
        "3,500 s",
        "3,150 s",
    )
    assert table["swept"].iloc[-1] == (
        "serverless remediates faster than manual (median) at every point: holds."
    )


def test_the_figures_are_the_commands_own_and_only_their_png_is_kept(tmp_path):
    for name, draw in (
        ("delay-response", assumptions_blocks.delay_figure),
        ("tornado", assumptions_blocks.tornado_figure),
    ):
        path = tmp_path / f"{name}.png"
        draw(_run(), "stamp", path)
        assert path.stat().st_size > 10_000
        assert [p.name for p in tmp_path.glob(f"{name}.*")] == [path.name]
