"""Tables as printed: never NaN."""

import numpy as np
import pandas as pd

from lab.report.readable import readable


def test_nan_is_spelled_out_and_numbers_rounded():
    table = pd.DataFrame(
        {
            "technique": ["t", None],
            "n": [3, 3],
            "km_median_s": [12.345, np.nan],
            "p_value": [0.000001, 0.04321],
            "ratio": [0.12345, np.nan],
        }
    )
    shown = readable(table)
    assert shown["technique"].tolist() == ["t", "-"]
    assert shown["km_median_s"].tolist() == [12.3, "not reached"]
    assert shown["p_value"].tolist() == ["< 0.0001", 0.0432]
    assert shown["ratio"].tolist() == [0.123, "-"]
    assert shown["n"].tolist() == [3, 3]
    assert not shown.astype(str).apply(lambda c: c.str.lower().eq("nan")).any().any()
