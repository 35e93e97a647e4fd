"""The architectures the lab compares, by name."""

from __future__ import annotations

from typing import Any

from lab.architectures.base import Architecture
from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture

ARCHITECTURES = ("manual", "serverless")
# Architectures whose trials may be split across workers, each with its own account and deployment:
# the manual baseline deploys in seconds; a Terraform apply of the serverless stack takes a minute.
SPLITTABLE = frozenset({"manual"})


def build(name: str, run_id: str, options: dict[str, Any] | None = None) -> Architecture:
    """The architecture ``name`` with scenario options (Terraform variables or cron schedule)."""
    options = dict(options or {})
    if name == "serverless":
        return ServerlessArchitecture(variables=options, run_id=run_id)
    if name == "manual":
        return ManualArchitecture(run_id=run_id, **options)
    raise KeyError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
