"""Remediation Lambda: revoke world-open ingress on the security group named in the event.

Triggered by EventBridge with an "AWS API Call via CloudTrail" event for
AuthorizeSecurityGroupIngress. Reads the group's current rules (the event may be stale), revokes every
rule open to 0.0.0.0/0 or ::/0, and publishes what it did to the alert topic. Plain boto3: the same
code runs on AWS and, with AWS_ENDPOINT_URL set by the lab, against the emulated account.
"""

import json
import os

import boto3

# AUTO_REMEDIATION=false: report the world-open rules to a person instead of revoking them.
AUTOMATION = os.environ.get("AUTO_REMEDIATION", "true").lower() != "false"
WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"


def _world_open(permission):
    """The part of one ingress permission that is open to the world (or None)."""
    v4 = [r for r in permission.get("IpRanges", []) if r.get("CidrIp") == WORLD_V4]
    v6 = [r for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6") == WORLD_V6]
    if not v4 and not v6:
        return None
    open_part = {"IpProtocol": permission["IpProtocol"], "IpRanges": v4, "Ipv6Ranges": v6}
    for key in ("FromPort", "ToPort"):
        if key in permission:
            open_part[key] = permission[key]
    return open_part


def _group_id(event):
    params = (event.get("detail") or {}).get("requestParameters") or {}
    return params.get("groupId")


def handler(event, context):
    """Revoke world-open ingress on the group of the event; alert; return what was done."""
    group_id = _group_id(event)
    if not group_id:
        return {"status": "ignored", "reason": "no groupId in the event"}
    ec2 = boto3.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    open_rules = [p for p in (_world_open(p) for p in group.get("IpPermissions", [])) if p]
    if open_rules and AUTOMATION:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=open_rules)
    detail = event.get("detail") or {}
    result = {
        "status": ("remediated" if AUTOMATION else "alerted") if open_rules else "compliant",
        "groupId": group_id,
        "revoked" if AUTOMATION else "openRules": open_rules,
        "trigger": detail.get("eventName"),
        "actor": (detail.get("userIdentity") or {}).get("arn"),
        "detail": detail,  # the event itself, for the person who answers the alert
    }
    if open_rules:
        verb = "rule revoked" if AUTOMATION else "needs a look"
        boto3.client("sns").publish(
            TopicArn=os.environ["ALERT_TOPIC_ARN"],
            Subject=f"[lab] security group {group_id} opened to the world: {verb}",
            Message=json.dumps(result, indent=2, default=str),
        )
    return result
