"""When in the week each trial's attack lands.

A staffing profile (business hours, a student who checks mail twice a day, 24x7) differs only at
nights and weekends, so where injections land decides what a run can say about the person. Modes:

- ``uniform-week`` (default): uniform over the seven days after the trial's start;
- ``business-hours``: uniform over Monday to Friday, 09:00-17:00 (the scenario's clock, UTC),
  within those seven days;
- ``off-hours``: uniform over the rest of the week (nights and weekends);
- ``fixed``: the trial's start plus ``settle_s`` plus a phase within ``injection_window_s`` (the
  lab's behaviour before the modes: every attack at the same time of day).

Every mode keeps a uniform phase within the injection window (against the polling detectors), and
draws from the trial's common stream, so trial k is attacked at the same moment in every
architecture (common random numbers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

InjectionMode = Literal["uniform-week", "business-hours", "off-hours", "fixed"]
INJECTION_MODES: tuple[str, ...] = InjectionMode.__args__  # type: ignore[attr-defined]
WEEK_S = 7 * 86_400
BUSINESS_DAYS = range(0, 5)  # Monday to Friday (datetime.weekday)
BUSINESS_HOURS = (9 * 3600, 17 * 3600)  # 09:00-17:00, seconds after midnight


@dataclass(frozen=True)
class Injection:
    """A trial's clock: the simulation starts at ``epoch`` and the attack lands ``delay_s`` later."""

    epoch: datetime
    delay_s: float

    @property
    def moment(self) -> datetime:
        return self.epoch + timedelta(seconds=self.delay_s)


def is_business_hours(moment: datetime) -> bool:
    """Monday to Friday, 09:00 to 17:00 (the moment's own time zone)."""
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    return moment.weekday() in BUSINESS_DAYS and BUSINESS_HOURS[0] <= seconds < BUSINESS_HOURS[1]


def _intervals(start: datetime, business: bool) -> list[tuple[float, float]]:
    """The business (or off) hours of the week after ``start``, as offsets in seconds."""
    edges = [0.0]
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(9):
        for boundary in BUSINESS_HOURS:
            offset = (day + timedelta(days=d, seconds=boundary) - start).total_seconds()
            if 0 < offset < WEEK_S:
                edges.append(offset)
    edges.append(float(WEEK_S))
    edges.sort()
    pieces = []
    for lo, hi in itertools.pairwise(edges):
        if hi > lo and is_business_hours(start + timedelta(seconds=(lo + hi) / 2)) == business:
            pieces.append((lo, hi))
    return pieces


def _uniform_over(pieces: list[tuple[float, float]], u: float) -> float:
    """The point at fraction ``u`` of the total length of ``pieces``."""
    total = sum(hi - lo for lo, hi in pieces)
    target = u * total
    for lo, hi in pieces:
        if target <= hi - lo:
            return lo + target
        target -= hi - lo
    return pieces[-1][1]


def draw_injection(
    mode: str,
    trial_start: datetime,
    settle_s: float,
    window_s: float,
    rng: np.random.Generator,
) -> Injection:
    """Trial ``trial_start``'s clock under ``mode``; ``rng`` is the trial's common stream."""
    phase = float(rng.uniform(0, window_s))
    if mode == "fixed":
        return Injection(trial_start, settle_s + phase)
    u = float(rng.uniform(0, 1))
    if mode == "uniform-week":
        offset = u * WEEK_S
    elif mode in ("business-hours", "off-hours"):
        offset = _uniform_over(_intervals(trial_start, mode == "business-hours"), u)
    else:
        raise ValueError(f"unknown injection mode {mode!r}; one of {list(INJECTION_MODES)}")
    moment = trial_start + timedelta(seconds=offset)
    # The services run settle_s before the attack, and the phase against the detectors' schedule
    # stays uniform: the epoch moves, the attack stays where it was drawn.
    return Injection(moment - timedelta(seconds=settle_s + phase), settle_s + phase)
