"""VPC Flow Logs in virtual time: the flow logs of the account (read back with DescribeFlowLogs)
that cover an interface (its own, its subnet's or its VPC's) aggregate its connections per
``MaxAggregationInterval`` into version 2 records and deliver them after the interval closes, to
S3 (a gzip object under ``AWSLogs/<account>/vpcflowlogs/...``) or to a CloudWatch Logs group
(stream = interface id). Format and semantics: VPC User Guide, "Flow log records"
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
"""

from __future__ import annotations

import gzip
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from lab.sim.hosts import Connection, Interface
from lab.sim.kernel import Simulation
from lab.sim.logs import CloudWatchLogs
from lab.sim.readback import Readback

V2_FIELDS = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    "end action log-status"
)
FlowKey = tuple[str, str, int, int, int, str]  # src, dst, sport, dport, protocol, action


def v2_record(
    account: str, interface_id: str, key: FlowKey, packets: int, bytes_: int, start: int, end: int
) -> str:
    """One flow log record in the default (version 2) format."""
    src, dst, sport, dport, protocol, action = key
    return (
        f"2 {account} {interface_id} {src} {dst} {sport} {dport} {protocol} {packets} {bytes_} "
        f"{start} {end} {action} OK"
    )


class FlowLogs:
    """Aggregates and delivers the flow records of observed connections."""

    def __init__(self, sim: Simulation, logs: CloudWatchLogs):
        self.sim = sim
        self.logs = logs
        self.ec2 = sim.endpoints.client("ec2", "observer")
        self.s3 = sim.endpoints.client("s3", "observer")
        self.account = sim.endpoints.account_id()
        # (flow log id, window start) -> key -> [packets, bytes, first, last]
        self._windows: dict[tuple[str, int], dict[FlowKey, list[float]]] = {}
        self.listeners: list[Callable[[Interface, list[Connection]], None]] = []
        self._covering: Readback[list[dict[str, Any]]] = Readback(
            sim.recorder, {"ec2.amazonaws.com"}
        )

    def flow_logs(self, interface: Interface) -> list[dict[str, Any]]:
        """The active flow logs covering ``interface``, read back from the account (again only
        after an EC2 write: flow logs are created and deleted through the EC2 API)."""
        return self._covering.get(lambda: self._read_flow_logs(interface), interface.interface_id)

    def _read_flow_logs(self, interface: Interface) -> list[dict[str, Any]]:
        resources = [interface.interface_id, interface.subnet_id, interface.vpc_id]
        found = self.ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": resources}])[
            "FlowLogs"
        ]
        active = [f for f in found if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
        # By what each flow log is (its id is made at creation, in Terraform's parallel order).
        return sorted(
            active,
            key=lambda f: (
                f.get("ResourceId", ""),
                f.get("LogDestinationType", ""),
                f.get("LogDestination") or f.get("LogGroupName") or "",
                f.get("TrafficType", ""),
            ),
        )

    def observe(self, interface: Interface, connections: list[Connection]) -> None:
        """Connections seen on ``interface`` (in this tick)."""
        for listener in self.listeners:  # GuardDuty reads flows whether or not flow logs exist
            listener(interface, connections)
        for flow_log in self.flow_logs(interface):
            traffic = flow_log.get("TrafficType", "ALL")
            interval = int(flow_log.get("MaxAggregationInterval") or 600)
            for connection in connections:
                action = "ACCEPT" if connection.accepted else "REJECT"
                if traffic != "ALL" and traffic != action:
                    continue
                window = math.floor(connection.start_s / interval) * interval
                slot = (flow_log["FlowLogId"], window)
                if slot not in self._windows:
                    self._windows[slot] = defaultdict(lambda: [0, 0, math.inf, -math.inf])
                    self.sim.env.process(self._deliver(flow_log, interface, slot, interval))
                key = (
                    connection.source_ip,
                    connection.destination_ip,
                    connection.source_port,
                    connection.destination_port,
                    connection.protocol,
                    action,
                )
                totals = self._windows[slot][key]
                totals[0] += connection.packets
                totals[1] += connection.bytes
                totals[2] = min(totals[2], connection.start_s)
                totals[3] = max(totals[3], connection.start_s)

    def _deliver(
        self, flow_log: dict[str, Any], interface: Interface, slot: tuple[str, int], interval: int
    ):
        closes = slot[1] + interval
        yield self.sim.env.timeout(max(0.0, closes - self.sim.now))
        destination = flow_log.get("LogDestinationType", "cloud-watch-logs")
        stage = "flow_logs_to_s3_s" if destination == "s3" else "flow_logs_to_cloudwatch_logs_s"
        yield self.sim.env.timeout(self.sim.draw(stage))
        flows = self._windows.pop(slot)
        epoch = self.sim.epoch.timestamp()
        records = [
            (
                first,
                v2_record(
                    self.account,
                    interface.interface_id,
                    key,
                    int(packets),
                    int(bytes_),
                    int(epoch + first),
                    int(epoch + last) + 1,
                ),
            )
            for key, (packets, bytes_, first, last) in flows.items()
        ]
        records.sort()
        if destination == "s3":
            if not self._to_s3(flow_log, records):
                return
        else:
            self.logs.ingest(
                flow_log["LogGroupName"], interface.interface_id, records, source="vpc-flow-logs"
            )
        self.sim.log(
            "flow_logs.delivered",
            flow_log=flow_log["FlowLogId"],
            destination=destination,
            records=len(records),
        )

    def _to_s3(self, flow_log: dict[str, Any], records: list[tuple[float, str]]) -> bool:
        arn = flow_log["LogDestination"]
        bucket, _, prefix = arn.split(":::", 1)[1].partition("/")
        moment = self.sim.now_datetime()
        region = self.sim.endpoints.region
        body = "\n".join([V2_FIELDS, *(line for _, line in records)]) + "\n"
        digest = hashlib.sha1(body.encode()).hexdigest()[:8]
        key = (
            f"{prefix.rstrip('/') + '/' if prefix else ''}AWSLogs/{self.account}/vpcflowlogs/{region}/"
            f"{moment:%Y/%m/%d}/{self.account}_vpcflowlogs_{region}_{flow_log['FlowLogId']}_"
            f"{moment:%Y%m%dT%H%MZ}_{digest}.log.gz"
        )
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body.encode(), mtime=0))
        except ClientError as error:  # a deleted or unwritable bucket: the records are lost
            self.sim.log(
                "flow_logs.delivery_failed",
                flow_log=flow_log["FlowLogId"],
                error=f"{error.response['Error']['Code']}: {error.response['Error'].get('Message', '')}",
            )
            return False
        return True
