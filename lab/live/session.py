"""A live lab: one worker process per architecture (``worker.py``), each its own emulated account,
and what the console and the terminal read: every event in order, the accounts' endpoints, the
attacks detonated on all of them at once, and, in exercise mode, the class's scoreboard."""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.live.worker import LiveSpec, serve

ARCHITECTURES = ("manual", "serverless")


class LiveError(RuntimeError):
    """A live account could not start, or stopped with an error."""


@dataclass
class LiveSession:
    """The live accounts of ``arms``; ``speed`` simulated seconds per wall second; ``student``:
    the manual architecture's alerts wait for a student (exercise mode)."""

    arms: list[str]
    speed: float
    workdir: Path
    student: bool = False
    operator: str = "on-call"
    seed: int = 20260105
    on_event: Callable[[dict[str, Any]], None] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    scoreboard: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [a for a in self.arms if a not in ARCHITECTURES]
        if unknown or not self.arms:
            raise LiveError(f"unknown architecture {unknown}; choose from {list(ARCHITECTURES)}")
        if self.speed <= 0:
            raise LiveError(f"--speed must be positive, not {self.speed}")
        self._context = multiprocessing.get_context("spawn")
        self._out = self._context.Queue()
        self._commands: dict[str, Any] = {}
        self._processes: dict[str, Any] = {}
        self._replies: dict[str, dict[str, Any]] = {}
        self._lock = threading.Condition()
        self._errors: list[str] = []
        self._reader: threading.Thread | None = None
        self.run_id = f"live-{uuid.uuid4().hex[:8]}"
        self._attacks: dict[str, dict[str, Any]] = {}

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, timeout_s: float = 900.0, progress: Callable[[str], None] = print) -> None:
        """Start every account and wait until each is deployed (or one fails)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for arm in self.arms:
            spec = LiveSpec(
                arm=arm,
                speed=self.speed,
                student=self.student and arm == "manual",
                workdir=self.workdir / arm,
                seed=self.seed,
                operator=self.operator,
                run_id=self.run_id,
            )
            commands = self._context.Queue()
            process = self._context.Process(
                target=serve, args=(spec, commands, self._out), name=f"lab-live-{arm}", daemon=True
            )
            process.start()
            self._commands[arm], self._processes[arm] = commands, process
        self._reader = threading.Thread(target=self._read, name="lab-live-reader", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(self.accounts) < len(self.arms):
                if self._errors:
                    raise LiveError(self._errors[0])
                dead = [a for a, p in self._processes.items() if not p.is_alive()]
                if dead and not self._errors:
                    raise LiveError(f"the {dead[0]} account stopped while starting")
                if time.monotonic() > deadline:
                    raise LiveError(f"the accounts were not up after {timeout_s:.0f} s")
                self._lock.wait(0.5)
        for arm, account in self.accounts.items():
            progress(f"{arm}: deployed in {account['deploy_s']} s, at {account['url']}")

    def close(self) -> None:
        """Stop every account (the emulators go with their processes)."""
        for commands in self._commands.values():
            commands.put(("stop",))
        for process in self._processes.values():
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def error(self) -> str | None:
        return self._errors[0] if self._errors else None

    # -- what the workers say ---------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            try:
                message = self._out.get(timeout=0.5)
            except queue.Empty:
                if all(not p.is_alive() for p in self._processes.values()):
                    return
                continue
            except (EOFError, OSError):
                return
            kind, arm = message[0], message[1]
            with self._lock:
                if kind == "event":
                    self._append(message[2])
                elif kind == "ready":
                    self.accounts[arm] = message[2]
                elif kind == "reply":
                    self._replies[message[2]] = message[3]
                elif kind == "error":
                    self._errors.append(f"{arm}: {message[2]}")
                elif kind == "status":
                    self._append({"kind": "live.status", "architecture": arm, "text": message[2]})
                self._lock.notify_all()

    def _append(self, event: dict[str, Any]) -> None:
        event = {**event, "seq": len(self.events)}
        self.events.append(event)
        self._score(event)
        if self.on_event is not None:
            self.on_event(event)

    def events_since(self, seq: int) -> list[dict[str, Any]]:
        with self._lock:
            return self.events[seq:]

    # -- commands ---------------------------------------------------------------------------------
    def detonate(self, technique_id: str, arms: list[str] | None = None) -> None:
        """Detonate ``technique_id`` on every account (the same attack, side by side)."""
        from lab.attacks.registry import technique

        technique(technique_id)  # KeyError with the known ids
        with self._lock:
            self._attacks[technique_id] = {"at": datetime.now(UTC).isoformat(), "player": None}
        for arm in arms or self.arms:
            self._commands[arm].put(("detonate", technique_id))

    def revert(self, technique_id: str) -> None:
        with self._lock:
            self._attacks.pop(technique_id, None)
        for arm in self.arms:
            self._commands[arm].put(("revert", technique_id))

    def insights(
        self, arm: str, query: str, log_group: str, timeout_s: float = 30.0
    ) -> dict[str, Any]:
        """A Logs Insights query answered by the ``arm`` account."""
        if arm not in self._commands:
            raise LiveError(f"no live {arm} account; running: {', '.join(self.arms)}")
        request_id = uuid.uuid4().hex
        self._commands[arm].put(("insights", request_id, query, log_group))
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while request_id not in self._replies:
                if time.monotonic() > deadline:
                    return {"error": f"no answer from the {arm} account in {timeout_s:.0f} s"}
                self._lock.wait(0.2)
            return self._replies.pop(request_id)

    def player(self, technique_id: str, name: str) -> None:
        """The student responding to ``technique_id`` (exercise mode), for the scoreboard."""
        with self._lock:
            if technique_id in self._attacks:
                self._attacks[technique_id]["player"] = name

    # -- exercise ---------------------------------------------------------------------------------
    def _score(self, event: dict[str, Any]) -> None:
        """The student's time against the automation's, per attack (kept under the workdir)."""
        technique_id = event.get("technique")
        if event["kind"] != "technique.remediated" or not self.student or not technique_id:
            return
        marks = self._attacks.setdefault(technique_id, {"player": None})
        marks[event["architecture"]] = event.get("after_s")
        if "manual" in marks and marks.get("done") is None:
            marks["done"] = True
            row = {
                "player": marks.get("player") or "student",
                "technique": technique_id,
                "student_s": marks["manual"],
                "automation_s": marks.get("serverless"),
            }
            self.scoreboard.append(row)
            with (self.workdir / "scoreboard.jsonl").open("a") as handle:
                handle.write(json.dumps(row) + "\n")
