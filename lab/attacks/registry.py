"""The catalog of techniques: one folder per technique under ``techniques/``, each module naming its
class as ``TECHNIQUE`` (found by folder, in sorted order; nothing registers itself on import).

The same folders hold the benign actions (``kind: benign``): they run through the same trials, by
id, but are not part of the attack catalog (``techniques()``, ``techniques: all``)."""

from __future__ import annotations

import hashlib
import importlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lab.attacks.base import Technique

TECHNIQUES_DIR = Path(__file__).with_name("techniques")
CATALOG_FILE = Path(__file__).with_name("catalog.yaml")


@cache
def actions() -> dict[str, Technique]:
    """Every folder's technique, attacks and benign actions, by id, sorted by id."""
    found = []
    for folder in sorted(TECHNIQUES_DIR.iterdir()):
        if (folder / "metadata.yaml").is_file():
            module = importlib.import_module(f"lab.attacks.techniques.{folder.name}")
            found.append(module.TECHNIQUE())
    return {t.id: t for t in sorted(found, key=lambda t: t.id)}


@cache
def techniques() -> dict[str, Technique]:
    """The attack catalog: every attack technique by id, sorted by id (no benign action)."""
    return {i: t for i, t in actions().items() if t.metadata.kind == "attack"}


@cache
def benign_actions() -> dict[str, Technique]:
    """Every benign action (``kind: benign``) by id, sorted by id."""
    return {i: t for i, t in actions().items() if t.metadata.kind == "benign"}


def technique(technique_id: str) -> Technique:
    """An attack technique or a benign action, by id."""
    table = actions()
    if technique_id not in table:
        raise KeyError(f"unknown technique {technique_id!r}; known: {', '.join(sorted(table))}")
    return table[technique_id]


@cache
def catalog_version() -> dict[str, Any]:
    """The catalog's declared version (``catalog.yaml``) and the sha256 of its technique folders
    (every file but Python's caches): what a result cites as "catalog v1"."""
    digest = hashlib.sha256()
    for path in sorted(TECHNIQUES_DIR.rglob("*")):
        relative = path.relative_to(TECHNIQUES_DIR)
        if path.is_file() and "__pycache__" not in relative.parts:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    declared = yaml.safe_load(CATALOG_FILE.read_text())
    return {"version": int(declared["version"]), "sha256": digest.hexdigest()}
