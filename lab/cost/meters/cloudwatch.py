"""CloudWatch: each alarm by the month, and each metric filter's custom metric."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("cloudwatch",)


def meter(month: Month, bill: Bill) -> None:
    inventory = month.inventory
    if inventory.get("alarms"):
        bill("detection-response", "cloudwatch", "standard_alarm_month", inventory["alarms"])
    if inventory.get("metric_filters"):  # each metric filter publishes a custom metric
        bill("detection-response", "cloudwatch", "custom_metric_month", inventory["metric_filters"])
