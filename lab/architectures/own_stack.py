"""A registered stack (``stacks.py``) as an architecture: deployed with the lab's Terraform runner
(replayed from a kept deploy as the serverless stack is) or with its own scripts (run as the manual
baseline's are), then its alert topic wired to the person every arm has."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from lab.architectures.base import run_script
from lab.architectures.stacks import (
    ALERT_OUTPUT,
    ALERT_VARIABLE,
    PERSON_INBOX,
    PHONE_VARIABLE,
    StackError,
    StackFile,
    load_stack,
    registered,
)
from lab.architectures.terraform_module import read_module
from lab.architectures.terraform_runner import Terraform
from lab.emulator.endpoints import Endpoints

_SKIPPED = {".terraform", "__pycache__"}


def folder_digest(folder: Path) -> str:
    """sha256 of a folder's files (names and contents; not Terraform's caches or state): a kept
    deploy is of this version of the stack."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not _SKIPPED & set(relative.parts) and ".tfstate" not in path.name:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stack_digests() -> dict[str, str]:
    """Each registered stack's name and the digest of what builds it (its module folder, or its
    two scripts): a run's manifest says which version of a stack it measured."""
    found = {}
    for name, path in registered().items():
        try:
            spec = load_stack(path)
        except StackError:
            continue
        if spec.terraform is not None and spec.terraform.is_dir():
            found[name] = folder_digest(spec.terraform)
        elif spec.deploy is not None and spec.teardown is not None:
            scripts = [p for p in (spec.deploy, spec.teardown) if p.is_file()]
            found[name] = hashlib.sha256(b"".join(p.read_bytes() for p in scripts)).hexdigest()
    return found


def connect_person(
    endpoints: Endpoints, topic_arn: str | None, alert_phone: str | None, actor: str
) -> None:
    """Subscribe the person's inbox (and, when the scenario pages, their phone) to the stack's
    alert topic, as the lab's own stacks subscribe them; then check that some topic delivers to the
    inbox (a stack that alerts nobody the person reads breaks the contract)."""
    sns = endpoints.client("sns", actor)
    if topic_arn:
        sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=PERSON_INBOX)
        if alert_phone:
            sns.subscribe(TopicArn=topic_arn, Protocol="sms", Endpoint=alert_phone)
    pages = sns.get_paginator("list_subscriptions").paginate()
    if not any(
        s["Protocol"] in ("email", "email-json") and s["Endpoint"] == PERSON_INBOX
        for page in pages
        for s in page["Subscriptions"]
    ):
        raise StackError(
            f"alerts: the stack deployed, but no SNS topic delivers to the person's inbox "
            f"{PERSON_INBOX} (output {ALERT_OUTPUT!r} empty, or {ALERT_VARIABLE!r} not subscribed)"
        )


@dataclass
class TerraformStack:
    """A team's Terraform module; ``variables`` are the scenario arm's values for its own ones."""

    stack: str
    module_dir: str
    module_sha256: str
    variables: dict[str, Any] = field(default_factory=dict)
    alert_phone: str | None = None
    run_id: str = "manual"
    name: str = "stack"
    # Like terraform/: the provider's requests wait for answers, not clocks (``snapshot.py``).
    replayable: ClassVar[bool] = True

    def terraform(self, endpoints: Endpoints, workdir: Path) -> Terraform:
        declared = read_module(Path(self.module_dir)).variables
        variables = {
            **endpoints.terraform_vars(),
            "run_id": self.run_id,
            **({ALERT_VARIABLE: PERSON_INBOX} if ALERT_VARIABLE in declared else {}),
            **({PHONE_VARIABLE: self.alert_phone} if PHONE_VARIABLE in declared else {}),
            **self.variables,
        }
        env = endpoints.cli_env("terraform") if endpoints.emulated else {}
        return Terraform(Path(self.module_dir), workdir / "terraform", variables, env)

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        tf = self.terraform(endpoints, workdir)
        tf.prepare()
        tf.init()
        tf.apply()
        outputs = tf.output()
        declared = read_module(Path(self.module_dir)).variables
        phone = None if PHONE_VARIABLE in declared else self.alert_phone
        connect_person(endpoints, outputs.get(ALERT_OUTPUT), phone, "terraform")
        return outputs

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        if not (workdir / "terraform" / "terraform.tfstate").exists():
            return
        self.terraform(endpoints, workdir).destroy()


@dataclass
class ScriptStack:
    """A team's deploy and teardown scripts, run with the aws CLI's environment for the account."""

    stack: str
    deploy_script: str
    teardown_script: str
    alert_phone: str | None = None
    run_id: str = "manual"
    name: str = "stack"

    def _run(self, script: str, endpoints: Endpoints, state_file: Path) -> None:
        env = {
            **os.environ,
            **endpoints.cli_env("baseline"),
            "LAB_RUN_ID": self.run_id,
            "LAB_STATE_FILE": str(state_file),
            "ALERT_EMAIL": PERSON_INBOX,
            "ALERT_PHONE": self.alert_phone or "",
        }
        run_script([script], env, f"stack {self.stack}: {script}", StackError, state_file.parent)

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        workdir.mkdir(parents=True, exist_ok=True)
        state_file = (workdir / "stack-state.env").resolve()
        state_file.touch()
        self._run(self.deploy_script, endpoints, state_file)
        state = dict(
            line.split("=", 1) for line in state_file.read_text().splitlines() if "=" in line
        )
        connect_person(endpoints, state.get("ALERT_TOPIC_ARN"), self.alert_phone, "baseline")
        return state

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        state_file = (workdir / "stack-state.env").resolve()
        state_file.touch()
        self._run(self.teardown_script, endpoints, state_file)


def stack_architecture(
    spec: StackFile, run_id: str, options: dict[str, Any]
) -> TerraformStack | ScriptStack:
    """The architecture of registered stack ``spec`` with a scenario arm's ``options``."""
    phone = options.get("alert_phone")
    variables = {k: v for k, v in options.items() if k != "alert_phone"}
    if spec.terraform is not None:
        return TerraformStack(
            stack=spec.name,
            module_dir=str(spec.terraform),
            module_sha256=folder_digest(spec.terraform),
            variables=variables,
            alert_phone=phone,
            run_id=run_id,
            name=spec.name,
        )
    assert spec.deploy is not None and spec.teardown is not None
    return ScriptStack(spec.name, str(spec.deploy), str(spec.teardown), phone, run_id, spec.name)


def stack_options_problem(spec: StackFile, options: dict[str, Any]) -> str | None:
    """Why a scenario arm's ``options`` cannot configure stack ``spec`` (None: they can): a script
    stack takes none but ``alert_phone``; a Terraform stack its own variables, each without a
    default given."""
    given = {k for k in options if k != "alert_phone"}
    if spec.terraform is None:
        return f"stack {spec.name} (scripts) has no option {sorted(given)}" if given else None
    declared = read_module(spec.terraform).variables
    own = set(declared) - {"aws_region", "aws_endpoint_url", "run_id", ALERT_VARIABLE}
    own.discard(PHONE_VARIABLE)
    unknown = sorted(given - own)
    if unknown:
        return f"stack {spec.name} has no variable {unknown}; its variables: {sorted(own)}"
    missing = sorted(v for v in own if not declared[v] and v not in given)
    if missing:
        return f"stack {spec.name}'s variables {missing} have no default: give them in the arm"
    return None
