"""What a Terraform root module declares, read from its ``*.tf`` files with python-hcl2 without
running anything: its variables (and which have no default), its outputs, the tags its AWS provider
puts on every resource, and the resources it forbids ``terraform destroy`` to remove."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2


class ModuleError(ValueError):
    """The folder is not a readable Terraform module."""


@dataclass(frozen=True)
class ModuleInterface:
    variables: dict[str, bool] = field(default_factory=dict)  # name -> has a default
    outputs: frozenset[str] = frozenset()
    provider_tags: dict[str, str] = field(default_factory=dict)  # the aws provider's default_tags
    undestroyable: tuple[str, ...] = ()  # resources with lifecycle { prevent_destroy = true }


def _name(quoted: str) -> str:
    return quoted.strip('"')


def _blocks(parsed: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(_name(k), v) for block in parsed.get(kind, []) for k, v in block.items()]


def read_module(directory: Path) -> ModuleInterface:
    """The interface of the root module in ``directory`` (its ``*.tf`` files, not its modules)."""
    files = sorted(directory.glob("*.tf"))
    if not files:
        raise ModuleError(f"{directory} holds no *.tf file")
    variables: dict[str, bool] = {}
    outputs: set[str] = set()
    tags: dict[str, str] = {}
    undestroyable: list[str] = []
    for path in files:
        try:
            with path.open() as handle:
                parsed = hcl2.load(handle)
        except Exception as exc:  # python-hcl2 raises lark's errors, of many kinds
            raise ModuleError(f"{path.name} is not valid HCL: {str(exc).splitlines()[0]}") from exc
        for name, body in _blocks(parsed, "variable"):
            variables[name] = "default" in body
        outputs |= {name for name, _ in _blocks(parsed, "output")}
        for name, body in _blocks(parsed, "provider"):
            if name == "aws" and "alias" not in body:
                for block in body.get("default_tags", []):
                    tags |= {_name(k): str(v) for k, v in block.get("tags", {}).items()}
        for kind, named in _blocks(parsed, "resource"):
            for resource, body in named.items():
                if any(b.get("prevent_destroy") for b in body.get("lifecycle", [])):
                    undestroyable.append(f"{kind}.{_name(resource)}")
    return ModuleInterface(variables, frozenset(outputs), tags, tuple(undestroyable))
