"""Security Hub: the findings it ingests per incident (as the run measured), and each enabled
standard's controls running their checks on resource changes and periodically."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("securityhub",)


def meter(month: Month, bill: Bill) -> None:
    inventory, profile, drivers = month.inventory, month.profile, month.drivers
    if inventory.get("securityhub"):
        bill(
            "detection-response",
            "securityhub",
            "finding_ingestion",
            profile.incidents_per_month * month.per_trial.get("securityhub.findings_ingested", 0.0),
        )
    if inventory.get("securityhub_standards"):  # each enabled standard's controls run checks
        checks = inventory["securityhub_standards"] * (
            profile.resource_changes_per_day
            * DAYS_PER_MONTH
            * drivers.securityhub_checks_per_resource_change
            + drivers.securityhub_periodic_checks_per_day * DAYS_PER_MONTH
        )
        bill("detection-response", "securityhub", "security_checks", checks)
