"""CloudTrail in virtual time: which calls a trail records and when they reach EventBridge.

Reads the trails and their status from the account at the moment of each call: nothing is recorded
while no trail is logging (EventBridge needs "a CloudTrail trail with logging enabled" to receive
"AWS API Call via CloudTrail" events: EventBridge User Guide, "Events from AWS services").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from lab.sim.kernel import Record, Simulation

CloudTrailEvent = dict[str, Any]
_NAMESPACE = uuid.UUID("0b6f1a9e-7e4c-4a0e-9a55-41d0c7a1f0aa")
# Data events are not delivered to EventBridge unless the trail logs data events.
DATA_EVENTS = {
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("s3.amazonaws.com", "DeleteObject"),
    ("s3.amazonaws.com", "HeadObject"),
    ("lambda.amazonaws.com", "Invoke"),
    ("sns.amazonaws.com", "Publish"),
    ("sqs.amazonaws.com", "SendMessage"),
    ("sqs.amazonaws.com", "ReceiveMessage"),
    ("logs.amazonaws.com", "PutLogEvents"),
}


def as_eventbridge_event(record: Record) -> CloudTrailEvent:
    """The EventBridge envelope of a CloudTrail record ("AWS API Call via CloudTrail")."""
    detail = {k: v for k, v in record.items() if k != "lab"}
    service = record["eventSource"].split(".")[0]
    return {
        "version": "0",
        "id": str(uuid.uuid5(_NAMESPACE, record["eventID"])),
        "detail-type": "AWS API Call via CloudTrail",
        "source": f"aws.{service}",
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": detail,
    }


class CloudTrail:
    """Delivers recorded management events to EventBridge after a calibrated delay."""

    def __init__(self, sim: Simulation, deliver: Callable[[CloudTrailEvent], None]):
        self.sim = sim
        self.deliver = deliver
        self.client = sim.endpoints.client("cloudtrail", "observer")
        sim.subscribe(self.on_record)

    def logging_trails(self, region: str) -> list[str]:
        """Names of the trails that record calls in ``region`` and are logging now."""
        names = []
        for trail in self.client.describe_trails(includeShadowTrails=True)["trailList"]:
            if not trail.get("IsMultiRegionTrail") and trail.get("HomeRegion") != region:
                continue
            if self.client.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
                names.append(trail["Name"])
        return names

    def on_record(self, record: Record) -> None:
        if record.get("lab", {}).get("observer"):
            return
        if (record["eventSource"], record["eventName"]) in DATA_EVENTS:
            return
        trails = self.logging_trails(record["awsRegion"] or self.sim.endpoints.region)
        if not trails:
            self.sim.log("cloudtrail.not_recorded", event_name=record["eventName"])
            return
        self.sim.env.process(self._deliver(record, trails))

    def _deliver(self, record: Record, trails: list[str]):
        yield self.sim.env.timeout(self.sim.draw("cloudtrail_to_eventbridge_s"))
        event = as_eventbridge_event(record)
        self.sim.log(
            "cloudtrail.delivered_to_eventbridge",
            event_name=record["eventName"],
            trails=trails,
            record_bytes=len(json.dumps(event["detail"], separators=(",", ":"))),
        )
        self.deliver(event)
