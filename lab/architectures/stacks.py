"""Stacks a team brings: a Terraform module or a pair of deploy/teardown scripts registered under a
name (``stacks/NAME.yaml``), measured as an architecture like the lab's own.

The contract a stack meets, checked before anything is deployed (``contract_problems``), one line
per broken term:

- **Account and region**: a Terraform stack declares the variables ``aws_region``,
  ``aws_endpoint_url`` (null on a real account) and ``run_id``, which the lab sets as it does for
  ``terraform/``; a script stack gets the ``AWS_*`` environment of the aws CLI, ``LAB_RUN_ID`` and
  ``LAB_STATE_FILE``.
- **Alerts**: an SNS topic the lab's person subscribes to (the output ``alert_topic_arn``; a script
  writes ``ALERT_TOPIC_ARN=...`` to ``$LAB_STATE_FILE``), or the inbox the stack subscribes itself
  (the variable ``alert_email``; a script reads ``$ALERT_EMAIL``).
- **Teardown**: ``terraform destroy`` (no resource with ``prevent_destroy``), or the teardown script.
- **Tags**: ``lab:run-id`` on what it creates (the AWS provider's ``default_tags`` set to
  ``var.run_id``; a script tags with ``$LAB_RUN_ID``), so ``lab cleanup --run`` finds it.

The files live in ``stacks/`` of the folder ``lab`` runs in (as ``results/``), else in the
repository's ``stacks/``; paths in a file are relative to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from lab.architectures.base import BUILT_IN
from lab.architectures.terraform_module import ModuleError, read_module
from lab.paths import REPO_ROOT

STACKS_DIR = Path("stacks")  # relative on purpose: the folder lab runs in (like results/)
# Variables a Terraform stack declares, which the lab sets, and why it needs each.
LAB_VARIABLES = {
    "aws_region": "the region of the account it is deployed into",
    "aws_endpoint_url": "the account's endpoint (the emulator; null on a real account)",
    "run_id": "the run id its lab:run-id tags carry",
}
ALERT_OUTPUT = "alert_topic_arn"  # an SNS topic the lab subscribes the person to
ALERT_VARIABLE = "alert_email"  # or an inbox the stack subscribes itself
PHONE_VARIABLE = "alert_phone"  # set when the scenario pages (a stack may declare it)
RUN_ID_TAG = "lab:run-id"
PERSON_INBOX = "security@example.com"  # the on-call person's inbox, the same for every arm
NAME_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"


class StackError(ValueError):
    """A stack file is missing or broken, or a stack does not meet the contract."""


class StackFile(BaseModel):
    """``stacks/NAME.yaml``: a Terraform module, or a deploy and a teardown script."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] = Field(
        description="What scenarios call it: lowercase letters, digits and dashes."
    )
    description: str = Field("", description="One line on what the stack is.")
    terraform: Path | None = Field(
        None, description="Folder of its Terraform root module (relative to this file)."
    )
    deploy: Path | None = Field(
        None, description="Its deploy script, for a stack built with the CLI (relative)."
    )
    teardown: Path | None = Field(None, description="Its teardown script, with deploy.")

    @model_validator(mode="after")
    def _one_kind(self) -> StackFile:
        if (self.terraform is None) == (self.deploy is None):
            raise ValueError("give either terraform (a module folder) or deploy (a script)")
        if self.deploy is not None and self.teardown is None:
            raise ValueError("a deploy script needs its teardown script (teardown:)")
        if self.terraform is not None and self.teardown is not None:
            raise ValueError("a Terraform stack is torn down by terraform destroy: no teardown:")
        if self.name in BUILT_IN:
            raise ValueError(f"{self.name!r} is a built-in architecture; choose another name")
        return self

    @property
    def kind(self) -> str:
        return "terraform" if self.terraform is not None else "script"

    def resolved(self, base: Path) -> StackFile:
        """The same stack with its paths made absolute against ``base`` (its file's folder)."""

        def absolute(path: Path | None) -> Path | None:
            return None if path is None else (base / path).resolve()

        return self.model_copy(
            update={
                "terraform": absolute(self.terraform),
                "deploy": absolute(self.deploy),
                "teardown": absolute(self.teardown),
            }
        )


def stack_dirs() -> list[Path]:
    """Where stack files are looked for, first match wins: ``./stacks``, the repository's."""
    found: list[Path] = []
    for folder in (STACKS_DIR, REPO_ROOT / "stacks"):
        if folder.resolve() not in [f.resolve() for f in found]:
            found.append(folder)
    return found


