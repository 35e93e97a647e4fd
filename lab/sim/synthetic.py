"""A synthetic CloudTrail stream: records in CloudTrail's format, in a documented event mix
(``event_mix.yaml``), at a given number of events per simulated day, for driving detectors and
matchers at account scale without API calls. Arrivals are a Poisson process; everything is drawn
from one seeded generator, so the same seed gives the same stream."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lab.emulator.recorder import DEFAULT_ACCOUNT_ID

MIX_FILE = Path(__file__).with_name("event_mix.yaml")


def load_mix(path: Path = MIX_FILE) -> dict[str, Any]:
    """The event mix (events with weights, principals, error share)."""
    return yaml.safe_load(Path(path).read_text())


def _identity(principal: dict[str, Any], account: str) -> dict[str, Any]:
    kind, name = principal["type"], principal["name"]
    if kind == "AWSService":
        return {"type": "AWSService", "invokedBy": name}
    if kind == "AssumedRole":
        return {
            "type": "AssumedRole",
            "principalId": f"AROALAB{zlib.crc32(name.encode()):012d}:{name}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{name}",
            "accountId": account,
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": name}},
        }
    return {
        "type": "IAMUser",
        "principalId": f"AIDALAB{zlib.crc32(name.encode()):012d}",
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "userName": name,
    }


def stream(
    events_per_day: float,
    start: datetime,
    duration_s: float,
    seed: int,
    region: str = "us-east-1",
    account: str = DEFAULT_ACCOUNT_ID,
    mix: dict[str, Any] | None = None,
) -> Iterator[tuple[float, dict[str, Any]]]:
    """``(seconds from start, record)`` pairs in time order: a Poisson stream of
    ``events_per_day`` management events over ``duration_s`` seconds."""
    mix = mix or load_mix()
    rng = np.random.default_rng(seed)
    count = int(rng.poisson(events_per_day * duration_s / 86_400))
    times = np.sort(rng.uniform(0, duration_s, count))
    events = mix["events"]
    weights = np.array([e["weight"] for e in events], dtype=float)
    kinds = rng.choice(len(events), size=count, p=weights / weights.sum())
    principals = mix["principals"]
    p_weights = np.array([p["weight"] for p in principals], dtype=float)
    who = rng.choice(len(principals), size=count, p=p_weights / p_weights.sum())
    failed = rng.random(count) < float(mix.get("error_share", 0))
    codes = mix.get("error_codes") or ["AccessDenied"]
    code_index = rng.integers(0, len(codes), size=count)
    identities = [_identity(p, account) for p in principals]
    base = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "ms")
    stamps = np.datetime_as_string(base + (times * 1000).astype("timedelta64[ms]"), unit="s")
    ids = rng.bytes(32 * count)
    for i in range(count):
        event, principal = events[kinds[i]], principals[who[i]]
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identities[who[i]],
            "eventTime": f"{stamps[i]}Z",
            "eventSource": event["source"],
            "eventName": event["name"],
            "awsRegion": region,
            "sourceIPAddress": principal["source_ip"],
            "userAgent": principal["user_agent"],
            "requestParameters": event.get("request"),
            "responseElements": event.get("response"),
            "requestID": str(uuid.UUID(bytes=ids[32 * i : 32 * i + 16])),
            "eventID": str(uuid.UUID(bytes=ids[32 * i + 16 : 32 * i + 32])),
            "readOnly": bool(event["read_only"]),
            "eventType": "AwsConsoleSignIn"
            if event["source"] == "signin.amazonaws.com"
            else "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }
        if event.get("additional"):
            record["additionalEventData"] = event["additional"]
        if failed[i] and event["source"] != "signin.amazonaws.com":
            record["errorCode"] = codes[code_index[i]]
            record["errorMessage"] = f"User is not authorized to perform: {event['name']}"
            record["responseElements"] = None
        yield float(times[i]), record
