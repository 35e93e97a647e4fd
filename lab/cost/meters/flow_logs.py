"""VPC flow logs: each deployed flow log delivers the workload's flow records as vended logs (to
S3, or to CloudWatch Logs, where they are also stored for the retention)."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("cloudwatch_logs", "s3")


def meter(month: Month, bill: Bill) -> None:
    profile, drivers = month.profile, month.drivers
    flow_gb_month = month.flow_log_gb
    flow_logs = month.inventory.get("flow_logs", {})
    if flow_logs.get("s3"):
        bill("logging", "cloudwatch_logs", "vended_to_s3_gb", flow_gb_month * flow_logs["s3"])
        bill(
            "logging",
            "s3",
            "standard_gb_month",
            flow_gb_month * flow_logs["s3"] * drivers.s3_gzip_ratio * profile.s3_retention_months,
        )
    if flow_logs.get("cloud-watch-logs"):
        copies = flow_logs["cloud-watch-logs"]
        bill("logging", "cloudwatch_logs", "vended_to_cloudwatch_logs_gb", flow_gb_month * copies)
        bill(
            "logging",
            "cloudwatch_logs",
            "storage_gb_month",
            flow_gb_month
            * copies
            * drivers.cloudwatch_logs_compression
            * profile.log_retention_days
            / DAYS_PER_MONTH,
        )
