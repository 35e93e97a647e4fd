"""The synthetic CloudTrail stream the background load feeds through the trail: reproducible, at
its rate, in its mix, and shaped like CloudTrail's records."""

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from lab.sim.patterns import log_pattern_matches
from lab.sim.synthetic import load_mix, stream

START = datetime(2026, 1, 5, tzinfo=UTC)


def test_synthetic_stream_is_reproducible_at_its_rate_and_in_its_mix():
    a = list(stream(200_000, START, 86_400, seed=4))
    b = list(stream(200_000, START, 86_400, seed=4))
    assert a == b
    assert a != list(stream(200_000, START, 86_400, seed=5))
    assert abs(len(a) - 200_000) < 5 * 200_000**0.5  # Poisson count within 5 sigma
    times = [t for t, _ in a]
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 86_400
    mix = load_mix()
    weights = {e["name"]: e["weight"] for e in mix["events"]}
    share = weights["DescribeInstances"] / sum(weights.values())
    counts = Counter(r["eventName"] for _, r in a)
    assert counts["DescribeInstances"] / len(a) == pytest.approx(share, rel=0.05)
    errors = sum("errorCode" in r for _, r in a) / len(a)
    assert errors == pytest.approx(mix["error_share"], rel=0.15)


def test_synthetic_records_look_like_cloudtrail_and_feed_the_cis_filters():
    records = [r for _, r in stream(50_000, START, 3_600, seed=1)]
    for record in records[:50]:
        assert {
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "eventID",
            "readOnly",
            "eventType",
            "recipientAccountId",
        } <= set(record)
        assert record["eventTime"].startswith("2026-01-05T") and record["eventTime"].endswith("Z")
    unauthorized = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    lines = [json.dumps(r) for r in records]
    hits = sum(log_pattern_matches(unauthorized, line) for line in lines)
    assert 0 < hits < 0.05 * len(lines)  # the background's share of CIS 4.1 noise
