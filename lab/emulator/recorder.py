"""Every AWS call that reaches the emulator, whoever made it, as a CloudTrail record.

A WSGI middleware in front of moto: it sees the raw request (so boto3, the aws CLI and Terraform are
all covered, over the query, JSON and REST protocols), lets moto answer, and writes one record in the
CloudTrail format (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
``eventTime`` comes from a clock the harness sets, so records carry virtual time during a simulation.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from lab.emulator import layouts
from lab.emulator.actors import DEFAULT_ACCOUNT_ID, actor, actor_for_key
from lab.emulator.operations import Operation, resolve, typed
from lab.emulator.wsgi import buffered_body

Clock = Callable[[], datetime]
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")
_RESPONSE_ELEMENTS_MAX_BYTES = 4096
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c1b1e-8d7a-4a57-9d0f-3c2b7e0c1a11")
_REQUEST_ID_NAMESPACE = uuid.UUID("0b3f5d6e-2c41-4f0e-9a7b-5e8d1c2f3a40")
# botocore writes its feature codes ("m/N,E,e,Z,b") in the order of a Python set, which changes
# with each process's hash seed; sorted, a record is the same from run to run.
_FEATURE_CODES = re.compile(r"(?<=\bm/)[A-Za-z0-9,]+")


# Calls CloudTrail records as data events, not management events (CloudTrail User Guide, "Logging
# data events"): a trail without data event selectors leaves them out, and they change objects,
# messages and log streams, never a resource's configuration.
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


def history_username(identity: dict[str, Any]) -> str | None:
    """The ``Username`` CloudTrail event history gives a record's identity (LookupEvents)."""
    if identity.get("type") == "Root":
        return "root"
    if identity.get("type") == "AssumedRole":
        return str(identity.get("arn", "")).rsplit("/", 1)[-1]
    return identity.get("userName")


def wall_clock() -> datetime:
    return datetime.now(UTC)


def format_event_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Where CloudTrail names an event differently from the SDK's operation (CloudTrail User Guide,
# "Amazon S3 bucket-level actions tracked by CloudTrail logging").
_CLOUDTRAIL_EVENT_NAMES = {
    ("s3.amazonaws.com", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3.amazonaws.com", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3.amazonaws.com", "DeletePublicAccessBlock"): "DeleteBucketPublicAccessBlock",
    # Lambda's records name the API version the call used (Lambda Developer Guide, "Logging Lambda
    # API calls using CloudTrail": e.g. UpdateFunctionConfiguration20150331v2).
    ("lambda.amazonaws.com", "CreateFunction"): "CreateFunction20150331",
    ("lambda.amazonaws.com", "AddPermission"): "AddPermission20150331v2",
    ("lambda.amazonaws.com", "RemovePermission"): "RemovePermission20150331v2",
    ("lambda.amazonaws.com", "UpdateFunctionCode"): "UpdateFunctionCode20150331v2",
    (
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration",
    ): "UpdateFunctionConfiguration20150331v2",
    ("lambda.amazonaws.com", "PublishLayerVersion"): "PublishLayerVersion20181031",
}


