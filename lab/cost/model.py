"""Monthly cost of an architecture for a workload profile: infrastructure + people.

Infrastructure = what was deployed (inventory, read back from the account) running for a month, plus
what the profile's volumes make the deployed services process, using per-unit quantities measured in
the run (bytes per CloudTrail record, Lambda GB-seconds per invocation, alerts per incident). People =
the operator time the simulated responses took, per incident, plus build (amortised) and upkeep.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from lab.cost.pricing import PriceBook

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")
HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30.4
S3_PUTS_PER_MONTH_PER_TRAIL = 8_760  # one log file about every 5 minutes (CloudTrail User Guide)


class Profile(BaseModel):
    """What an account does in a month."""

    model_config = ConfigDict(extra="forbid")
    description: str
    source: str = "Assumption."
    management_events_per_day: float
    log_gb_per_day: float
    flow_log_gb_per_day: float
    resource_changes_per_day: float
    sg_ingress_changes_per_day: float
    incidents_per_month: float
    log_retention_days: int
    s3_retention_months: int

    def scaled(self, factor: float) -> Profile:
        """The same account, ``factor`` times busier."""
        volumes = (
            "management_events_per_day",
            "log_gb_per_day",
            "flow_log_gb_per_day",
            "resource_changes_per_day",
            "sg_ingress_changes_per_day",
            "incidents_per_month",
        )
        return self.model_copy(update={k: getattr(self, k) * factor for k in volumes})


class Effort(BaseModel):
    model_config = ConfigDict(extra="forbid")
    build_hours: float
    maintenance_hours_per_month: float
    source: str


class Drivers(BaseModel):
    """How deployed services turn a profile's volumes into billed units (profiles.yaml says why)."""

    model_config = ConfigDict(extra="forbid")
    cloudwatch_logs_compression: float
    s3_gzip_ratio: float
    kms_requests_per_trail_log_file: float
    insights_window_hours: float
    securityhub_checks_per_resource_change: float
    securityhub_periodic_checks_per_day: float
    source: str


