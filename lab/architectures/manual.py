"""The manual architecture: ``cli-baseline/deploy.sh`` and ``teardown.sh`` with the real aws CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.architectures.base import run_script
from lab.emulator.endpoints import Endpoints
from lab.paths import CLI_BASELINE_DIR

DEFAULT_CRON_SCHEDULE = "*/5 * * * *"
# What deploy.sh can build beside the instance and its agent (see its header): the polling scripts,
# a trail with the CIS alarms, GuardDuty, AWS Config, an EventBridge rule per entry of the shared
# detection list (lab/detections). The default is the competent set: all of them.
MANUAL_DETECTORS = ("cron", "cis-alarms", "guardduty", "config", "api-calls")


class BaselineError(RuntimeError):
    """A cli-baseline script failed."""


@dataclass
class ManualArchitecture:
    """Built by hand with the CLI; ``cron_schedule`` is how often the detectors poll, ``detectors``
    which of ``MANUAL_DETECTORS`` are built, ``alert_phone`` the on-call phone the alert topic
    pages by SMS (None: e-mail only)."""

    cron_schedule: str = DEFAULT_CRON_SCHEDULE
    run_id: str = "manual"
    name: str = "manual"
    detectors: tuple[str, ...] = MANUAL_DETECTORS
    alert_phone: str | None = None

    def __post_init__(self) -> None:
        unknown = [d for d in self.detectors if d not in MANUAL_DETECTORS]
        if unknown or isinstance(self.detectors, str):
            raise ValueError(
                f"manual detectors {unknown or self.detectors!r} unknown; "
                f"a list of {list(MANUAL_DETECTORS)}"
            )
        self.detectors = tuple(self.detectors)

    def _run(self, script: str, endpoints: Endpoints, state_file: Path) -> None:
        env = {
            **os.environ,
            **endpoints.cli_env("baseline"),
            "LAB_RUN_ID": self.run_id,
            "CRON_SCHEDULE": self.cron_schedule,
            "DETECTORS": ",".join(self.detectors),
            "ALERT_PHONE": self.alert_phone or "",
        }
        argv = [str(CLI_BASELINE_DIR / script), "-s", str(state_file)]
        run_script(argv, env, f"cli-baseline/{script}", BaselineError)

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        workdir.mkdir(parents=True, exist_ok=True)
        state_file = workdir / "manual-state.env"
        self._run("deploy.sh", endpoints, state_file)
        return dict(
            line.split("=", 1) for line in state_file.read_text().splitlines() if "=" in line
        )

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        self._run("teardown.sh", endpoints, workdir / "manual-state.env")
