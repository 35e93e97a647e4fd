"""What an activity technique does on the network and on the host, as data (``activity:`` in the
technique's ``metadata.yaml``): who connects, to which ports, how often, and which log lines the
host writes for each connection it accepts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}


class Activity(BaseModel):
    """Connections from ``source`` to the target instance while the technique is active.

    ``direction: inbound``: the source is an outside address (an actor of ``actors.yaml``) and the
    destination the instance; ``outbound``: the instance connects to ``remote_ip``.
    """

    model_config = ConfigDict(extra="forbid")
    direction: Literal["inbound", "outbound"] = "inbound"
    source: str = "attacker"  # actor whose address the traffic comes from (inbound)
    remote_ip: str | None = None  # the outside address the instance talks to (outbound)
    rate_per_s: float = Field(gt=0)
    protocol: Literal["tcp", "udp", "icmp"] = "tcp"
    ports: list[int] = Field(min_length=1)  # destination ports, cycled through
    packets: int = Field(ge=1)  # per connection
    bytes: int = Field(ge=1)  # per connection
    # Host log lines written for each accepted connection: file path -> template with {source_ip},
    # {source_port}, {port}, {pid}, {user}, {hostname}.
    host_logs: dict[str, str] = Field(default_factory=dict)
    users: list[str] = Field(default_factory=lambda: ["admin", "root", "ubuntu", "test", "oracle"])
    dns_queries: list[str] = Field(default_factory=list)  # names resolved through the VPC resolver
