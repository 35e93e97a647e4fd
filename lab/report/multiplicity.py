"""Many comparisons, one family: p-values adjusted by Holm's step-down method (the family-wise
error) and by Benjamini-Hochberg's (the false discovery rate), over a family the report names.
statsmodels' ``multipletests`` does the arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests


def adjust(p_values: pd.Series) -> pd.DataFrame:
    """``p_holm`` and ``p_bh`` for each p-value of one family (NaN stays NaN and is not counted)."""
    values = p_values.to_numpy(dtype=float)
    holm = np.full(len(values), np.nan)
    bh = np.full(len(values), np.nan)
    finite = np.isfinite(values)
    if finite.any():
        holm[finite] = multipletests(values[finite], method="holm")[1]
        bh[finite] = multipletests(values[finite], method="fdr_bh")[1]
    return pd.DataFrame({"p_holm": holm, "p_bh": bh}, index=p_values.index)


def family_size(p_values: pd.Series) -> int:
    """How many tests the family holds (those with a p-value)."""
    return int(np.isfinite(p_values.to_numpy(dtype=float)).sum())
