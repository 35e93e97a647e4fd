"""The embedded default target: each worker gets a fresh emulated account (a moto server on
127.0.0.1 in the worker's process), and a trial runs in virtual time, observed from inside the
simulation (``lab.experiment.trial``)."""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.architectures import snapshot
from lab.cost.inventory import inventory
from lab.emulator.endpoints import Endpoints
from lab.emulator.server import EmulatorServer
from lab.experiment.outcome import Observation
from lab.experiment.scenario import Scenario
from lab.experiment.target import Events, TrialRequest
from lab.experiment.trial import run_trial
from lab.sim.posture_scanner import prowler_scanner
from lab.sim.posture_scans import Scanner

# The seed an account is opened and its architecture deployed with, the same for every run: the
# deploy's ids only name things, and each technique reseeds the ids from the scenario's seed before
# its prerequisites (``lab.experiment.worker.run_unit``), so a scenario's seed drives every draw
# that matters while every run deploys the same account, the one kept deploy of its recipe replays.
ACCOUNT_SEED = 0


@dataclass
class EmulatedAccount:
    """One worker's emulated account."""

    emulator: EmulatorServer
    scanner: Scanner | None = None  # the CSPM tool, when the scenario scans
    run_id: str = ""
    destroy: bool = False

    def open(self) -> None:
        """The account as a worker gets it: empty, its ids seeded, the run id masked."""
        self.emulator.reset()  # moto's state is per process: start from an empty account
        self.emulator.ids.mask(self.run_id)  # ids must not depend on the run's name
        self.emulator.open_account(ACCOUNT_SEED)

    def deploy(self, architecture: Any, workdir: Path) -> dict[str, Any]:
        return snapshot.deploy(
            architecture, self.emulator, workdir, {"seed": ACCOUNT_SEED}, self.open
        )

    @property
    def endpoints(self) -> Endpoints:
        return self.emulator.endpoints

    def inventory(self) -> dict[str, Any]:
        return inventory(self.endpoints)

    def seed(self, seed: int) -> None:
        self.emulator.seed(seed)

    def watching(self, architecture: str, run_id: str) -> nullcontext[None]:
        return nullcontext()  # the simulation itself observes

    def teardown(self, architecture: Any, workdir: Path) -> None:
        """The worker's emulator stops after its trials and its account goes with it: a
        ``terraform destroy`` into it (about 14 s) would change no result. ``destroy=True`` runs
        it anyway (the stacks' own tests show teardown leaves nothing)."""
        if self.destroy:
            architecture.destroy(self.endpoints, workdir)

    def trial(self, request: TrialRequest) -> tuple[Observation, Events]:
        return run_trial(self.emulator, request, self.scanner)


@dataclass(frozen=True)
class EmulatedTarget:
    """The emulated account in virtual time (picklable: it travels to the worker processes)."""

    name: str = "emulated"
    meters_usage: bool = True
    prowler_version: str | None = None  # the scenario scans with Prowler (its check set varies)
    destroy: bool = False  # tear each architecture down before its account is thrown away

    def manifest_fields(self) -> dict[str, Any]:
        return (
            {"cspm": {"tool": "prowler", "version": self.prowler_version}}
            if self.prowler_version
            else {}
        )

    def workers(self, jobs: int | None, architectures: int) -> int:
        """By default two per CPU (a worker waits for its `aws` CLI runs and Lambda environments),
        at least one per architecture; spare ones split the architectures' larger shares."""
        return jobs or max(architectures, 2 * (multiprocessing.cpu_count() or 1))

    @contextmanager
    def account(self, scenario: Scenario, run_id: str) -> Iterator[EmulatedAccount]:
        with EmulatorServer() as emulator:
            account = EmulatedAccount(emulator, run_id=run_id, destroy=self.destroy)
            account.open()
            with tempfile.TemporaryDirectory(prefix="lab-cspm-") as scans:
                if scenario.cspm:
                    account.scanner = prowler_scanner(emulator.endpoints, Path(scans))
                yield account

    def check_time(self) -> None:
        """Virtual time: a run is never out of time."""

    def finish(self, run_id: str) -> dict[str, Any]:
        return {}
