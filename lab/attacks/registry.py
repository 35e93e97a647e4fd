"""The explicit catalog of techniques (no registration by import side effect)."""

from __future__ import annotations

from functools import cache

from lab.attacks.base import Technique
from lab.attacks.techniques.ec2_sg_open_ssh import Ec2SgOpenSsh

_TECHNIQUE_CLASSES: tuple[type[Technique], ...] = (Ec2SgOpenSsh,)


@cache
def techniques() -> dict[str, Technique]:
    """Every technique by id."""
    return {t.id: t for t in (cls() for cls in _TECHNIQUE_CLASSES)}


def technique(technique_id: str) -> Technique:
    table = techniques()
    if technique_id not in table:
        raise KeyError(f"unknown technique {technique_id!r}; known: {', '.join(sorted(table))}")
    return table[technique_id]
