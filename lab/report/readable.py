"""Tables as a reader sees them: numbers rounded, and never NaN. A time that a Kaplan-Meier curve
never reached says "not reached"; a p-value below what four places show says so; a cell with
nothing to show says "-"."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

NOT_REACHED = "not reached"
P_FLOOR = 1e-4


def readable(table: pd.DataFrame, seconds_digits: int = 1, digits: int = 3) -> pd.DataFrame:
    """``table`` for print: seconds (``*_s``) to ``seconds_digits`` places, "not reached" where
    NaN; p-values (``p_*``) to four places, "< 0.0001" below that; counts as integers; other
    numbers to ``digits`` places; every other NaN "-"."""
    shown = table.copy()
    for column in shown.columns:
        shown[column] = [
            _cell(str(column), value, seconds_digits, digits) for value in table[column]
        ]
    return shown


def _cell(column: str, value: object, seconds_digits: int, digits: int) -> object:
    if value is None or (isinstance(value, numbers.Real | type(pd.NaT)) and pd.isna(value)):
        return NOT_REACHED if column.endswith("_s") else "-"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return value
    if column.startswith("p_") or column == "p_value":
        return f"< {P_FLOOR:g}" if value < P_FLOOR else round(float(value), 4)
    if column.endswith("_s"):
        return round(float(value), seconds_digits)
    if float(value).is_integer():
        return int(value)
    return round(float(value), digits)
