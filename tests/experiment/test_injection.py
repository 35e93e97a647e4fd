"""Injection modes draw each trial's attack where they say, the same for every architecture."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.experiment.injection import WEEK_S, draw_injection, is_business_hours

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


def moments(mode: str, n: int = 400, start: datetime = START) -> list[datetime]:
    rng = np.random.default_rng(7)
    return [draw_injection(mode, start, 600, 300, rng).moment for _ in range(n)]


def test_business_hours_lands_on_weekdays_between_nine_and_five():
    drawn = moments("business-hours")
    assert all(is_business_hours(m) for m in drawn)
    assert {m.weekday() for m in drawn} == {0, 1, 2, 3, 4}


def test_off_hours_lands_at_nights_and_weekends_only():
    drawn = moments("off-hours")
    assert not any(is_business_hours(m) for m in drawn)
    assert {5, 6} <= {m.weekday() for m in drawn}
    assert any(m.hour < 9 for m in drawn) and any(m.hour >= 17 for m in drawn)


def test_uniform_week_covers_the_week_in_proportion():
    drawn = moments("uniform-week", n=2000)
    assert all(START <= m < START + timedelta(seconds=WEEK_S) for m in drawn)
    weekend = sum(m.weekday() >= 5 for m in drawn) / len(drawn)
    assert 2 / 7 - 0.05 < weekend < 2 / 7 + 0.05
    business = sum(is_business_hours(m) for m in drawn) / len(drawn)
    assert 40 / 168 - 0.05 < business < 40 / 168 + 0.05


def test_fixed_keeps_every_attack_after_the_settle_within_the_window():
    rng = np.random.default_rng(1)
    for _ in range(50):
        injection = draw_injection("fixed", START, 600, 300, rng)
        assert injection.epoch == START and 600 <= injection.delay_s < 900


@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(["uniform-week", "business-hours", "off-hours"]),
    start_h=st.floats(0, 24 * 14),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_attack_lands_at_the_drawn_moment_after_the_settle(mode, start_h, seed):
    start = START + timedelta(hours=start_h)
    injection = draw_injection(mode, start, 600, 300, np.random.default_rng(seed))
    assert 600 <= injection.delay_s < 900
    assert start <= injection.moment <= start + timedelta(seconds=WEEK_S)
    if mode != "uniform-week":
        assert is_business_hours(injection.moment) == (mode == "business-hours")


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="uniform-week"):
        draw_injection("sometimes", START, 600, 300, np.random.default_rng(0))
