"""KMS: each customer managed key, by the month (its requests are billed by what makes them: the
trail's log files, ``cloudtrail``)."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("kms",)


def meter(month: Month, bill: Bill) -> None:
    if month.inventory.get("kms_customer_keys"):
        bill("logging", "kms", "customer_keys", month.inventory["kms_customer_keys"])
