"""CloudWatch Logs in virtual time: events are written into the emulated log groups for real
(PutLogEvents, so FilterLogEvents and Logs Insights see them), and the log group's metric filters,
read from the account at ingestion, turn matching events into metric datapoints.

Metric filter semantics, from "Creating metrics from log events using filters"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html): each matching
event publishes the filter's ``metricValue`` (a literal or a field of the event); ``defaultValue``
is published once for an ingestion batch in which no event matched; nothing is published when no
events arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lab.engines.log_patterns import log_pattern_matches, metric_value
from lab.sim.kernel import Simulation
from lab.sim.readback import Readback, by_name


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    value: float
    timestamp_s: float  # virtual time of the log event
    unit: str | None = None
    background: bool = False  # from a background log event
    cron: bool = False  # from the monitoring cron's own calls (its delays drawn from its streams)


LogEvent = tuple[float, str]  # (virtual seconds, message)


class CloudWatchLogs:
    """Ingests log events into groups and applies the groups' metric filters."""

    def __init__(self, sim: Simulation, publish: Callable[[Datapoint], None]):
        self.sim = sim
        self.publish = publish
        self.client = sim.endpoints.client("logs", "observer")
        self._streams: set[tuple[str, str]] = set()
        self._filters: Readback[list[dict[str, Any]]] = Readback(
            sim.recorder, {"logs.amazonaws.com"}
        )

    def ingest(
        self,
        group: str,
        stream: str,
        events: Iterable[LogEvent],
        source: str,
        background: bool = False,
        cron: bool = False,
    ) -> bool:
        """Write ``events`` to ``group``/``stream`` now; False when the group does not exist (the
        sender's PutLogEvents fails, as it would in AWS)."""
        batch = sorted(events)
        if not batch:
            return True
        try:
            with self._filters.own_write():  # log events change no metric filter
                self._put(group, stream, batch)
        except ClientError as error:
            self.sim.log(
                "logs.delivery_failed",
                log_group=group,
                source=source,
                error=error.response["Error"]["Code"],
            )
            return False
        self.sim.log(
            "logs.ingested",
            log_group=group,
            stream=stream,
            events=len(batch),
            source=source,
            **({"background": True} if background else {}),
        )
        self._apply_metric_filters(group, batch, background, cron)
        return True

    def _put(self, group: str, stream: str, batch: list[LogEvent]) -> None:
        """CreateLogStream (once) and PutLogEvents, as the sender calls them."""
        if (group, stream) not in self._streams:
            try:
                self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                    raise
            self._streams.add((group, stream))
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": self.sim.epoch_ms(t), "message": m} for t, m in batch],
        )

    def metric_filters(self, group: str) -> list[dict[str, Any]]:
        """The group's metric filters (read again after a CloudWatch Logs write not our own), by
        name: the order they were created in (Terraform creates them in parallel) must not change
        which delay each one draws."""
        return self._filters.get(
            lambda: by_name(
                self.client.describe_metric_filters(logGroupName=group).get("metricFilters", []),
                "filterName",
            ),
            group,
        )

    def _apply_metric_filters(
        self, group: str, batch: list[LogEvent], background: bool = False, cron: bool = False
    ) -> None:
        for metric_filter in self.metric_filters(group):
            pattern = metric_filter.get("filterPattern", "")
            matched = [(t, m) for t, m in batch if log_pattern_matches(pattern, m)]
            for transformation in metric_filter.get("metricTransformations", []):
                for t, message in matched:
                    value = metric_value(pattern, transformation["metricValue"], message)
                    if value is not None:
                        self.publish(_datapoint(transformation, value, t, background, cron))
                if not matched and transformation.get("defaultValue") is not None:
                    self.publish(
                        _datapoint(
                            transformation,
                            float(transformation["defaultValue"]),
                            batch[-1][0],
                            background,
                            cron,
                        )
                    )
            if matched:
                self.sim.log(
                    "logs.metric_filter_matched",
                    log_group=group,
                    filter=metric_filter["filterName"],
                    events=len(matched),
                )


def _datapoint(
    transformation: dict[str, Any],
    value: float,
    t: float,
    background: bool = False,
    cron: bool = False,
) -> Datapoint:
    dimensions = tuple(sorted((transformation.get("dimensions") or {}).items()))
    return Datapoint(
        transformation["metricNamespace"],
        transformation["metricName"],
        dimensions,
        value,
        t,
        transformation.get("unit"),
        background,
        cron,
    )
