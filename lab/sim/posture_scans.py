"""Periodic CSPM scans (Prowler) as a detection path, in virtual time.

A scan runs on its schedule (every ``every_s`` seconds from midnight UTC, as a ``rate()`` schedule
started then would) against the account's real state at that moment, with the checks the
scenario's techniques name (their metadata's ``cspm_checks``). A FAIL the trial's first look did
not have is a detection, ``cspm:<check>``, when the scan's report is ready (its duration drawn from
``cspm_scan_s``). Both architectures get the same scanner, checks and schedule; where the report
goes is each one's own design, read back from the account:

- Security Hub with Prowler's integration on (the serverless stack): each new FAIL imported as
  ASFF (as Prowler's ``--security-hub`` sends it), "Security Hub Findings - Imported" to
  EventBridge, whose rules decide the rest;
- else a running monitoring instance (the manual architecture: the cron job that runs Prowler
  there): each new FAIL of high or critical severity (the stack's rule's threshold) e-mailed to its
  alert topic (``ALERT_TOPIC_ARN`` of its detectors' environment);
- else nobody runs the scan (``cspm.no_scanner``), never a silent "not detected".

A scan of the same checks after no configuration write to their services cannot answer
differently: its result is reused (exact, as the cron's detectors skip; kept by the account's
``Scanner`` across its trials, keyed by the recorder's write sequence).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lab.engines.alert_message import publish_alert
from lab.sim.kernel import Simulation
from lab.sim.runbook_index import resource_id

ALERTING_SEVERITIES = (
    "High",
    "Critical",
)  # the serverless stack's Security Hub rule: HIGH, CRITICAL
PRODUCT_ARN = "arn:aws:securityhub:{region}::product/prowler/prowler"


@dataclass(frozen=True)
class PostureFinding:
    """One check's result on one resource, as the scanner reports it."""

    check: str
    resource: str
    status: str  # PASS, FAIL, MANUAL, MUTED
    severity: str  # Prowler's: Critical, High, Medium, Low, Informational
    title: str

    @property
    def key(self) -> tuple[str, str]:
        return self.check, self.resource