class Workloads(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hourly_rate_usd: float
    amortization_months: int
    effort: dict[str, Effort]
    drivers: Drivers
    profiles: dict[str, Profile]

    def with_effort(self, factors: dict[str, float]) -> Workloads:
        """The same workloads with each architecture's upkeep multiplied by ``factors[arch]``."""
        effort = {
            arch: e.model_copy(
                update={
                    "maintenance_hours_per_month": e.maintenance_hours_per_month
                    * factors.get(arch, 1.0)
                }
            )
            for arch, e in self.effort.items()
        }
        return self.model_copy(update={"effort": effort})

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise KeyError(f"unknown workload profile {name!r}; known: {', '.join(self.profiles)}")
        return self.profiles[name]


@cache
def workloads(path: Path = PROFILES_FILE) -> Workloads:
    return Workloads.model_validate(yaml.safe_load(Path(path).read_text()))


@dataclass(frozen=True)
class Line:
    """One line of a monthly bill."""

    category: str  # compute | logging | detection-response | notification | people
    service: str
    item: str
    quantity: float
    unit: str
    cost_usd: float


def monthly_cost(
    architecture: str,
    usage: dict[str, Any],
    profile: Profile,
    prices: PriceBook,
    loads: Workloads,
    hourly_rate_usd: float | None = None,
) -> list[Line]:
    """The monthly bill of ``architecture`` at ``profile``, line by line."""
    inventory = usage.get("inventory", {})
    per_trial = usage.get("per_trial", {})
    rate = loads.hourly_rate_usd if hourly_rate_usd is None else hourly_rate_usd
    drivers = loads.drivers
    lines: list[Line] = []

    def bill(category: str, service: str, item: str, quantity: float) -> None:
        """Add ``quantity`` of an item; one line per item, priced on its monthly total (free tier
        and tiers are per account and month, not per driver)."""
        spec = prices.item(service, item)
        for i, line in enumerate(lines):
            if (line.service, line.item) == (service, item):
                total_quantity = line.quantity + quantity
                lines[i] = Line(
                    line.category,
                    service,
                    item,
                    total_quantity,
                    spec.unit,
                    spec.cost(total_quantity),
                )
                return
        lines.append(Line(category, service, item, quantity, spec.unit, spec.cost(quantity)))

    # Compute deployed: instances and their volumes run all month.
    for instance_type, count in sorted(inventory.get("ec2_instances", {}).items()):
        bill("compute", "ec2", f"{instance_type}_hours", count * HOURS_PER_MONTH)
    if inventory.get("ebs_gb"):
        bill("compute", "ebs", "gp3_gb_month", inventory["ebs_gb"])
    if inventory.get("public_ipv4"):  # every public IPv4 address, in use or not
        bill("compute", "vpc", "public_ipv4_hours", inventory["public_ipv4"] * HOURS_PER_MONTH)
    if inventory.get("kms_customer_keys"):
        bill("logging", "kms", "customer_keys", inventory["kms_customer_keys"])

    # CloudTrail trails process every management event of the account.
    events_month = profile.management_events_per_day * DAYS_PER_MONTH
    trails = inventory.get("trails", 0)
    if trails:
        bytes_per_event = _ratio(
            per_trial, "cloudtrail.record_bytes", "cloudtrail.management_events", 1500
        )
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
            requests = (
                S3_PUTS_PER_MONTH_PER_TRAIL * trails * drivers.kms_requests_per_trail_log_file
            )
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
    if inventory.get("alarms"):
        bill("detection-response", "cloudwatch", "standard_alarm_month", inventory["alarms"])
    if inventory.get("metric_filters"):  # each metric filter publishes a custom metric
        bill("detection-response", "cloudwatch", "custom_metric_month", inventory["metric_filters"])

    # VPC flow logs: each deployed flow log delivers the workload's flow records as vended logs
    # (to S3, or to CloudWatch Logs, where they are also stored for the retention).
    flow_gb_month = profile.flow_log_gb_per_day * DAYS_PER_MONTH
    flow_logs = inventory.get("flow_logs", {})
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

    # Host logs: where a CloudWatch agent configuration ships log files, the workload's host logs
    # are ingested into CloudWatch Logs and stored for the retention.
    if inventory.get("agent_log_files"):
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

    # Managed detectors: GuardDuty analyses every management event and the VPC flow and DNS logs
    # of its own feeds (whether or not a flow log is deployed); Config records an item for every
    # resource change and evaluates rules (periodic ones daily); Security Hub ingests findings;
    # runbooks bill per step.
    if inventory.get("guardduty_detectors"):
        bill("detection-response", "guardduty", "cloudtrail_management_events", events_month)
        bill("detection-response", "guardduty", "vpc_flow_dns_gb", flow_gb_month)
    if inventory.get("config_recorders"):
        changes_month = profile.resource_changes_per_day * DAYS_PER_MONTH
        bill("detection-response", "config", "configuration_items", changes_month)
        evaluations = (
            changes_month
            * max(
                1.0, _ratio(per_trial, "config.rule_evaluations", "config.configuration_items", 1.0)
            )
            + inventory.get("config_periodic_rules", 0) * DAYS_PER_MONTH
        )
        bill("detection-response", "config", "rule_evaluations", evaluations)
    if inventory.get("securityhub"):
        bill(
            "detection-response",
            "securityhub",
            "finding_ingestion",
            profile.incidents_per_month * per_trial.get("securityhub.findings_ingested", 0.0),
        )
    if inventory.get("securityhub_standards"):  # each enabled standard's controls run checks
        checks = inventory["securityhub_standards"] * (
            profile.resource_changes_per_day
            * DAYS_PER_MONTH
            * drivers.securityhub_checks_per_resource_change
            + drivers.securityhub_periodic_checks_per_day * DAYS_PER_MONTH
        )
        bill("detection-response", "securityhub", "security_checks", checks)
    if per_trial.get("logs.insights_queries"):  # the person's queries over the host logs
        scanned = (
            profile.incidents_per_month
            * per_trial["logs.insights_queries"]
            * profile.log_gb_per_day
            * drivers.insights_window_hours
            / 24
        )
        bill("detection-response", "cloudwatch_logs", "insights_gb_scanned", scanned)
    if per_trial.get("ssm.automation_steps"):
        steps = profile.incidents_per_month * per_trial["ssm.automation_steps"]
        bill("detection-response", "ssm_automation", "steps", steps)

    # Each deployed function runs once per matching call: here, security group ingress changes.
    incidents = profile.incidents_per_month
    if inventory.get("lambda_functions") and inventory.get("eventbridge_rules"):
        invocations = profile.sg_ingress_changes_per_day * DAYS_PER_MONTH
        gb_s_each = _ratio(per_trial, "lambda.gb_seconds", "lambda.requests", 0.0)
        bill("detection-response", "lambda", "requests", invocations)
        bill("detection-response", "lambda", "gb_seconds_x86", invocations * gb_s_each)

    # Alerts per incident, as measured.
    bill("notification", "sns", "publishes", incidents * per_trial.get("sns.publishes", 0.0))
    bill(
        "notification",
        "sns",
        "email_deliveries",
        incidents * per_trial.get("sns.email_deliveries", 0.0),
    )
    if per_trial.get("sns.sms_parts"):  # pages: each 140-byte part of a text is billed
        bill("notification", "sns", "sms_parts", incidents * per_trial["sns.sms_parts"])

    # People: response time per incident (simulated), upkeep and amortised build (profiles.yaml;
    # a registered stack has no effort figures there: its bill leaves them out, it does not guess).
    response_hours = incidents * per_trial.get("operator.work_s", 0.0) / 3600
    lines.append(
        Line(
            "people", "operator", "incident response", response_hours, "hour", response_hours * rate
        )
    )
    effort = loads.effort.get(architecture)
    if effort is None:
        return lines
    lines.append(
        Line(
            "people",
            "engineer",
            "maintenance",
            effort.maintenance_hours_per_month,
            "hour",
            effort.maintenance_hours_per_month * rate,
        )
    )
    build = effort.build_hours / loads.amortization_months
    lines.append(Line("people", "engineer", "build (amortised)", build, "hour", build * rate))
    return lines


def _ratio(per_trial: dict[str, float], numerator: str, denominator: str, default: float) -> float:
    return per_trial[numerator] / per_trial[denominator] if per_trial.get(denominator) else default


def total(lines: list[Line]) -> float:
    return sum(line.cost_usd for line in lines)


def break_even(costs_a: list[float], costs_b: list[float], scales: list[float]) -> float | None:
    """The first scale where the cheaper architecture changes (linear interpolation), if any."""
    for i in range(1, len(scales)):
        before, after = costs_a[i - 1] - costs_b[i - 1], costs_a[i] - costs_b[i]
        if before == 0:
            return scales[i - 1]
        if before * after < 0:
            return scales[i - 1] + (scales[i] - scales[i - 1]) * before / (before - after)
    return None
