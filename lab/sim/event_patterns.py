"""EventBridge event patterns: moto's matcher, behind the simulated default bus. It implements
every operator of "Content filtering in Amazon EventBridge event patterns" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
prefix, suffix, anything-but (values, prefix, suffix, wildcard, equals-ignore-case), numeric, cidr,
exists, equals-ignore-case, wildcard, $or, arrays, null and empty strings; the tests hold it to the
page's examples. One correction (``AwsEventPattern``): moto stops flattening an event at arrays,
so a pattern on a field inside an array of objects (``detail.findings.Severity.Label`` of a Security
Hub import, ``ipPermissions.items.ipRanges.items.cidrIp`` of an ingress call) never matched; AWS
flattens the array, each path holding the values of every element ("Arrays in event patterns")."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern


class AwsEventPattern(EventPattern):
    """moto's matcher, flattening arrays of objects as EventBridge does: the values of a path
    inside an array are those of every element (an element's own arrays included)."""

    @staticmethod
    def _flatten_dict(
        node: Any, prefix: str = "", result: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result = {} if result is None else result
        if not isinstance(node, dict):
            return result
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and value:
                AwsEventPattern._flatten_dict(value, path, result)
            elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
                for element in value:
                    inner = (
                        AwsEventPattern._flatten_dict(element, path, {})
                        if isinstance(element, dict)
                        else {path: element}
                    )
                    for inner_path, inner_value in inner.items():
                        values = inner_value if isinstance(inner_value, list) else [inner_value]
                        result[inner_path] = [*result.get(inner_path, []), *values]
            else:
                result[path] = value
        return result


def event_pattern_matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    """Does ``event`` match the EventBridge ``pattern`` (a dict or its JSON)?"""
    raw = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return AwsEventPattern.load(raw).matches_event(event)


class CompiledPattern:
    """moto's matcher behind an exact pre-check, for the default bus's throughput: every leaf of
    the pattern that lists only plain strings (``"source": ["aws.ec2"]``, ``"eventName": [...]``,
    outside ``$or``) is a condition any matching event meets, so an event whose value there is a
    string outside the list is rejected without running the matcher. Anything else (arrays, missing
    fields, operators) goes to the matcher, so the answer is always moto's."""

    def __init__(self, raw: str):
        self.matcher = AwsEventPattern.load(raw)
        self.required: list[tuple[tuple[str, ...], frozenset[str]]] = []
        self._collect(json.loads(raw), ())

    def _collect(self, node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key == "$or":
                continue
            if isinstance(value, dict):
                self._collect(value, (*path, key))
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                self.required.append(((*path, key), frozenset(value)))

    def matches_event(self, event: dict[str, Any]) -> bool:
        for path, allowed in self.required:
            value: Any = event
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and value not in allowed:
                return False
        return self.matcher.matches_event(event)
