"""Orchestrator Lambda (node Q): maps an event to a response, applies it, alerts.

Triggered by EventBridge with "AWS API Call via CloudTrail" events (the high-risk API calls rule and
the root activity rule) and "GuardDuty Finding" events. ``playbook.json`` beside this file maps each
event name to an action below (every action re-reads the resource, as the event may be stale, and
only changes what is still wrong) and each finding type to an SSM Automation runbook (node R),
started with the finding's parameters and the automation role.
Each event ends in one SNS alert saying what was found and done: the whole result by e-mail, one
short line (what, where, which runbook) as a page (``alert_message``, the lab's own formatter,
copied into the package). Plain boto3: the same code runs on
AWS and, with AWS_ENDPOINT_URL set by the lab, against the emulated account.
"""

import json
import os
import uuid
from pathlib import Path

import boto3
from alert_message import publish_alert

PLAYBOOK = json.loads((Path(__file__).parent / "playbook.json").read_text())
# AUTO_REMEDIATION=false: the same detections, every response left to a person (each alert carries
# the event, which the person's runbook index maps to a runbook).
AUTOMATION = os.environ.get("AUTO_REMEDIATION", "true").lower() != "false"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
# The AWS managed policy that denies everything to a user whose credentials leaked (IAM User Guide,
# AWS managed policies): federation tokens and sessions it minted are denied with it.
QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"
FULL_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# CIS AWS Foundations Benchmark 1.8-1.9: 14 characters, reuse prevention 24. (The same policy as the
# root-account-usage technique's warm-up: a Lambda package cannot import the lab, so it is repeated.)
CIS_PASSWORD_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
}


# A finding is answered once, however many events GuardDuty sends for it (the first may already
# carry later occurrences; updates follow every publishing period): the runbook is started with an
# idempotency token made from the finding's id, so SSM starts it once.
FINDING_TOKENS = uuid.UUID("6c1d7f0e-7d4e-4a55-9a8e-3f0b2c9d1e40")

PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _made_public(s3, bucket, event_name):
    """Did the call make the bucket public? A policy as S3 judges it (GetBucketPolicyStatus), an ACL
    by its grants to everyone; a removed public access block always counts (the guard went)."""
    try:
        if event_name == "PutBucketPolicy":
            return s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"]
        if event_name == "PutBucketAcl":
            grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
            return any(g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for g in grants)
    except s3.exceptions.ClientError:
        return False  # no policy (any more): nothing public
    return True


def block_bucket_public_access(params, detail):
    bucket = params.get("bucketName")
    s3 = boto3.client("s3")
    try:
        current = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        current = {}
    if all(current.get(k) for k in FULL_BLOCK):
        return "compliant", {"bucket": bucket}
    if not _made_public(s3, bucket, detail.get("eventName")):
        return "compliant", {"bucket": bucket, "public": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=FULL_BLOCK)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    return "remediated", {"bucket": bucket, "publicAccessBlock": FULL_BLOCK}


def start_logging(params, detail):
    cloudtrail = boto3.client("cloudtrail")
    if cloudtrail.get_trail_status(Name=params["name"])["IsLogging"]:
        return "compliant", {"trail": params["name"]}
    cloudtrail.start_logging(Name=params["name"])
    return "remediated", {"trail": params["name"], "logging": True}


def enable_detector(params, detail):
    guardduty = boto3.client("guardduty")
    detector_id = params["detectorId"]
    if guardduty.get_detector(DetectorId=detector_id)["Status"] == "ENABLED":
        return "compliant", {"detector": detector_id}
    guardduty.update_detector(DetectorId=detector_id, Enable=True)
    return "remediated", {"detector": detector_id, "enabled": True}


def start_recorder(params, detail):
    config = boto3.client("config")
    name = params["configurationRecorderName"]
    status = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    if status["ConfigurationRecordersStatus"][0]["recording"]:
        return "compliant", {"recorder": name}
    config.start_configuration_recorder(ConfigurationRecorderName=name)
    return "remediated", {"recorder": name, "recording": True}


