"""The embedded AWS account: moto server, compatibility patches, endpoint settings, API-call recorder."""

from lab.emulator.endpoints import Endpoints
from lab.emulator.server import EmulatorError, EmulatorServer

__all__ = ["EmulatorError", "EmulatorServer", "Endpoints"]
