"""One on-call person, two clocks: the same steps and the same draws whether SimPy's virtual clock
or polls of a wall clock drive them."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import simpy

from lab.emulator import Endpoints
from lab.paths import RUNBOOKS_DIR
from lab.sim.calibration import Calibration
from lab.sim.operator import OnCallPerson, RunbookResult, WallClockPerson

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
        assert virtual_at[kind, subject] <= at < virtual_at[kind, subject] + 5.0
