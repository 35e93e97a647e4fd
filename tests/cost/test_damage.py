"""The damage figures: one per severity, each labelled with its status and reasoning, positive (an
attack left in place costs something), with a sweep that holds the figures as written."""

import pytest
import yaml
from pydantic import ValidationError

from lab.cost.damage import DAMAGE_FILE, Damage, damage


def test_every_severity_has_a_labelled_positive_figure():
    rates = damage()
    assert set(rates.usd_per_hour) == {"low", "medium", "high", "critical"}
    for figure in rates.usd_per_hour.values():
        assert figure.value > 0 and figure.status == "assumption" and figure.source
    ordered = [rates.usd_per_hour[s].value for s in ("low", "medium", "high", "critical")]
    assert ordered == sorted(ordered)
    assert 1 in rates.sweep and min(rates.sweep) < 1 < max(rates.sweep)
    assert rates.usd("high", 1800, scale=2) == pytest.approx(rates.usd_per_hour["high"].value)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["usd_per_hour"].pop("low"), "lacks low"),
        (lambda d: d["usd_per_hour"]["high"].update(value=0), "greater than 0"),
        (lambda d: d.update(sweep=[0.5, 2]), "must hold 1"),
    ],
)
def test_a_file_missing_a_severity_a_zero_or_the_baseline_is_refused(change, message):
    data = yaml.safe_load(DAMAGE_FILE.read_text())
    change(data)
    with pytest.raises(ValidationError, match=message):
        Damage.model_validate(data)
