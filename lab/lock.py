"""The dependency lock (``requirements/main.txt``, hashed, written by ``make lock``): its digest for
the run's manifest, and what the running interpreter has installed that the lock does not say.

The lock is a pip-tools / ``uv pip compile`` requirements file: ``name==version \\`` lines followed by
``--hash`` lines. Only the pins are read here; pip or uv check the hashes when they install.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.markers import Marker

from lab.paths import REPO_ROOT

LOCK_FILE = REPO_ROOT / "requirements" / "main.txt"
_PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$"
)


def canonical(name: str) -> str:
    """PEP 503's normalised project name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str, here: bool = False) -> dict[str, str]:
    """Every ``name==version`` of a requirements file, by canonical name (``here``: only those
    whose environment marker this interpreter meets: a universal lock also pins Windows' and
    macOS' packages)."""
    found = {}
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match and (not here or not match[3] or Marker(match[3]).evaluate()):
            found[canonical(match[1])] = match[2]
    return found


@dataclass(frozen=True)
class LockState:
    """The lock's path and digest, and where the installed set departs from it."""

    path: str | None
    sha256: str | None
    differs: tuple[str, ...]  # "moto 5.2.6 installed, 5.2.5 locked", "x locked, not installed"

    def as_manifest(self) -> dict[str, object]:
        return {"file": self.path, "sha256": self.sha256, "installed_differs": list(self.differs)}


def installed_versions() -> dict[str, str]:
    return {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }


def compare(locked: dict[str, str], installed: dict[str, str]) -> tuple[str, ...]:
    """What the installed set does differently from the lock (packages the lock names only)."""
    found = []
    for name, version in sorted(locked.items()):
        have = installed.get(name)
        if have is None:
            found.append(f"{name} {version} locked, not installed")
        elif have != version:
            found.append(f"{name} {have} installed, {version} locked")
    return tuple(found)


@cache
def lock_state(path: Path = LOCK_FILE) -> LockState:
    """The lock as this process sees it (None fields where the lab runs without its repository)."""
    if not path.is_file():
        return LockState(None, None, ())
    data = path.read_bytes()
    return LockState(
        str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path),
        hashlib.sha256(data).hexdigest(),
        compare(pins(data.decode(), here=True), installed_versions()),
    )
