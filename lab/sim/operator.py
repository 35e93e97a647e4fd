"""The person on call: reads each alert that reaches them, diagnoses, and runs the runbook the alert
names, or the one the runbook index maps its event to (``lab.sim.runbook_index``), whichever
architecture sent it. An alert comes by e-mail (read when the staffing profile is on duty) or as a
page (acknowledged at any hour, ``page_ack_s``); of the two copies of one message, the first read wins.
A page is a short line (what, where, which runbook); what to do is decided on the e-mail's detail,
which the person reads when the page wakes them (``Alert.detail``), as on the e-mail itself.

One person, as a person is: one mailbox and one pager, each looked at once per delay drawn (what
arrives before the look is read with it, not sooner because there are more copies); the incidents
read are worked one at a time in the order read (``capacity`` at once for a team), a review of an
alert that needs nothing taking its time too. One model for every clock: ``OnCallPerson.handle`` is the person's steps as a generator that
yields each wait in seconds, and a clock drives it, SimPy in virtual time (``Operator``) or polls in
wall-clock time (``WallClockPerson``, on a real account or the stand-in).

How fast comes from an operator profile of the calibration; what they type is the runbook's real
script (``cli-baseline/runbooks/``), run with the ``aws`` CLI against the account, one calibrated
typing-and-checking time per ``aws`` command in it.

A line saying a runbook the automation started failed (``runbook X Failed (execution E)``) sends
the person back to the alert that reported starting execution E, among those that reached them:
they answer its event with the runbook the index maps it to, as if no automation had run; with no
such alert, they review the line.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lab.emulator.endpoints import Endpoints
from lab.sim.calibration import OperatorProfile
from lab.sim.kernel import BACKGROUND_STREAM, Simulation, substream
from lab.sim.runbook_index import (
    FailedRunbook,
    Order,
    failed_runbook,
    found_events,
    runbook_order,
    started_execution,
)

RUNBOOK_INDEX = "index.yaml"  # beside the runbooks: which runbook answers which alert
_AWS_COMMAND = re.compile(r"(?:^|[\s($])aws\s+[a-z0-9-]+\s+[a-z0-9-]+")


class Message(Protocol):
    """An alert as the person reads it (an SNS e-mail, or a message the probe received)."""

    subject: str
    message: str


@dataclass
class RunbookResult:
    exit_code: int
    stderr: str = ""
    stdout: str = ""


# (script, arguments, environment) -> result: bash by default; ``lab run --prompt`` asks you.
RunbookRunner = Callable[[Path, list[str], dict[str, str]], RunbookResult]


def count_commands(script: str) -> int:
    """The ``aws`` commands a person types to follow a runbook (comments and echoed text aside)."""
    return sum(
        len(_AWS_COMMAND.findall(line))
        for line in script.splitlines()
        if not line.strip().startswith(("#", "echo"))
    )


def run_in_bash(script: Path, args: list[str], env: dict[str, str]) -> RunbookResult:
    """Type the runbook: its script in bash, with the operator's credentials."""
    result = subprocess.run(
        ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=300
    )
    return RunbookResult(result.returncode, result.stderr, result.stdout)