class ApiCallRecorder:
    """WSGI middleware that turns requests into CloudTrail records, kept in memory in call order."""

    def __init__(self, app: Callable[..., Iterable[bytes]], account_id: str = DEFAULT_ACCOUNT_ID):
        self.app = app
        self.account_id = account_id
        self.clock: Clock = wall_clock
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._sequence = 0
        self._id_seed, self._id_count = 0, 0  # event and request ids: (seed, calls since it)
        self._history: list[
            dict[str, Any]
        ] = []  # CloudTrail event history (observer calls left out)
        self._last_write: dict[
            tuple[str, bool], int
        ] = {}  # (eventSource, data event?) -> sequence of its last successful write
        # LookupEvents' Username -> sequence of its newest event-history record (None: anyone's).
        self._last_history: dict[str | None, int] = {}
        self.identity_resolver: Callable[[str], dict[str, Any] | None] = lambda _key: None
        # While a simulation runs, a new event-history record stays out of LookupEvents' answers
        # until the simulation reveals it (``reveal``), after CloudTrail's event-history delay.
        self.history_delayed = False

    # -- reading ---------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """A copy of every record so far."""
        with self._lock:
            return list(self._records)

    def drain(self) -> list[dict[str, Any]]:
        """The records since the last drain, removed from the buffer."""
        with self._lock:
            out, self._records = self._records, []
            return out

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def forget(self) -> None:
        """Forget everything, history included (the account was reset)."""
        with self._lock:
            self._records.clear()
            self._history.clear()
            self._last_write.clear()
            self._last_history.clear()

    def history(self) -> list[dict[str, Any]]:
        """Every record CloudTrail event history shows now (LookupEvents), oldest first: those
        still within the event-history delay left out."""
        with self._lock:
            return [r for r in self._history if not r["lab"].get("history_pending")]

    def reveal(self, record: dict[str, Any]) -> None:
        """``record`` appears in event history now (a change LookupEvents' readers can see)."""
        with self._lock:
            if record["lab"].pop("history_pending", False):
                self._sequence += 1
                self._mark_history(record)

    def reveal_all(self) -> None:
        """Every record still pending appears in event history (the simulation ended)."""
        with self._lock:
            pending = [r for r in self._history if r["lab"].get("history_pending")]
        for record in pending:
            self.reveal(record)

    def _mark_history(self, record: dict[str, Any]) -> None:
        self._last_history[None] = self._sequence
        self._last_history[history_username(record["userIdentity"])] = self._sequence

    def seed_ids(self, seed: int) -> None:
        """Make the next records' event and request ids a function of ``seed`` and how many calls
        came since (the emulator is seeded at each trial and technique): a trial's records do not
        depend on the calls made in the account before it (split workers, resumed runs)."""
        with self._lock:
            self._id_seed, self._id_count = int(seed), 0

    @property
    def sequence(self) -> int:
        """How many API calls have been recorded since the emulator started (never reset)."""
        with self._lock:
            return self._sequence

    def last_write(self, event_sources: set[str] | None = None, data: bool = True) -> int:
        """Sequence number of the newest successful write to any of ``event_sources`` (all: None);
        0 if none. Reads do not change state, so equal numbers mean the same state. ``data``:
        count data-event writes (objects, messages, log events) too; False: only management
        writes, those that change a resource's configuration."""
        with self._lock:
            return max(
                (
                    sequence
                    for (source, is_data), sequence in self._last_write.items()
                    if (event_sources is None or source in event_sources) and (data or not is_data)
                ),
                default=0,
            )

    def last_history(self, usernames: set[str] | frozenset[str] | None = None) -> int:
        """Sequence number of the newest event-history record (what ``LookupEvents`` answers from)
        made by any of ``usernames`` (LookupEvents' Username; None: by anyone); 0 if none."""
        with self._lock:
            if usernames is None:
                return self._last_history.get(None, 0)
            return max((self._last_history.get(name, 0) for name in usernames), default=0)

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(("/moto-api", "/_lab", "/latest/")):
            return self.app(environ, start_response)
        body = buffered_body(environ)
        status: dict[str, int] = {}

        def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status["code"] = int(status_line.split()[0])
            return start_response(status_line, headers, exc_info)

        moment = self.clock()
        result = self.app(environ, capture)
        try:
            chunks = list(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        try:
            self._record(environ, body, status.get("code", 500), b"".join(chunks), moment)
        except Exception as exc:  # the recorder must never break the emulator's answer
            environ["wsgi.errors"].write(f"lab recorder: could not record a call: {exc!r}\n")
        return chunks

    def inject(self, actor_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Record an event no API call of the emulator can make (a console sign-in), the way
        CloudTrail writes it: ``fields`` (eventSource, eventName, eventType, additionalEventData,
        responseElements ...) over the actor's identity and address, at the account's clock, with
        ``lab.injected`` set so nobody mistakes it for a call the emulator answered."""
        who = actor(actor_name)
        identity = who.user_identity(self.account_id)
        if fields.get("eventType") == "AwsConsoleSignIn":
            identity.pop("accessKeyId", None)  # a password sign-in uses no access key
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": format_event_time(self.clock()),
            "awsRegion": "us-east-1",
            "sourceIPAddress": who.source_ip,
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
            "requestParameters": None,
            "responseElements": None,
            "readOnly": False,
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
            **fields,
            "lab": {"actor": who.name, "observer": False, "httpStatus": 200, "injected": True},
        }
        self._append(record)
        return record

    def _record(
        self, environ: dict[str, Any], body: bytes, status: int, response: bytes, moment: datetime
    ) -> None:
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        op = resolve(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            headers,
            body,
        )
        if op is None:
            return
        key_match = _ACCESS_KEY.search(headers.get("authorization", ""))
        access_key = key_match.group(1) if key_match else ""
        record = self._build(
            op,
            access_key,
            headers,
            status,
            response,
            moment,
            environ.get("REMOTE_ADDR", "127.0.0.1"),
        )
        self._append(record)

    def replay(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record CloudTrail wrote in another account (``lab replay``): kept as it is (its own
        ids, time and identity), marked ``lab.replayed``, and routed like the emulator's own."""
        replayed = {
            **record,
            "lab": {"actor": "replay", "observer": False, "httpStatus": 200, "replayed": True},
        }
        ids = {k: record[k] for k in ("eventID", "requestID") if record.get(k)}
        self._append(replayed)
        replayed.update(ids)
        return replayed

    def _append(self, record: dict[str, Any]) -> None:
        """Number the record, give it its seeded ids, keep it (and in the event history unless an
        observer made it), and note the write it is."""
        with self._lock:
            self._sequence += 1
            self._id_count += 1
            name = f"{self._id_seed}:{self._id_count}"
            record["eventID"] = str(uuid.uuid5(_EVENT_ID_NAMESPACE, name))
            # The service assigns the request id (AWS: a UUID per request); seeded too, so a run's
            # records do not depend on the SDK's random invocation ids.
            record["requestID"] = str(uuid.uuid5(_REQUEST_ID_NAMESPACE, name))
            elements = record.get("responseElements")
            if isinstance(elements, dict) and "requestId" in elements:
                elements["requestId"] = record["requestID"]  # the service's, not moto's placeholder
            self._records.append(record)
            if not record["lab"]["observer"]:
                self._history.append(record)
                if self.history_delayed:
                    record["lab"]["history_pending"] = True
                else:
                    self._mark_history(record)
            if not record["readOnly"] and not record.get("errorCode"):
                data = (record["eventSource"], record["eventName"]) in DATA_EVENTS
                self._last_write[(record["eventSource"], data)] = self._sequence

    def _build(
        self,
        op: Operation,
        access_key: str,
        headers: dict[str, str],
        status: int,
        response: bytes,
        moment: datetime,
        remote_addr: str,
    ) -> dict[str, Any]:
        who = actor_for_key(access_key)
        identity = self.identity_resolver(access_key) or self._identity(access_key)
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": format_event_time(moment),
            "eventSource": op.event_source,
            "eventName": _CLOUDTRAIL_EVENT_NAMES.get((op.event_source, op.name), op.name),
            "awsRegion": op.region,
            "sourceIPAddress": who.source_ip if who else remote_addr,
            "userAgent": _FEATURE_CODES.sub(
                lambda m: ",".join(sorted(m.group(0).split(","))), headers.get("user-agent", "")
            ),
            "requestParameters": op.request_parameters,
            "responseElements": None,
            "requestID": "",  # set with the eventID below
            "eventType": "AwsApiCall",
            "readOnly": op.read_only,
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",  # CloudTrail record contents: every call recorded here
        }
        if status >= 400:
            code, record["errorMessage"] = _error(response)
            if op.event_source == "ec2.amazonaws.com" and not code.startswith(
                ("Client.", "Server.")
            ):
                # EC2's records prefix the code with who is at fault ("Client.UnauthorizedOperation";
                # the CIS unauthorized-calls filter matches "*UnauthorizedOperation" for it).
                code = ("Server." if status >= 500 else "Client.") + code
            record["errorCode"] = code
        elif op.read_only:
            pass  # "responseElements ... is present in events for actions that make changes"
            # (CloudTrail User Guide, record contents): null for reads
        elif len(response) <= _RESPONSE_ELEMENTS_MAX_BYTES and response[:1] == b"{":
            with contextlib.suppress(ValueError):
                record["responseElements"] = json.loads(response) or None
        elif len(response) <= _RESPONSE_ELEMENTS_MAX_BYTES and response.lstrip()[:1] == b"<":
            # Typed from the operation's output shape, as the service writes them (size: 8).
            record["responseElements"] = typed(xml_response_elements(response), op.output_shape)
        if record["responseElements"]:
            record["responseElements"] = on_account_clock(record["responseElements"], moment)
        if not op.read_only and status < 400:
            record["responseElements"] = layouts.response_elements(
                op.event_source, record["responseElements"], op.output_shape, self.account_id
            )
        record["lab"] = {
            "actor": who.name if who else None,
            "observer": bool(who and who.observer),
            "httpStatus": status,
        }
        return record

    def _identity(self, access_key: str) -> dict[str, Any]:
        who = actor_for_key(access_key)
        if who is None:
            return {"type": "Unknown", "accountId": self.account_id, "accessKeyId": access_key}
        return who.user_identity(self.account_id)


_HOST_NOW_SLACK_S = 3600.0


def on_account_clock(elements: Any, moment: datetime) -> Any:
    """``elements`` with the times moto stamped from the host's clock ("created now") moved to the
    account's clock at the call, ``moment``: AWS stamps a resource it creates with the time of the
    request, which in virtual time is the account's (moto's host-clock stamps made records differ
    from run to run). Instants within an hour of the host's now, as ISO text or epoch seconds."""
    host_now = datetime.now(UTC).timestamp()

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            if abs(value - host_now) < _HOST_NOW_SLACK_S:
                return round(moment.timestamp(), 3)
            return value
        if isinstance(value, str) and layouts.ISO_INSTANT.match(value):
            try:
                stamped = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            if stamped.tzinfo is None:
                stamped = stamped.replace(tzinfo=UTC)
            if abs(stamped.timestamp() - host_now) < _HOST_NOW_SLACK_S:
                return format_event_time(moment)
        return value

    return moved(elements)


def xml_response_elements(response: bytes) -> dict[str, Any] | None:
    """``responseElements`` of a query-protocol (XML) answer, in CloudTrail's shape: the
    response's fields with lower-camel names, the ``...Result`` wrapper and the response metadata
    left out, EC2's ``<item>`` lists as ``{"items": [...]}`` and other lists (``<member>``) as
    lists, ``true``/``false`` as booleans; e.g. CreateVolume gives ``{"volumeId": "vol-...",
    "encrypted": false, ...}`` and IAM CreateAccessKey ``{"accessKey": {"accessKeyId": ...}}``
    (CloudTrail User Guide, the record contents' ``responseElements``). None when unparsable."""
    try:
        root = ElementTree.fromstring(response)
    except ElementTree.ParseError:
        return None

    def name(element: ElementTree.Element) -> str:
        tag = element.tag.rpartition("}")[2]
        return tag[:1].lower() + tag[1:]

    def value(element: ElementTree.Element) -> Any:
        children = list(element)
        if not children:
            text = (element.text or "").strip()
            return {"true": True, "false": False}.get(text, text)
        if all(name(c) == "item" for c in children):
            return {"items": [value(c) for c in children]}
        if all(name(c) == "member" for c in children):
            return [value(c) for c in children]
        return {name(c): value(c) for c in children}

    body = value(root)
    if not isinstance(body, dict):
        return None
    body.pop("responseMetadata", None)
    results = [k for k in body if k.endswith("Result")]
    for key in results:
        inner = body.pop(key)
        if isinstance(inner, dict):
            body.update(inner)
    return body or None


def _error(response: bytes) -> tuple[str, str]:
    """(errorCode, errorMessage) from an AWS error body in XML or JSON."""
    if response[:1] == b"{":
        try:
            parsed = json.loads(response)
            code = str(parsed.get("__type", parsed.get("code", "Error"))).rpartition("#")[2]
            return code, str(parsed.get("message", parsed.get("Message", "")))
        except ValueError:
            pass
    code = _XML_CODE.search(response)
    message = _XML_MESSAGE.search(response)
    return (
        code.group(1).decode() if code else "InternalFailure",
        message.group(1).decode() if message else "",
    )