def make_snapshot_private(params, detail):
    """The create-volume permissions the call added (public or to another account), and only
    those; without them in the event, the public one."""
    ec2 = boto3.client("ec2")
    snapshot = params["snapshotId"]
    added = _added(params, "createVolumePermission") or [{"Group": "all"}]
    permissions = ec2.describe_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission"
    )["CreateVolumePermissions"]
    remove = [p for p in added if p in permissions]
    if not remove:
        return "compliant", {"snapshot": snapshot}
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        CreateVolumePermission={"Remove": remove},
    )
    return "remediated", {"snapshot": snapshot, "removed": remove}


def _key_state(kms, key_id):
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def cancel_key_deletion(params, detail):
    kms = boto3.client("kms")
    key_id = params["keyId"]
    if _key_state(kms, key_id) != "PendingDeletion":
        return "compliant", {"key": key_id}
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    return "remediated", {"key": key_id, "state": "Enabled"}


def enable_key(params, detail):
    kms = boto3.client("kms")
    key_id = params["keyId"]
    if _key_state(kms, key_id) != "Disabled":
        return "compliant", {"key": key_id}
    kms.enable_key(KeyId=key_id)
    return "remediated", {"key": key_id, "state": "Enabled"}


# Routine administration is declared, not guessed: a principal (the caller, or the user a key or
# password is made for) or a resource (an image, a snapshot) tagged ALLOW_TAG with the event's name
# (several separated by spaces, or "*") is left alone. Only the responses below read it.
ALLOW_TAG = "lab:allowed-changes"
ALLOW_LISTED = (
    "deactivate_keys_of_other_user",
    "delete_login_profile",
    "make_image_private",
    "make_snapshot_private",
    "make_db_snapshot_private",
    "quarantine_caller",
)


def _tag_map(tags):
    return {t.get("Key"): t.get("Value", "") for t in tags or []}


def _caller_tags(detail):
    """The tags of the principal that made the call: an IAM user, or the role of a session."""
    identity = detail.get("userIdentity") or {}
    iam = boto3.client("iam")
    try:
        if identity.get("type") == "IAMUser" and identity.get("userName"):
            return _tag_map(iam.list_user_tags(UserName=identity["userName"])["Tags"])
        issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
        if identity.get("type") == "AssumedRole" and issuer.get("type") == "Role":
            return _tag_map(iam.list_role_tags(RoleName=issuer["userName"])["Tags"])
    except iam.exceptions.NoSuchEntityException:
        pass
    return {}


def _resource_tags(action, params):
    """The tags of what the call changed (the user, the image, the snapshot)."""
    if action in ("deactivate_keys_of_other_user", "delete_login_profile") and params.get(
        "userName"
    ):
        iam = boto3.client("iam")
        try:
            return _tag_map(iam.list_user_tags(UserName=params["userName"])["Tags"])
        except iam.exceptions.NoSuchEntityException:
            return {}
    ec2 = boto3.client("ec2")
    if action == "make_image_private" and params.get("imageId"):
        images = ec2.describe_images(ImageIds=[params["imageId"]])["Images"]
        return _tag_map(images[0].get("Tags") if images else [])
    if action == "make_snapshot_private" and params.get("snapshotId"):
        snapshots = ec2.describe_snapshots(SnapshotIds=[params["snapshotId"]])["Snapshots"]
        return _tag_map(snapshots[0].get("Tags") if snapshots else [])
    if action == "make_db_snapshot_private" and params.get("dBSnapshotIdentifier"):
        rds = boto3.client("rds")
        found = rds.describe_db_snapshots(DBSnapshotIdentifier=params["dBSnapshotIdentifier"])
        arn = found["DBSnapshots"][0]["DBSnapshotArn"]
        return _tag_map(rds.list_tags_for_resource(ResourceName=arn)["TagList"])
    return {}


def _allow_listed(action, params, detail):
    """Whether the change was declared routine (ALLOW_TAG on the caller or the resource naming
    the event); the tag that declared it, or None."""
    if action not in ALLOW_LISTED:
        return None
    name = detail.get("eventName", "")
    for whose, tags in (
        ("caller", _caller_tags(detail)),
        ("resource", _resource_tags(action, params)),
    ):
        allowed = tags.get(ALLOW_TAG, "").split()
        if "*" in allowed or name in allowed:
            return {"allowedBy": f"{whose} tag {ALLOW_TAG}={tags[ALLOW_TAG]}"}
    return None


