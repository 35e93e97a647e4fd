"""SSM Automation: the runbooks' steps per incident, as the run measured."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("ssm_automation",)


def meter(month: Month, bill: Bill) -> None:
    if month.per_trial.get("ssm.automation_steps"):
        steps = month.profile.incidents_per_month * month.per_trial["ssm.automation_steps"]
        bill("detection-response", "ssm_automation", "steps", steps)
