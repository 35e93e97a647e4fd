"""EventBridge event patterns and input transformers against the examples AWS documents.

Patterns: EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html) and
"Arrays in EventBridge event patterns"; transformers: "Amazon EventBridge input transformation"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
"""

from __future__ import annotations

import json

import pytest

from lab.sim.eventbridge import transform_input
from lab.sim.patterns import event_pattern_matches

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": [
        "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
        "arn:aws:ec2:us-west-1:123456789012:instance/i-2",
    ],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "running",
        "c-count": 5,
        "d-count": 12,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "FileName": "image.png",
        "responseElements": None,
        "eventVersion": "",
        "tags": ["a", "b"],
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"time": [{"prefix": "2017-12-22"}]}, True),
        ({"detail": {"state": [{"prefix": {"equals-ignore-case": "RuN"}}]}}, True),
        ({"detail": {"FileName": [{"suffix": ".png"}]}}, True),
        ({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, True),
        ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
        ({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, False),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, True),
        (
            {
                "detail": {
                    "state": [{"anything-but": {"equals-ignore-case": ["Stopped", "RUNNING"]}}]
                }
            },
            False,
        ),
        ({"detail": {"FileName": [{"anything-but": {"wildcard": "*.png"}}]}}, False),
        ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
        ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, False),
        ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
        ({"detail": {"state": [{"exists": True}]}}, True),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"state": [{"exists": False}]}}, False),
        ({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, True),
        ({"resources": [{"wildcard": "arn:aws:ec2:us-west-1:*:instance/i-2"}]}, True),
        (
            {
                "detail": {
                    "$or": [
                        {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                        {"d-count": [{"numeric": ["<", 10]}]},
                    ]
                }
            },
            True,
        ),
        (
            {
                "detail": {
                    "$or": [
                        {"c-count": [{"numeric": [">", 5]}]},
                        {"x-limit": [{"numeric": ["=", 3.018e2]}]},
                    ]
                }
            },
            True,
        ),
        (
            {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-2"]},
            True,
        ),  # arrays intersect
        ({"detail": {"tags": ["b", "z"]}}, True),
        ({"detail": {"tags": ["y", "z"]}}, False),
        ({"detail": {"responseElements": [None]}}, True),
        ({"detail": {"eventVersion": [""]}}, True),
        (
            {"source": ["aws.ec2"], "detail": {"state": ["stopped"]}},
            False,
        ),  # every field must match
        ({"Source": ["aws.ec2"]}, False),  # case-sensitive field names
    ],
)
def test_documented_content_filters(pattern: dict, expected: bool) -> None:
    assert event_pattern_matches(pattern, EVENT) is expected
    assert event_pattern_matches(json.dumps(pattern), EVENT) is expected


def test_input_transformer_as_documented() -> None:
    target = {
        "Arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "InputTransformer": {
            "InputPathsMap": {
                "instance": "$.detail.instance-id",
                "state": "$.detail.state",
                "n": "$.detail.c-count",
                "first": "$.resources[0]",
            },
            "InputTemplate": '"Instance <instance> is in state <state> (<n>), <first>, <missing>"',
        },
    }
    assert json.loads(transform_input(target, EVENT)) == (
        "Instance i-1234567890abcdef0 is in state running (5), "
        "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0, <missing>"
    )
    assert (
        json.loads(transform_input({"Arn": "x", "InputPath": "$.detail.state"}, EVENT)) == "running"
    )
    assert transform_input({"Arn": "x", "Input": '{"fixed": 1}'}, EVENT) == '{"fixed": 1}'
    assert json.loads(transform_input({"Arn": "x"}, EVENT)) == EVENT


def test_a_field_inside_an_array_of_objects_matches_any_elements_value():
    """Security Hub User Guide, "Configuring an EventBridge rule for Security Hub findings": the
    sample pattern filters ``detail.findings.Severity.Label``, a field of each object of the
    findings array; EventBridge flattens arrays of objects (moto did not: such rules never fired)."""
    from lab.sim.event_patterns import event_pattern_matches

    pattern = {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {"findings": {"Severity": {"Label": ["CRITICAL", "HIGH"]}}},
    }

    def imported(*labels):
        findings = [{"Id": f"f{i}", "Severity": {"Label": label}} for i, label in enumerate(labels)]
        return {
            "source": "aws.securityhub",
            "detail-type": "Security Hub Findings - Imported",
            "detail": {"findings": findings},
        }

    assert event_pattern_matches(pattern, imported("HIGH"))
    assert event_pattern_matches(pattern, imported("LOW", "CRITICAL"))
    assert not event_pattern_matches(pattern, imported("LOW", "MEDIUM"))
    # Nested arrays: the world-open ingress of an AuthorizeSecurityGroupIngress record.
    world = {
        "detail": {
            "requestParameters": {
                "ipPermissions": {"items": {"ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}}}}
            }
        }
    }
    call = {
        "detail": {
            "requestParameters": {
                "ipPermissions": {
                    "items": [
                        {"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}},
                        {"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}},
                    ]
                }
            }
        }
    }
    assert event_pattern_matches(world, call)
    call["detail"]["requestParameters"]["ipPermissions"]["items"].pop()
    assert not event_pattern_matches(world, call)
    # Operators apply to every element's value too.
    prefix = {"detail": {"findings": {"Id": [{"prefix": "f1"}]}}}
    assert event_pattern_matches(prefix, imported("LOW", "LOW"))
    assert not event_pattern_matches(prefix, imported("LOW"))


def test_a_rule_on_ipPermissions_items_misses_the_legacy_rule_form(emulator):
    """The legacy AuthorizeSecurityGroupIngress (top-level cidrIp, empty ipPermissions) opens the
    group as well, but a rule written only against ipPermissions.items never sees it: the records
    come from the emulator, as CloudTrail writes both forms; an $or over both layouts catches both
    (EventBridge User Guide, "$or matching")."""
    from lab.sim.cloudtrail import as_eventbridge_event
    from lab.sim.event_patterns import event_pattern_matches

    ec2 = emulator.endpoints.client("ec2", "attacker")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    modern = ec2.create_security_group(GroupName="modern", Description="d", VpcId=vpc)["GroupId"]
    legacy = ec2.create_security_group(GroupName="legacy", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=modern,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=legacy, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0"
    )
    events = {
        r["requestParameters"]["groupId"]: as_eventbridge_event(r)
        for r in emulator.recorder.records()
        if r["eventName"] == "AuthorizeSecurityGroupIngress"
    }
    items_only = {
        "detail": {
            "eventName": ["AuthorizeSecurityGroupIngress"],
            "requestParameters": {
                "ipPermissions": {"items": {"ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}}}}
            },
        }
    }
    assert event_pattern_matches(items_only, events[modern])
    assert not event_pattern_matches(items_only, events[legacy])
    both = {
        "detail": {
            "eventName": ["AuthorizeSecurityGroupIngress"],
            "requestParameters": {
                "$or": [
                    {"cidrIp": ["0.0.0.0/0"]},
                    {
                        "ipPermissions": {
                            "items": {"ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}}}
                        }
                    },
                ]
            },
        }
    }
    assert event_pattern_matches(both, events[modern]) and event_pattern_matches(
        both, events[legacy]
    )
