"""Wires the simulated services of one account for one trial: the same set for every architecture.

AWS's managed services exist in every account; what differs is what was deployed. Each service reads
that configuration from the account, so an architecture without a rule, a trail or a detector simply
produces no detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.sim.agent import CloudWatchAgent
from lab.sim.alarms import Alarms, Metrics
from lab.sim.aws_config import AwsConfig
from lab.sim.calibration import OperatorProfile
from lab.sim.cloudtrail import CloudTrail
from lab.sim.cron import Cron
from lab.sim.event_history import EventHistory
from lab.sim.eventbridge import EventBridge
from lab.sim.flow_logs import FlowLogs
from lab.sim.guardduty import GuardDuty, eventbridge_event
from lab.sim.hosts import Hosts
from lab.sim.kernel import Simulation
from lab.sim.lambda_runtime import LambdaRuntime
from lab.sim.logs import CloudWatchLogs
from lab.sim.operator import Operator
from lab.sim.posture_scans import CspmSchedule, PostureScans
from lab.sim.security_hub import SecurityHub, asff_from_guardduty
from lab.sim.security_hub_controls import SecurityHubControls
from lab.sim.sns import SNS
from lab.sim.ssm_automation import SsmAutomation


@dataclass
class AccountServices:
    cloudtrail: CloudTrail
    eventbridge: EventBridge
    lambda_runtime: LambdaRuntime
    sns: SNS
    cron: Cron
    operator: Operator
    logs: CloudWatchLogs
    alarms: Alarms
    hosts: Hosts
    flow_logs: FlowLogs
    guardduty: GuardDuty
    security_hub: SecurityHub
    ssm_automation: SsmAutomation
    config: AwsConfig
    event_history: EventHistory
    security_hub_controls: SecurityHubControls
    posture_scans: PostureScans | None = None

    def close(self) -> None:
        self.lambda_runtime.close()
        self.event_history.close()


def start_services(
    sim: Simulation,
    workdir: Path,
    operator: OperatorProfile,
    runbooks_dir: Path,
    person_reads_mail: bool = True,
    person_rng: np.random.Generator | None = None,
    cspm: CspmSchedule | None = None,
    regions: frozenset[str] | None = None,
) -> AccountServices:
    """Start every simulated service of the account in ``sim`` (``person_reads_mail=False``: the
    e-mails are delivered but no simulated person acts on them; someone else reads the alerts;
    ``person_rng``: the person's own random stream, else the simulation's; ``cspm``: periodic
    posture scans, the scenario's CSPM path; ``regions``: where the EventBridge rules are deployed,
    the account's region unless said)."""
    person = Operator(sim, operator, runbooks_dir, rng=person_rng)
    sns = SNS(sim, inbox=person.receive if person_reads_mail else lambda _alert: None)
    lambda_runtime = LambdaRuntime(sim, code_cache=workdir / "lambda-code")
    eventbridge = EventBridge(sim, lambda_runtime, regions)
    metrics = Metrics(sim)
    logs = CloudWatchLogs(sim, publish=metrics.publish)
    alarms = Alarms(sim, metrics)
    cloudtrail = CloudTrail(sim, deliver=eventbridge.put_event, logs=logs)
    cron = Cron(sim, state_dir=workdir / "detector-state")
    flow_logs = FlowLogs(sim, logs)
    hosts = Hosts(sim, host_logs=CloudWatchAgent(sim, logs), flows=flow_logs)
    security_hub = SecurityHub(sim, publish=eventbridge.put_event)

    guardduty = GuardDuty(
        sim,
        publish=lambda finding: eventbridge.put_event(eventbridge_event(finding)),
        to_security_hub=lambda finding: security_hub.receive(
            "guardduty", asff_from_guardduty(finding)
        ),
    )
    flow_logs.listeners.append(guardduty.observe_flows)
    hosts.dns_listeners.append(guardduty.observe_dns)
    config = AwsConfig(
        sim,
        publish=eventbridge.put_event,
        findings=lambda finding: security_hub.receive("config", finding),
    )
    return AccountServices(
        cloudtrail,
        eventbridge,
        lambda_runtime,
        sns,
        cron,
        person,
        logs,
        alarms,
        hosts,
        flow_logs,
        guardduty,
        security_hub,
        SsmAutomation(
            sim,
            publish=lambda event, background: eventbridge.put_event(
                event, background, operational=True
            ),
        ),
        config,
        EventHistory(sim),
        SecurityHubControls(sim, security_hub, config),
        PostureScans(sim, cspm, security_hub, cron) if cspm is not None else None,
    )
