"""CloudTrail event history (what ``LookupEvents`` answers) in virtual time: a call appears there
after CloudTrail's event-history delay, not at once.

The emulator's recorder keeps a new record out of LookupEvents' answers while a simulation runs
(``ApiCallRecorder.history_delayed``); this service draws each record's delay (the calibration's
``cloudtrail_event_history_s``) when the record is routed and reveals it at ``eventTime`` plus the
delay. A detector that polls LookupEvents (the manual baseline's root-activity cron) sees the call
only after it. What the cron's own calls cause is drawn from the cron's streams, as everywhere.
"""

from __future__ import annotations

from lab.sim.kernel import Record, Simulation

STAGE = "cloudtrail_event_history_s"


class EventHistory:
    """Reveals each recorded call in CloudTrail event history after its delay."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        self.recorder = sim.recorder
        self.recorder.reveal_all()  # a previous simulation's calls are long visible
        self.recorder.history_delayed = True
        sim.subscribe(self.on_record)

    def on_record(self, record: Record) -> None:
        lab = record.get("lab") or {}
        if not lab.get("history_pending"):
            return
        delay_s = self.sim.draw(STAGE, bool(lab.get("cron")))
        self.sim.env.process(self._reveal(record, delay_s))

    def _reveal(self, record: Record, delay_s: float):
        yield self.sim.env.timeout(delay_s)
        self.recorder.reveal(record)

    def close(self) -> None:
        """The simulation ends: every pending call appears, and new calls appear at once again."""
        self.recorder.history_delayed = False
        self.recorder.reveal_all()
