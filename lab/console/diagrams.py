"""The seed's architecture diagram per architecture, and which timeline event lights which node
(``diagrams.yaml``): the console draws the first, the server annotates events with the second."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DIAGRAMS = Path(__file__).with_name("diagrams.yaml")


@cache
def _spec() -> dict[str, Any]:
    return yaml.safe_load(DIAGRAMS.read_text())


def diagram(architecture: str) -> dict[str, Any]:
    """The nodes (id, label, x, y) and edges an architecture deploys, for the console's SVG."""
    spec = _spec()
    if architecture not in spec["architectures"]:
        raise KeyError(
            f"no diagram for {architecture!r}; known: {', '.join(spec['architectures'])}"
        )
    members = spec["architectures"][architecture]
    return {
        "architecture": architecture,
        "nodes": [{"id": n, **spec["nodes"][n]} for n in members],
        "edges": [e for e in spec["edges"] if e[0] in members and e[1] in members],
    }


def _matches(event: dict[str, Any], when: dict[str, Any]) -> bool:
    for key, wanted in when.items():
        value = event.get(key)
        if isinstance(wanted, str) and wanted.endswith("*"):
            if not (isinstance(value, str) and value.startswith(wanted[:-1])):
                return False
        elif value != wanted:
            return False
    return True


def node_for(event: dict[str, Any]) -> str | None:
    """The diagram node an event lights (None: it lights none)."""
    for rule in _spec()["lights"]:
        if rule["kind"] == event.get("kind") and _matches(event, rule.get("when", {})):
            return str(rule["node"])
    return None


def annotate(event: dict[str, Any]) -> dict[str, Any]:
    """The event with the node it lights (``node``), as the console receives it."""
    node = node_for(event)
    return {**event, "node": node} if node else dict(event)
