"""Wires the simulated services of one account for one trial: the same set for every architecture.

AWS's managed services exist in every account; what differs is what was deployed. Each service reads
that configuration from the account, so an architecture without a rule, a trail or a detector simply
produces no detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.sim.calibration import OperatorProfile
from lab.sim.cloudtrail import CloudTrail
from lab.sim.cron import Cron
from lab.sim.eventbridge import EventBridge
from lab.sim.kernel import Simulation
from lab.sim.lambda_runtime import LambdaRuntime
from lab.sim.operator import Operator
from lab.sim.sns import SNS


@dataclass
class AccountServices:
    cloudtrail: CloudTrail
    eventbridge: EventBridge
    lambda_runtime: LambdaRuntime
    sns: SNS
    cron: Cron
    operator: Operator

    def close(self) -> None:
        self.lambda_runtime.close()


def start_services(
    sim: Simulation, workdir: Path, operator: OperatorProfile, runbooks_dir: Path
) -> AccountServices:
    """Start every simulated service of the account in ``sim``."""
    person = Operator(sim, operator, runbooks_dir)
    sns = SNS(sim, inbox=person.receive)
    lambda_runtime = LambdaRuntime(sim, code_cache=workdir / "lambda-code")
    eventbridge = EventBridge(sim, lambda_runtime)
    cloudtrail = CloudTrail(sim, deliver=eventbridge.put_event)
    cron = Cron(sim, state_dir=workdir / "detector-state")
    return AccountServices(cloudtrail, eventbridge, lambda_runtime, sns, cron, person)
