"""SNS in virtual time: each successful Publish reaches the topic's subscribers after a delay.

The subscriptions are read from the account when the message is published; an e-mail subscription
puts the message in the security team's inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lab.sim.kernel import Record, Simulation


@dataclass(frozen=True)
class Alert:
    """A message as a person reads it."""

    topic_arn: str
    subject: str
    message: str
    endpoint: str
    published_s: float
    background: bool = False  # caused by the background load, not by the trial's attack


class SNS:
    """Delivers published messages to e-mail subscribers (the inbox of the team)."""

    def __init__(self, sim: Simulation, inbox: Callable[[Alert], None]):
        self.sim = sim
        self.inbox = inbox
        self.client = sim.endpoints.client("sns", "observer")
        sim.subscribe(self.on_record)

    def on_record(self, record: Record) -> None:
        if record["eventSource"] != "sns.amazonaws.com" or record["eventName"] != "Publish":
            return
        if record.get("errorCode"):
            return
        params = record.get("requestParameters") or {}
        topic = params.get("topicArn")
        if not topic:
            return
        subscriptions = self.client.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        emails = sorted(
            (s for s in subscriptions if s["Protocol"] in ("email", "email-json")),
            key=lambda s: (s["Endpoint"], s["Protocol"]),
        )
        if not emails:
            self.sim.log("sns.no_human_subscriber", topic=topic)
        for subscription in emails:
            alert = Alert(
                topic,
                params.get("subject", ""),
                params.get("message", ""),
                subscription["Endpoint"],
                self.sim.now,
                bool(record.get("lab", {}).get("background")),
            )
            self.sim.env.process(self._deliver(alert))

    def _deliver(self, alert: Alert):
        yield self.sim.env.timeout(self.sim.draw("sns_email_delivery_s"))
        self.sim.log(
            "sns.delivered",
            alert=True,
            topic=alert.topic_arn,
            subject=alert.subject,
            endpoint=alert.endpoint,
            **({"background": True} if alert.background else {}),
        )
        self.inbox(alert)
