"""Trials in wall-clock time, observed from outside as on a real account: no simulator decides
anything, probes watch what happened.

- Alerts: an SQS queue (tagged with the run) subscribed to every SNS topic of the run; each message
  is an alert, timed when it arrives (its ``SentTimestamp`` on AWS).
- Remediation: the technique's own ``is_remediated`` check, polled; the fix's time is the last
  write CloudTrail ``LookupEvents`` has between the poll that still saw the attack and the one that
  saw it undone (else the poll's time).
- Injection: the detonating call's ``eventTime`` from ``LookupEvents`` when CloudTrail has it
  (else the moment the call returned).
- The person: the lab's one on-call person (``lab.sim.operator``) on the wall clock reads the
  probe's alerts and, after the staffing profile's delays, runs the runbook an alert names;
  ``prompt`` asks you instead.

On a real account AWS does the detecting. On the emulated stand-in (tests, rehearsal) nothing in
moto would, so the lab's simulated services play AWS in real time (SimPy's real-time environment,
``time_factor`` wall seconds per simulated second); times are then reported in simulated seconds.
Detection is not observable from outside: the detection columns carry the first alert.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lab import interrupt
from lab.attacks.lifecycle import TechniqueRun
from lab.emulator.endpoints import Endpoints
from lab.paths import RUNBOOKS_DIR
from lab.sim.calibration import Calibration, OperatorProfile
from lab.sim.operator import WallClockPerson


@dataclass
class Alert:
    at_s: float  # seconds since the trial's injection, on the run's clock
    subject: str
    message: str


@dataclass
class AlertProbe:
    """An SQS queue subscribed to the run's SNS topics."""

    endpoints: Endpoints
    queue_url: str
    subscriptions: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, endpoints: Endpoints, run_id: str, topics: list[str]) -> AlertProbe:
        sqs = endpoints.client("sqs", "harness")
        name = f"lab-probe-{uuid.uuid4().hex[:8]}"
        url = sqs.create_queue(
            QueueName=name,
            tags={"lab:project": "aws-serverless-security-monitoring", "lab:run-id": run_id},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topics}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        sns = endpoints.client("sns", "harness")
        subscriptions = [
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
            for topic in topics
        ]
        return cls(endpoints, url, subscriptions)

    def receive(self) -> list[tuple[float | None, str, str]]:
        """Messages waiting now: (sent time in epoch seconds, subject, message)."""
        sqs = self.endpoints.client("sqs", "observer")
        out = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp"]
            )
            messages = answer.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                body = json.loads(message["Body"])
                sent = message.get("Attributes", {}).get("SentTimestamp")
                out.append(
                    (
                        int(sent) / 1000 if sent else None,
                        body.get("Subject") or "",
                        body.get("Message") or "",
                    )
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def delete(self) -> None:
        sns = self.endpoints.client("sns", "harness")
        for subscription in self.subscriptions:
            with contextlib.suppress(Exception):
                sns.unsubscribe(SubscriptionArn=subscription)
        with contextlib.suppress(Exception):
            self.endpoints.client("sqs", "harness").delete_queue(QueueUrl=self.queue_url)


def run_topics(endpoints: Endpoints, run_id: str) -> list[str]:
    """The SNS topics tagged with ``run_id`` (the architectures' alert topics)."""
    tagging = endpoints.client("resourcegroupstaggingapi", "observer")
    found = tagging.get_resources(
        TagFilters=[{"Key": "lab:run-id", "Values": [run_id]}], ResourceTypeFilters=["sns"]
    )["ResourceTagMappingList"]
    return sorted(r["ResourceARN"] for r in found)


@dataclass
class StandIn:
    """The simulated services playing AWS in real time on the emulated stand-in account."""

    sim: Any
    services: Any

    @classmethod
    def start(
        cls,
        emulator: Any,
        calibration: Calibration,
        operator: OperatorProfile,
        workdir: Path,
        seed: int,
        time_factor: float,
        person_reads_mail: bool = False,
        labels: dict[str, Any] | None = None,
    ) -> StandIn:
        """The account's simulated services on the wall clock (``time_factor`` wall seconds per
        simulated second); ``person_reads_mail``: the simulated on-call person acts on the
        e-mails (``lab live``), else someone outside does (the probes' person, a student)."""
        from lab.sim.kernel import RealtimeEnvironment, Simulation
        from lab.sim.services import start_services

        env = RealtimeEnvironment(factor=time_factor, strict=False)
        sim = Simulation(
            emulator.endpoints,
            emulator.recorder,
            calibration,
            np.random.default_rng(seed),
            datetime.now(UTC),
            labels=dict(labels or {}),
            env=env,
        )
        services = start_services(
            sim, workdir, operator, RUNBOOKS_DIR, person_reads_mail=person_reads_mail
        )
        # Calls from outside are stamped with the wall clock's simulated moment, not the last
        # event's (``RealtimeEnvironment.wall_now``).
        emulator.recorder.clock = lambda: sim.datetime_at(env.wall_now())
        return cls(sim, services)

    def advance(self, seconds: float) -> None:
        self.sim.env.run(until=self.sim.now + seconds)

    def close(self) -> None:
        self.services.close()


def wallclock_trial(
    endpoints: Endpoints,
    technique: TechniqueRun,
    probe: AlertProbe,
    person: WallClockPerson,
    events: list[dict[str, Any]],
    timeout_s: float,
    poll_s: float,
    stand_in: StandIn | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Detonate, watch the probes until the attack is undone and alerted (or ``timeout_s``), revert.
    The person's steps and the probes' sightings go to ``events`` (seconds since injection); returns
    the trial's timing fields."""
    probe.receive()  # alerts of earlier trials are not this one's
    wall_start = time.time()
    if stand_in is not None:
        sim_start = stand_in.sim.now

        def clock() -> float:
            return stand_in.sim.now - sim_start
    else:

        def clock() -> float:
            return time.time() - wall_start

    def idle(seconds: float) -> None:  # time passing: the stand-in's own, or the wall clock's
        if stand_in is not None:
            stand_in.advance(seconds)
        else:
            time.sleep(seconds)

    def moment() -> datetime:  # the account's clock (simulated on the stand-in)
        return stand_in.sim.now_datetime() if stand_in is not None else datetime.now(UTC)

    before = moment()
    technique.detonate()
    if stand_in is not None:
        stand_in.sim.pump()
    detonation = (before, moment())
    events.append({"kind": "technique.detonated", "t_s": 0.0})
    fixed_window: tuple[datetime, datetime] | None = None
    last_poll = moment()
    alerted = remediated = None
    while clock() < timeout_s:
        interrupt.check()
        idle(poll_s)
        now = clock()
        for sent, subject, message in probe.receive():
            at = now if stand_in is not None or sent is None else max(0.0, sent - wall_start)
            alert = Alert(at, subject, message)
            events.append({"kind": "probe.alert", "t_s": at, "subject": subject, "alert": True})
            alerted = at if alerted is None else min(alerted, at)
            person.receive(alert, at)
        person.act(now)
        if stand_in is not None:
            stand_in.sim.pump()  # the account sees the person's calls
        if remediated is None and technique.is_remediated():
            remediated = now
            fixed_window = (last_poll, moment())
            events.append({"kind": "probe.remediated", "t_s": now})
        last_poll = moment()
        if remediated is not None and alerted is not None and not person.busy:
            break
    ended = clock()
    # Exact times from CloudTrail where it has them: the detonating call, and the last write between
    # the poll that still saw the attack and the one that saw it undone (the fix). Event history
    # shows a call only after a delay (AWS publishes none; the calibration's
    # ``cloudtrail_event_history_s`` has p90 150 s): waited for, on the stand-in in its own time.
    injected = _settled_write_time(endpoints, detonation, True, poll_s, idle)
    offset = (injected - detonation[0]).total_seconds() if injected else 0.0
    events.append({"kind": "cloudtrail.injection_time", "found": injected is not None})
    if fixed_window is not None:
        fix = _settled_write_time(endpoints, fixed_window, False, poll_s, idle)
        if fix is not None and injected is not None:
            remediated = max(0.0, (fix - injected).total_seconds())
            events.append({"kind": "cloudtrail.fix_time", "t_s": remediated})
    if alerted is not None:
        alerted = max(0.0, alerted - offset)
    return {"alerted_s": alerted, "remediated_s": remediated, "ended_s": ended}


HISTORY_WAIT_S = 900.0
"""How long a trial waits for event history to show its calls: six times the calibration's p90."""


def _settled_write_time(
    endpoints: Endpoints,
    window: tuple[datetime, datetime],
    first: bool,
    poll_s: float,
    idle: Callable[[float], None],
) -> datetime | None:
    """``_write_time`` once event history has caught up: the answer found and unchanged over one
    more poll (a later write of the window may show up later), or ``None`` after ``HISTORY_WAIT_S``."""
    waited = 0.0
    previous = None
    while True:
        try:
            found = _write_time(endpoints, *window, first=first)
        except Exception:  # no CloudTrail access: the poll times stand
            return None
        if found is not None and found == previous:
            return found
        if waited >= HISTORY_WAIT_S:
            return found
        previous = found
        idle(poll_s)
        waited += poll_s


def _write_time(
    endpoints: Endpoints, start: datetime, end: datetime, first: bool
) -> datetime | None:
    """The first (or last) write call CloudTrail recorded between ``start`` and ``end``."""
    from datetime import timedelta

    found = endpoints.client("cloudtrail", "observer").lookup_events(
        LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        StartTime=start - timedelta(seconds=1),
        EndTime=end + timedelta(seconds=1),
    )["Events"]
    times = sorted(e["EventTime"] for e in found)
    if not times:
        return None
    return (times[0] if first else times[-1]).astimezone(UTC)
