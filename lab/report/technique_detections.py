"""Which detections of the shared list (``lab/detections/catalog.yaml``) a technique's calls match.

A technique's CloudTrail records, as EventBridge delivers them (``as_eventbridge_event``: data
events and the observer's reads never reach it), are held against each detection's event pattern
with the simulated bus's matcher. What the list catches is then a fact computed from the list and
the calls, not a sentence to keep in step by hand: each technique's metadata declares it
(``shared_detections``) and a test detonates every technique to hold the declaration to this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lab.attacks.base import Technique
from lab.detections import Detection, load
from lab.emulator import EmulatorServer
from lab.emulator.recorder import DATA_EVENTS
from lab.sim.cloudtrail import as_eventbridge_event
from lab.sim.event_patterns import event_pattern_matches


def matching_detections(
    records: Iterable[dict[str, Any]], detections: Iterable[Detection] | None = None
) -> tuple[str, ...]:
    """The ids of the detections (the shared list by default) whose pattern matches one of
    ``records`` (CloudTrail records) as EventBridge receives it, in the list's order."""
    events = [
        as_eventbridge_event(r)
        for r in records
        if (r["eventSource"], r["eventName"]) not in DATA_EVENTS
        and not r.get("lab", {}).get("observer")
    ]
    return tuple(
        d.id
        for d in (load() if detections is None else detections)
        if any(event_pattern_matches(d.pattern, e) for e in events)
    )


def detonation_detections(technique: Technique, emulator: EmulatorServer) -> tuple[str, ...]:
    """Warm ``technique`` up in the emulated account, detonate it, and return the detections its
    detonation's calls match (the warm-up's and the clean-up's calls are the harness's, not the
    attack's); the account is cleaned up after."""
    endpoints = emulator.endpoints
    prerequisites = technique.warm_up(endpoints)
    seen = len(emulator.recorder.records())
    try:
        technique.detonate(endpoints, prerequisites)
        return matching_detections(emulator.recorder.records()[seen:])
    finally:
        technique.revert(endpoints, prerequisites)
        technique.cleanup(endpoints, prerequisites)
