"""The account's everyday activity during a trial: the synthetic CloudTrail stream
(``lab.sim.synthetic``) delivered through the deployed trail in batches, like any call, to
EventBridge (rules match it and invoke their targets: real Lambda runs, competing for concurrency)
and to the trail's log group (metric filters and alarms see it). Everything it causes is marked
``background``: an alarm it alone sets off or a rule it matches is logged and acted on, never the
trial's detection. It does not reach the GuardDuty and Config models (their inputs are the
account's real calls and resources)."""

from __future__ import annotations

import math

from lab.seeds import derived_seed
from lab.sim.cloudtrail import CloudTrail
from lab.sim.kernel import Simulation
from lab.sim.synthetic import stream

CHUNK_S = 600.0  # the stream is drawn ten minutes at a time, so a short trial draws little
BATCH_S = 10.0  # records that arrive within these seconds are delivered together


class BackgroundLoad:
    """Feeds ``events_per_day`` synthetic management events into ``cloudtrail`` as time passes."""

    def __init__(self, sim: Simulation, cloudtrail: CloudTrail, events_per_day: float, seed: int):
        self.sim = sim
        self.cloudtrail = cloudtrail
        self.events_per_day = events_per_day
        self.seed = seed
        self.delivered = 0
        if events_per_day > 0:
            sim.env.process(self._run())

    def _run(self):
        chunk = 0
        while True:
            start = chunk * CHUNK_S
            chunk_seed = derived_seed(self.seed, chunk)
            batches: dict[int, list] = {}
            for t, record in stream(
                self.events_per_day,
                self.sim.datetime_at(start),
                CHUNK_S,
                chunk_seed,
                region=self.sim.endpoints.region,
            ):
                batches.setdefault(math.floor(t / BATCH_S), []).append(record)
            for index in sorted(batches):
                due = start + (index + 1) * BATCH_S
                if due > self.sim.now:
                    yield self.sim.env.timeout(due - self.sim.now)
                self.cloudtrail.record_background(batches[index])
                self.delivered += len(batches[index])
            end = start + CHUNK_S
            if end > self.sim.now:
                yield self.sim.env.timeout(end - self.sim.now)
            chunk += 1
