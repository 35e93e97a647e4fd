"""GuardDuty in virtual time: finding types raised from the signals that reach it, in GuardDuty's
finding JSON, only while the region's detector (read back from the account) is enabled.

GuardDuty reads CloudTrail management events, VPC flow logs and DNS logs from its own feeds, so no
trail or flow log has to exist for it to see them ("GuardDuty foundational data sources"). The
finding types and their triggers are data (``finding_types.yaml``). A first occurrence becomes a
finding after a calibrated analysis delay and reaches EventBridge within about five minutes; later
occurrences raise the finding's count and are published at the detector's finding publishing
frequency.
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from lab.engines.posture import (
    ALL_USERS,
    PUBLIC_CANNED_ACLS,
    public_grant,
    public_statement,
    statements,
)
from lab.sim.cloudtrail import DATA_EVENTS
from lab.sim.hosts import Connection, Interface
from lab.sim.kernel import Record, Simulation
from lab.sim.readback import Readback

FINDING_TYPES = Path(__file__).with_name("finding_types.yaml")
_FREQUENCY_S = {"FIFTEEN_MINUTES": 900, "ONE_HOUR": 3600, "SIX_HOURS": 21600}
_NAMESPACE = uuid.UUID("5c0e0d43-0b7d-4b55-9e0a-6a7f3c0c9d21")


@lru_cache(maxsize=1)
def finding_types() -> list[dict[str, Any]]:
    """The finding types of ``finding_types.yaml`` (parsed once; read-only)."""
    return yaml.safe_load(FINDING_TYPES.read_text())["finding_types"]


@dataclass
class _Finding:
    document: dict[str, Any]
    count: int = 1
    last_seen_s: float | None = None  # written into the document when it is published
    update_pending: bool = False
    published: bool = False


@dataclass
class _Window:
    """The connections of one (finding type, instance, remote address) within the type's window."""

    times: deque = field(default_factory=deque)
    # port -> when last seen, in the order last seen (oldest first) while times only go forward
    ports: dict[int, float] = field(default_factory=dict)

    def add(self, t: float, port: int, window_s: float) -> tuple[int, int]:
        """Count a connection at ``t``; return (connections, distinct ports) in the window."""
        cutoff = t - window_s
        self.times.append(t)
        while self.times and self.times[0] < cutoff:
            self.times.popleft()
        in_order = not self.ports or t >= next(reversed(self.ports.values()))
        self.ports.pop(port, None)
        self.ports[port] = t
        if not in_order:  # out of order (never in the lab's activities): count them all
            return len(self.times), sum(1 for seen in self.ports.values() if seen >= cutoff)
        while True:  # ordered: the stale ones are at the front
            oldest = next(iter(self.ports))
            if self.ports[oldest] >= cutoff:
                return len(self.times), len(self.ports)
            del self.ports[oldest]


