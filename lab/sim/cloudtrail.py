"""CloudTrail in virtual time: which calls a trail records and where they are delivered.

Reads the trails and their status from the account at the moment of each call: nothing is recorded
while no trail is logging (EventBridge needs "a CloudTrail trail with logging enabled" to receive
"AWS API Call via CloudTrail" events: EventBridge User Guide, "Events from AWS services"). The call
that stops or deletes a trail is itself the last one that trail records. Each recording trail
delivers the record to EventBridge, to its CloudWatch Logs group if it has one (stream
``<account>_CloudTrail_<region>``) and to its S3 bucket in log files of about five minutes of
events, each after its calibrated delay.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from lab.emulator.recorder import DATA_EVENTS
from lab.sim.kernel import Record, Simulation
from lab.sim.logs import CloudWatchLogs
from lab.sim.readback import Readback, by_name

CloudTrailEvent = dict[str, Any]
_NAMESPACE = uuid.UUID("0b6f1a9e-7e4c-4a0e-9a55-41d0c7a1f0aa")
# Data events (DATA_EVENTS) are not delivered to EventBridge unless the trail logs data events.
# A trail records the call that stops or deletes it (CloudTrail User Guide: StopLogging and
# DeleteTrail appear in the trail's own log).
_SELF_ENDING = {"StopLogging", "DeleteTrail"}
# Global services: their calls are recorded in us-east-1, and only by trails that include global
# service events (CloudTrail User Guide, "Global service events": IAM, AWS STS's global endpoint,
# CloudFront, Route 53, Organizations).
GLOBAL_SERVICE_SOURCES = frozenset(
    {
        "iam.amazonaws.com",
        "cloudfront.amazonaws.com",
        "route53.amazonaws.com",
        "organizations.amazonaws.com",
    }
)
S3_FILE_WINDOW_S = 300  # "CloudTrail publishes log files about every 5 minutes"


def as_eventbridge_event(record: Record) -> CloudTrailEvent:
    """The EventBridge envelope of a CloudTrail record: "AWS API Call via CloudTrail", or "AWS
    Console Sign In via CloudTrail" for a sign-in (EventBridge User Guide, "Events from AWS
    services": sign-in events come from aws.signin with that detail type)."""
    detail = {k: v for k, v in record.items() if k != "lab"}
    service = record["eventSource"].split(".")[0]
    sign_in = record.get("eventType") == "AwsConsoleSignIn"
    return {
        "version": "0",
        "id": str(uuid.uuid5(_NAMESPACE, record["eventID"])),
        "detail-type": "AWS Console Sign In via CloudTrail"
        if sign_in
        else "AWS API Call via CloudTrail",
        "source": f"aws.{service}",
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": detail,
    }


