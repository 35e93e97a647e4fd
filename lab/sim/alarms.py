"""CloudWatch metrics and metric alarms in virtual time.

Datapoints (from metric filters) become visible after a calibrated delay. Every alarm of the
account, read back at each evaluation (once a minute), is evaluated as "Using Amazon CloudWatch
alarms" documents (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
the statistic over each of the last ``EvaluationPeriods`` periods (aligned to the period), a period
breaching when it compares to the threshold, ALARM when at least ``DatapointsToAlarm`` of them
breach; missing periods follow ``TreatMissingData`` (missing, notBreaching, breaching, ignore).
A state change is recorded with its reason, written to the emulated alarm (SetAlarmState) and
runs the state's actions: a Publish to each SNS topic with CloudWatch's notification JSON.
"""

from __future__ import annotations

import json
import math
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lab.sim.kernel import Simulation
from lab.sim.logs import Datapoint
from lab.sim.readback import Readback, by_name

MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]
_COMPARE = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
_SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def statistic(name: str, values: list[float]) -> float:
    """One CloudWatch statistic of a period's values."""
    return {
        "Sum": lambda v: float(sum(v)),
        "Average": lambda v: float(sum(v)) / len(v),
        "Minimum": lambda v: float(min(v)),
        "Maximum": lambda v: float(max(v)),
        "SampleCount": lambda v: float(len(v)),
    }[name](values)


@dataclass
class Evaluation:
    state: str
    reason: str
    periods: list[float | None]  # oldest first; None = missing


def evaluate(
    alarm: dict[str, Any], values_by_period: list[list[float]], current_state: str
) -> Evaluation:
    """The state an alarm takes given the values of its last N periods (oldest first)."""
    threshold = float(alarm["Threshold"])
    compare = _COMPARE[alarm["ComparisonOperator"]]
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    treat = alarm.get("TreatMissingData") or "missing"
    periods = [statistic(alarm["Statistic"], v) if v else None for v in values_by_period[-n:]]
    present = [p for p in periods if p is not None]
    breaching = sum(1 for p in present if compare(p, threshold))
    missing = len(periods) - len(present)
    if treat == "breaching":
        breaching += missing
    symbol = _SYMBOL[alarm["ComparisonOperator"]]
    shown = ", ".join("missing" if p is None else f"{p:g}" for p in periods)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return Evaluation(current_state, "no datapoints; state kept (ignore)", periods)
        return Evaluation(
            "INSUFFICIENT_DATA", f"Insufficient Data: {n} datapoints were unknown.", periods
        )
    if breaching >= m:
        reason = (
            f"Threshold Crossed: {breaching} out of the last {n} datapoints [{shown}] were "
            f"{symbol} the threshold ({threshold:g}) (minimum {m} datapoints for OK -> ALARM "
            "transition)."
        )
        return Evaluation("ALARM", reason, periods)
    reason = (
        f"Threshold Crossed: no more than {m - 1} of the last {n} datapoints [{shown}] were "
        f"{symbol} the threshold ({threshold:g}) (minimum {m} datapoints for ALARM -> OK "
        "transition)."
    )
    return Evaluation("OK", reason, periods)


# The fields of an alarm that ``evaluate`` reads.
_EVALUATED = (
    "Threshold",
    "ComparisonOperator",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "TreatMissingData",
    "Statistic",
)


@lru_cache(maxsize=256)
def _evaluate_without_data(*fields_and_state: Any) -> Evaluation:
    """``evaluate`` of an alarm (its ``_EVALUATED`` fields, then its state) whose metric has no
    datapoint in any period: alarms are evaluated every minute, mostly with no data."""
    *fields, state = fields_and_state
    alarm = dict(zip(_EVALUATED, fields, strict=True))
    return evaluate(alarm, [[] for _ in range(int(alarm["EvaluationPeriods"]))], state)


