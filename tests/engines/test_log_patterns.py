"""The CloudWatch Logs filter-pattern language against the examples AWS documents.

Source of the events and the expected results: CloudWatch Logs User Guide, "Filter pattern syntax
for metric filters, subscription filters, filter log events, and Live Tail"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html), sections
"Matching terms in unstructured log events", "Using filter patterns to match terms in JSON log
events" and "Using filter patterns to match terms in space-delimited log events".
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.engines.log_patterns import PatternError, validate
from lab.sim.patterns import extract_fields, log_pattern_matches, metric_value

UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", [True, True, True, True]),
        ("ERROR ARGUMENTS", [False, False, True, True]),
        ("?ARGUMENTS ?UNAUTHORIZED", [False, True, True, True]),
        ('"INVALID ARGUMENTS"', [False, False, False, True]),
        ("ERROR -ARGUMENTS", [True, True, False, False]),
        ("error", [False, False, False, False]),  # case-sensitive
        ("%ERROR 4[01][0-9]%", [True, True, True, False]),
        ("", [True, True, True, True]),
    ],
)
def test_terms_in_unstructured_events(pattern: str, expected: list[bool]) -> None:
    assert [log_pattern_matches(pattern, event) for event in UNSTRUCTURED] == expected


JSON_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "cluster.name": "c",
        "ThisFlag": True,
        "latency": 51,
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "DeleteTrail" }', False),
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress = 111.111.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "value" }', False),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.objectList[1].id > 2 }", False),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.SomeObject NOT EXISTS }", False),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.['cluster.name'] = \"c\" }", True),
        ("{ $.latency > 50 }", True),
        ("{ $.latency >= 52 }", False),
        ('{ ($.eventType = "UpdateTrail") && ($.latency < 100) }', True),
        ('{ ($.eventType = "DeleteTrail") || ($.objectList[0].name = "a") }', True),
        ('{ $.eventType = "DeleteTrail" || $.latency = 51 && $.ThisFlag IS FALSE }', False),
        ("{ $.eventType = %Update[A-Z]% }", True),
    ],
)
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert log_pattern_matches(pattern, JSON_EVENT) is expected


def test_json_pattern_never_matches_plain_text() -> None:
    assert not log_pattern_matches('{ $.eventType = "UpdateTrail" }', "UpdateTrail happened")


APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code]", False),  # one field short
        ('[ip, user, username, timestamp, request = "*gif*", status_code = 2*, bytes]', True),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", False),
        ("[..., status_code = 200, bytes > 1000]", True),
        ("[..., status_code = 404, bytes]", False),
        ("[ip = 127.0.0.1, ...]", True),
        ("[ip != 127.0.0.1, ...]", False),
        ("[..., status_code = 4* || status_code = 2*, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code, bytes < 1000]", False),
    ],
)
def test_space_delimited_patterns(pattern: str, expected: bool) -> None:
    assert log_pattern_matches(pattern, APACHE) is expected


def test_metric_values_from_fields() -> None:
    pattern = "[ip, user, username, timestamp, request, status_code, bytes]"
    assert metric_value(pattern, "$bytes", APACHE) == 1534.0
    assert metric_value(pattern, "1", APACHE) == 1.0
    assert metric_value("{ $.latency > 0 }", "$.latency", JSON_EVENT) == 51.0
    assert metric_value("{ $.latency > 100 }", "$.latency", JSON_EVENT) is None  # no match
    assert extract_fields(pattern, APACHE)["request"] == "GET /apache_pb.gif HTTP/1.0"


def test_sshd_lines_and_the_manual_filter() -> None:
    line = (
        "Nov 26 05:22:51 ip-10-42-77-4 sshd[2345]: Failed password for invalid user admin "
        "from 203.0.113.66 port 51234 ssh2"
    )
    assert log_pattern_matches('"Failed password"', line)
    assert not log_pattern_matches('"Accepted publickey"', line)
    assert log_pattern_matches(
        '"sudo" "authentication failure"', "sudo: pam_unix(sudo:auth): authentication failure"
    )


@pytest.mark.parametrize("pattern", ["{ $.a = ", "{ a = 1 }", "[a, , b]", "{ $.a = 1 ", "[a, b"])
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        validate(pattern)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_a_quoted_phrase_matches_exactly_when_it_is_a_substring(message: str) -> None:
    phrase = "Failed password"
    assert log_pattern_matches(f'"{phrase}"', message) is (phrase in message)


def test_the_needle_shortcut_never_changes_an_answer():
    """The exact pre-check (substrings a match must contain) against full evaluation, on the 15 CIS
    patterns and a synthetic CloudTrail stream with the attack calls, escapes and numbers mixed in."""
    import copy
    from datetime import UTC, datetime

    from lab.engines.log_patterns import _compile
    from lab.paths import TERRAFORM_DIR
    from lab.sim.synthetic import stream

    controls = json.loads((TERRAFORM_DIR / "modules/cis_alarms/filters.json").read_text())
    records = [r for _, r in stream(40_000, datetime(2026, 1, 5, tzinfo=UTC), 3_600, seed=9)]
    extra = [
        {"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com"},
        {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"},
        {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}},
        {"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall"},
        {"eventName": "Stop\u00adLogging", "eventSource": "cloudtrail.amazonaws.com"},  # escaped
        {"eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion"},
        {"eventName": 5, "errorCode": "AccessDenied"},
        {"eventSource": "ec2.amazonaws.com", "eventName": "CreateRoute"},
    ]
    lines = [json.dumps(r) for r in [*records, *extra]]
    checked = 0
    for control in controls["controls"]:
        compiled = _compile(control["pattern"].strip())
        assert compiled.single or compiled.multiple, control["id"]  # every CIS pattern has one
        full = copy.copy(compiled)
        full.single, full.multiple = (), ()
        for line in lines:
            assert compiled.matches(line) == full.matches(line), (control["id"], line[:200])
            checked += 1
    assert checked >= 15 * 1_000


def test_the_event_pattern_pre_check_never_changes_moto_s_answer():
    from datetime import UTC, datetime

    from moto.events.models import EventPattern

    from lab.sim.cloudtrail import as_eventbridge_event
    from lab.sim.event_patterns import CompiledPattern
    from lab.sim.synthetic import stream

    patterns = [
        {"source": ["aws.ec2"], "detail": {"eventName": ["AuthorizeSecurityGroupIngress"]}},
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"userIdentity": {"type": ["Root"]}},
        },
        {"source": ["aws.iam", "aws.sts"], "detail": {"eventName": [{"prefix": "Create"}]}},
        {"$or": [{"source": ["aws.kms"]}, {"detail": {"eventName": ["StopLogging"]}}]},
        {"detail": {"eventName": ["RunInstances"], "errorCode": [{"exists": False}]}},
    ]
    records = [r for _, r in stream(20_000, datetime(2026, 1, 5, tzinfo=UTC), 3_600, seed=3)]
    events = [as_eventbridge_event({**r, "eventID": str(i)}) for i, r in enumerate(records)]
    events.append({"source": ["aws.ec2"], "detail": {"eventName": "AuthorizeSecurityGroupIngress"}})
    for pattern in patterns:
        raw = json.dumps(pattern)
        fast, moto_matcher = CompiledPattern(raw), EventPattern.load(raw)
        answers = [fast.matches_event(e) for e in events]
        assert answers == [moto_matcher.matches_event(e) for e in events], pattern


@given(
    st.lists(st.text("abcdeP", min_size=1, max_size=9), min_size=2, max_size=12, unique=True),
    st.text("abcdeP ", max_size=60),
)
def test_grouped_needles_find_one_exactly_when_one_is_there(needles, text):
    from lab.engines.log_patterns import _grouped

    groups = _grouped(tuple(needles))
    assert sorted(m for _, members in groups for m in members) == sorted(needles)
    found = any(shared in text and any(m in text for m in members) for shared, members in groups)
    assert found == any(n in text for n in needles)
