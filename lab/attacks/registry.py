"""The catalog of techniques: one folder per technique under ``techniques/``, each module naming its
class as ``TECHNIQUE`` (found by folder, in sorted order; nothing registers itself on import)."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from lab.attacks.base import Technique

TECHNIQUES_DIR = Path(__file__).with_name("techniques")


@cache
def techniques() -> dict[str, Technique]:
    """Every technique by id, sorted by id."""
    found = []
    for folder in sorted(TECHNIQUES_DIR.iterdir()):
        if (folder / "metadata.yaml").is_file():
            module = importlib.import_module(f"lab.attacks.techniques.{folder.name}")
            found.append(module.TECHNIQUE())
    return {t.id: t for t in sorted(found, key=lambda t: t.id)}


def technique(technique_id: str) -> Technique:
    table = techniques()
    if technique_id not in table:
        raise KeyError(f"unknown technique {technique_id!r}; known: {', '.join(sorted(table))}")
    return table[technique_id]
