"""The reference blocks of the assumptions sweep (``scenarios/assumptions.yaml``): the time to
remediate against the person's read delay with each architecture's break-even, every assumed
delay's effect (the tornado's numbers), which conclusions hold, and the two figures, all from the
kept run through ``lab.report.assumptions`` (what ``lab assumptions`` prints and draws)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lab.experiment.results import SWEEP_COLUMN_PREFIX
from lab.report import assumptions
from lab.report.style import architecture_order

if TYPE_CHECKING:
    from lab.report.reference import KeptRun

# The delay the response figure and the break-even follow (the one swept at the most values).
READ_DELAY = SWEEP_COLUMN_PREFIX + "calibration.operators.on-call.read_alert_s.scale"
TARGET_S = assumptions.DEFAULT_TARGET_S


def _estimates(run: KeptRun) -> pd.DataFrame:
    return assumptions.estimates(run.trials, run.manifest.get("scenario", {}))


def _by_arm(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    """``frame`` sorted by ``by``, the architectures in the report's order among equals."""
    order = architecture_order(frame["architecture"])
    ranked = frame.assign(_arm=frame["architecture"].map(order.index))
    return ranked.sort_values([*by, "_arm"], ascending=[*ascending, True])


def delay_response(run: KeptRun) -> pd.DataFrame:
    """Per read delay (x its baseline, the other delays at theirs) and architecture: trials,
    share remediated in the window, Kaplan-Meier median and p90 time to remediate; then each
    architecture's break-even read delay for a median within the 15-minute target."""
    table = _estimates(run)
    line = _by_arm(assumptions.along(table, READ_DELAY), [READ_DELAY], [True])
    rows = [
        {
            "read delay": f"x{row.value:g}",
            "architecture": row.architecture,
            "trials": row.trials,
            "remediated": f"{row.remediated:.0%}",
            "median TTR (KM)": assumptions.seconds(row.median_s),
            "p90 TTR (KM)": assumptions.seconds(row.p90_s),
        }
        for row in line.rename(columns={READ_DELAY: "value"}).itertuples()
    ]
    for architecture in architecture_order(table["architecture"]):
        even = assumptions.break_even(table, READ_DELAY, architecture, TARGET_S)
        rows.append(
            {
                "read delay": "break-even",
                "architecture": architecture,
                "trials": "",
                "remediated": "",
                "median TTR (KM)": (
                    f"within {TARGET_S:,.0f} s {assumptions.break_even_words(even, 'up to x{:.2f}')}"
                ),
                "p90 TTR (KM)": "",
            }
        )
    return pd.DataFrame(rows)


def effects(run: KeptRun) -> pd.DataFrame:
    """Each assumed delay's effect on the median time to remediate, from its lowest to its
    highest swept value (the others at their baselines), largest swing first: the tornado's
    bars; then which ordering of the architectures holds at every point."""
    table = _estimates(run)
    frame = assumptions.effects(table)
    order = architecture_order(frame["architecture"])
    frame = frame.assign(_arm=frame["architecture"].map(order.index)).sort_values(
        ["_arm", "swing_s", "key"], ascending=[True, False, True]
    )
    rows = [
        {
            "delay": row.key.removesuffix(".scale").split(".")[-1],
            "architecture": row.architecture,
            "swept": f"x{row.low_value:g} to x{row.high_value:g}",
            "median at baseline": assumptions.seconds(row.baseline_s),
            "at lowest": assumptions.seconds(row.at_low_s),
            "at highest": assumptions.seconds(row.at_high_s),
            "swing": assumptions.seconds(row.swing_s),
        }
        for row in frame.itertuples()
    ]
    rows += [
        {"delay": "conclusion", "architecture": "", "swept": text}
        for text in assumptions.conclusions(table)
    ]
    return pd.DataFrame(rows).fillna("")


def _png_only(drawn: list[Path], path: Path) -> None:
    for file in drawn:
        if file != path:
            file.unlink()


def delay_figure(run: KeptRun, _: str, path: Path) -> None:
    """``lab assumptions``'s delay-response figure of the kept run; only its PNG is kept."""
    drawn = assumptions.delay_figure(_estimates(run), READ_DELAY, TARGET_S, path.with_suffix(""))
    _png_only(drawn, path)


def tornado_figure(run: KeptRun, _: str, path: Path) -> None:
    """``lab assumptions``'s tornado chart of the kept run; only its PNG is kept."""
    drawn = assumptions.tornado_figure(assumptions.effects(_estimates(run)), path.with_suffix(""))
    _png_only(drawn, path)
