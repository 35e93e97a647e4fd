"""GuardDuty: a detector analyses every management event and the VPC flow and DNS logs of its
own feeds (whether or not a flow log is deployed)."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("guardduty",)


def meter(month: Month, bill: Bill) -> None:
    if month.inventory.get("guardduty_detectors"):
        bill(
            "detection-response",
            "guardduty",
            "cloudtrail_management_events",
            month.management_events,
        )
        bill("detection-response", "guardduty", "vpc_flow_dns_gb", month.flow_log_gb)
