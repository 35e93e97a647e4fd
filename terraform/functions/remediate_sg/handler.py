"""Remediation Lambda: revoke the world-open ingress rules an event created on a security group.

Triggered by EventBridge with "AWS API Call via CloudTrail" events for AuthorizeSecurityGroupIngress
and ModifySecurityGroupRules. Acts on the rules the event names (CloudTrail's
``responseElements.securityGroupRuleSet`` for an authorization, the request's rule ids for a
modification), never on the group's other rules: an intended HTTPS rule open to the world stays.
An authorization recorded without rule ids (the legacy call with top-level ``cidrIp``) is matched
by what it asked for. Reads the rules again (the event may be stale), revokes those still open to
0.0.0.0/0 or ::/0, and publishes what it did to the alert topic (the whole result by e-mail, one
short line as a page: ``alert_message``, the lab's own formatter, copied into the package). Plain
boto3: the same code runs on
AWS and, with AWS_ENDPOINT_URL set by the lab, against the emulated account.
"""

import json
import os

import boto3
from alert_message import publish_alert

# AUTO_REMEDIATION=false: report the world-open rules to a person instead of revoking them.
AUTOMATION = os.environ.get("AUTO_REMEDIATION", "true").lower() != "false"
WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"


def _items(value):
    """CloudTrail's ``{"items": [...]}`` lists (or a plain list) as a list."""
    if isinstance(value, dict):
        value = value.get("items")
    return value if isinstance(value, list) else []


def _world_open(rule):
    """Is a rule (DescribeSecurityGroupRules' shape) ingress open to the whole Internet?"""
    if rule.get("IsEgress"):
        return False
    return rule.get("CidrIpv4") == WORLD_V4 or rule.get("CidrIpv6") == WORLD_V6


def _values(node, keys):
    """Every value of ``keys`` anywhere in a request (CloudTrail nests ModifySecurityGroupRules'
    rules as one object or a list, depending on how many)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str):
                yield value
            else:
                yield from _values(value, keys)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value, keys)


def _port(value):
    return None if value in (None, "") else int(value)


def _asked(params):
    """(protocol, from, to, cidr) of each range an authorization asked for, the legacy top-level
    form included."""
    asked = []
    if params.get("cidrIp"):
        asked.append(
            (
                str(params.get("ipProtocol")),
                _port(params.get("fromPort")),
                _port(params.get("toPort")),
                params["cidrIp"],
            )
        )
    for permission in _items(params.get("ipPermissions")):
        key = (
            str(permission.get("ipProtocol")),
            _port(permission.get("fromPort")),
            _port(permission.get("toPort")),
        )
        for cidr in _items(permission.get("ipRanges")):
            asked.append((*key, cidr.get("cidrIp")))
        for cidr in _items(permission.get("ipv6Ranges")):
            asked.append((*key, cidr.get("cidrIpv6")))
    return asked


def _named_rules(detail):
    """(group id, rule ids the event names, or None when it names none)."""
    params = detail.get("requestParameters") or {}
    if detail.get("eventName") == "ModifySecurityGroupRules":
        request = params.get("ModifySecurityGroupRulesRequest") or params
        ids = sorted(set(_values(request, ("SecurityGroupRuleId", "securityGroupRuleId"))))
        return request.get("GroupId") or request.get("groupId"), ids
    created = _items((detail.get("responseElements") or {}).get("securityGroupRuleSet"))
    ids = [r["securityGroupRuleId"] for r in created if r.get("securityGroupRuleId")]
    return params.get("groupId"), ids or None


def _open_rules(ec2, group_id, ids, asked):
    """The group's world-open ingress rules among those the event created or changed."""
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    found = []
    for rule in rules:
        if not _world_open(rule):
            continue
        if ids is not None:
            if rule["SecurityGroupRuleId"] in ids:
                found.append(rule)
            continue
        shape = (
            str(rule.get("IpProtocol")),
            rule.get("FromPort"),
            rule.get("ToPort"),
            rule.get("CidrIpv4") or rule.get("CidrIpv6"),
        )
        if shape in asked or (shape[0] == "-1" and ("-1", None, None, shape[3]) in asked):
            found.append(rule)
    return found


def handler(event, context):
    """Revoke the world-open ingress rules the event created; alert; return what was done."""
    detail = event.get("detail") or {}
    group_id, ids = _named_rules(detail)
    if not group_id:
        return {"status": "ignored", "reason": "no groupId in the event"}
    ec2 = boto3.client("ec2")
    asked = _asked(detail.get("requestParameters") or {})
    open_rules = _open_rules(ec2, group_id, ids, asked)
    if open_rules and AUTOMATION:
        ec2.revoke_security_group_ingress(
            GroupId=group_id, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in open_rules]
        )
    summary = [
        {
            k: r.get(k)
            for k in (
                "SecurityGroupRuleId",
                "IpProtocol",
                "FromPort",
                "ToPort",
                "CidrIpv4",
                "CidrIpv6",
            )
            if r.get(k) is not None
        }
        for r in open_rules
    ]
    result = {
        "status": ("remediated" if AUTOMATION else "alerted") if open_rules else "compliant",
        "groupId": group_id,
        "revoked" if AUTOMATION else "openRules": summary,
        "trigger": detail.get("eventName"),
        "actor": (detail.get("userIdentity") or {}).get("arn"),
        "detail": detail,  # the event itself, for the person who answers the alert
    }
    if open_rules:
        verb = "rule revoked" if AUTOMATION else "needs a look"
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "")
        publish_alert(
            boto3.client("sns"),
            os.environ["ALERT_TOPIC_ARN"],
            f"[lab] security group {group_id} opened to the world: {verb}",
            json.dumps(result, indent=2, default=str),
            f"{group_id} in {region}",
            "fixed by revoking the rules" if AUTOMATION else "needs a person: see the e-mail",
        )
    return result
