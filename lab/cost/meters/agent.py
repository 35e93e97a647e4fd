"""The CloudWatch agent: where its configuration ships log files, the workload's host logs are
ingested into CloudWatch Logs and stored for the retention."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("cloudwatch_logs",)


def meter(month: Month, bill: Bill) -> None:
    profile, drivers = month.profile, month.drivers
    if not month.inventory.get("agent_log_files"):
        return
    host_gb_month = profile.log_gb_per_day * DAYS_PER_MONTH
    bill("logging", "cloudwatch_logs", "ingestion_gb", host_gb_month)
    bill(
        "logging",
        "cloudwatch_logs",
        "storage_gb_month",
        host_gb_month
        * drivers.cloudwatch_logs_compression
        * profile.log_retention_days
        / DAYS_PER_MONTH,
    )