class CloudTrail:
    """Delivers recorded management events to EventBridge, CloudWatch Logs and S3."""

    def __init__(
        self,
        sim: Simulation,
        deliver: Callable[[CloudTrailEvent], None],
        logs: CloudWatchLogs | None = None,
    ):
        self.sim = sim
        self.deliver = deliver
        self.logs = logs
        self.client = sim.endpoints.client("cloudtrail", "observer")
        self.s3 = sim.endpoints.client("s3", "observer")
        self._files: dict[tuple[str, int], list[Record]] = {}
        self._not_cron_only: set[tuple[str, int]] = set()
        self._not_background_only: set[tuple[str, int]] = set()
        self._trails: Readback[list[dict[str, Any]]] = Readback(
            sim.recorder, {"cloudtrail.amazonaws.com"}
        )
        sim.subscribe(self.on_record)

    def _recording_now(self) -> list[dict[str, Any]]:
        """Every trail with its logging status (read again after any CloudTrail write)."""
        return self._trails.get(self._read_trails)

    def _read_trails(self) -> list[dict[str, Any]]:
        trails = by_name(
            self.client.describe_trails(includeShadowTrails=True)["trailList"], "TrailARN"
        )
        for trail in trails:
            trail["_logging"] = bool(
                self.client.get_trail_status(Name=trail["TrailARN"]).get("IsLogging")
            )
        return trails

    def logging_trails(
        self, region: str, ending: str | None = None, global_service: bool = False
    ) -> list[dict[str, Any]]:
        """The trails that record calls in ``region`` now (``ending``: a trail whose StopLogging or
        DeleteTrail is being recorded, which still records that call; ``global_service``: a call
        of a global service, which a trail without global service events does not record)."""
        found = []
        for trail in self._recording_now():
            if not trail.get("IsMultiRegionTrail") and trail.get("HomeRegion") != region:
                continue
            if global_service and trail.get("IncludeGlobalServiceEvents") is False:
                continue
            if ending in (trail["Name"], trail["TrailARN"]) or trail["_logging"]:
                found.append({k: v for k, v in trail.items() if k != "_logging"})
        known = {t["Name"] for t in found} | {t["TrailARN"] for t in found}
        if ending and ending not in known:  # deleted: its destinations are gone with it
            found.append({"Name": ending.split("/")[-1], "TrailARN": ending})
        return found

    def on_record(self, record: Record) -> None:
        if record.get("lab", {}).get("observer"):
            return
        if (record["eventSource"], record["eventName"]) in DATA_EVENTS:
            return
        ending = None
        if record["eventName"] in _SELF_ENDING and not record.get("errorCode"):
            ending = (record.get("requestParameters") or {}).get("name")
        trails = self.logging_trails(
            record["awsRegion"] or self.sim.endpoints.region,
            ending,
            record["eventSource"] in GLOBAL_SERVICE_SOURCES,
        )
        if not trails:
            self.sim.log("cloudtrail.not_recorded", event_name=record["eventName"])
            return
        names = [t["Name"] for t in trails]
        background = bool(record.get("lab", {}).get("background"))
        cron = bool(record.get("lab", {}).get("cron"))
        self.sim.env.process(self._to_eventbridge(record, names, background, cron))
        for trail in trails:
            if trail.get("CloudWatchLogsLogGroupArn") and self.logs is not None:
                self.sim.env.process(self._to_logs([record], trail, background, cron))
            if trail.get("S3BucketName"):
                self._to_s3_file(record, trail, cron)

    def record_background(self, records: list[Record]) -> None:
        """A batch of the background load's records (synthetic, made now): delivered like any
        record, but logged in aggregate (one timeline event per batch, not per record)."""
        records = [r for r in records if (r["eventSource"], r["eventName"]) not in DATA_EVENTS]
        trails = self.logging_trails(self.sim.endpoints.region)
        if not trails or not records:
            self.sim.log("cloudtrail.background_not_recorded", records=len(records))
            return
        for record in records:
            record.setdefault("lab", {})["background"] = True
        self.sim.env.process(self._background_to_eventbridge(records))
        for trail in trails:
            if trail.get("CloudWatchLogsLogGroupArn") and self.logs is not None:
                self.sim.env.process(self._to_logs(records, trail, True))
            if trail.get("S3BucketName"):
                for record in records:
                    self._to_s3_file(record, trail, background=True)

    def _background_to_eventbridge(self, records: list[Record]):
        yield self.sim.env.timeout(self.sim.draw("cloudtrail_to_eventbridge_s", background=True))
        events = [as_eventbridge_event(r) for r in records]
        self.sim.log(
            "cloudtrail.delivered_to_eventbridge",
            background=True,
            records=len(events),
            record_bytes=sum(
                len(json.dumps(e["detail"], separators=(",", ":"), default=str)) for e in events
            ),
        )
        for event in events:
            self.deliver(event, background=True)

    def _to_eventbridge(
        self, record: Record, trails: list[str], background: bool = False, cron: bool = False
    ):
        yield self.sim.env.timeout(self.sim.draw("cloudtrail_to_eventbridge_s", cron, background))
        event = as_eventbridge_event(record)
        self.sim.log(
            "cloudtrail.delivered_to_eventbridge",
            event_name=record["eventName"],
            trails=trails,
            record_bytes=len(json.dumps(event["detail"], separators=(",", ":"))),
            **({"background": True} if background else {}),
        )
        if background:
            self.deliver(event, background=True)
        else:
            self.deliver(event)

    def _to_logs(
        self,
        records: list[Record],
        trail: dict[str, Any],
        background: bool = False,
        cron: bool = False,
    ):
        yield self.sim.env.timeout(
            self.sim.draw("cloudtrail_to_cloudwatch_logs_s", cron, background)
        )
        group = trail["CloudWatchLogsLogGroupArn"].split(":log-group:")[1].split(":")[0]
        account, region = records[0]["recipientAccountId"], records[0]["awsRegion"]
        t = self.sim.now
        self.logs.ingest(  # type: ignore[union-attr]
            group,
            f"{account}_CloudTrail_{region}",
            [
                (
                    t,
                    json.dumps(
                        {k: v for k, v in r.items() if k != "lab"},
                        separators=(",", ":"),
                        default=str,
                    ),
                )
                for r in records
            ],
            source=f"cloudtrail:{trail['Name']}",
            background=background,
            cron=cron,
        )

    def _to_s3_file(
        self, record: Record, trail: dict[str, Any], cron: bool = False, background: bool = False
    ) -> None:
        window = math.floor(self.sim.now / S3_FILE_WINDOW_S) * S3_FILE_WINDOW_S
        slot = (trail["Name"], window)
        if slot not in self._files:
            self._files[slot] = []
            self.sim.env.process(self._write_file(trail, slot))
        self._files[slot].append({k: v for k, v in record.items() if k != "lab"})
        if not cron:
            self._not_cron_only.add(slot)
        if not background:
            self._not_background_only.add(slot)

    def _write_file(self, trail: dict[str, Any], slot: tuple[str, int]):
        yield self.sim.env.timeout(slot[1] + S3_FILE_WINDOW_S - self.sim.now)
        # A file of the cron's calls alone draws from the cron's stream (see Simulation.draw).
        cron_only = slot not in self._not_cron_only
        self._not_cron_only.discard(slot)
        # And one of the background load's records alone from the background's.
        background_only = slot not in self._not_background_only
        self._not_background_only.discard(slot)
        yield self.sim.env.timeout(self.sim.draw("cloudtrail_to_s3_s", cron_only, background_only))
        records = self._files.pop(slot)
        account = records[0]["recipientAccountId"]
        region = records[0]["awsRegion"]
        body = json.dumps({"Records": records}, separators=(",", ":"), default=str).encode()
        # The file name's unique string: from what the file holds, but not from its request ids
        # (random, made by the SDK) so that a run gives the same names again.
        identity = [(r["eventTime"], r["eventSource"], r["eventName"]) for r in records]
        unique = hashlib.sha1(json.dumps([trail["Name"], identity]).encode()).hexdigest()[:16]
        moment = self.sim.now_datetime()
        prefix = trail.get("S3KeyPrefix")
        key = (
            f"{prefix + '/' if prefix else ''}AWSLogs/{account}/CloudTrail/{region}/"
            f"{moment:%Y/%m/%d}/{account}_CloudTrail_{region}_{moment:%Y%m%dT%H%MZ}_"
            f"{unique}.json.gz"
        )
        try:
            self.s3.put_object(
                Bucket=trail["S3BucketName"], Key=key, Body=gzip.compress(body, mtime=0)
            )
        except ClientError as error:  # a deleted or unwritable bucket: CloudTrail cannot deliver
            self.sim.log("cloudtrail.s3_delivery_failed", trail=trail["Name"], error=str(error))
            return
        self.sim.log(
            "cloudtrail.delivered_to_s3", trail=trail["Name"], records=len(records), key=key
        )