def _not_a_problem(action, params, detail):
    """Why an event of the playbook is no problem at all (None: it may be one), before any fix."""
    if action == "detach_admin_policy" and params.get("policyArn") != ADMIN_POLICY_ARN:
        return {"policy": params.get("policyArn")}
    if action in ("deactivate_keys_of_other_user", "delete_login_profile"):
        user = params.get("userName")
        if not user or user == (detail.get("userIdentity") or {}).get("userName"):
            return {"user": user}  # keys and passwords a user makes for itself are left alone
    return None


def detach_admin_policy(params, detail):
    """AdministratorAccess off the user (AttachUserPolicy) or role (AttachRolePolicy) it went on."""
    iam = boto3.client("iam")
    if params.get("roleName"):
        kind, name = "role", params["roleName"]
        listed = iam.list_attached_role_policies(RoleName=name)
        detach = lambda: iam.detach_role_policy(RoleName=name, PolicyArn=ADMIN_POLICY_ARN)  # noqa: E731
    else:
        kind, name = "user", params["userName"]
        listed = iam.list_attached_user_policies(UserName=name)
        detach = lambda: iam.detach_user_policy(UserName=name, PolicyArn=ADMIN_POLICY_ARN)  # noqa: E731
    if ADMIN_POLICY_ARN not in [p["PolicyArn"] for p in listed["AttachedPolicies"]]:
        return "compliant", {kind: name}
    detach()
    return "remediated", {kind: name, "detached": ADMIN_POLICY_ARN}


def delete_login_profile(params, detail):
    """Console access given to, or taken over on, somebody else's user: removed until its owner
    sets a password again (IAM never reads a password back, so it cannot be restored)."""
    iam = boto3.client("iam")
    user = params["userName"]
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return "compliant", {"user": user}
    iam.delete_login_profile(UserName=user)
    return "remediated", {"user": user, "loginProfile": "deleted"}


def _outside(principal, account):
    """A trust or resource policy principal outside ``account`` ("*" included)."""
    return principal == "*" or (":" + account + ":") not in principal


def _without_external(statements, account):
    """The statements with every AWS principal outside ``account`` removed (a statement left with
    no principal goes); and whether anything was removed."""
    kept, removed = [], False
    for statement in statements:
        principal = statement.get("Principal", {})
        if statement.get("Effect") != "Allow":
            kept.append(statement)
            continue
        if principal == "*":
            removed = True
            continue
        aws = principal.get("AWS", [])
        aws = [aws] if isinstance(aws, str) else aws
        inside = [a for a in aws if not _outside(a, account)]
        if len(inside) == len(aws):
            kept.append(statement)
            continue
        removed = True
        rest = {k: v for k, v in principal.items() if k != "AWS"}
        if inside:
            rest["AWS"] = inside
        if rest:
            kept.append({**statement, "Principal": rest})
    return kept, removed


def remove_external_trust(params, detail):
    iam = boto3.client("iam")
    role = params["roleName"]
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    kept, removed = _without_external(statements, detail.get("recipientAccountId", ""))
    if not removed:
        return "compliant", {"role": role}
    if not kept:
        return "alerted", {
            "role": role,
            "reason": "only external principals trust it: a person decides",
        }
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=json.dumps({**document, "Statement": kept})
    )
    return "remediated", {"role": role, "trust": "external principals removed"}


