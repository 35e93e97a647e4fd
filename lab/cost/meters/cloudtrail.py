"""CloudTrail: every trail processes every management event of the account (the first copy at
its price, each further trail's as an additional copy), writes its log files to S3 (with a KMS
data key for each where the account has a customer key), sends them to CloudWatch Logs where the
trail does, and EventBridge receives every event as an AWS service event."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("cloudtrail", "s3", "kms", "cloudwatch_logs", "eventbridge")
S3_PUTS_PER_MONTH_PER_TRAIL = 8_760  # one log file about every 5 minutes (CloudTrail User Guide)


def meter(month: Month, bill: Bill) -> None:
    inventory, profile, drivers = month.inventory, month.profile, month.drivers
    trails = inventory.get("trails", 0)
    if not trails:
        return
    events_month = month.management_events
    bytes_per_event = month.ratio("cloudtrail.record_bytes", "cloudtrail.management_events", 1500)
    gb_month = events_month * bytes_per_event / 1e9
    bill("logging", "cloudtrail", "management_events_first_copy", events_month)
    if trails > 1:
        bill(
            "logging",
            "cloudtrail",
            "management_events_additional_copy",
            events_month * (trails - 1),
        )
    bill(
        "logging",
        "s3",
        "standard_gb_month",
        gb_month * drivers.s3_gzip_ratio * profile.s3_retention_months,
    )
    bill("logging", "s3", "put_requests", S3_PUTS_PER_MONTH_PER_TRAIL * trails)
    if inventory.get("kms_customer_keys"):  # a data key for each log file
        requests = S3_PUTS_PER_MONTH_PER_TRAIL * trails * drivers.kms_requests_per_trail_log_file
        bill("logging", "kms", "requests", requests)
    if inventory.get("trails_to_cloudwatch_logs"):
        bill("logging", "cloudwatch_logs", "ingestion_gb", gb_month)
        retained_months = profile.log_retention_days / DAYS_PER_MONTH
        bill(
            "logging",
            "cloudwatch_logs",
            "storage_gb_month",
            gb_month * drivers.cloudwatch_logs_compression * retained_months,
        )
    bill("detection-response", "eventbridge", "aws_service_events", events_month)
