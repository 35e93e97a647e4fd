"""What an architecture is: something deployed into an account and removed again."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Protocol

from lab.emulator.endpoints import Endpoints

# The lab's own two, and built in beside them Cloud Custodian's policies (custodian/), a tool teams
# run, measured as a stack is; a registered stack may not take their names (``stacks.StackFile``).
OWN = ("manual", "serverless")
BUILT_IN = (*OWN, "custodian")


class Architecture(Protocol):
    """Deploys and destroys one monitoring architecture in the account behind ``endpoints``."""

    name: str

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        """Build the architecture; return what it created (ids, names)."""
        ...

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        """Remove everything ``deploy`` created (idempotent)."""
        ...


def run_script(
    argv: list[str],
    env: dict[str, str],
    label: str,
    error: type[Exception],
    cwd: Path | None = None,
) -> None:
    """Run a deploy or teardown script; on failure raise ``error`` naming ``label`` with the end
    of its standard error (the manual baseline's scripts, a team's own scripts)."""
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, cwd=cwd)
    if result.returncode != 0:
        raise error(f"{label} failed (exit {result.returncode}):\n{result.stderr.strip()[-3000:]}")
