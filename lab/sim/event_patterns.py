"""EventBridge event patterns: moto's matcher, the one behind the emulated TestEventPattern and the
simulated default bus. It implements every operator of "Content filtering in Amazon EventBridge event
patterns" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
prefix, suffix, anything-but (values, prefix, suffix, wildcard, equals-ignore-case), numeric, cidr,
exists, equals-ignore-case, wildcard, $or, arrays, null and empty strings; the tests hold it to the
page's examples, so nothing is re-implemented here."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern


def event_pattern_matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    """Does ``event`` match the EventBridge ``pattern`` (a dict or its JSON)?"""
    raw = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return EventPattern.load(raw).matches_event(event)
