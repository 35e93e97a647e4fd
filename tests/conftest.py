"""Shared fixtures: a real emulator over HTTP; the venv's `aws` CLI first on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lab.architectures import snapshot
from lab.emulator import EmulatorServer

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
    """``deploy(architecture, emulator, workdir)`` into a just-reset emulated account, restored
    from the kept deploy of the same recipe (``lab.architectures.snapshot``: the first deploy of a
    recipe runs for real and is kept). The tests of the stacks themselves deploy for real."""

    def deploy(architecture, emulator: EmulatorServer, workdir: Path):
        return snapshot.deploy(
            architecture, emulator, workdir, {"account": "reset"}, emulator.reset
        )

    return deploy
