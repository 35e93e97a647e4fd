"""EventBridge in virtual time: the default bus's rules, read from the account, matched for real.

Pattern matching uses moto's implementation of the EventBridge pattern language (prefix, anything-but,
numeric, exists, ...), with arrays of objects flattened as EventBridge flattens them
(``lab.sim.event_patterns``), held to AWS's examples in the tests.
Targets: Lambda functions (asynchronous invoke) and SNS topics (Publish as events.amazonaws.com),
with the target's ``Input``, ``InputPath`` or ``InputTransformer`` applied as the EventBridge User
Guide documents ("Transforming target input").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from lab.sim.event_patterns import CompiledPattern
from lab.sim.kernel import Simulation
from lab.sim.readback import Readback, by_name


class Invoker(Protocol):
    def invoke_async(
        self,
        function_arn: str,
        event: dict[str, Any],
        source_arn: str,
        background: bool = False,
    ) -> None: ...


# Rule states that deliver events. A rule that is only ENABLED does not receive CloudTrail's
# read-only management events, those whose names start with Describe, Get or List; a rule in the
# second state receives them too (EventBridge User Guide, "Receiving read-only management events
# from AWS services": STS's GetSessionToken and GetFederationToken count as changes).
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
ENABLED_STATES = ("ENABLED", ALL_MANAGEMENT_EVENTS)
_READ_ONLY_PREFIXES = ("Describe", "Get", "List")
_CHANGES_NAMED_AS_READS = frozenset({"GetSessionToken", "GetFederationToken"})


def is_read_only_api_call(event: dict[str, Any]) -> bool:
    """An "AWS API Call via CloudTrail" event that only rules asking for all management events
    receive (see ``ALL_MANAGEMENT_EVENTS``)."""
    detail = event.get("detail") or {}
    name = str(detail.get("eventName", ""))
    return (
        event.get("detail-type") == "AWS API Call via CloudTrail"
        and detail.get("readOnly") is True
        and name.startswith(_READ_ONLY_PREFIXES)
        and name not in _CHANGES_NAMED_AS_READS
    )


@dataclass(frozen=True)
class Rule:
    name: str
    arn: str
    pattern: CompiledPattern
    targets: tuple[dict[str, Any], ...]
    all_management_events: bool = False  # state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS

    @property
    def target_arns(self) -> tuple[str, ...]:
        return tuple(t["Arn"] for t in self.targets)


def json_path(document: Any, path: str) -> Any:
    """The value at a simple JSONPath (``$.detail.severity``, ``$.resources[0]``); None if absent."""
    current = document
    for key, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[1:]):
        if index:
            if not isinstance(current, list) or int(index) >= len(current):
                return None
            current = current[int(index)]
        elif isinstance(current, dict) and key in current:
            current = current[key]
        else:
            return None
    return current


def transform_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge sends a target for ``event``: the event, ``Input``, ``InputPath`` or the
    ``InputTransformer`` template with each ``<name>`` replaced by its path's value (strings
    inserted as they are inside quotes, other values as JSON)."""
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        return json.dumps(json_path(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    values = {
        name: json_path(event, path)
        for name, path in (transformer.get("InputPathsMap") or {}).items()
    }

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if value is None:
            return "null"
        return value if isinstance(value, str) else json.dumps(value)

    return re.sub(r"<([\w.-]+)>", substitute, transformer["InputTemplate"])


class EventBridge:
    """Matches delivered events against the enabled rules and invokes their targets."""

    def __init__(
        self, sim: Simulation, lambda_runtime: Invoker, regions: frozenset[str] | None = None
    ):
        self.sim = sim
        self.lambda_runtime = lambda_runtime
        # Where the rules are deployed. An event reaches the bus of its own region only; events of
        # global services (IAM, CloudFront, Route 53, Organizations) are recorded in us-east-1 and
        # reach rules there alone (EventBridge User Guide, "Events from AWS services": "AWS
        # global services ... events are delivered to the default event bus in us-east-1"), so a
        # stack deployed elsewhere does not see them.
        self.regions = regions or frozenset({sim.endpoints.region})
        self.client = sim.endpoints.client("events", "observer")
        self.sns = sim.endpoints.client("sns", "observer")  # publishes as the service
        self._rules: Readback[list[Rule]] = Readback(sim.recorder, {"events.amazonaws.com"})

    def rules(self) -> list[Rule]:
        """The enabled pattern rules of the default bus and their targets, as deployed now (read
        again after any EventBridge write)."""
        return self._rules.get(self._read_rules)

    def _read_rules(self) -> list[Rule]:
        found = []
        for page in self.client.get_paginator("list_rules").paginate(EventBusName="default"):
            for rule in page["Rules"]:
                if rule.get("State") not in ENABLED_STATES or not rule.get("EventPattern"):
                    continue
                targets = self.client.list_targets_by_rule(Rule=rule["Name"])["Targets"]
                found.append(
                    Rule(
                        rule["Name"],
                        rule["Arn"],
                        CompiledPattern(rule["EventPattern"]),
                        tuple(by_name(targets, "Id")),
                        rule.get("State") == ALL_MANAGEMENT_EVENTS,
                    )
                )
        found.sort(key=lambda r: r.name)
        return found

    def put_event(
        self, event: dict[str, Any], background: bool = False, operational: bool = False
    ) -> None:
        """An event arrives on the default bus now (``background``: from the background load; its
        matches are logged, acted on, and never count as the trial's detection). ``operational``:
        an event about the responders themselves (an Automation execution that ended), no signal
        of the attack: its matches are logged as ``eventbridge.matched_operational`` and acted on,
        never reported as a detection."""
        region = event.get("region")
        via_cloudtrail = str(event.get("detail-type", "")).endswith("via CloudTrail")
        if via_cloudtrail and region and region not in self.regions:
            # Findings (GuardDuty, Config, Security Hub) come from the detectors beside the rules.
            self.sim.log(
                "eventbridge.other_region",
                region=region,
                event_name=event.get("detail", {}).get("eventName"),
                **({"background": True} if background else {}),
            )
            return
        read_only = is_read_only_api_call(event)
        for rule in self.rules():
            if read_only and not rule.all_management_events:
                continue  # a Describe/Get/List call reaches only the rules that ask for them
            if not rule.pattern.matches_event(event):
                continue
            if operational:
                self.sim.log(
                    "eventbridge.matched_operational",
                    rule=rule.name,
                    detail_type=event.get("detail-type"),
                    **({"background": True} if background else {}),
                )
            else:
                self.sim.detected(
                    "eventbridge.matched",
                    f"eventbridge:{rule.name}",
                    background,
                    rule=rule.name,
                    event_name=event.get("detail", {}).get("eventName"),
                )
            for target in rule.targets:
                self.sim.env.process(self._invoke(target, event, rule, background))

    def _invoke(
        self, target: dict[str, Any], event: dict[str, Any], rule: Rule, background: bool = False
    ):
        yield self.sim.env.timeout(self.sim.draw("eventbridge_to_target_s", background=background))
        arn = target["Arn"]
        if arn.startswith("arn:aws:lambda:"):
            payload = transform_input(target, event)
            self.lambda_runtime.invoke_async(arn, json.loads(payload), rule.arn, background)
        elif arn.startswith("arn:aws:sns:"):
            self.sns.publish(
                TopicArn=arn,
                Message=transform_input(target, event),
                Subject=f"EventBridge rule {rule.name}"[:100],
            )
            self.sim.pump(background=background)
        else:
            self.sim.log("eventbridge.target_unsupported", target=arn, rule=rule.name)
