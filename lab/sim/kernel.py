"""The virtual clock of one trial and the wiring from the account's API log to the services.

Real API calls happen inside SimPy process steps; the recorder stamps them with ``now`` in virtual
time. After each real action, ``pump()`` hands the new records to every subscribed service, which
reacts by scheduling its own processes with calibrated delays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import simpy
import simpy.rt

from lab import interrupt
from lab.emulator.endpoints import Endpoints
from lab.emulator.recorder import ApiCallRecorder, format_event_time
from lab.seeds import stable_key
from lab.sim.calibration import Calibration

Record = dict[str, Any]
Listener = Callable[[Record], None]


# The extra key of the background load's streams (a run without background draws none of them).
BACKGROUND_STREAM = 0xB6


def substream(rng: np.random.Generator, *key: int) -> np.random.Generator:
    """A stream of its own under ``rng``'s seed, for ``key`` (the same key gives the same draws)."""
    seeds = rng.bit_generator.seed_seq
    return np.random.default_rng(
        np.random.SeedSequence(seeds.entropy, spawn_key=(*seeds.spawn_key, *key))  # type: ignore[attr-defined]
    )


class _Interruptible:
    """Ctrl-C checked before every step of a SimPy environment (``lab.interrupt``)."""

    def step(self) -> None:
        interrupt.check()
        super().step()  # type: ignore[misc]


class Environment(_Interruptible, simpy.Environment):
    """SimPy's environment (virtual time), interruptible."""


class RealtimeEnvironment(_Interruptible, simpy.rt.RealtimeEnvironment):
    """SimPy's real-time environment (the stand-in's clock), interruptible."""

    def wall_now(self) -> float:
        """The simulated moment of the wall clock now. ``now`` stays at the last event processed
        while the environment sleeps towards the next, when calls from outside (a student's CLI)
        arrive; their moment lies between the two, which keeps every record in order."""
        ahead = self.env_start + (time.monotonic() - self.real_start) / self.factor
        try:
            following = self.peek()
        except IndexError:  # the queue changed under this thread's feet: the last event's moment
            following = self.now
        return float(max(self.now, min(ahead, following)))


@dataclass
class Simulation:
    """One trial in virtual time: clock, random stream, timeline and record routing."""

    endpoints: Endpoints
    recorder: ApiCallRecorder
    calibration: Calibration
    rng: np.random.Generator
    epoch: datetime
    labels: dict[str, Any] = field(default_factory=dict)
    env: simpy.Environment = field(default_factory=Environment)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    _listeners: list[Listener] = field(default_factory=list)
    _log_hooks: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    _streams: dict[tuple[int, int], np.random.Generator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.recorder.drain()  # calls made before the trial are not part of it
        self.recorder.clock = self.now_datetime

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Seconds since the trial's epoch."""
        return float(self.env.now)

    def now_datetime(self) -> datetime:
        return self.datetime_at(self.env.now)

    def datetime_at(self, seconds: float) -> datetime:
        """The wall-clock moment of virtual ``seconds``."""
        return (self.epoch + timedelta(seconds=seconds)).astimezone(UTC)

    def epoch_ms(self, seconds: float) -> int:
        """Milliseconds since 1970 of virtual ``seconds`` (CloudWatch timestamps)."""
        return int(self.epoch.timestamp() * 1000 + seconds * 1000)

    def at(self, seconds: float) -> str:
        return format_event_time(self.epoch + timedelta(seconds=seconds))

    def draw(self, stage: str, cron: bool = False, background: bool = False) -> float:
        """A delay for ``stage`` from the calibration, in seconds, from the stage's own stream.

        Each stage draws from its own stream (derived from the trial's seed and the stage's name),
        and what the monitoring cron's own calls cause (``cron``) from a stream of their own: how
        many detector runs the cron executes (``lab.sim.cron`` skips those that cannot answer
        differently) then changes no other delay of the trial. What the background load causes
        (``background``) draws from streams of its own too: the attack's own delays are the same
        draws at every load (common random numbers across a load sweep's points)."""
        return self.calibration.stage(stage).sample(self.stream(stage, cron, background))

    def stream(
        self, name: str, cron: bool = False, background: bool = False
    ) -> np.random.Generator:
        """The random stream ``name`` of this trial (the same name gives the same draws)."""
        key = (stable_key(name), int(cron), *((BACKGROUND_STREAM,) if background else ()))
        if key not in self._streams:
            self._streams[key] = substream(self.rng, *key)
        return self._streams[key]

    # -- records ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def pump(
        self, concurrent: bool = False, background: bool = False, cron: bool = False
    ) -> list[Record]:
        """Route every record made since the last pump to the subscribed services.

        ``background``: the records were caused by the background load (a responder acting on a
        background event), so what they cause is background too, never the trial's detection.

        ``concurrent``: the records come from processes that ran at once, so their arrival order is
        an accident of scheduling; they are routed in a canonical order instead, which keeps a run
        reproducible (each process's own calls are complete by then, so no causality is lost).

        ``cron``: the records are the monitoring cron's detector calls; the delays they cause are
        drawn from the cron's own streams (see ``draw``).
        """
        records = self.recorder.drain()
        if concurrent:
            records.sort(
                key=lambda r: (
                    r["eventSource"],
                    r["eventName"],
                    json.dumps(r.get("requestParameters"), sort_keys=True, default=str),
                )
            )
        for record in records:
            lab = record.setdefault("lab", {})
            if background:
                lab["background"] = True
            if cron:
                lab["cron"] = True
            if not lab.get("observer"):
                self.log(
                    "api_call",
                    actor=lab.get("actor"),
                    event_source=record["eventSource"],
                    event_name=record["eventName"],
                    error=record.get("errorCode"),
                    **({"background": True} if lab.get("background") else {}),
                )
            for listener in list(self._listeners):
                listener(record)
        return records

    def on_log(self, hook: Callable[[dict[str, Any]], None]) -> None:
        """Call ``hook(event)`` for every timeline event from now on."""
        self._log_hooks.append(hook)

    def responded(self, source: str) -> None:
        """A responder (Lambda, person) finished acting on the account now."""
        self.log("responder.finished", source=source)

    def detected(
        self, kind: str, source: str, background: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """The one way a service reports a detection: ``source`` names the path (``alarm:<name>``,
        ``guardduty:<type>``...). One caused by the background load is logged as background, never
        as the trial's detection."""
        flag = {"background": True} if background else {"detection": True}
        return self.log(kind, **fields, source=source, **flag)

    # -- timeline --------------------------------------------------------------------------
    def log(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one event to the trial's timeline (and return it)."""
        event = {
            **self.labels,
            "t_s": round(self.now, 6),
            "time": self.at(self.now),
            "kind": kind,
            **fields,
        }
        self.timeline.append(event)
        for hook in list(self._log_hooks):
            hook(event)
        return event

    def first(
        self, predicate: Callable[[dict[str, Any]], bool], after_s: float = 0.0
    ) -> dict[str, Any] | None:
        return next((e for e in self.timeline if e["t_s"] >= after_s and predicate(e)), None)
