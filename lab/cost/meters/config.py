"""AWS Config: a recorder records an item for every resource change; its rules evaluate each
change (as many evaluations per item as the run measured) and the periodic ones daily."""

from __future__ import annotations

from lab.cost.bill import DAYS_PER_MONTH, Bill, Month

SERVICES = ("config",)


def meter(month: Month, bill: Bill) -> None:
    inventory = month.inventory
    if not inventory.get("config_recorders"):
        return
    changes_month = month.profile.resource_changes_per_day * DAYS_PER_MONTH
    bill("detection-response", "config", "configuration_items", changes_month)
    evaluations = (
        changes_month
        * max(1.0, month.ratio("config.rule_evaluations", "config.configuration_items", 1.0))
        + inventory.get("config_periodic_rules", 0) * DAYS_PER_MONTH
    )
    bill("detection-response", "config", "rule_evaluations", evaluations)