def restore_management_events(params, detail):
    cloudtrail = boto3.client("cloudtrail")
    trail = params["trailName"]
    selectors = cloudtrail.get_event_selectors(TrailName=trail).get("EventSelectors", [])
    if any(
        s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") != "ReadOnly"
        for s in selectors
    ):
        return "compliant", {"trail": trail}
    cloudtrail.put_event_selectors(
        TrailName=trail,
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    return "remediated", {"trail": trail, "managementEvents": "All"}


def _added(params, attribute):
    """The grants the call added (CloudTrail's ``<attribute>.add.items``), as the API names them."""
    items = (((params.get(attribute) or {}).get("add") or {}).get("items")) or []
    keys = {"userId": "UserId", "group": "Group"}
    return [{keys[k]: v for k, v in item.items() if k in keys} for item in items if item]


def make_image_private(params, detail):
    """The launch permissions the call added, and only those: other shares (to the account's own
    organization, a partner) stay. Without them in the event, a person decides."""
    ec2 = boto3.client("ec2")
    image = params["imageId"]
    added = _added(params, "launchPermission")
    if not added:
        return "alerted", {"image": image, "reason": "the event names no launch permission"}
    granted = ec2.describe_image_attribute(ImageId=image, Attribute="launchPermission")[
        "LaunchPermissions"
    ]
    remove = [p for p in added if p in granted]
    if not remove:
        return "compliant", {"image": image}
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Remove": remove})
    return "remediated", {"image": image, "removed": remove}


def make_db_snapshot_private(params, detail):
    rds = boto3.client("rds")
    snapshot = params["dBSnapshotIdentifier"]
    attributes = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snapshot)[
        "DBSnapshotAttributesResult"
    ]["DBSnapshotAttributes"]
    granted = [
        v for a in attributes if a["AttributeName"] == "restore" for v in a["AttributeValues"]
    ]
    added = params.get("valuesToAdd")
    if added:  # what the call shared, and only that
        granted = [v for v in granted if v in added]
    if not granted:
        return "compliant", {"snapshot": snapshot}
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier=snapshot, AttributeName="restore", ValuesToRemove=granted
    )
    return "remediated", {"snapshot": snapshot, "removed": granted}


def remove_external_function_permissions(params, detail):
    client = boto3.client("lambda")
    function = params["functionName"]
    try:
        policy = json.loads(client.get_policy(FunctionName=function)["Policy"])
    except client.exceptions.ResourceNotFoundException:
        return "compliant", {"function": function}
    account = detail.get("recipientAccountId", "")
    removed = []
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal", {})
        aws = principal if principal == "*" else principal.get("AWS", "")
        if statement.get("Effect") == "Allow" and aws and _outside(aws, account):
            client.remove_permission(FunctionName=function, StatementId=statement["Sid"])
            removed.append(statement["Sid"])
    if not removed:
        return "compliant", {"function": function}
    return "remediated", {"function": function, "removed": removed}


def disable_serial_console(params, detail):
    ec2 = boto3.client("ec2")
    if not ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"]:
        return "compliant", {}
    ec2.disable_serial_console_access()
    return "remediated", {"serialConsoleAccess": False}


def quarantine_caller(params, detail):
    """The caller's credentials are in use where they should not be: deny the user everything
    (AWSCompromisedKeyQuarantineV3), which also ends the sessions it minted."""
    identity = detail.get("userIdentity") or {}
    user = identity.get("userName")
    if identity.get("type") != "IAMUser" or not user:
        return "alerted", {"reason": "the caller is not an IAM user"}
    iam = boto3.client("iam")
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    if QUARANTINE_POLICY_ARN in [p["PolicyArn"] for p in attached]:
        return "compliant", {"user": user}
    iam.attach_user_policy(UserName=user, PolicyArn=QUARANTINE_POLICY_ARN)
    return "remediated", {"user": user, "quarantined": QUARANTINE_POLICY_ARN}


def deactivate_keys_of_other_user(params, detail):
    """A key made by somebody else for a user: contain it, deactivating the key the event names
    (CloudTrail's ``responseElements.accessKey``), not the user's other keys. Without a key in the
    event, a person decides (nothing is deactivated on a guess)."""
    created = (detail.get("responseElements") or {}).get("accessKey") or {}
    key = created.get("accessKeyId")
    user = created.get("userName") or params.get("userName")
    if not key or not user:
        return "alerted", {"reason": "the event names no access key"}
    iam = boto3.client("iam")
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    if not any(k["AccessKeyId"] == key and k["Status"] == "Active" for k in keys):
        return "compliant", {"user": user, "key": key}
    iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
    return "remediated", {"user": user, "deactivated": [key]}