class OnCallPerson:
    """What the person does with an alert, whatever the clock.

    ``log(kind, message, **fields)`` records each step; ``commands_ran(message)`` is told when the
    runbook's commands have run (the simulation routes their API calls then), ``finished(message,
    source)`` when the person is done with the fix; ``clock()``
    is the account's time (the runbooks' ``LAB_NOW``, and the staffing profile's hours when
    ``on_hours``)."""

    def __init__(
        self,
        profile: OperatorProfile,
        runbooks_dir: Path,
        endpoints: Endpoints,
        rng: np.random.Generator,
        clock: Callable[[], datetime],
        log: Callable[..., Any],
        commands_ran: Callable[[Message], None] = lambda message: None,
        finished: Callable[[Message, str], None] = lambda message, source: None,
        on_hours: bool = True,
        runner: RunbookRunner = run_in_bash,
    ):
        self.profile, self.runbooks_dir, self.endpoints = profile, runbooks_dir, endpoints
        self.rng, self.clock, self.log = rng, clock, log
        self.commands_ran, self.finished = commands_ran, finished
        self.on_hours, self.runner = on_hours, runner
        self._handled: set[tuple[str, ...]] = set()
        self._received: list[Message] = []  # every alert that reached them, in arrival order
        self._read: set[str] = set()  # messages read (by SNS message), whichever copy came first
        self._look_at: dict[str, float] = {}  # channel -> when the person looks at it next
        self._free_at = [0.0] * profile.capacity  # when each of their hands is free
        self._background_rng: np.random.Generator | None = None

    def _now(self) -> float:
        return self.clock().timestamp()

    def _rng(self, alert: Message) -> np.random.Generator:
        """The person's stream for ``alert``: what the background load sends them (noise alarms,
        its Lambdas' alerts) has a stream of its own, so the attack's alerts get the same reading,
        diagnosing and typing times at every load (common random numbers across a load sweep)."""
        if not getattr(alert, "background", False):
            return self.rng
        if self._background_rng is None:
            self._background_rng = substream(self.rng, BACKGROUND_STREAM)
        return self._background_rng

    def _look(self, channel: str, draw: Callable[[], float], alert: Message) -> float:
        """Seconds until the person next looks at ``channel`` (their mailbox or pager). One look
        reads everything that arrived before it: an alert arriving while a look is due is read
        then, with no draw of its own (a second copy of a problem does not make them faster)."""
        now = self._now()
        due = self._look_at.get(channel)
        if due is not None and due >= now:
            self.log("operator.queued_in_inbox", alert, subject=alert.subject, channel=channel)
            return due - now
        wait_s = draw()
        self._look_at[channel] = now + wait_s
        return wait_s

    def _mail_delay(self, alert: Message) -> float:
        off_duty_s = self.profile.availability.wait_s(self.clock()) if self.on_hours else 0.0
        if off_duty_s > 0:
            self.log("operator.off_duty", alert, subject=alert.subject, wait_s=round(off_duty_s, 3))
        return off_duty_s + self.profile.read_alert_s.sample(self._rng(alert))

    def _queue(self, alert: Message, work_s: float) -> float:
        """Book ``work_s`` of the person's time from now: seconds until they can start it (they
        work ``profile.capacity`` incidents at once, one by default, in the order read)."""
        now = self._now()
        slot = min(range(len(self._free_at)), key=lambda k: self._free_at[k])
        start = max(now, self._free_at[slot])
        self._free_at[slot] = start + work_s
        if start > now:
            self.log("operator.busy", alert, wait_s=round(start - now, 3))
        return start - now

    def handle(self, alert: Message) -> Generator[float, None, None]:
        """The steps of handling ``alert``; yields each wait (seconds) before the next step."""
        self._received.append(alert)
        if getattr(alert, "channel", "email") == "sms":  # a page reaches them at any hour
            ack = self.profile.page_ack_s
            if ack is None:
                self.log("operator.page_ignored", alert, subject=alert.subject)
                return
            yield self._look("pager", lambda: ack.sample(self._rng(alert)), alert)
            via = {"via": "page"}
        else:
            yield self._look("mailbox", lambda: self._mail_delay(alert), alert)
            via = {}
        # One Publish reaches them as an e-mail and a page: they act on the copy they read first.
        message_id = getattr(alert, "message_id", "")
        if message_id in self._read:
            self.log("operator.already_read", alert, subject=alert.subject, **via)
            return
        if message_id:
            self._read.add(message_id)
        self.log("operator.read_alert", alert, subject=alert.subject, **via)
        failed = failed_runbook(_detail(alert))
        if failed is not None:
            order = self._answer_failure(alert, failed)
        else:
            order = runbook_order(_detail(alert), self.runbooks_dir / RUNBOOK_INDEX)
        if order is None:
            review_s = self.profile.review_alert_s.sample(self._rng(alert))
            self._queue(alert, review_s)  # reviewing takes their time too
            self.log(
                "operator.acknowledged", alert, subject=alert.subject, work_s=round(review_s, 3)
            )
            return
        yield from self._follow(alert, order)

    def _answer_failure(self, alert: Message, failed: FailedRunbook) -> Order | None:
        """The runbook for the alert that started the failed execution (None: review the line)."""
        origin = next(
            (a for a in self._received if started_execution(_detail(a)) == failed.execution), None
        )
        order = (
            runbook_order(
                _detail(origin), self.runbooks_dir / RUNBOOK_INDEX, automation_failed=True
            )
            if origin is not None
            else None
        )
        self.log(
            "operator.runbook_failure_traced" if origin else "operator.runbook_failure_unmatched",
            alert,
            failed_runbook=failed.runbook,
            status=failed.status,
            execution=failed.execution,
            **({"alert_subject": origin.subject} if origin else {}),
            answer=order.runbook if order else None,
        )
        return order

    def _follow(self, alert: Message, order: Order) -> Generator[float, None, None]:
        """Diagnose and type ``order``'s runbook; then, for a runbook that finds the events behind
        an alert (``Order.then_index``), the runbook each event found calls for."""
        runbook, args = order.runbook, list(order.args)
        if (runbook, *args) in self._handled:
            self.log("operator.duplicate_alert", alert, runbook=runbook)
            return
        self._handled.add((runbook, *args))
        script = self.runbooks_dir / runbook
        if not script.exists():
            self.log("operator.runbook_missing", alert, runbook=runbook)
            return
        rng = self._rng(alert)
        diagnose_s = self.profile.diagnose_s.sample(rng)
        commands = count_commands(script.read_text())
        typing_s = sum(self.profile.runbook_command_s.sample(rng) for _ in range(commands))
        yield self._queue(alert, diagnose_s + typing_s)
        yield diagnose_s
        yield typing_s
        env = {
            **os.environ,
            **self.endpoints.cli_env("operator"),
            "LAB_NOW": str(int(self._now())),  # the runbook's clock
        }
        result = self.runner(script, args, env)
        self.commands_ran(alert)
        if result.exit_code != 0:  # a fix that did not work is recorded, not hidden
            self.log("operator.runbook_failed", alert, runbook=runbook, exit_code=result.exit_code)
        self.log(
            "operator.runbook_done",
            alert,
            work_s=round(diagnose_s + typing_s, 3),
            runbook=runbook,
            args=args,
            commands=commands,
            exit_code=result.exit_code,
            stderr=result.stderr[-500:] or None,
        )
        if not order.then_index:
            self.finished(alert, f"operator:{runbook[:-3]}")
            return
        for event in found_events(result.stdout):
            found = runbook_order(event, self.runbooks_dir / RUNBOOK_INDEX)
            if found is not None and not found.then_index:
                yield from self._follow(alert, found)


