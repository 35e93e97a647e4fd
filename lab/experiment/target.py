"""The target seam: where a run happens. The run loop (``lab.experiment.runner``) knows only this
interface; ``lab.targets`` implements it for the emulated account (virtual time), the stand-in
(an emulated account played as a real one, wall clock) and a real AWS account (wall clock, probes).

A target gives each worker an ``Account``: its endpoints, and an observer that runs one trial on
the target's clock and says what it saw (``lab.experiment.outcome.Observation``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lab.attacks.lifecycle import TechniqueRun
from lab.emulator.endpoints import Endpoints
from lab.experiment.outcome import Observation
from lab.experiment.scenario import Scenario
from lab.sim.calibration import Calibration

Events = list[dict[str, Any]]


class RunStopped(RuntimeError):
    """The target stopped the run (its maximum duration was reached)."""


@dataclass
class TrialRequest:
    """Everything an observer needs to run one trial."""

    scenario: Scenario
    calibration: Calibration
    technique: TechniqueRun  # warm: prerequisites made, not detonated
    architecture: str
    trial: int
    workdir: Path

    @property
    def labels(self) -> dict[str, Any]:
        return {
            "technique": self.technique.id,
            "architecture": self.architecture,
            "trial": self.trial,
        }


class Account(Protocol):
    """One worker's account on a target."""

    endpoints: Endpoints

    def deploy(self, architecture: Any, workdir: Path) -> dict[str, Any]:
        """Deploy ``architecture`` into this account (the emulated one restores a kept deploy of
        the same recipe, ``lab.architectures.snapshot``)."""

    def inventory(self) -> dict[str, Any] | None:
        """What the deployment made, for usage metering (``None``: not metered here)."""

    def seed(self, seed: int) -> None:
        """Make the ids the account gives from now on repeat from run to run (emulated only)."""

    def watching(self, architecture: str, run_id: str) -> AbstractContextManager[None]:
        """Probes set up for one deployed architecture (and removed after its trials)."""

    def teardown(self, architecture: Any, workdir: Path) -> None:
        """Remove what ``deploy`` made (an account thrown away whole needs nothing removed)."""

    def trial(self, request: TrialRequest) -> tuple[Observation, Events]:
        """Detonate, let the account react on the target's clock, observe, revert."""


class Target(Protocol):
    """Where a run happens (picklable: the emulated target travels to worker processes)."""

    name: str
    meters_usage: bool

    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records about the target (beyond the scenario's)."""

    def workers(self, jobs: int | None, architectures: int) -> int:
        """How many workers at once (1: one by one, in this process)."""

    def account(self, scenario: Scenario, run_id: str) -> AbstractContextManager[Account]:
        """A worker's account for run ``run_id``, from a clean start."""

    def check_time(self) -> None:
        """Raise ``RunStopped`` if the run may not start another trial."""

    def finish(self, run_id: str) -> dict[str, Any]:
        """After every worker (success, error or Ctrl-C): last clean-up; manifest fields."""