def restore_password_policy(params, detail):
    iam = boto3.client("iam")
    try:
        current = iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        current = {}
    if current.get("MinimumPasswordLength", 0) >= CIS_PASSWORD_POLICY["MinimumPasswordLength"]:
        return "compliant", {}
    iam.update_account_password_policy(**CIS_PASSWORD_POLICY)
    return "remediated", {"passwordPolicy": "CIS"}


def alert(params, detail):
    return "alerted", {}


ACTIONS = {
    f.__name__: f
    for f in (
        block_bucket_public_access,
        start_logging,
        enable_detector,
        start_recorder,
        make_snapshot_private,
        cancel_key_deletion,
        enable_key,
        detach_admin_policy,
        deactivate_keys_of_other_user,
        restore_password_policy,
        delete_login_profile,
        remove_external_trust,
        restore_management_events,
        make_image_private,
        make_db_snapshot_private,
        remove_external_function_permissions,
        quarantine_caller,
        disable_serial_console,
        alert,
    )
}


def _path(document, path):
    """The value at a simple JSONPath of the finding (``$.a.b[0].c``); None when absent."""
    current = document
    for part in path[2:].replace("[", ".[").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            current = current[index] if isinstance(current, list) and index < len(current) else None
        else:
            current = current.get(part) if isinstance(current, dict) else None
        if current is None:
            return None
    return current


def _region():
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "")


def _where(*resources):
    """Where the alert is about: the resources named, in this function's region."""
    named = " ".join(str(r) for r in resources if r not in (None, ""))
    return f"{named} in {_region()}" if named else _region()


def _resource(params):
    """The resource an API call names: its first ``...Id``, ``...Name`` or ``...Arn`` parameter."""
    return next(
        (
            v
            for k, v in params.items()
            if isinstance(v, str) and k.endswith(("Id", "Name", "Arn", "name"))
        ),
        None,
    )


def _alert(subject, result, where, runbook):
    """One alert: ``result`` in full by e-mail, what | where | runbook as a page."""
    publish_alert(
        boto3.client("sns"),
        os.environ["ALERT_TOPIC_ARN"],
        subject,
        json.dumps(result, indent=2, default=str),
        where,
        runbook,
    )


def _run_book(entry, source, subject, result, once_for=None):
    """Start the entry's runbook with parameters read from ``source``; alert either way.
    ``once_for``: an id (a finding's) the runbook is started once for, however often it comes."""
    parameters = {name: _path(source, path) for name, path in entry["parameters"].items()}
    result["why"] = entry["why"]
    result["detail"] = source  # the finding or compliance change, for the person who answers
    if AUTOMATION and entry["document"] and all(v is not None for v in parameters.values()):
        ssm = boto3.client("ssm")
        request = {
            "DocumentName": entry["document"],
            "Parameters": {
                **{k: [str(v)] for k, v in parameters.items()},
                "AutomationAssumeRole": [os.environ["AUTOMATION_ROLE_ARN"]],
            },
        }
        if once_for:
            token = uuid.uuid5(FINDING_TOKENS, f"{once_for}/{entry['document']}")
            request["ClientToken"] = str(token)
        try:
            execution = ssm.start_automation_execution(**request)
        except ssm.exceptions.IdempotentParameterMismatch:
            # Started already for this finding (a later event of it, other parameters).
            return {"status": "ignored", "reason": "finding already answered", "finding": once_for}
        result |= {
            "status": "remediating",
            "runbook": entry["document"],
            "parameters": parameters,
            "automationExecutionId": execution["AutomationExecutionId"],
        }
    if result.get("status") == "remediating":
        runbook = f"runbook {entry['document']} started ({result['automationExecutionId']})"
    else:
        runbook = "no runbook started: see the e-mail"
    where = _where(*parameters.values()) if parameters else _where(source.get("resourceId"))
    _alert(subject, result, where, runbook)
    return result


