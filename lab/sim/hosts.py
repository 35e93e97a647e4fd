"""What happens on an instance and its network interface while an activity technique runs, in
virtual time: connections (each one a flow for VPC Flow Logs, accepted or rejected by the network
ACL and security groups read back from the account) and the log lines the host writes for the
connections it accepts (for the CloudWatch agent, if the instance runs one).

Nothing here calls AWS on the attacker's behalf: a brute force or a scan makes no API call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lab.attacks.activity import PROTOCOLS, Activity
from lab.sim.kernel import Simulation
from lab.sim.readback import Readback


@dataclass(frozen=True)
class Interface:
    """The target's network interface, read back from the account."""

    instance_id: str
    interface_id: str
    private_ip: str
    vpc_id: str
    subnet_id: str

    @property
    def hostname(self) -> str:
        return "ip-" + self.private_ip.replace(".", "-")


@dataclass(frozen=True)
class Connection:
    start_s: float
    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    protocol: int
    packets: int
    bytes: int
    accepted: bool


class HostLogSink(Protocol):
    def write(self, instance_id: str, path: str, lines: list[tuple[float, str]]) -> None: ...


class FlowSink(Protocol):
    def observe(self, interface: Interface, connections: list[Connection]) -> None: ...


def read_interface(ec2: Any, instance_id: str) -> Interface:
    """The primary network interface of ``instance_id``."""
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    eni = instance["NetworkInterfaces"][0]
    return Interface(
        instance_id,
        eni["NetworkInterfaceId"],
        instance["PrivateIpAddress"],
        instance["VpcId"],
        instance["SubnetId"],
    )


class Hosts:
    """Runs activities: connections every tick, host log lines for the accepted ones."""

    def __init__(self, sim: Simulation, host_logs: HostLogSink, flows: FlowSink):
        self.sim = sim
        self.host_logs = host_logs
        self.flows = flows
        self.ec2 = sim.endpoints.client("ec2", "observer")
        # Who sees the instance's DNS queries through the VPC resolver (GuardDuty's DNS feed).
        self.dns_listeners: list[Callable[[Interface, str, float], None]] = []

    def start(
        self,
        instance_id: str,
        activity: Activity,
        source_ip: str,
        active: Callable[[], bool],
        network: Callable[[], Callable[[int], bool]],
    ) -> None:
        """Run ``activity`` against (inbound) or from (outbound) ``instance_id`` while
        ``active()``; ``network()`` reads the network back and answers whether it lets a
        connection to a port through."""
        interface = read_interface(self.ec2, instance_id)
        self.sim.log("host.activity_started", instance=instance_id, direction=activity.direction)
        self.sim.env.process(self._run(interface, activity, source_ip, active, network))

    def _run(self, interface: Interface, activity: Activity, source_ip: str, active, network):
        tick = self.sim.draw("host_activity_tick_s")
        owed, sequence = 0.0, 0
        verdicts: dict[int, bool] = {}
        allowed: Callable[[int], bool] | None = None
        # The network's verdicts change only with an EC2 write (a deny rule, an isolated
        # instance): read them back again only then.
        networks: Readback[Callable[[int], bool]] = Readback(
            self.sim.recorder, {"ec2.amazonaws.com"}
        )
        while active():
            owed += activity.rate_per_s * tick
            count, owed = int(owed), owed - int(owed)
            start = self.sim.now
            if count and (current := networks.get(network)) is not allowed:
                verdicts, allowed = {}, current
            connections, lines = [], []
            for i in range(count):
                port = activity.ports[sequence % len(activity.ports)]
                sequence += 1
                if port not in verdicts:
                    assert allowed is not None
                    verdicts[port] = allowed(port)
                t = start + tick * i / max(count, 1)
                ephemeral = 32768 + (sequence * 7919) % 28000
                if activity.direction == "inbound":
                    src, sport, dst = source_ip, ephemeral, interface.private_ip
                else:
                    src, sport, dst = interface.private_ip, ephemeral, activity.remote_ip or ""
                connections.append(
                    Connection(
                        t,
                        src,
                        sport,
                        dst,
                        port,
                        PROTOCOLS[activity.protocol],
                        activity.packets,
                        activity.bytes,
                        verdicts[port],
                    )
                )
                if verdicts[port]:
                    for path, template in activity.host_logs.items():
                        lines.append(
                            (
                                path,
                                t,
                                self._line(
                                    template, t, interface, src, sport, port, sequence, activity
                                ),
                            )
                        )
            if connections:
                self.flows.observe(interface, connections)
            if count and verdicts.get(activity.ports[0], True):
                for domain in activity.dns_queries:
                    for listener in self.dns_listeners:
                        listener(interface, domain, start)
            by_path: dict[str, list[tuple[float, str]]] = {}
            for path, t, line in lines:
                by_path.setdefault(path, []).append((t, line))
            for path, batch in by_path.items():
                self.host_logs.write(interface.instance_id, path, batch)
            yield self.sim.env.timeout(tick)

    def _line(
        self,
        template: str,
        t: float,
        interface: Interface,
        source_ip: str,
        source_port: int,
        port: int,
        sequence: int,
        activity: Activity,
    ) -> str:
        stamp = self.sim.datetime_at(t).strftime("%b %d %H:%M:%S")
        body = template.format(
            source_ip=source_ip,
            source_port=source_port,
            port=port,
            pid=2000 + sequence % 30000,
            user=activity.users[sequence % len(activity.users)],
            hostname=interface.hostname,
        )
        return f"{stamp} {body}"
