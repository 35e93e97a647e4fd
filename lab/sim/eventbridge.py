"""EventBridge in virtual time: the default bus's rules, read from the account, matched for real.

Pattern matching uses moto's implementation of the EventBridge pattern language (prefix, anything-but,
numeric, exists, ...), the same code that answers TestEventPattern in the emulator, so a rule matches
here exactly when the emulated account says it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from moto.events.models import EventPattern

from lab.sim.kernel import Simulation


class Invoker(Protocol):
    def invoke_async(self, function_arn: str, event: dict[str, Any], source_arn: str) -> None: ...


@dataclass(frozen=True)
class Rule:
    name: str
    arn: str
    pattern: EventPattern
    target_arns: tuple[str, ...]


class EventBridge:
    """Matches delivered events against the enabled rules and invokes their targets."""

    def __init__(self, sim: Simulation, lambda_runtime: Invoker):
        self.sim = sim
        self.lambda_runtime = lambda_runtime
        self.client = sim.endpoints.client("events", "observer")

    def rules(self) -> list[Rule]:
        """The enabled pattern rules of the default bus and their targets, as deployed now."""
        found = []
        for page in self.client.get_paginator("list_rules").paginate(EventBusName="default"):
            for rule in page["Rules"]:
                if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                    continue
                targets = self.client.list_targets_by_rule(Rule=rule["Name"])["Targets"]
                found.append(
                    Rule(
                        rule["Name"],
                        rule["Arn"],
                        EventPattern.load(rule["EventPattern"]),
                        tuple(t["Arn"] for t in targets),
                    )
                )
        return sorted(found, key=lambda r: r.name)

    def put_event(self, event: dict[str, Any]) -> None:
        """An event arrives on the default bus now."""
        for rule in self.rules():
            if not rule.pattern.matches_event(event):
                continue
            self.sim.log(
                "eventbridge.matched",
                rule=rule.name,
                detection=True,
                source=f"eventbridge:{rule.name}",
                event_name=event.get("detail", {}).get("eventName"),
            )
            for arn in rule.target_arns:
                self.sim.env.process(self._invoke(arn, event, rule))

    def _invoke(self, target_arn: str, event: dict[str, Any], rule: Rule):
        yield self.sim.env.timeout(self.sim.draw("eventbridge_to_target_s"))
        if target_arn.startswith("arn:aws:lambda:"):
            self.lambda_runtime.invoke_async(target_arn, event, rule.arn)
        else:
            self.sim.log("eventbridge.target_unsupported", target=target_arn, rule=rule.name)