def respond_to_finding(finding):
    """A GuardDuty finding: the runbook of its type, with the finding's parameters."""
    entry = PLAYBOOK["findings"].get(finding.get("type"))
    if entry is None:
        return {"status": "ignored", "reason": f"no playbook entry for {finding.get('type')}"}
    # An entry may hold only when the finding says so (``when``: path -> value), else its ``else``:
    # an instance that is the actor of a brute force is compromised, not attacked.
    while entry.get("when") and any(_path(finding, p) != v for p, v in entry["when"].items()):
        entry = entry.get("else") or {"document": None, "parameters": {}, "why": entry["why"]}
    runbook = AUTOMATION and entry.get("document")
    if not runbook and finding.get("updatedAt") != finding.get("createdAt"):
        # Nothing to start, and the person was told of the finding when it came (its own rule):
        # an update (more occurrences) is not a new incident. A runbook is started once per
        # finding id instead, whichever event comes first.
        return {"status": "ignored", "reason": "finding update", "finding": finding.get("id")}
    result = {
        "status": "alerted",
        "finding": finding.get("type"),
        "severity": finding.get("severity"),
        "title": finding.get("title"),
    }
    subject = f"[lab] GuardDuty {finding.get('type')}"
    return _run_book(entry, finding, subject, result, once_for=finding.get("id"))


def respond_to_compliance_change(detail):
    """An AWS Config rule found a resource NON_COMPLIANT: the rule's runbook, if it has one."""
    rule = detail.get("configRuleName", "")
    compliance = (detail.get("newEvaluationResult") or {}).get("complianceType")
    entry = next((e for k, e in PLAYBOOK["config_rules"].items() if rule.endswith(k)), None)
    if entry is None or compliance != "NON_COMPLIANT":
        return {"status": "ignored", "reason": f"{rule} is {compliance}"}
    result = {"status": "alerted", "rule": rule, "resource": detail.get("resourceId")}
    return _run_book(entry, detail, f"[lab] Config {rule}: {detail.get('resourceId')}", result)


def handler(event, context):
    """Apply the playbook's response to the event; alert; return what was done. A response that
    fails alerts too (what failed, with the event) before the error goes to Lambda, which retries
    it and then sends the event to the dead-letter queue: no failure is silent."""
    try:
        return _respond(event)
    except Exception as error:
        detail = event.get("detail") or {}
        _alert(
            f"[lab] response FAILED: {detail.get('eventName') or detail.get('type')}",
            {"status": "failed", "error": f"{type(error).__name__}: {error}", "detail": detail},
            _where(_resource(detail.get("requestParameters") or {})),
            "response failed: see the e-mail",
        )
        raise


def _respond(event):
    if event.get("detail-type") == "GuardDuty Finding":
        return respond_to_finding(event.get("detail") or {})
    if event.get("detail-type") == "Config Rules Compliance Change":
        return respond_to_compliance_change(event.get("detail") or {})
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    root = (detail.get("userIdentity") or {}).get("type") == "Root"
    entry = PLAYBOOK.get(name)
    if entry is None and root:
        entry = PLAYBOOK["ROOT"]
    if entry is None:
        return {"status": "ignored", "reason": f"no playbook entry for {name}"}
    params = detail.get("requestParameters") or {}
    benign = _not_a_problem(entry["action"], params, detail) or _allow_listed(
        entry["action"], params, detail
    )
    if benign is not None:
        status, facts = "ignored", benign
    elif AUTOMATION:
        status, facts = ACTIONS[entry["action"]](params, detail)
    else:
        status, facts = "alerted", {}
    if root and status in ("compliant", "ignored"):
        status = "alerted"  # root use is worth a person's look even when nothing needs undoing
    result = {
        "status": status,
        "event": name,
        "why": entry["why"],
        "action": entry["action"],
        "actor": (detail.get("userIdentity") or {}).get("arn"),
        "sourceIPAddress": detail.get("sourceIPAddress"),
        **facts,
        "detail": detail,  # the event itself, for the person who answers the alert
    }
    if status in ("remediated", "alerted"):
        verb = "fixed" if status == "remediated" else "needs a look"
        runbook = (
            f"fixed by {entry['action']}"
            if status == "remediated"
            else "needs a person: see the e-mail"
        )
        _alert(f"[lab] {name}: {verb}", result, _where(_resource(params)), runbook)
    return result