class GuardDuty:
    """Raises findings; hands each published finding (new or updated) to ``publish``."""

    def __init__(
        self,
        sim: Simulation,
        publish: Callable[[dict[str, Any]], None],
        to_security_hub: Callable[[dict[str, Any]], None] = lambda _finding: None,
    ):
        """``publish`` sends a finding to EventBridge (after GuardDuty's delay);
        ``to_security_hub`` hands it to Security Hub's integration as it is made or updated."""
        self.sim = sim
        self.publish = publish
        self.to_security_hub = to_security_hub
        self.client = sim.endpoints.client("guardduty", "observer")
        self.types = finding_types()
        self._flow_types = [t for t in self.types if t["signal"] == "flow"]
        self.account = sim.endpoints.account_id()
        self._findings: dict[tuple[str, str], _Finding] = {}
        self._windows: dict[tuple[str, str, str], _Window] = defaultdict(_Window)
        self._seen_calls: set[tuple[str, str]] = set()
        # guardduty_anomaly_model (its values checked by the calibration): see finding_types.yaml.
        self.anomaly_findings = sim.calibration.constant("guardduty_anomaly_model") == "first-call"
        self._detector: Readback[dict[str, Any] | None] = Readback(
            sim.recorder, {"guardduty.amazonaws.com"}
        )
        sim.subscribe(self.on_record)

    # -- the detector -------------------------------------------------------------------------
    def detector(self) -> dict[str, Any] | None:
        """The region's enabled detector (id, frequency), or None."""
        return self._detector.get(self._read_detector)

    def _read_detector(self) -> dict[str, Any] | None:
        found = None
        for detector_id in sorted(self.client.list_detectors()["DetectorIds"]):
            detector = self.client.get_detector(DetectorId=detector_id)
            if detector.get("Status") == "ENABLED":
                found = {
                    "id": detector_id,
                    "frequency_s": _FREQUENCY_S.get(
                        detector.get("FindingPublishingFrequency", "SIX_HOURS"), 21600
                    ),
                }
                break
        return found

    # -- signals --------------------------------------------------------------------------------
    def on_record(self, record: Record) -> None:
        if record.get("lab", {}).get("observer") or record.get("errorCode"):
            return
        if (record["eventSource"], record["eventName"]) in DATA_EVENTS:
            return
        identity = record.get("userIdentity") or {}
        principal = identity.get("arn") or identity.get("principalId") or "unknown"
        first_call = (principal, record["eventName"]) not in self._seen_calls
        self._seen_calls.add((principal, record["eventName"]))
        for spec in (t for t in self.types if t["signal"] == "cloudtrail"):
            if "event_names" in spec and record["eventName"] not in spec["event_names"]:
                continue
            if "user_identity_type" in spec and identity.get("type") != spec["user_identity_type"]:
                continue
            if spec.get("first_time_for_principal") and not (self.anomaly_findings and first_call):
                continue
            if "grants_public" in spec and public_grant_kind(record) != spec["grants_public"]:
                continue
            if spec.get("session_of_instance_role") and not _instance_role_session(identity):
                continue
            if "source_outside" in spec and _inside(
                record.get("sourceIPAddress"), spec["source_outside"]
            ):
                continue
            self._occurrence(
                spec,
                principal,
                lambda spec=spec: _api_finding(spec, record, identity),
                "guardduty_cloudtrail_finding_s",
                self.detector(),
            )

    def observe_flows(self, interface: Interface, connections: list[Connection]) -> None:
        """Connections seen on an instance's interface (GuardDuty's own flow log feed)."""
        detector = self.detector()  # no API call happens while one tick's connections are counted
        for spec in self._flow_types:
            wants_inbound = spec["direction"] == "inbound"
            port, window_s = spec.get("port"), spec["window_s"]
            min_connections = spec.get("min_connections", 1)
            min_ports = spec.get("min_distinct_ports", 1)
            for connection in connections:
                if not connection.accepted:
                    continue  # denied by the network: no session, nothing GuardDuty counts
                inbound = connection.destination_ip == interface.private_ip
                if wants_inbound != inbound:
                    continue
                if port is not None and connection.destination_port != port:
                    continue
                remote = connection.source_ip if inbound else connection.destination_ip
                window = self._windows[(spec["type"], interface.instance_id, remote)]
                seen, ports = window.add(connection.start_s, connection.destination_port, window_s)
                if seen >= min_connections and ports >= min_ports:
                    self._occurrence(
                        spec,
                        f"{interface.instance_id}/{remote}",
                        lambda s=spec, c=connection, i=inbound, r=remote: _network_finding(
                            s, interface, c, i, r
                        ),
                        "guardduty_flow_finding_s",
                        detector,
                    )

    def observe_dns(self, interface: Interface, domain: str, t: float) -> None:
        """A DNS query from the instance through the VPC resolver."""
        for spec in (t for t in self.types if t["signal"] == "dns"):
            if domain in spec["domains"]:
                self._occurrence(
                    spec,
                    interface.instance_id,
                    lambda spec=spec: _dns_finding(spec, interface, domain),
                    "guardduty_flow_finding_s",
                    self.detector(),
                )

    # -- findings -------------------------------------------------------------------------------
    def _occurrence(
        self,
        spec: dict[str, Any],
        resource_key: str,
        detail: Callable[[], dict[str, Any]],
        stage: str,
        detector: dict[str, Any] | None,
    ) -> None:
        """One more occurrence of ``spec`` on ``resource_key``; ``detail()`` builds the finding's
        details (only for a new finding); ``detector`` is the one enabled now (read by the caller)."""
        if detector is None:
            return  # a disabled or missing detector analyses nothing
        key = (spec["type"], resource_key)
        finding = self._findings.get(key)
        if finding is None:
            document = self._document(spec, detail(), detector["id"])
            self._findings[key] = _Finding(document)
            self.sim.env.process(self._create(key, stage))
            return
        finding.count += 1
        finding.document["service"]["count"] = finding.count
        finding.last_seen_s = self.sim.now
        if finding.published and not finding.update_pending:
            finding.update_pending = True
            self.sim.env.process(self._update(key, detector["frequency_s"]))

    def _create(self, key: tuple[str, str], stage: str):
        yield self.sim.env.timeout(self.sim.draw(stage))
        finding = self._findings[key]
        if self.detector() is None:
            del self._findings[key]
            return
        finding.document["createdAt"] = finding.document["updatedAt"] = self.sim.at(self.sim.now)
        self.sim.detected(
            "guardduty.finding",
            f"guardduty:{key[0]}",
            finding_type=key[0],
            severity=finding.document["severity"],
        )
        # Security Hub's import runs from the finding ("within about five minutes" overall), not
        # after GuardDuty's own EventBridge delay.
        self.to_security_hub(self._snapshot(finding))
        yield self.sim.env.timeout(self.sim.draw("guardduty_to_eventbridge_s"))
        finding.published = True
        self.publish(self._snapshot(finding))

    def _update(self, key: tuple[str, str], frequency_s: int):
        yield self.sim.env.timeout(frequency_s)
        finding = self._findings[key]
        finding.update_pending = False
        finding.document["updatedAt"] = self.sim.at(self.sim.now)
        self.sim.log("guardduty.finding_updated", finding_type=key[0], count=finding.count)
        self.to_security_hub(self._snapshot(finding))
        self.publish(self._snapshot(finding))

    def _snapshot(self, finding: _Finding) -> dict[str, Any]:
        """The finding's document as published now."""
        if finding.last_seen_s is not None:
            finding.document["service"]["eventLastSeen"] = self.sim.at(finding.last_seen_s)
        return copy.deepcopy(finding.document)

    def _document(
        self, spec: dict[str, Any], detail: dict[str, Any], detector_id: str
    ) -> dict[str, Any]:
        finding_id = uuid.uuid5(
            _NAMESPACE, f"{spec['type']}/{detail['resource_key']}/{self.sim.labels}"
        ).hex
        region = self.sim.endpoints.region
        now = self.sim.at(self.sim.now)
        return {
            "schemaVersion": "2.0",
            "accountId": self.account,
            "region": region,
            "partition": "aws",
            "id": finding_id,
            "arn": f"arn:aws:guardduty:{region}:{self.account}:detector/{detector_id}/finding/{finding_id}",
            "type": spec["type"],
            "resource": detail["resource"],
            "service": {
                "serviceName": "guardduty",
                "detectorId": detector_id,
                "action": detail["action"],
                "resourceRole": detail.get("resource_role", "TARGET"),
                "additionalInfo": {"value": "{}", "type": "default"},
                "eventFirstSeen": now,
                "eventLastSeen": now,
                "archived": False,
                "count": 1,
            },
            "severity": spec["severity"],
            "createdAt": now,
            "updatedAt": now,
            "title": spec["title"].format(**detail["title_fields"]),
            "description": spec["title"].format(**detail["title_fields"]),
        }


