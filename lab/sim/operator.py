"""The person on call in virtual time: reads alerts, diagnoses, and runs the runbook the alert names.

How fast comes from an operator profile of the calibration; what they type is the runbook's real
script (``cli-baseline/runbooks/``), run with the ``aws`` CLI against the account, one calibrated
typing-and-checking time per ``aws`` command in it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from lab.sim.calibration import OperatorProfile
from lab.sim.kernel import Simulation
from lab.sim.sns import Alert

RUNBOOK_LINE = re.compile(r"run: runbooks/([\w.-]+\.sh)((?: [\w:/.-]+)*)")
_AWS_COMMAND = re.compile(r"(?:^|[\s($])aws\s+[a-z0-9-]+\s+[a-z0-9-]+")


def count_commands(script: str) -> int:
    """The ``aws`` commands a person types to follow a runbook (comments and echoed text aside)."""
    return sum(
        len(_AWS_COMMAND.findall(line))
        for line in script.splitlines()
        if not line.strip().startswith(("#", "echo"))
    )


class Operator:
    """Handles each alert that reaches the team's inbox."""

    def __init__(self, sim: Simulation, profile: OperatorProfile, runbooks_dir: Path):
        self.sim = sim
        self.profile = profile
        self.runbooks_dir = runbooks_dir
        self._handled: set[tuple[str, ...]] = set()

    def receive(self, alert: Alert) -> None:
        self.sim.env.process(self._handle(alert))

    def _log(self, alert: Alert, kind: str, **fields) -> None:
        """Log a step of handling ``alert`` (marked when the alert came from the background)."""
        self.sim.log(kind, **fields, **({"background": True} if alert.background else {}))

    def _handle(self, alert: Alert):
        off_duty_s = self.profile.availability.wait_s(self.sim.now_datetime())
        if off_duty_s > 0:
            self._log(
                alert, "operator.off_duty", subject=alert.subject, wait_s=round(off_duty_s, 3)
            )
            yield self.sim.env.timeout(off_duty_s)
        yield self.sim.env.timeout(self.profile.read_alert_s.sample(self.sim.rng))
        self._log(alert, "operator.read_alert", subject=alert.subject)
        match = RUNBOOK_LINE.search(alert.message)
        if not match:
            review_s = self.profile.review_alert_s.sample(self.sim.rng)
            self._log(
                alert, "operator.acknowledged", subject=alert.subject, work_s=round(review_s, 3)
            )
            return
        runbook, args = match.group(1), match.group(2).split()
        if (runbook, *args) in self._handled:
            self._log(alert, "operator.duplicate_alert", runbook=runbook)
            return
        self._handled.add((runbook, *args))
        script = self.runbooks_dir / runbook
        if not script.exists():
            self._log(alert, "operator.runbook_missing", runbook=runbook)
            return
        diagnose_s = self.profile.diagnose_s.sample(self.sim.rng)
        yield self.sim.env.timeout(diagnose_s)
        commands = count_commands(script.read_text())
        typing_s = sum(self.profile.runbook_command_s.sample(self.sim.rng) for _ in range(commands))
        yield self.sim.env.timeout(typing_s)
        env = {
            **os.environ,
            **self.sim.endpoints.cli_env("operator"),
            "LAB_NOW": str(int(self.sim.now_datetime().timestamp())),  # the runbook's clock
        }
        result = subprocess.run(
            ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=300
        )
        self.sim.pump(background=alert.background)
        if result.returncode != 0:  # a fix that did not work is recorded, not hidden
            self._log(
                alert, "operator.runbook_failed", runbook=runbook, exit_code=result.returncode
            )
        self._log(
            alert,
            "operator.runbook_done",
            work_s=round(diagnose_s + typing_s, 3),
            runbook=runbook,
            args=args,
            commands=commands,
            exit_code=result.returncode,
            stderr=result.stderr[-500:] or None,
        )
        self.sim.responded(f"operator:{runbook[:-3]}")
