"""Shared fixtures: a real emulator over HTTP; the venv's `aws` CLI first on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

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
