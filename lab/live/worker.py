"""One architecture's live emulated account, in a process of its own (moto keeps its state per
process): the emulator on a free port, the architecture deployed into it, and the account's
simulated services playing AWS on the wall clock, ``speed`` simulated seconds per wall second
(the stand-in's clock, ``lab.targets.wallclock.StandIn``).

Commands arrive on one queue (detonate, revert, a Logs Insights query, stop); every timeline event
leaves on another, as ``("event", arm, event)``. Calls anyone makes against the endpoint (the
``aws`` CLI of a student, ``lab attack``, boto3) are CloudTrail records like the lab's own: they
reach the services at the next step."""

from __future__ import annotations

import contextlib
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lab import parent_watch
from lab.architectures import snapshot
from lab.architectures.registry import arm_base, build
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique as get_technique
from lab.emulator.server import EmulatorServer
from lab.experiment.trial import detonated
from lab.sim.calibration import Calibration
from lab.targets.wallclock import StandIn

STEP_S = 0.2  # wall seconds between two looks at the command queue
POLL_S = 1.0  # wall seconds between two read-backs of an open attack
PEOPLE = {"attacker", "operator", "root"}  # whose calls the console shows as whole records
# As the demo deploys them: the serverless stack's alerts reach a person's mailbox.
ARM_OPTIONS = {"serverless": {"alert_email": "security@example.com"}}


@dataclass(frozen=True)
class LiveSpec:
    """What one live worker runs (picklable: it travels to the worker process)."""

    arm: str  # manual | serverless
    speed: float  # simulated seconds per wall second
    student: bool  # the alerts wait for a student instead of the simulated on-call person
    workdir: Path
    seed: int
    operator: str
    run_id: str


@dataclass
class OpenAttack:
    """A technique detonated from the console, watched until the account shows it undone."""

    life: TechniqueRun
    detonated_s: float
    last_poll: float = 0.0
    fixed: bool = False


