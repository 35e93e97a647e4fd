"""CloudWatch Logs Insights: the person's queries over the host logs, per incident (each scans the
window of logs ``insights_window_hours`` says)."""

from __future__ import annotations

from lab.cost.bill import Bill, Month

SERVICES = ("cloudwatch_logs",)


def meter(month: Month, bill: Bill) -> None:
    profile, per_trial = month.profile, month.per_trial
    if per_trial.get("logs.insights_queries"):  # the person's queries over the host logs
        scanned = (
            profile.incidents_per_month
            * per_trial["logs.insights_queries"]
            * profile.log_gb_per_day
            * month.drivers.insights_window_hours
            / 24
        )
        bill("detection-response", "cloudwatch_logs", "insights_gb_scanned", scanned)