@dataclass(eq=False)
class Scanner:
    """The CSPM tool bound to one account (``scan``: the checks' findings on it now), and its
    answers: the findings of each set of checks with the recorder's write sequence they were read
    at. The account's target makes one per account, so an answer lives exactly as long as the
    account it describes, across the account's trials and never beyond."""

    scan: Callable[[list[str]], list[PostureFinding]]
    answers: dict[tuple[str, ...], tuple[int, list[PostureFinding]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CspmSchedule:
    """What the scenario asks for: the scanner, its period and the checks."""

    scanner: Scanner
    every_s: float
    checks: tuple[str, ...]


def event_sources(checks: tuple[str, ...]) -> set[str]:
    """The CloudTrail event sources whose writes can change the checks' answers (a Prowler check
    id begins with its service's name)."""
    rename = {"vpc": "ec2", "awslambda": "lambda"}
    services = {check.split("_", 1)[0] for check in checks}
    return {f"{rename.get(s, s)}.amazonaws.com" for s in services}


def asff(finding: PostureFinding, account: str, region: str, at: str) -> dict[str, Any]:
    """A FAIL in AWS Security Finding Format, as Prowler's Security Hub integration writes it
    (product ``prowler/prowler``, one finding id per check and resource)."""
    digest = hashlib.sha512(finding.resource.encode()).hexdigest()[:9]
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"prowler-{finding.check}-{account}-{region}-{digest}",
        "ProductArn": PRODUCT_ARN.format(region=region),
        "ProductName": "Prowler",
        "CompanyName": "Prowler",
        "GeneratorId": f"prowler-{finding.check}",
        "AwsAccountId": account,
        "Region": region,
        "Types": ["Software and Configuration Checks"],
        "FirstObservedAt": at,
        "CreatedAt": at,
        "UpdatedAt": at,
        "Severity": {"Label": finding.severity.upper()},
        "Title": finding.title,
        "Description": finding.title,
        "Resources": [{"Type": "Other", "Id": finding.resource, "Region": region}],
        "Compliance": {"Status": "FAILED"},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


class PostureScans:
    """The scheduled scans of one account, and where their new FAILs go."""

    def __init__(
        self,
        sim: Simulation,
        schedule: CspmSchedule,
        security_hub: Any,
        cron: Any,
    ):
        self.sim, self.schedule = sim, schedule
        self.security_hub, self.cron = security_hub, cron
        self.sources = event_sources(schedule.checks)
        self.reused = 0  # scans answered from the previous one (nothing they read was written)
        # What the team knew before the trial: the account's FAILs at its start.
        self.known = {f.key for f in self._scan() if f.status == "FAIL"}
        sim.env.process(self._loop())

    def _loop(self):
        every = self.schedule.every_s
        while True:
            midnight = self.sim.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (self.sim.now_datetime() - midnight).total_seconds()
            wait = every - (elapsed % every)
            yield self.sim.env.timeout(wait)
            delivery = self._delivery()
            if delivery is None:
                self.sim.log("cspm.no_scanner")
                continue
            reused = self.reused
            findings = self._scan()
            yield self.sim.env.timeout(self.sim.draw("cspm_scan_s"))
            new = [f for f in findings if f.status == "FAIL" and f.key not in self.known]
            self.sim.log(
                "cspm.scanned",
                checks=len(self.schedule.checks),
                new_fails=len(new),
                reused=self.reused > reused,
            )
            for finding in new:
                self.known.add(finding.key)
                self.sim.detected(
                    "cspm.finding",
                    f"cspm:{finding.check}",
                    check=finding.check,
                    resource=finding.resource,
                    severity=finding.severity,
                )
                delivery(finding)

    def _scan(self) -> list[PostureFinding]:
        """The checks' findings on the account now (the previous answer while nothing they read
        was written)."""
        scanner, key = self.schedule.scanner, self.schedule.checks
        written = self.sim.recorder.last_write(self.sources, data=False)
        cached = scanner.answers.get(key)
        if cached is not None and cached[0] == written:
            self.reused += 1
            return cached[1]
        findings = scanner.scan(list(key))
        scanner.answers[key] = (self.sim.recorder.last_write(self.sources, data=False), findings)
        return findings

    def _delivery(self) -> Callable[[PostureFinding], None] | None:
        """Where this account's scan reports go (read back now), or None: no scanner runs."""
        if self.security_hub.integration_on("prowler"):
            return self._to_security_hub
        topic = self.cron.environment().get("ALERT_TOPIC_ARN")
        if topic:
            return lambda finding: self._to_topic(topic, finding)
        return None

    def _to_security_hub(self, finding: PostureFinding) -> None:
        region = self.sim.endpoints.region
        account = self.sim.endpoints.account_id()
        self.security_hub.receive(
            "prowler", asff(finding, account, region, self.sim.at(self.sim.now))
        )

    def _to_topic(self, topic: str, finding: PostureFinding) -> None:
        if finding.severity not in ALERTING_SEVERITIES:
            return
        # The report line as JSON: the check and the resource, which the runbook index reads.
        report = {
            "detail-type": "Prowler Finding",
            "source": "lab.cspm",
            "detail": {
                "prowlerCheck": finding.check,
                "resource": finding.resource,
                "resourceId": resource_id(finding.resource),
                "severity": finding.severity,
                "title": finding.title,
            },
        }
        publish_alert(  # the report line by e-mail, what | where as a page
            self.sim.endpoints.client("sns", "monitor"),
            topic,
            f"[lab-manual] Prowler {finding.severity}: {finding.check}",
            json.dumps(report),
            f"{finding.resource} in {self.sim.endpoints.region}",
            "runbook: see the e-mail",
        )
        self.sim.pump(cron=True)