def serve(spec: LiveSpec, commands: Any, out: Any) -> None:
    """The worker's main: deploy, then run the account until ``stop`` (errors go out as such)."""
    parent_watch.exit_with_parent()
    try:
        _serve(spec, commands, out)
    except Exception as exc:  # the parent shows it and stops the session
        out.put(("error", spec.arm, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def _serve(spec: LiveSpec, commands: Any, out: Any) -> None:
    calibration = Calibration.load()
    with EmulatorServer() as emulator:  # a free port; its URL goes out with "ready"

        def open_account() -> None:
            emulator.reset()
            emulator.open_account(spec.seed)

        open_account()
        endpoints = emulator.endpoints
        out.put(("status", spec.arm, f"deploying {spec.arm} into {emulator.url}"))
        started = time.monotonic()
        architecture = build(spec.arm, spec.run_id, ARM_OPTIONS.get(spec.arm))
        snapshot.deploy(
            architecture, emulator, spec.workdir / "deploy", {"seed": spec.seed}, open_account
        )
        stand_in = StandIn.start(
            emulator,
            calibration,
            calibration.operator(spec.operator),
            spec.workdir,
            spec.seed,
            1.0 / spec.speed,
            person_reads_mail=not spec.student,
            labels={"architecture": spec.arm},
        )
        sim = stand_in.sim
        sim.on_log(lambda event: out.put(("event", spec.arm, event)))
        out.put(
            (
                "ready",
                spec.arm,
                {
                    "url": emulator.url,
                    "architecture": arm_base(spec.arm, None),
                    "deploy_s": round(time.monotonic() - started, 1),
                    "log_groups": sorted(
                        g["logGroupName"]
                        for g in endpoints.client("logs", "observer")
                        .describe_log_groups()
                        .get("logGroups", [])
                    ),
                    "exports": {
                        who: endpoints.export_lines(who) for who in ("operator", "attacker")
                    },
                },
            )
        )
        account = LiveAccount(spec, stand_in, out)
        try:
            while account.running:
                account.handle(commands)
                stand_in.advance(STEP_S * spec.speed)
                # Calls made from outside (a student's CLI, `lab attack`) reach the services.
                account.watch(sim.pump())
        finally:
            account.close()
            stand_in.close()


@dataclass
class LiveAccount:
    spec: LiveSpec
    stand_in: StandIn
    out: Any
    running: bool = True

    def __post_init__(self) -> None:
        self.attacks: dict[str, OpenAttack] = {}
        self.sim.on_log(self._responders)
        self.sim.subscribe(self._records)

    def _records(self, record: dict[str, Any]) -> None:
        """The CloudTrail record of each call a person made (attacker, on-call person), whole, for
        the console's raw view (not the timeline's summary)."""
        if (record.get("lab") or {}).get("actor") in PEOPLE:
            public = {k: v for k, v in record.items() if k != "lab"}
            self.out.put(
                (
                    "event",
                    self.spec.arm,
                    {
                        **self.sim.labels,
                        "t_s": round(self.sim.now, 6),
                        "kind": "cloudtrail.record",
                        "event_name": record.get("eventName"),
                        "record": public,
                    },
                )
            )

    @property
    def sim(self) -> Any:
        return self.stand_in.sim

    def handle(self, commands: Any) -> None:
        """Every command waiting now."""
        while True:
            try:
                command = commands.get_nowait()
            except Exception:  # queue.Empty, whichever queue type
                return
            name, args = command[0], command[1:]
            try:
                getattr(self, f"do_{name}")(*args)
            except Exception as exc:  # one bad command is reported, the account goes on
                self.sim.log("live.command_failed", command=name, error=f"{exc}")

    def do_stop(self) -> None:
        self.running = False

    def do_detonate(self, technique_id: str) -> None:
        if technique_id in self.attacks:
            self.sim.log("live.already_detonated", technique=technique_id)
            return
        life = TechniqueRun(get_technique(technique_id), self.sim.endpoints, self.spec.run_id)
        life.warm_up()
        # The warm-up is the lab's set-up before the attack (as before a trial): its calls do not
        # reach the account's services.
        self.sim.recorder.drain()
        self.sim.labels["technique"] = technique_id
        life.detonate()
        attack = OpenAttack(life, self.sim.now)
        self.attacks[technique_id] = attack
        detonated(self.sim, self._services, life, watching=lambda: technique_id in self.attacks)
        self.sim.log("live.attack", technique=technique_id)

    def do_revert(self, technique_id: str) -> None:
        attack = self.attacks.pop(technique_id, None)
        if attack is not None:
            attack.life.cleanup()
            self.sim.pump()
            self.sim.log("live.reverted", technique=technique_id)

    def do_insights(self, request_id: str, query: str, log_group: str) -> None:
        """Run a Logs Insights query on the account, as the security team would (its answer goes
        out as ``("reply", arm, request_id, rows | error)``)."""
        logs = self.sim.endpoints.client("logs", "operator")
        now = self.sim.now_datetime()
        try:
            query_id = logs.start_query(
                logGroupNames=[log_group],
                startTime=int(self.sim.epoch.timestamp()) - 3600,
                endTime=int(now.timestamp()) + 3600,
                queryString=query,
            )["queryId"]
            answer = logs.get_query_results(queryId=query_id)
            rows = [{f["field"]: f["value"] for f in row} for row in answer["results"]]
            self.out.put(("reply", self.spec.arm, request_id, {"rows": rows}))
            self.sim.log("insights.query", query=query, log_group=log_group, rows=len(rows))
        except Exception as exc:
            self.out.put(("reply", self.spec.arm, request_id, {"error": str(exc)}))
        self.sim.pump()

    def watch(self, records: list[dict[str, Any]]) -> None:
        """Read the open attacks back after anyone outside wrote to the account (``records``:
        the calls routed this step; a student's fix is timed by its call), and every ``POLL_S``."""
        wall = time.monotonic()
        writes = [r for r in records if not r.get("readOnly") and not r.get("errorCode")]
        for technique_id, attack in list(self.attacks.items()):
            if attack.fixed or (not writes and wall - attack.last_poll < POLL_S):
                continue
            attack.last_poll = wall
            if attack.life.is_remediated():
                by = "student" if self.spec.student else "observed"
                at = _seconds(self.sim, writes[-1]["eventTime"]) if writes else self.sim.now
                self._fixed(technique_id, attack, by, at)

    def _fixed(self, technique_id: str, attack: OpenAttack, by: str, at: float) -> None:
        attack.fixed = True
        if by == "student":
            self.sim.log("student.fixed", technique=technique_id)
        self.sim.log(
            "technique.remediated",
            technique=technique_id,
            source=by,
            after_s=round(at - attack.detonated_s, 3),
        )

    def close(self) -> None:
        for technique_id in list(self.attacks):
            with contextlib.suppress(Exception):
                self.do_revert(technique_id)

    @property
    def _services(self) -> Any:
        return self.stand_in.services

    def _responders(self, event: dict[str, Any]) -> None:
        """A responder (the Lambda, the simulated person) finished: read the attack back now, as
        a trial does."""
        if event["kind"] != "responder.finished":
            return
        for technique_id, attack in list(self.attacks.items()):
            if not attack.fixed and attack.life.is_remediated():
                self._fixed(technique_id, attack, event["source"], self.sim.now)


def _seconds(sim: Any, event_time: str) -> float:
    """A record's ``eventTime`` as seconds on the simulation's clock."""
    moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    return (moment - sim.epoch).total_seconds()