def _inside(address: str | None, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return True  # an AWS service name, not an address: not outside AWS
    return any(ip in ipaddress.ip_network(n) for n in networks)


def public_grant_kind(record: Record) -> str | None:
    """Whom a PutBucketAcl or PutBucketPolicy record grants the bucket to: ``anonymous`` (everyone:
    a public-read(-write) canned ACL, the AllUsers group, a policy statement for any principal),
    ``authenticated`` (every AWS account holder: authenticated-read, AuthenticatedUsers), or None;
    read from the record as CloudTrail writes it (lab.emulator.layouts)."""
    params = record.get("requestParameters") or {}
    canned = set(params.get("x-amz-acl") or [])
    acl = ((params.get("AccessControlPolicy") or {}).get("AccessControlList") or {}).get("Grant")
    grants = [
        g for g in (acl if isinstance(acl, list) else [acl] if acl else []) if public_grant(g)
    ]
    policy = params.get("bucketPolicy")
    if (
        canned & {"public-read", "public-read-write"}
        or any(g.get("Grantee", {}).get("URI") == ALL_USERS for g in grants)
        or (isinstance(policy, dict) and any(public_statement(s) for s in statements(policy)))
    ):
        return "anonymous"
    if canned & PUBLIC_CANNED_ACLS or grants:
        return "authenticated"
    return None


def _instance_role_session(identity: dict[str, Any]) -> bool:
    """Temporary credentials of an EC2 instance role (the session name is the instance id)."""
    arn = identity.get("arn", "")
    return identity.get("type") == "AssumedRole" and arn.rsplit("/", 1)[-1].startswith("i-")


def _api_finding(spec: dict[str, Any], record: Record, identity: dict[str, Any]) -> dict[str, Any]:
    params = record.get("requestParameters") or {}
    user_name = (
        identity.get("userName")
        or identity.get("arn", "").split("/")[-2 if identity.get("type") == "AssumedRole" else -1]
    )
    if spec["resource"] == "S3Bucket":
        bucket = params.get("bucketName", "")
        resource = {
            "resourceType": "S3Bucket",
            "s3BucketDetails": [{"name": bucket, "type": "Destination"}],
        }
        resource_key = bucket
    else:
        resource = {
            "resourceType": "AccessKey",
            "accessKeyDetails": {
                "accessKeyId": identity.get("accessKeyId", ""),
                "principalId": identity.get("principalId", ""),
                "userName": user_name,
                "userType": identity.get("type", ""),
            },
        }
        resource_key = identity.get("arn", user_name)
    return {
        "resource_key": resource_key,
        "resource": resource,
        "action": {
            "actionType": "AWS_API_CALL",
            "awsApiCallAction": {
                "api": record["eventName"],
                "serviceName": record["eventSource"],
                "callerType": "Remote IP",
                "remoteIpDetails": {"ipAddressV4": record.get("sourceIPAddress")},
                "affectedResources": _affected(record, params),
            },
        },
        "title_fields": {
            "event_name": record["eventName"],
            "principal": user_name,
            "source_ip": record.get("sourceIPAddress"),
            "trail": params.get("name", ""),
            "bucket": params.get("bucketName", ""),
        },
    }


def _affected(record: Record, params: dict[str, Any]) -> dict[str, str]:
    """The resource the call acted on, as GuardDuty names it (``AWS::CloudTrail::Trail`` ...)."""
    if record["eventSource"] == "cloudtrail.amazonaws.com" and params.get("name"):
        return {"AWS::CloudTrail::Trail": params["name"]}
    if record["eventSource"] == "s3.amazonaws.com" and params.get("bucketName"):
        return {"AWS::S3::Bucket": params["bucketName"]}
    return {}


def _instance_resource(interface: Interface) -> dict[str, Any]:
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": interface.instance_id,
            "networkInterfaces": [
                {
                    "networkInterfaceId": interface.interface_id,
                    "privateIpAddress": interface.private_ip,
                    "subnetId": interface.subnet_id,
                    "vpcId": interface.vpc_id,
                }
            ],
        },
    }


