"""Lambda: each deployed function runs once per matching call (here, security group ingress
changes), for the GB-seconds per invocation the run measured."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("lambda",)


def meter(month: Month, bill: Bill) -> None:
    inventory = month.inventory
    if inventory.get("lambda_functions") and inventory.get("eventbridge_rules"):
        invocations = month.profile.sg_ingress_changes_per_day * DAYS_PER_MONTH
        gb_s_each = month.ratio("lambda.gb_seconds", "lambda.requests", 0.0)
        bill("detection-response", "lambda", "requests", invocations)
        bill("detection-response", "lambda", "gb_seconds_x86", invocations * gb_s_each)
