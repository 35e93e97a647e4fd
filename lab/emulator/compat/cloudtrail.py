"""CloudTrail: DeleteTrail by ARN, LookupEvents served from the recorder's history, and the route
through which a technique records an event no API call can make (a console sign-in)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.cloudtrail.models import CloudTrailBackend
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError
from moto.s3.exceptions import MissingBucket

from lab.emulator.compat import running
from lab.emulator.compat.iam import role_propagating
from lab.emulator.compat.policies import bucket_policy_and_key, find_key, service_allowed
from lab.emulator.compat.routes import Answer, Route, answer
from lab.emulator.recorder import history_username

CLOUDTRAIL = "cloudtrail.amazonaws.com"


def apply() -> None:
    _patch_trail_needs_bucket_and_key_policies()
    _patch_default_event_selectors()
    _patch_delete_trail_by_arn()
    _patch_lookup_events()
    _patch_describe_trails_by_name()


class InsufficientS3BucketPolicyException(JsonRESTError):
    def __init__(self, bucket: str) -> None:
        super().__init__(
            "InsufficientS3BucketPolicyException",
            f"Incorrect S3 bucket policy is detected for bucket: {bucket}",
        )


class InsufficientEncryptionPolicyException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "InsufficientEncryptionPolicyException",
            "Insufficient permissions to access S3 bucket or KMS key",
        )


class InvalidCloudWatchLogsRoleArnException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "InvalidCloudWatchLogsRoleArnException",
            "Access denied. Verify in IAM that the role has adequate permissions.",
        )


class KmsKeyNotFoundException(JsonRESTError):
    def __init__(self, key_id: str) -> None:
        super().__init__("KmsKeyNotFoundException", f"KMS key {key_id} not found")


def trail_delivery_refusal(
    account_id: str, region: str, trail_name: str, bucket: str, prefix: str, key_id: str
) -> JsonRESTError | None:
    """Why AWS would refuse a trail delivering to ``bucket`` (and encrypting with ``key_id``), or
    None. CloudTrail checks both when the trail is created or updated (CloudTrail API, CreateTrail
    errors InsufficientS3BucketPolicyException / InsufficientEncryptionPolicyException /
    KmsKeyNotFoundException), as the CloudTrail service principal with the trail's ARN and account
    as the request's source: the bucket policy must allow s3:GetBucketAcl on the bucket and
    s3:PutObject under ``[prefix/]AWSLogs/<account>/`` with the bucket-owner-full-control ACL
    ("Amazon S3 bucket policy for CloudTrail"); a key policy must allow kms:GenerateDataKey* with the
    trail's ARN as encryption context, and kms:DescribeKey ("Configure AWS KMS key policies for
    CloudTrail")."""
    trail_arn = f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail_name}"
    source = {"aws:SourceArn": trail_arn, "aws:SourceAccount": account_id}
    try:
        bucket_policy, _ = bucket_policy_and_key(account_id, bucket)
    except MissingBucket:
        return None  # moto's own check answers S3BucketDoesNotExistException
    log_key = f"{prefix.strip('/') + '/' if prefix else ''}AWSLogs/{account_id}/CloudTrail/"
    may_write = service_allowed(
        bucket_policy, CLOUDTRAIL, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", source
    ) and service_allowed(
        bucket_policy,
        CLOUDTRAIL,
        "s3:PutObject",
        f"arn:aws:s3:::{bucket}/{log_key}{region}/log.json.gz",
        {**source, "s3:x-amz-acl": "bucket-owner-full-control"},
    )
    if not may_write:
        return InsufficientS3BucketPolicyException(bucket)
    if not key_id:
        return None
    key = find_key(account_id, region, key_id)
    if key is None:
        return KmsKeyNotFoundException(key_id)
    context = {**source, "kms:EncryptionContext:aws:cloudtrail:arn": trail_arn}
    if not (
        service_allowed(key.policy, CLOUDTRAIL, "kms:GenerateDataKey", key.arn, context)
        and service_allowed(key.policy, CLOUDTRAIL, "kms:DescribeKey", key.arn, source)
    ):
        return InsufficientEncryptionPolicyException()
    return None


def _patch_trail_needs_bucket_and_key_policies() -> None:
    """Gap: moto creates a trail whatever its bucket policy and key policy allow, so a trail that
    could never deliver a log file on AWS looked healthy in the lab. The emulator refuses it as AWS
    does (``trail_delivery_refusal``), before anything is written."""
    original_create = CloudTrailBackend.create_trail
    original_update = CloudTrailBackend.update_trail

    def create_trail(self: CloudTrailBackend, name: str, bucket_name: str, *args: Any) -> Any:
        prefix, kms_key_id, logs_role_arn = args[0], args[-2], args[-3]
        # CloudTrail assumes the CloudWatch Logs role when the trail is created (CloudTrail API,
        # CreateTrail: InvalidCloudWatchLogsRoleArnException, "the provided role is not valid"): a
        # role IAM has not propagated yet is refused, which Terraform's provider retries.
        if logs_role_arn and role_propagating(self.account_id, logs_role_arn):
            raise InvalidCloudWatchLogsRoleArnException()
        refusal = trail_delivery_refusal(
            self.account_id, self.region_name, name, bucket_name, prefix or "", kms_key_id or ""
        )
        if refusal is not None:
            raise refusal
        return original_create(self, name, bucket_name, *args)

    def update_trail(self: CloudTrailBackend, name: str, **kwargs: Any) -> Any:
        trail = self.get_trail(name)
        prefix, kms_key_id = kwargs.get("s3_key_prefix"), kwargs.get("kms_key_id")
        refusal = trail_delivery_refusal(
            self.account_id,
            self.region_name,
            trail.trail_name,
            kwargs.get("s3_bucket_name") or trail.bucket_name,
            (prefix if prefix is not None else trail.s3_key_prefix) or "",
            (kms_key_id if kms_key_id is not None else trail.kms_key_id) or "",
        )
        if refusal is not None:
            raise refusal
        return original_update(self, name, **kwargs)

    CloudTrailBackend.create_trail = create_trail  # type: ignore[method-assign]
    CloudTrailBackend.update_trail = update_trail  # type: ignore[method-assign]


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
    Served from the recorder's history (the observer's calls left out); while a simulation runs, a
    call appears only after CloudTrail's event-history delay (``lab.sim.event_history``)."""

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