def _network_finding(
    spec: dict[str, Any], interface: Interface, connection: Connection, inbound: bool, remote: str
) -> dict[str, Any]:
    return {
        "resource_key": f"{interface.instance_id}/{remote}",
        "resource": _instance_resource(interface),
        "resource_role": "TARGET" if inbound else "ACTOR",
        "action": {
            "actionType": "NETWORK_CONNECTION",
            "networkConnectionAction": {
                "connectionDirection": "INBOUND" if inbound else "OUTBOUND",
                "protocol": {6: "TCP", 17: "UDP"}.get(connection.protocol, "OTHER"),
                "blocked": not connection.accepted,
                "remoteIpDetails": {"ipAddressV4": remote},
                "localPortDetails": {
                    "port": connection.destination_port if inbound else connection.source_port
                },
                "remotePortDetails": {
                    "port": connection.source_port if inbound else connection.destination_port
                },
            },
        },
        "title_fields": {
            "source_ip": remote,
            "remote_ip": remote,
            "instance_id": interface.instance_id,
        },
    }


def _dns_finding(spec: dict[str, Any], interface: Interface, domain: str) -> dict[str, Any]:
    return {
        "resource_key": interface.instance_id,
        "resource": _instance_resource(interface),
        "resource_role": "ACTOR",
        "action": {
            "actionType": "DNS_REQUEST",
            "dnsRequestAction": {"domain": domain, "protocol": "UDP", "blocked": False},
        },
        "title_fields": {"instance_id": interface.instance_id},
    }


def eventbridge_event(finding: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge envelope of a finding ("GuardDuty Finding", source aws.guardduty)."""
    return {
        "version": "0",
        "id": str(uuid.uuid5(_NAMESPACE, f"{finding['id']}/{finding['updatedAt']}")),
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": finding["accountId"],
        "time": finding["updatedAt"],
        "region": finding["region"],
        "resources": [],
        "detail": finding,
    }
