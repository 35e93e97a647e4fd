"""What an architecture is: something deployed into an account and removed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from lab.emulator.endpoints import Endpoints


class Architecture(Protocol):
    """Deploys and destroys one monitoring architecture in the account behind ``endpoints``."""

    name: str

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        """Build the architecture; return what it created (ids, names)."""
        ...

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        """Remove everything ``deploy`` created (idempotent)."""
        ...
