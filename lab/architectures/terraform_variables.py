"""The serverless stack's Terraform variables (``terraform/variables.tf``), read with python-hcl2:
their types and the values their ``contains([...], var.x)`` validations allow, so a scenario's
value is refused before anything is deployed, as ``terraform plan`` would refuse it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import hcl2

from lab.paths import TERRAFORM_DIR

_CONTAINS = re.compile(r"^\$\{contains\((\[.*\]),\s*var\.([a-z0-9_]+)\)\}$", re.S)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "bool": (bool,),
}


@dataclass(frozen=True)
class Variable:
    name: str
    type: str  # HCL type expression: string, number, bool, list(string)...
    allowed: tuple[Any, ...] | None  # from a contains([...], var.name) validation
    description: str


@cache
def variables() -> dict[str, Variable]:
    """Every variable the stack declares, by name."""
    with (TERRAFORM_DIR / "variables.tf").open() as handle:
        parsed = hcl2.load(handle)
    found = {}
    for block in parsed.get("variable", []):
        for quoted, body in block.items():
            name = quoted.strip('"')
            allowed = None
            for validation in body.get("validation", []):
                match = _CONTAINS.match(str(validation.get("condition", "")))
                if match and match[2] == name:
                    allowed = tuple(json.loads(match[1]))
            found[name] = Variable(
                name,
                str(body.get("type", "any")).strip("${}"),
                allowed,
                body.get("description", ""),
            )
    return found


def value_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be given to variable ``name`` (None: it can)."""
    variable = variables()[name]
    if value is None:
        return None  # null: the variable's default, or "off" where it documents that
    kinds = _TYPES.get(variable.type)
    wrong_bool = variable.type == "number" and isinstance(value, bool)
    if kinds is not None and (not isinstance(value, kinds) or wrong_bool):
        return f"{name} is a {variable.type}, not {value!r}"
    if variable.allowed is not None and value not in variable.allowed:
        return f"{name} {value!r} is not one of {list(variable.allowed)}"
    return None