@dataclass
class Metrics:
    """The account's metric datapoints in virtual time (what alarms read)."""

    sim: Simulation
    points: dict[MetricKey, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Times of the datapoints that came from the trial's own activity (not the background load).
    foreground: dict[MetricKey, list[float]] = field(default_factory=lambda: defaultdict(list))

    def publish(self, datapoint: Datapoint) -> None:
        self.sim.env.process(self._arrive(datapoint))

    def _arrive(self, datapoint: Datapoint):
        yield self.sim.env.timeout(
            self.sim.draw("metric_filter_to_datapoint_s", datapoint.cron, datapoint.background)
        )
        key = (datapoint.namespace, datapoint.metric, datapoint.dimensions)
        self.points[key].append((datapoint.timestamp_s, datapoint.value))
        if not datapoint.background and datapoint.value:
            self.foreground[key].append(datapoint.timestamp_s)

    def attributable(self, key: MetricKey, period_s: int, n: int, now_s: float) -> bool:
        """Does a non-zero datapoint of the trial's own activity fall in the last ``n`` periods?
        (If not, an alarm going off now was set off by the background load alone.)"""
        epoch = self.sim.epoch.timestamp()
        current = math.floor((epoch + now_s) / period_s)
        return any(
            0 <= current - math.floor((epoch + t) / period_s) < n
            for t in self.foreground.get(key, [])
        )

    def period_values(
        self, key: MetricKey, period_s: int, n: int, now_s: float
    ) -> list[list[float]]:
        """Values of the last ``n`` periods ending with the one ``now_s`` is in, oldest first.

        Periods are aligned to wall-clock multiples of the period, as CloudWatch aligns them."""
        epoch = self.sim.epoch.timestamp()
        current = math.floor((epoch + now_s) / period_s)
        out: list[list[float]] = [[] for _ in range(n)]
        for t, value in self.points.get(key, []):
            index = math.floor((epoch + t) / period_s)
            slot = n - 1 - (current - index)
            if 0 <= slot < n:
                out[slot].append(value)
        return out


class Alarms:
    """Evaluates the account's metric alarms once a minute and runs their actions."""

    def __init__(self, sim: Simulation, metrics: Metrics):
        self.sim = sim
        self.metrics = metrics
        self.cloudwatch = sim.endpoints.client("cloudwatch", "observer")
        self.sns = sim.endpoints.client("sns", "observer")
        self.states: dict[str, str] = {}
        self._alarms: Readback[list[dict[str, Any]]] = Readback(
            sim.recorder, {"monitoring.amazonaws.com"}
        )
        sim.env.process(self._loop())

    def _loop(self):
        interval = self.sim.draw("alarm_evaluation_interval_s")
        yield self.sim.env.timeout(float(self.sim.rng.uniform(0, interval)))  # the minute's phase
        while True:
            self.evaluate_all()
            yield self.sim.env.timeout(interval)

    def alarms(self) -> list[dict[str, Any]]:
        """The metric alarms of the account (read again after any CloudWatch write)."""
        return self._alarms.get(self._read_alarms)

    def _read_alarms(self) -> list[dict[str, Any]]:
        found = []
        for page in self.cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm"]
        ):
            found.extend(a for a in page["MetricAlarms"] if a.get("MetricName"))
        return by_name(found, "AlarmName")

    def evaluate_all(self) -> None:
        for alarm in self.alarms():
            key = (
                alarm["Namespace"],
                alarm["MetricName"],
                tuple(sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions", []))),
            )
            n, period = int(alarm["EvaluationPeriods"]), int(alarm["Period"])
            name = alarm["AlarmName"]
            # Each trial starts from the state the alarm has in the account.
            old = self.states.setdefault(name, alarm.get("StateValue") or "INSUFFICIENT_DATA")
            if not self.metrics.points.get(key):  # no datapoint yet: the same answer each minute
                result = _evaluate_without_data(*(alarm.get(f) for f in _EVALUATED), old)
            else:
                values = self.metrics.period_values(key, period, n + 1, self.sim.now)
                # A period that has just begun has no datapoint yet: CloudWatch evaluates the
                # last periods that can hold data, not an empty one still being filled.
                values = values[1:] if values[-1] else values[:-1]
                result = evaluate(alarm, values, old)
            if result.state != old:
                self.states[name] = result.state
                # Set off by the background load alone? (Only a state change to ALARM can be.)
                background = result.state == "ALARM" and not self.metrics.attributable(
                    key, period, n + 1, self.sim.now
                )
                self._transition(alarm, old, result, background)

    def _transition(
        self, alarm: dict[str, Any], old: str, result: Evaluation, background: bool = False
    ) -> None:
        name = alarm["AlarmName"]
        fired = result.state == "ALARM"
        fields = {"alarm": name, "old_state": old, "new_state": result.state}
        if fired:
            self.sim.detected(
                "cloudwatch.alarm_state",
                f"alarm:{name}",
                background,
                **fields,
                reason=result.reason,
            )
        else:
            self.sim.log(
                "cloudwatch.alarm_state",
                **fields,
                reason=result.reason,
                **({"background": True} if background else {}),
            )
        with self._alarms.own_write():  # the alarms read stay as read, with their new state
            self.cloudwatch.set_alarm_state(
                AlarmName=name, StateValue=result.state, StateReason=result.reason[:1023]
            )
            alarm["StateValue"], alarm["StateReason"] = result.state, result.reason[:1023]
        actions = {
            "ALARM": alarm.get("AlarmActions", []),
            "OK": alarm.get("OKActions", []),
            "INSUFFICIENT_DATA": alarm.get("InsufficientDataActions", []),
        }[result.state]
        if not alarm.get("ActionsEnabled", True):
            return
        for arn in actions:
            if arn.startswith("arn:aws:sns:"):
                self.sns.publish(
                    TopicArn=arn,
                    Subject=f'{result.state}: "{name}" in {self.sim.endpoints.region}'[:100],
                    Message=json.dumps(self.notification(alarm, old, result)),
                )
                self.sim.pump(background=background)
            else:
                self.sim.log("cloudwatch.action_unsupported", alarm=name, action=arn)

    def notification(self, alarm: dict[str, Any], old: str, result: Evaluation) -> dict[str, Any]:
        """The JSON CloudWatch publishes to an alarm's SNS topic."""
        return {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": alarm["AlarmArn"].split(":")[4],
            "NewStateValue": result.state,
            "NewStateReason": result.reason,
            "StateChangeTime": self.sim.at(self.sim.now),
            "Region": self.sim.endpoints.region,
            "AlarmArn": alarm["AlarmArn"],
            "OldStateValue": old,
            "Trigger": {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "StatisticType": "Statistic",
                "Statistic": alarm["Statistic"].upper(),
                "Dimensions": alarm.get("Dimensions", []),
                "Period": alarm["Period"],
                "EvaluationPeriods": alarm["EvaluationPeriods"],
                "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
                "ComparisonOperator": alarm["ComparisonOperator"],
                "Threshold": alarm["Threshold"],
                "TreatMissingData": alarm.get("TreatMissingData") or "missing",
            },
        }
