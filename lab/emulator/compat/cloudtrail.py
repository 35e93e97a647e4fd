"""CloudTrail: DeleteTrail by ARN, LookupEvents served from the recorder's history, and the route
through which a technique records an event no API call can make (a console sign-in)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.cloudtrail.models import CloudTrailBackend
from moto.cloudtrail.responses import CloudTrailResponse

from lab.emulator.compat import running
from lab.emulator.compat.routes import Answer, Route, answer
from lab.emulator.recorder import history_username


def apply() -> None:
    _patch_default_event_selectors()
    _patch_delete_trail_by_arn()
    _patch_lookup_events()
    _patch_describe_trails_by_name()


# What a trail records when nobody set its event selectors (CloudTrail User Guide, "Logging
# management events": "By default, trails ... log all management events").
DEFAULT_EVENT_SELECTORS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]


def _patch_default_event_selectors() -> None:
    """Gap: moto answers GetEventSelectors with no selector for a trail whose selectors were never
    set, which reads as "records no management events"; AWS answers the default basic selector."""
    from moto.cloudtrail.models import Trail

    original = Trail.get_event_selectors

    def get_event_selectors(self: Trail) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        basic, advanced = original(self)
        if not basic and not advanced:
            return [dict(s) for s in DEFAULT_EVENT_SELECTORS], advanced
        return basic, advanced

    Trail.get_event_selectors = get_event_selectors  # type: ignore[method-assign]


def _patch_describe_trails_by_name() -> None:
    """Gap: moto's DescribeTrails ignores ``trailNameList`` and answers every trail, so "does trail
    X still exist?" is answered yes whenever any trail exists (a runbook skipped recreating a
    deleted trail). AWS returns the trails named (by name or ARN) and leaves out names that do not
    exist (CloudTrail API, DescribeTrails ``trailNameList``)."""
    original = CloudTrailResponse.describe_trails

    def describe_trails(self: CloudTrailResponse) -> str:
        body = json.loads(original(self))
        wanted = self._get_param("trailNameList") or []
        if wanted:
            body["trailList"] = [
                t
                for t in body["trailList"]
                if t.get("Name") in wanted or t.get("TrailARN") in wanted
            ]
        return json.dumps(body)

    CloudTrailResponse.describe_trails = describe_trails  # type: ignore[method-assign]


def _patch_delete_trail_by_arn() -> None:
    """Gap: moto's DeleteTrail only looks the trail up by name; given the trail's ARN it silently
    deletes nothing. AWS accepts a name or an ARN (CloudTrail API, DeleteTrail ``Name``), and the
    Terraform AWS provider v5 uses the ARN as the trail's id, so ``terraform destroy`` left the
    trail behind (and it kept "logging")."""
    original = CloudTrailBackend.delete_trail

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        trail = self.get_trail(name)  # resolves names and ARNs, raises TrailNotFound like AWS
        original(self, trail.trail_name)

    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]


_LOOKUP_KEYS = {
    "EventId": lambda r: r["eventID"],
    "EventName": lambda r: r["eventName"],
    "EventSource": lambda r: r["eventSource"],
    "ReadOnly": lambda r: "true" if r["readOnly"] else "false",
    "AccessKeyId": lambda r: r["userIdentity"].get("accessKeyId"),
    "Username": lambda r: history_username(r["userIdentity"]),
}


def _epoch(event_time: str) -> float:
    return datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()


def _patch_lookup_events() -> None:
    """Gap: LookupEvents is not implemented. AWS (CloudTrail API Reference, LookupEvents): the last
    90 days of management events of the Region, newest first, with no trail needed; at most one lookup
    attribute (EventId, EventName, EventSource, ReadOnly, AccessKeyId, Username; resource attributes
    are not modelled); StartTime / EndTime inclusive; MaxResults 1-50, default 50; NextToken pages.
    Served from the recorder's history (the observer's calls left out). Simplification: an event is
    visible as soon as it is recorded (AWS publishes no delay for event history)."""

    def lookup_events(self: CloudTrailResponse) -> str:
        params = json.loads(self.body or "{}")
        recorder = running.recorder()
        history = recorder.history() if recorder else []
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise ValueError("LookupAttributes: only one attribute is allowed")
        events = history
        for attribute in attributes:
            getter = _LOOKUP_KEYS.get(attribute["AttributeKey"])
            if getter is None:
                events = []
                continue
            events = [r for r in events if getter(r) == attribute["AttributeValue"]]
        if "StartTime" in params:
            events = [r for r in events if _epoch(r["eventTime"]) >= float(params["StartTime"])]
        if "EndTime" in params:
            events = [r for r in events if _epoch(r["eventTime"]) <= float(params["EndTime"])]
        # Newest first; events of the same second newest first too (the history is in call order,
        # and eventTime has whole seconds: a stable reverse sort kept ties oldest first).
        events = sorted(events, key=lambda r: _epoch(r["eventTime"]))[::-1]
        start = int(params.get("NextToken") or 0)
        size = max(1, min(50, int(params.get("MaxResults") or 50)))
        page = events[start : start + size]
        body: dict[str, Any] = {
            "Events": [
                {
                    "EventId": r["eventID"],
                    "EventName": r["eventName"],
                    "ReadOnly": "true" if r["readOnly"] else "false",
                    "AccessKeyId": r["userIdentity"].get("accessKeyId"),
                    "EventTime": _epoch(r["eventTime"]),
                    "EventSource": r["eventSource"],
                    "Username": history_username(r["userIdentity"]),
                    "Resources": [],
                    "CloudTrailEvent": json.dumps({k: v for k, v in r.items() if k != "lab"}),
                }
                for r in page
            ]
        }
        if start + size < len(events):
            body["NextToken"] = str(start + size)
        return json.dumps(body)

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]


# POST /_lab/cloudtrail-event/<actor> with the record's fields as JSON: the event is recorded as
# CloudTrail writes it (``ApiCallRecorder.inject``) and answered back.
CLOUDTRAIL_EVENT_PATH = "/_lab/cloudtrail-event"


def _inject(actor_name: str, body: bytes) -> Answer:
    """Gap: a console sign-in is made in a browser, not through any API the emulator serves;
    CloudTrail still records it (CloudTrail User Guide, "AWS Management Console sign-in events")."""
    recorder = running.recorder()
    if recorder is None:
        return answer("503 Service Unavailable", "no recorder")
    try:
        record = recorder.inject(actor_name, json.loads(body or b"{}"))
    except (KeyError, ValueError) as exc:
        return answer("400 Bad Request", str(exc))
    return answer("200 OK", json.dumps(record), "application/json")


ROUTES = (Route(CLOUDTRAIL_EVENT_PATH, _inject),)