def registered() -> dict[str, Path]:
    """Every registered stack's name and file."""
    files: dict[str, Path] = {}
    for folder in reversed(stack_dirs()):
        for path in sorted(folder.glob("*.yaml")):
            files[path.stem] = path
    return dict(sorted(files.items()))


def find(name: str) -> StackFile | None:
    """The registered stack ``name`` with absolute paths, or None (raises ``StackError`` when its
    file is broken)."""
    path = registered().get(name)
    return None if path is None else load_stack(path)


def load_stack(path: Path) -> StackFile:
    """Read and validate a stack file; a problem is one ``StackError`` naming the field."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise StackError(f"{path}: cannot be read as YAML: {exc}") from exc
    try:
        spec = StackFile.model_validate(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise StackError(f"{path}: {problems}") from exc
    if spec.name != path.stem:
        raise StackError(f"{path}: name {spec.name!r} differs from the file's name {path.stem!r}")
    return spec.resolved(path.parent)


def write_stack(spec: StackFile, folder: Path) -> Path:
    """Write ``spec`` (absolute paths) as ``folder/NAME.yaml``, its paths relative to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    relative = {
        key: os.path.relpath(value, folder.resolve())
        for key in ("terraform", "deploy", "teardown")
        if (value := getattr(spec, key)) is not None
    }
    document = {"name": spec.name, "description": spec.description, **relative}
    path = folder / f"{spec.name}.yaml"
    path.write_text(
        "# A stack measured as an architecture (`lab stack add`; docs/own-stack.md).\n"
        + yaml.safe_dump({k: v for k, v in document.items() if v != ""}, sort_keys=False)
    )
    return path


def contract_problems(spec: StackFile) -> list[str]:
    """Every term of the contract ``spec`` (absolute paths) breaks, one line each (none: it meets
    it). Read from the files only: nothing is run or deployed."""
    if spec.terraform is not None:
        return _terraform_problems(spec.terraform)
    assert spec.deploy is not None and spec.teardown is not None
    return _script_problems(spec.deploy, spec.teardown)


def _terraform_problems(module: Path) -> list[str]:
    if not module.is_dir():
        return [f"terraform: {module} is not a folder"]
    try:
        interface = read_module(module)
    except ModuleError as exc:
        return [f"terraform: {exc}"]
    problems = [
        f"account: the module declares no variable {name!r} ({why})"
        for name, why in LAB_VARIABLES.items()
        if name not in interface.variables
    ]
    if ALERT_OUTPUT not in interface.outputs and ALERT_VARIABLE not in interface.variables:
        problems.append(
            f"alerts: the module has neither an output {ALERT_OUTPUT!r} (the SNS topic the lab's "
            f"person subscribes to) nor a variable {ALERT_VARIABLE!r} (the inbox it alerts)"
        )
    if interface.undestroyable:
        problems.append(
            f"teardown: terraform destroy cannot remove {', '.join(interface.undestroyable)} "
            "(lifecycle prevent_destroy)"
        )
    if interface.provider_tags.get(RUN_ID_TAG) != "${var.run_id}":
        problems.append(
            f"tags: the aws provider's default_tags do not set {RUN_ID_TAG!r} = var.run_id, so "
            "`lab cleanup --run` could not find what a run leaves"
        )
    return problems


def _script_problems(deploy: Path, teardown: Path) -> list[str]:
    problems = []
    for role, script in (("deploy", deploy), ("teardown", teardown)):
        if not script.is_file():
            problems.append(f"{role}: {script} does not exist")
        elif not os.access(script, os.X_OK):
            problems.append(f"{role}: {script} is not executable (chmod +x)")
    if problems:
        return problems
    text = deploy.read_text(errors="replace")
    if "ALERT_TOPIC_ARN" not in text and "ALERT_EMAIL" not in text:
        problems.append(
            "alerts: the deploy script neither writes ALERT_TOPIC_ARN=... to $LAB_STATE_FILE (the "
            "SNS topic the lab's person subscribes to) nor subscribes $ALERT_EMAIL"
        )
    if RUN_ID_TAG not in text or "LAB_RUN_ID" not in text:
        problems.append(
            f"tags: the deploy script does not tag with {RUN_ID_TAG}=$LAB_RUN_ID, so "
            "`lab cleanup --run` could not find what a run leaves"
        )
    return problems
