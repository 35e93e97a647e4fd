"""Shared fixtures: a real emulator over HTTP; the venv's `aws` CLI first on PATH."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from lab.architectures import snapshot
from lab.emulator import EmulatorServer
from lab.targets.emulated import ACCOUNT_SEED

# The aws CLI installed with the package lives beside the interpreter.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def session_emulator():
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(session_emulator: EmulatorServer) -> EmulatorServer:
    """The session's emulator, reset to an empty account for this test."""
    session_emulator.reset()
    return session_emulator


@pytest.fixture(scope="session")
def deploy_kept():
    """``deploy(architecture, emulator, workdir)`` into a fresh account opened as a run's worker
    opens it, restored from the kept deploy of the same recipe (``lab.architectures.snapshot``:
    the first deploy of a recipe runs for real and is kept). The same starting state as the runs'
    (``EmulatedTarget``), so a test and a run deploying the same settings share one real deploy.
    The tests of the stacks themselves deploy for real."""

    def deploy(architecture, emulator: EmulatorServer, workdir: Path):
        def reopen() -> None:
            emulator.reset()
            emulator.open_account(ACCOUNT_SEED)

        reopen()
        return snapshot.deploy(architecture, emulator, workdir, {"seed": ACCOUNT_SEED}, reopen)

    return deploy


# What `make check` leaves out: modules that deploy an architecture (Terraform or the manual
# scripts), run whole scenarios, or drive an external tool (Prowler, Chromium, TeX, locust), and the
# whole technique catalog. `make test` runs everything.
INTEGRATION_MODULES = {
    "architectures/test_custodian.py",
    "architectures/test_fair_baseline.py",
    "architectures/test_manual_baseline.py",
    "architectures/test_terraform.py",
    "attacks/test_benign.py",
    "attacks/test_techniques.py",
    "cli/test_cli.py",
    "cli/test_experiments.py",
    "cli/test_stacks.py",
    "console/test_console.py",
    "detections/test_deployed.py",
    "cspm/test_cspm.py",
    "experiment/test_cluster.py",
    "emulator/compat/test_dispatch.py",
    "experiment/test_interrupt.py",
    "experiment/test_resume.py",
    "experiment/test_runner.py",
    "experiment/test_sweep.py",
    "experiment/test_trial.py",
    "load/test_load.py",
    "prowler/test_kept_metadata.py",
    "prowler/test_tool.py",
    "replay/test_run.py",
    "report/test_incident_costs.py",
    "report/test_latex.py",
    "sim/test_cron_skipping.py",
    "sim/test_detectors_and_runbooks.py",
    "sim/test_paging.py",
    "sim/test_runbook_failed.py",
    "sim/test_simulation.py",
    "sim/test_simulation_manual.py",
    "targets/test_account_run.py",
    "targets/test_cleanup.py",
}


# Seconds each test module took in a whole `make test` (`make test-durations` writes it from a
# run's JUnit report). Only the order of the modules depends on it: pytest-xdist's `loadfile`
# hands modules to workers in collection order, so the longest start first and the suite does not
# end with one worker on a long module while the others idle (longest-processing-time first).
DURATIONS = Path(__file__).parent / "durations.json"


def _by_duration(items: list[pytest.Item], tests: Path) -> None:
    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.is_file() else {}
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item.path.relative_to(tests).as_posix(), len(first_seen))

    def key(item: pytest.Item) -> tuple[float, int]:
        module = item.path.relative_to(tests).as_posix()
        return -seconds.get(module, 0.0), first_seen[module]

    items.sort(key=key)  # stable: a module's tests keep their order


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        module = item.path.relative_to(tests).as_posix()
        if module in INTEGRATION_MODULES or item.get_closest_marker("terraform"):
            item.add_marker(pytest.mark.integration)
    _by_duration(items, tests)
