"""Usage metering: what AWS would bill, counted from a run's timeline (``events.jsonl``).

Every simulated service logs what it processed; this module counts those events per architecture,
so usage is exactly the work the simulation did. Totals and per-trial means go to ``usage.json``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

Event = dict[str, Any]

# Meters that count one unit per timeline event of a kind.
COUNTED: dict[str, str] = {
    "cloudtrail.management_events": "cloudtrail.delivered_to_eventbridge",
    "eventbridge.aws_service_events": "cloudtrail.delivered_to_eventbridge",
    "eventbridge.rule_matches": "eventbridge.matched",
    "lambda.requests": "lambda.invoked",
    "cron.executions": "cron.ran",
    "cron.executions_counted_not_run": "cron.run_skipped_no_change",
    "operator.runbooks_run": "operator.runbook_done",
    "operator.alerts_reviewed": "operator.acknowledged",
    "config.configuration_items": "config.item_recorded",
    "config.rule_evaluations": "config.evaluated",
    "guardduty.findings": "guardduty.finding",
    "securityhub.findings_ingested": "securityhub.imported",
    "logs.ingestions": "logs.ingested",
}
# Meters that add a quantity carried by the event.
SUMMED: dict[str, tuple[tuple[str, ...], Callable[[Event], float]]] = {
    "cloudtrail.record_bytes": (
        ("cloudtrail.delivered_to_eventbridge",),
        lambda e: e["record_bytes"],
    ),
    "lambda.gb_seconds": (
        ("lambda.invoked",),
        lambda e: e["billed_ms"] / 1000 * e["memory_mb"] / 1024,
    ),
    "operator.work_s": (("operator.runbook_done", "operator.acknowledged"), lambda e: e["work_s"]),
    "ssm.automation_steps": (("ssm.automation_finished",), lambda e: e.get("steps", 0)),
    "sns.email_deliveries": (
        ("sns.delivered",),
        lambda e: float(e.get("channel", "email") == "email"),
    ),
    "sns.sms_parts": (("sns.delivered",), lambda e: float(e.get("sms_parts", 0))),
    "logs.insights_queries": (
        ("api_call",),
        lambda e: float(e.get("event_name") == "StartQuery" and not e.get("error")),
    ),
    "sns.publishes": (
        ("api_call",),
        lambda e: float(e.get("event_name") == "Publish" and not e.get("error")),
    ),
}


def meter(
    events: list[Event], key: Callable[[Event], Any] = lambda e: e.get("architecture", "?")
) -> dict[Any, dict[str, Any]]:
    """Usage per architecture (or per ``key`` of an event, e.g. architecture and technique):
    {"trials": n, "totals": {...}, "per_trial": {...}}."""
    # Amounts are kept and added with math.fsum (exact, so independent of the order the workers
    # appended trials in: a plain running sum differed in its last digits from run to run).
    amounts: dict[Any, dict[str, list[float]]] = defaultdict(
        lambda: {name: [] for name in [*COUNTED, *SUMMED]}
    )
    trials: dict[Any, set[tuple[str, int]]] = defaultdict(set)
    for event in events:
        arch = key(event)
        trials[arch].add((event.get("technique", ""), int(event.get("trial", -1))))
        for name, kind in COUNTED.items():
            if event["kind"] == kind:
                # A background batch is one timeline event for ``records`` units.
                amounts[arch][name].append(float(event.get("records", 1)))
        for name, (kinds, amount) in SUMMED.items():
            if event["kind"] in kinds:
                amounts[arch][name].append(float(amount(event)))
    totals = {
        arch: {name: math.fsum(values) for name, values in found.items()}
        for arch, found in amounts.items()
    }
    return {
        arch: {
            "trials": len(trials[arch]),
            "totals": counts,
            "per_trial": {k: v / len(trials[arch]) for k, v in counts.items()},
        }
        for arch, counts in sorted(totals.items())
    }


def meter_run(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Meter ``events.jsonl`` of a run, merge the deployed inventory, write ``usage.json``."""
    events_path = Path(run_dir) / "events.jsonl"
    events = [json.loads(line) for line in events_path.read_text().splitlines() if line]
    usage = meter(events)
    usage_path = Path(run_dir) / "usage.json"
    previous = json.loads(usage_path.read_text()) if usage_path.exists() else {}
    for arch, entry in usage.items():
        entry["inventory"] = previous.get(arch, {}).get("inventory", {})
    usage_path.write_text(json.dumps(usage, indent=2, sort_keys=True) + "\n")
    return usage


def record_inventory(run_dir: Path, architecture: str, items: dict[str, Any]) -> None:
    """Keep what ``architecture`` deployed in ``usage.json`` (metered usage is added at the end)."""
    usage_path = Path(run_dir) / "usage.json"
    usage = json.loads(usage_path.read_text()) if usage_path.exists() else {}
    usage.setdefault(architecture, {})["inventory"] = items
    usage_path.write_text(json.dumps(usage, indent=2, sort_keys=True) + "\n")
