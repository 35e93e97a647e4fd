"""The CloudWatch agent on the account's instances, in virtual time.

Whether an instance runs the agent, and with which configuration, is read back from the account:
its user data runs ``amazon-cloudwatch-agent-ctl -a fetch-config ... -c ssm:NAME`` and the
configuration is the Parameter Store parameter NAME (no parameter: fetch-config fails, no agent). Lines the host writes to a collected file reach the configured log
group and stream at the next flush (``force_flush_interval``, default 5 s: "CloudWatch agent
configuration file: Logs section",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lab.sim.kernel import Simulation
from lab.sim.logs import CloudWatchLogs
from lab.sim.reachability import Reachability
from lab.sim.user_data import read_user_data

_FETCH = re.compile(r"fetch-config[^\n]*?(?:\\\n[^\n]*?)*-c\s+ssm:(\S+)")
DEFAULT_FLUSH_S = 5.0


@dataclass
class AgentConfig:
    flush_s: float
    files: dict[str, dict[str, Any]]  # file_path -> collect_list entry


@dataclass
class _Buffer:
    lines: list[tuple[float, str]] = field(default_factory=list)
    flushing: bool = False


def agent_config(ec2: Any, ssm: Any, instance_id: str) -> AgentConfig | None:
    """The agent configuration ``instance_id`` runs with, or None if it runs no agent."""
    user_data = read_user_data(ec2, instance_id)
    if not user_data:
        return None
    match = _FETCH.search(user_data)
    if not match:
        return None
    try:
        text = ssm.get_parameter(Name=match.group(1))["Parameter"]["Value"]
    except ClientError:
        return None  # fetch-config fails: the agent does not start
    config = json.loads(text)
    logs = config.get("logs", {})
    collect = logs.get("logs_collected", {}).get("files", {}).get("collect_list", [])
    return AgentConfig(
        float(logs.get("force_flush_interval", DEFAULT_FLUSH_S)),
        {entry["file_path"]: entry for entry in collect},
    )


class CloudWatchAgent:
    """Ships host log lines of instances that run the agent to CloudWatch Logs."""

    def __init__(self, sim: Simulation, logs: CloudWatchLogs):
        self.sim = sim
        self.logs = logs
        self.ec2 = sim.endpoints.client("ec2", "observer")
        self.ssm = sim.endpoints.client("ssm", "observer")
        self._configs: dict[str, AgentConfig | None] = {}
        self._reachable = Reachability(sim.recorder, self.ec2)
        self._buffers: dict[tuple[str, str], _Buffer] = {}

    def write(self, instance_id: str, path: str, lines: list[tuple[float, str]]) -> None:
        """The host appended ``lines`` to ``path`` now."""
        if instance_id not in self._configs:
            self._configs[instance_id] = agent_config(self.ec2, self.ssm, instance_id)
            if self._configs[instance_id] is None:
                self.sim.log("agent.not_running", instance=instance_id)
        config = self._configs[instance_id]
        if config is None or path not in config.files:
            return
        reachable, why = self._reachable(instance_id)
        if not reachable:  # PutLogEvents cannot leave the subnet: the lines stay on the host
            self.sim.log("agent.no_route_to_aws", instance=instance_id, reason=why)
            return
        buffer = self._buffers.setdefault((instance_id, path), _Buffer())
        buffer.lines.extend(lines)
        if not buffer.flushing:
            buffer.flushing = True
            self.sim.env.process(self._flush(instance_id, path, config, buffer))

    def _flush(self, instance_id: str, path: str, config: AgentConfig, buffer: _Buffer):
        yield self.sim.env.timeout(config.flush_s)
        entry = config.files[path]
        stream = entry.get("log_stream_name", "{instance_id}").replace("{instance_id}", instance_id)
        lines, buffer.lines, buffer.flushing = buffer.lines, [], False
        self.logs.ingest(entry["log_group_name"], stream, lines, source=f"agent:{instance_id}")
