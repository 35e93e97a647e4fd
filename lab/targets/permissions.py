"""The IAM actions a real-account run needs, and what ``docs/aws-lab-policy.json`` (the policy
the lab's credentials are given) and ``docs/lab-permissions-boundary.json`` say of them.

A call the emulated account recorded becomes the action IAM authorizes it as
(``<service prefix>:<operation>``, with the few operations whose action is named otherwise), and a
policy is evaluated as IAM does (IAM User Guide, "Policy evaluation logic"): an explicit Deny that
applies wins, else some Allow must apply; conditions are evaluated on the request context the run's
calls carry (``aws:RequestedRegion``, ``iam:PermissionsBoundary``). On a real account every actor
but the root user, the AWS services and the stack's own roles is the person running the lab.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.iam.access_control import IAMPolicyStatement

from lab.emulator.compat.policies import conditions_hold
from lab.paths import REPO_ROOT

LAB_POLICY = REPO_ROOT / "docs" / "aws-lab-policy.json"
BOUNDARY = REPO_ROOT / "docs" / "lab-permissions-boundary.json"
BOUNDARY_NAME = "lab-permissions-boundary"
# The emulator's actors whose calls are made with the lab's own credentials on a real account
# (lab/emulator/actors.yaml): the harness, its read-backs, both deployers, the attacker and the
# person on call. Not: root (its own profile), the monitoring instance, the workload, the roles.
YOUR_ACTORS = ("harness", "observer", "terraform", "baseline", "attacker", "operator")
# Service prefixes that differ from the host name of the API's endpoint.
_PREFIX = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "elasticloadbalancing": "elasticloadbalancing",
}
# Operations whose IAM action has another name (Service Authorization Reference).
_ACTION = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:HeadObject": "s3:GetObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:DeleteBucketPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:CopyObject": "s3:PutObject",
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
}
# Calls a technique makes expecting AWS to refuse them (what the detections see is the attempt):
# the lab's policy must not allow them.
EXPECTED_REFUSALS = {
    "organizations:LeaveOrganization": "organizations-leave only attempts it",
}
_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")  # Lambda's CreateFunction20150331, ...


def iam_action(record: dict[str, Any]) -> str:
    """The IAM action a recorded call is authorized as."""
    host = record["eventSource"].removesuffix(".amazonaws.com")
    prefix = _PREFIX.get(host, host)
    name = _VERSION_SUFFIX.sub("", record["eventName"])
    action = f"{prefix}:{name}"
    return _ACTION.get(action, action)


# Where an IAM call names its principal or policy: the ARN IAM authorizes it on.
_IAM_RESOURCES = (
    ("userName", "user"),
    ("roleName", "role"),
    ("instanceProfileName", "instance-profile"),
    ("policyName", "policy"),
)


def iam_resource(record: dict[str, Any], account_id: str) -> str:
    """The resource a recorded call is authorized on: an IAM call's principal or policy, by the
    name its request gives (CreatePolicy's policy, the user or role of every other), else ``*``."""
    if record["eventSource"] != "iam.amazonaws.com":
        return "*"
    params = record.get("requestParameters") or {}
    for key, kind in _IAM_RESOURCES:
        if params.get(key) and (kind != "policy" or record["eventName"] == "CreatePolicy"):
            return f"arn:aws:iam::{account_id}:{kind}/{params[key]}"
    if params.get("policyArn") and "Version" in record["eventName"]:
        return str(params["policyArn"])
    return "*"


def needed(
    records: Iterable[dict[str, Any]], account_id: str, actors: Iterable[str] = YOUR_ACTORS
) -> dict[str, set[str]]:
    """The IAM actions of the calls ``actors`` made, each with the resources it was asked on."""
    wanted = set(actors)
    found: dict[str, set[str]] = {}
    for record in records:
        lab = record.get("lab") or {}
        # A record the lab injects (a console sign-in, which no API call makes) is no IAM action.
        if lab.get("actor") in wanted and not lab.get("injected"):
            found.setdefault(iam_action(record), set()).add(iam_resource(record, account_id))
    return dict(sorted(found.items()))


def document(path: Path, account_id: str, region: str) -> dict[str, Any]:
    """A policy of docs/ with its placeholders filled for the account and region."""
    text = path.read_text().replace("${ACCOUNT_ID}", account_id).replace("${LAB_REGION}", region)
    return json.loads(text)


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _applies(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> bool:
    element = IAMPolicyStatement(statement)
    if "Action" in statement and not element._check_element_matches("Action", action):
        return False
    if "NotAction" in statement and element._check_element_matches("NotAction", action):
        return False
    if "Resource" in statement and not element._check_element_matches("Resource", resource):
        return False
    if "NotResource" in statement and element._check_element_matches("NotResource", resource):
        return False
    return conditions_hold(statement.get("Condition", {}), context)


def allows(
    policy: dict[str, Any], action: str, resource: str = "*", context: dict[str, str] | None = None
) -> bool:
    """Does the identity-based ``policy`` allow ``action`` on ``resource`` in ``context``?"""
    allowed = False
    for statement in _statements(policy):
        if not _applies(statement, action, resource, context or {}):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def refused(
    actions: dict[str, set[str]], policy: dict[str, Any], account_id: str, region: str
) -> dict[str, list[str]]:
    """The actions ``policy`` refuses, with the resources it refuses them on, asked in ``region``
    by a caller creating principals with the lab's boundary (as the lab does)."""
    boundary = f"arn:aws:iam::{account_id}:policy/{BOUNDARY_NAME}"
    context = {"aws:RequestedRegion": region, "iam:PermissionsBoundary": boundary}
    missing: dict[str, list[str]] = {}
    for action, resources in actions.items():
        if action in EXPECTED_REFUSALS:
            if any(allows(policy, action, r, context) for r in resources):
                missing[action] = [f"allowed, but {EXPECTED_REFUSALS[action]}: deny it"]
            continue
        denied = sorted(r for r in resources if not allows(policy, action, r, context))
        if denied:
            missing[action] = denied
    return missing


def rehearse(
    architectures: list[Any],
    technique_ids: list[str],
    workdir: Path,
    server: Any,
    deploy: Any = None,
    step: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Every call a real-account run of ``technique_ids`` on ``architectures`` makes with your
    credentials, rehearsed on the emulated account ``server`` (an ``EmulatorServer``): each
    architecture deployed, each technique warmed up, detonated, read back, reverted and cleaned
    up, the architecture destroyed. ``deploy(architecture, server, workdir)`` deploys (default:
    ``architecture.deploy``); it may reset the account, so each architecture's records are taken
    before the next one deploys. ``step`` is told what starts. The recorded calls, every actor's."""
    from lab.attacks.registry import technique

    records: list[dict[str, Any]] = []
    for architecture in architectures:
        folder = workdir / architecture.name
        if step:
            step(f"{architecture.name}: deploy")
        server.recorder.drain()
        if deploy is None:
            architecture.deploy(server.endpoints, folder)
        else:
            deploy(architecture, server, folder)
        for technique_id in technique_ids:
            if step:
                step(f"{architecture.name}: {technique_id}")
            attack = technique(technique_id)
            prerequisites = attack.warm_up(server.endpoints)
            attack.detonate(server.endpoints, prerequisites)
            attack.is_remediated(server.endpoints, prerequisites)
            attack.revert(server.endpoints, prerequisites)
            attack.cleanup(server.endpoints, prerequisites)
        if step:
            step(f"{architecture.name}: destroy")
        architecture.destroy(server.endpoints, folder)
        records.extend(server.recorder.drain())
    return records


def listing(actions: dict[str, set[str]], missing: dict[str, list[str]]) -> str:
    """One line per IAM action: whether the lab's policy allows it, and on what."""
    lines = []
    for action, resources in actions.items():
        verdict = "REFUSED" if action in missing else "allowed"
        if action in EXPECTED_REFUSALS and action not in missing:
            verdict = "attempt"  # refused by design: the technique records the attempt
        shown = ", ".join(sorted(missing.get(action) or resources))
        lines.append(f"{verdict:8} {action}  {shown}")
    return "\n".join(lines)


def check(
    architectures: list[Any],
    technique_ids: list[str],
    policy: Path = LAB_POLICY,
    region: str | None = None,
    step: Callable[[str], None] | None = None,
) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Rehearse ``architectures`` x ``technique_ids`` on a fresh emulated account (each deploy
    replayed from its kept one, as a run's worker deploys) and check the IAM actions your
    credentials would make against ``policy`` in ``region`` (default: the emulator's). Nothing
    outside this machine is called. The actions with their resources, and those refused."""
    kept = kept_rehearsal(architectures, technique_ids)
    if kept is not None and kept.is_file():  # the same rehearsal on the same code: its answer
        found = json.loads(kept.read_text())
        account, actions = found["account"], {a: set(r) for a, r in found["actions"].items()}
        region = region or found["region"]
    else:
        account, actions, emulator_region = _rehearsed(architectures, technique_ids, step)
        region = region or emulator_region
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            staging = kept.with_suffix(f".{os.getpid()}.tmp")
            staging.write_text(
                json.dumps(
                    {
                        "account": account,
                        "region": emulator_region,
                        "actions": {a: sorted(r) for a, r in actions.items()},
                    }
                )
            )
            staging.replace(kept)
    return actions, refused(actions, document(policy, account, region), account, region)


def _rehearsed(
    architectures: list[Any], technique_ids: list[str], step: Callable[[str], None] | None
) -> tuple[str, dict[str, set[str]], str]:
    """The emulated account's id, the actions the rehearsal needed, and the emulator's region."""
    import tempfile

    from lab.emulator import EmulatorServer
    from lab.targets.emulated import EmulatedAccount

    with EmulatorServer() as server, tempfile.TemporaryDirectory() as workdir:

        def deploy(architecture: Any, emulator: Any, folder: Path) -> Any:
            account = EmulatedAccount(emulator, run_id=architecture.run_id)
            account.open()
            return account.deploy(architecture, folder)

        records = rehearse(architectures, technique_ids, Path(workdir), server, deploy, step)
        account = server.endpoints.account_id()
        return account, needed(records, account), server.endpoints.region


def kept_rehearsal(architectures: list[Any], technique_ids: list[str]) -> Path | None:
    """Where the actions a rehearsal of ``architectures`` x ``technique_ids`` needs are kept, beside
    the kept deploys (``lab.architectures.snapshot``; None when those are turned off): a dry run
    with another policy or region, on the same code (``source_digest``), checks them again in
    seconds instead of rehearsing for minutes."""
    from lab.architectures.snapshot import snapshots_dir, source_digest

    root = snapshots_dir()
    if root is None:
        return None
    key = json.dumps([source_digest(), [repr(a) for a in architectures], list(technique_ids)])
    return root / "dry-runs" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def main(argv: list[str] | None = None) -> int:
    """``python -m lab.targets.permissions [TECHNIQUE...]``: the IAM actions a real-account run of
    both architectures and the techniques (default: every one but the root user's) needs, each
    checked against docs/aws-lab-policy.json; exit 1 when the policy refuses any. ``lab run
    SCENARIO --target aws --dry-run`` does the same for a scenario's arms and techniques."""
    import sys

    from lab.architectures.manual import ManualArchitecture
    from lab.architectures.serverless import ServerlessArchitecture
    from lab.attacks.registry import techniques

    chosen = list(argv if argv is not None else sys.argv[1:]) or sorted(
        t for t, attack in techniques().items() if not attack.needs_root
    )
    actions, missing = check([ManualArchitecture(), ServerlessArchitecture()], chosen)
    print(listing(actions, missing))
    print(f"{len(actions)} IAM actions, {len(missing)} refused by {LAB_POLICY.name}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
