"""The shared detection list is well-formed: cited, named as rules can be, each pattern matching
exactly the calls it lists, as EventBridge's pattern language reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lab.detections import CATALOG, load
from lab.paths import TERRAFORM_DIR
from lab.sim.event_patterns import CompiledPattern


def _call(source: str, name: str) -> dict:
    return {
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + source.split(".")[0],
        "detail": {"eventSource": source, "eventName": name, "userIdentity": {"type": "IAMUser"}},
    }


def test_every_detection_is_cited_and_terraform_reads_the_same_file():
    detections = load()
    assert len(detections) >= 20
    assert all(d.sources for d in detections)
    assert (TERRAFORM_DIR / "detections.yaml").resolve() == CATALOG.resolve()


@pytest.mark.parametrize("detection", load(), ids=lambda d: d.id)
def test_a_pattern_matches_each_call_it_lists_and_no_other(detection):
    pattern = CompiledPattern(json.dumps(detection.pattern))
    sources = detection.pattern["detail"].get("eventSource")
    if not sources or "requestParameters" in detection.pattern["detail"]:
        pytest.skip("matches on other fields than the call's name (tested by the techniques)")
    for name in detection.event_names:
        assert any(pattern.matches_event(_call(s, name)) for s in sources), name
    assert not any(pattern.matches_event(_call(s, "ListBuckets")) for s in sources)


def test_a_detection_without_a_source_address_or_with_a_long_id_is_refused(tmp_path: Path):
    path = tmp_path / "catalog.yaml"
    entry = {"id": "x", "title": "t", "sources": ["CIS 4.1"], "pattern": {"source": ["aws.s3"]}}
    path.write_text(json.dumps({"detections": [entry]}))
    with pytest.raises(ValidationError, match="address in parentheses"):
        load(path)
    path.write_text(
        json.dumps({"detections": [entry | {"id": "a" * 60, "sources": ["S (https://x.org)"]}]})
    )
    with pytest.raises(ValidationError, match="at most 51"):
        load(path)
