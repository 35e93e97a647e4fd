"""One on-call person, two clocks: the same steps and the same draws whether SimPy's virtual clock
or polls of a wall clock drive them."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from lab.emulator import Endpoints
from lab.emulator.recorder import wall_clock
from lab.paths import RUNBOOKS_DIR
from lab.sim.calibration import Calibration
from lab.sim.operator import OnCallPerson, RunbookResult, WallClockPerson, run_in_bash

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ALERTS = [
    SimpleNamespace(
        subject="open", message="run: runbooks/sg-open-world.sh sg-0123", background=False
    ),
    SimpleNamespace(
        subject="again", message="run: runbooks/sg-open-world.sh sg-0123", background=False
    ),
    SimpleNamespace(subject="fyi", message="a finding, no runbook named", background=False),
]


def _person(now, log, ran):
    def runner(script, args, env):
        ran.append((script.name, args, env["LAB_NOW"]))
        return RunbookResult(0)

    return OnCallPerson(
        Calibration.load().operator("soc-24x7"),
        RUNBOOKS_DIR,
        Endpoints(url="http://127.0.0.1:9", region="us-east-1"),
        np.random.default_rng(42),
        clock=lambda: EPOCH + timedelta(seconds=now()),
        log=log,
        runner=runner,
    )


def drive(env, person, alerts) -> None:
    """SimPy drives the person: every alert handled in virtual time, to the end."""

    def handle(alert):
        for wait_s in person.handle(alert):
            yield env.timeout(wait_s)

    for alert in alerts:
        env.process(handle(alert))
    env.run()


def test_the_person_does_the_same_on_a_virtual_and_on_a_wall_clock():
    env = simpy.Environment()
    virtual_log, virtual_ran = [], []
    person = _person(
        lambda: env.now,
        lambda kind, alert, **f: virtual_log.append((kind, alert.subject, env.now)),
        virtual_ran,
    )

    drive(env, person, ALERTS)

    polls = {"now": 0.0}
    wall_log, wall_ran = [], []
    wall = WallClockPerson(
        _person(
            lambda: polls["now"],
            lambda kind, alert, **f: wall_log.append((kind, alert.subject, wall.now_s)),
            wall_ran,
        )
    )
    for alert in ALERTS:
        wall.receive(alert, 0.0)
    while wall.busy:
        polls["now"] += 5.0  # a poll every 5 s
        wall.act(polls["now"])

    kinds = [k for k, _, _ in virtual_log]
    assert sorted(kinds) == sorted(k for k, _, _ in wall_log)
    assert kinds.count("operator.runbook_done") == 1 and "operator.duplicate_alert" in kinds
    assert "operator.acknowledged" in kinds  # an alert without a runbook is read, not ignored
    assert (
        [r[:2] for r in virtual_ran]
        == [r[:2] for r in wall_ran]
        == [("sg-open-world.sh", ["sg-0123"])]
    )
    # The same draws: each step at most one poll later on the wall clock, never earlier.
    virtual_at = {(kind, subject): at for kind, subject, at in virtual_log}
    assert len(virtual_at) == len(virtual_log)
    for kind, subject, at in wall_log:
        assert virtual_at[kind, subject] - 1e-6 <= at <= virtual_at[kind, subject] + 5.0


def _alert(subject: str, message: str) -> SimpleNamespace:
    return SimpleNamespace(subject=subject, message=message, background=False)


def _timed(profile: str = "on-call", capacity: int | None = None):
    """A person in virtual time, whose log keeps (kind, subject, time) and the runbooks run."""
    env = simpy.Environment()
    log: list[tuple[str, str, float]] = []
    ran: list[tuple[str, float]] = []

    def runner(script, args, env_vars):
        ran.append((script.name, env.now))
        return RunbookResult(0)

    chosen = Calibration.load().operator(profile)
    if capacity is not None:
        chosen = chosen.model_copy(update={"capacity": capacity})
    person = OnCallPerson(
        chosen,
        RUNBOOKS_DIR,
        Endpoints(url="http://127.0.0.1:9", region="us-east-1"),
        np.random.default_rng(7),
        clock=lambda: EPOCH + timedelta(seconds=env.now),
        log=lambda kind, alert, **f: log.append((kind, alert.subject, env.now)),
        runner=runner,
    )
    return env, person, log, ran


def _arrive(env, person, alert, at_s: float) -> None:
    def arrive():
        yield env.timeout(at_s)
        for wait_s in person.handle(alert):
            yield env.timeout(wait_s)

    env.process(arrive())


def test_alerts_arriving_before_the_person_looks_are_read_together_at_one_look():
    """One mailbox: a second alert about the same problem does not make the person read sooner
    (as independent readers of each copy would: the minimum of two draws)."""
    env, person, log, _ = _timed()
    _arrive(env, person, _alert("first", "a finding, no runbook named"), 0)
    _arrive(env, person, _alert("second", "another finding, no runbook named"), 60)
    env.run()
    read = {subject: at for kind, subject, at in log if kind == "operator.read_alert"}
    assert read["second"] == pytest.approx(read["first"]) and read["first"] > 60
    assert ("operator.queued_in_inbox", "second", 60) in log


def test_one_person_works_one_incident_at_a_time_and_a_team_several():
    alerts = [
        _alert("sg", "run: runbooks/sg-open-world.sh sg-0123"),
        _alert("key", "run: runbooks/kms-key-restore.sh key-1"),
    ]
    starts = {}
    for capacity in (1, 2):
        env, person, log, ran = _timed(capacity=capacity)
        for alert in alerts:
            _arrive(env, person, alert, 0)
        env.run()
        starts[capacity] = [at for _, at in ran]
        busy = [kind for kind, _, _ in log if kind == "operator.busy"]
        assert len(busy) == (1 if capacity == 1 else 0)
    first, second = starts[1]
    assert second - first > 60, "the second fix began before the first one was typed"
    assert starts[2][1] - starts[2][0] < second - first  # two hands: the second starts sooner


def test_a_cis_alarm_is_followed_to_the_calls_behind_it(emulator):
    """The CIS alarm names a metric: the person's runbook finds the trail's records behind it with
    the metric filter's own pattern (the real aws CLI against the emulated account) and answers
    each record as the index says."""
    moment = EPOCH + timedelta(minutes=10)
    emulator.recorder.clock = lambda: moment  # the account's clock: log events of its own day
    try:
        ran = _follow_alarm(emulator, moment)
    finally:
        emulator.recorder.clock = wall_clock
    assert ran == [
        ("cis-alarm-events.sh", ["CloudTrailChanges", "CISBenchmark", "2026-01-05T09:15:00Z"]),
        ("cloudtrail-restore.sh", ["lab-trail"]),
    ]


def _follow_alarm(emulator, moment: datetime) -> list:
    e = emulator.endpoints
    logs = e.client("logs")
    logs.create_log_group(logGroupName="/lab/trail")
    logs.put_metric_filter(
        logGroupName="/lab/trail",
        filterName="cis-cloudtrail-changes",
        filterPattern="{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) }",
        metricTransformations=[
            {
                "metricName": "CloudTrailChanges",
                "metricNamespace": "CISBenchmark",
                "metricValue": "1",
            }
        ],
    )
    record = {
        "eventName": "StopLogging",
        "eventSource": "cloudtrail.amazonaws.com",
        "requestParameters": {"name": "lab-trail"},
        "userIdentity": {"type": "IAMUser", "userName": "mallory"},
    }
    logs.create_log_stream(logGroupName="/lab/trail", logStreamName="123456789012_CloudTrail")
    logs.put_log_events(
        logGroupName="/lab/trail",
        logStreamName="123456789012_CloudTrail",
        logEvents=[
            {"timestamp": int(moment.timestamp() * 1000), "message": json.dumps(record)},
            {
                "timestamp": int(moment.timestamp() * 1000) + 1,
                "message": json.dumps(record | {"eventName": "ListTrails"}),
            },
        ],
    )
    alarm = {
        "AlarmName": "lab-cis-cloudtrail-changes",
        "NewStateValue": "ALARM",
        "StateChangeTime": "2026-01-05T09:15:00Z",
        "Trigger": {"MetricName": "CloudTrailChanges", "Namespace": "CISBenchmark"},
    }
    ran = []

    def runner(script, args, env_vars):
        ran.append((script.name, args))
        if script.name == "cis-alarm-events.sh":
            return run_in_bash(script, args, env_vars)
        return RunbookResult(0)

    env = simpy.Environment()
    person = OnCallPerson(
        Calibration.load().operator("soc-24x7"),
        RUNBOOKS_DIR,
        e,
        np.random.default_rng(3),
        clock=lambda: moment + timedelta(seconds=env.now),
        log=lambda *a, **f: None,
        runner=runner,
    )
    _arrive(env, person, _alert("ALARM", json.dumps(alarm)), 0)
    env.run()
    return ran


FAILED_LINE = (
    '"[lab] runbook lab-RevokeWorldOpenIngress Failed (execution e-1): the fix did not happen; '
    'the alert that started it names what to do by hand"'
)


def _orchestrator_alert(execution: str) -> SimpleNamespace:
    """The orchestrator's alert for a Config change it answered with a runbook (its page: the
    e-mail copy is the detail the person reads)."""
    result = {
        "status": "remediating",
        "runbook": "lab-RevokeWorldOpenIngress",
        "automationExecutionId": execution,
        "detail": {"configRuleName": "lab-incoming-ssh-disabled", "resourceId": "sg-1"},
    }
    return SimpleNamespace(
        subject="[lab] Config lab-incoming-ssh-disabled: sg-1",
        message="one short line",
        detail=json.dumps(result),
        channel="sms",
        message_id="m-orchestrator",
        background=False,
    )


def _failure_line() -> SimpleNamespace:
    return SimpleNamespace(
        subject="EventBridge rule lab-runbook-failed",
        message=FAILED_LINE,
        detail=FAILED_LINE,
        channel="email",
        message_id="m-failed",
        background=False,
    )


@pytest.mark.parametrize("execution", ["e-1", "e-other"])
def test_a_failed_runbook_sends_the_person_to_the_alert_that_started_it(execution):
    """The orchestrator's alert says a runbook is fixing it (reviewed); the line saying that
    execution failed makes the person answer the alert's event as if no automation had run. A
    line about an execution no alert of theirs started is reviewed."""
    env, log, ran = simpy.Environment(), [], []
    person = _person(lambda: env.now, lambda kind, alert, **f: log.append((kind, f)), ran)
    drive(env, person, [_orchestrator_alert(execution), _failure_line()])
    kinds = [kind for kind, _ in log]
    if execution == "e-1":
        traced = next(f for kind, f in log if kind == "operator.runbook_failure_traced")
        assert traced["answer"] == "sg-open-world.sh" and traced["execution"] == "e-1"
        assert [(script, args) for script, args, _ in ran] == [("sg-open-world.sh", ["sg-1"])]
    else:
        assert "operator.runbook_failure_unmatched" in kinds and not ran
    assert kinds.count("operator.acknowledged") == (1 if execution == "e-1" else 2)
