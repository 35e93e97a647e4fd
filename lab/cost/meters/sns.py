"""SNS: the alerts of an incident, as the run measured: publishes, e-mails, and pages (each
140-byte part of a text is billed)."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("sns",)


def meter(month: Month, bill: Bill) -> None:
    incidents, per_trial = month.profile.incidents_per_month, month.per_trial
    bill("notification", "sns", "publishes", incidents * per_trial.get("sns.publishes", 0.0))
    bill(
        "notification",
        "sns",
        "email_deliveries",
        incidents * per_trial.get("sns.email_deliveries", 0.0),
    )
    if per_trial.get("sns.sms_parts"):  # pages: each 140-byte part of a text is billed
        bill("notification", "sns", "sms_parts", incidents * per_trial["sns.sms_parts"])
