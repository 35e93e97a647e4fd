"""The one trial row: what a target observed of a trial, turned into a ``trials.csv`` row by the
same outcome rules for every target (emulated in virtual time, stand-in, real account)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Observation:
    """What a target saw of one trial. Times are seconds on the trial's clock (virtual seconds
    since the trial's epoch, or wall seconds since the detonation); ``None``: never happened."""

    labels: dict[str, Any]  # technique, architecture, trial
    at: Callable[[float], str]  # a time on the trial's clock as an ISO instant
    injected_s: float | None = None
    detected_s: float | None = None
    alerted_s: float | None = None
    remediated_s: float | None = None
    detection_source: str | None = None
    remediated_by: str | None = None
    error: str | None = None

    @property
    def outcome(self) -> str:
        """failed (broke, or never injected) > remediated > detected only > missed."""
        if self.error or self.injected_s is None:
            return "failed"
        if self.remediated_s is not None:
            return "remediated"
        if self.detected_s is not None or self.alerted_s is not None:
            return "detected only"
        return "missed"


def trial_row(observation: Observation, seed: int) -> dict[str, Any]:
    """The trial's row of ``trials.csv`` (columns: ``lab.experiment.store.TRIAL_COLUMNS``)."""
    o = observation
    injected = o.injected_s

    def at(seconds: float | None) -> str | None:
        return o.at(seconds) if seconds is not None else None

    def since(seconds: float | None) -> float | None:
        if seconds is None or injected is None:
            return None
        return round(seconds - injected, 3)

    return {
        **o.labels,
        "seed": seed,
        "outcome": o.outcome,
        "injected_at": at(injected),
        "detected_at": at(o.detected_s),
        "alerted_at": at(o.alerted_s),
        "remediated_at": at(o.remediated_s),
        "time_to_detect_s": since(o.detected_s),
        "time_to_alert_s": since(o.alerted_s),
        "time_to_remediate_s": since(o.remediated_s),
        "detection_source": o.detection_source,
        "remediated_by": o.remediated_by,
        "error": o.error,
    }
