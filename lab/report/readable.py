"""Tables as a reader sees them: numbers rounded, and never NaN. A time that a Kaplan-Meier curve
never reached says "not reached"; a cell with nothing to show says "-"."""

from __future__ import annotations

import numpy as np
import pandas as pd

NOT_REACHED = "not reached"


def readable(table: pd.DataFrame, digits: int = 1, p_digits: int = 4) -> pd.DataFrame:
    """``table`` rounded (``digits``; p-values ``p_digits``) with every NaN spelled out: columns of
    seconds (``*_s``) say "not reached", the rest "-"."""
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            shown[column] = values.astype(object).where(values.notna(), "-")
            continue
        places = p_digits if column.startswith("p_") or column.endswith("p_value") else digits
        missing = NOT_REACHED if str(column).endswith("_s") else "-"
        rounded = values.astype(float).round(places)
        integral = bool(np.all(np.mod(rounded.dropna(), 1) == 0)) and places == digits
        shown[column] = [
            missing if pd.isna(v) else (int(v) if integral and _is_count(column) else v)
            for v in rounded
        ]
    return shown


def _is_count(column: str) -> bool:
    return not str(column).endswith("_s")