def _detail(alert: Message) -> str:
    """What the person reads of ``alert``: the e-mail copy's detail (a page sends them to it)."""
    return getattr(alert, "detail", "") or alert.message


class Operator:
    """The person in virtual time: each alert of the team's inbox handled as a SimPy process.
    ``rng``: the person's own stream (the trial gives the same one to every architecture: the same
    person, drawing the same times for the first alerts they handle)."""

    def __init__(
        self,
        sim: Simulation,
        profile: OperatorProfile,
        runbooks_dir: Path,
        rng: np.random.Generator | None = None,
    ):
        self.sim = sim
        self.person = OnCallPerson(
            profile,
            runbooks_dir,
            sim.endpoints,
            sim.rng if rng is None else rng,
            clock=sim.now_datetime,
            log=self._log,
            commands_ran=lambda alert: sim.pump(background=alert.background),
            finished=lambda alert, source: sim.responded(source),
        )

    def receive(self, alert: Any) -> None:
        self.sim.env.process(self._handle(alert))

    def _handle(self, alert: Any):
        for wait_s in self.person.handle(alert):
            yield self.sim.env.timeout(wait_s)

    def _log(self, kind: str, alert: Any, **fields: Any) -> None:
        """Log a step of handling ``alert`` (marked when the alert came from the background)."""
        self.sim.log(kind, **fields, **({"background": True} if alert.background else {}))


class WallClockPerson:
    """The person against a clock that moves on its own (a real account, or the stand-in): the
    same steps, each due a wait after the previous one, taken at the next ``act`` at or after it."""

    def __init__(self, person: OnCallPerson):
        self.person = person
        self.now_s = 0.0  # the time of the step being taken (for the person's log)
        self._due: list[tuple[float, Generator[float, None, None]]] = []

    @property
    def busy(self) -> bool:
        """Still handling an alert."""
        return bool(self._due)

    def receive(self, alert: Message, at_s: float) -> None:
        """An alert reached the person at ``at_s`` (the run's clock)."""
        self._due.append((at_s, self.person.handle(alert)))

    def act(self, now_s: float) -> None:
        """Take every step whose time has come by ``now_s``, earliest first (as SimPy would, so
        the same draws go to the same alerts)."""
        while True:
            ready = [entry for entry in self._due if entry[0] <= now_s]
            if not ready:
                return
            entry = min(ready, key=lambda e: e[0])  # ties: the one waiting longest
            self._due.remove(entry)
            due, steps = entry
            self.now_s = now_s
            wait_s = next(steps, None)
            if wait_s is not None:
                self._due.append((due + wait_s, steps))
