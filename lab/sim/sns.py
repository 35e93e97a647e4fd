"""SNS in virtual time: each successful Publish reaches the topic's subscribers after a delay.

The subscriptions are read from the account when the message is published; an e-mail subscription
puts the message in the security team's inbox, an SMS subscription pages the person on call. As SNS
documents for SMS (API Reference, Publish, ``Message``): up to 140 bytes a part, the message sent
as several parts when longer, at most 1,600 characters in all. A message published with
``MessageStructure=json`` reaches each protocol as its own entry, or the ``default`` one (SNS API
Reference, Publish): the page carries the ``sms`` entry, the e-mail the ``email`` entry or the
``default`` one; the emulated SNS refuses a structured message without ``default``
(``lab.emulator.compat.sns``), so every Publish that succeeded has one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from lab.sim.kernel import Record, Simulation

EMAIL_PROTOCOLS = ("email", "email-json")
SMS_PART_BYTES = 140  # one SMS part (140 ASCII characters)
SMS_MAX_CHARS = 1_600  # the most one SMS Publish sends


def copy_for(params: dict, protocol: str) -> str:
    """What SNS delivers to a ``protocol`` subscriber for a Publish of request ``params``: the
    message; with ``MessageStructure=json``, the protocol's entry, else the ``default`` one."""
    message = str(params.get("message", ""))
    if params.get("messageStructure") != "json":
        return message
    entries = json.loads(message)
    own = entries.get(protocol)
    return own if isinstance(own, str) else entries["default"]


def sms_parts(message: str) -> int:
    """How many SMS parts SNS sends (and bills) for ``message``."""
    sent = message[:SMS_MAX_CHARS].encode()
    return max(1, math.ceil(len(sent) / SMS_PART_BYTES))


@dataclass(frozen=True)
class Alert:
    """A message as a person reads it."""

    topic_arn: str
    subject: str
    message: str
    endpoint: str
    published_s: float
    background: bool = False  # caused by the background load, not by the trial's attack
    channel: str = "email"  # "email" (the inbox) or "sms" (a page)
    message_id: str = ""  # the same for every copy of one Publish (e-mail and page)
    detail: str = ""  # the e-mail copy of the same Publish, where the person reads the detail


class SNS:
    """Delivers published messages to e-mail subscribers (the inbox of the team) and to SMS
    subscribers (the pager); both reach the same person, who acts on the first copy."""

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
            (s for s in subscriptions if s["Protocol"] in EMAIL_PROTOCOLS),
            key=lambda s: (s["Endpoint"], s["Protocol"]),
        )
        phones = sorted(s["Endpoint"] for s in subscriptions if s["Protocol"] == "sms")
        if not emails and not phones:
            self.sim.log("sns.no_human_subscriber", topic=topic)
        background = bool(record.get("lab", {}).get("background"))
        copies = [(s["Endpoint"], s["Protocol"], "email") for s in emails] + [
            (p, "sms", "sms") for p in phones
        ]
        for endpoint, protocol, channel in copies:
            alert = Alert(
                topic,
                params.get("subject", ""),
                copy_for(params, protocol),
                endpoint,
                self.sim.now,
                background,
                channel,
                str(record.get("eventID", "")),
                copy_for(params, "email"),
            )
            self.sim.env.process(self._deliver(alert))

    def _deliver(self, alert: Alert):
        paged = alert.channel == "sms"
        yield self.sim.env.timeout(
            self.sim.draw(
                "sns_sms_delivery_s" if paged else "sns_email_delivery_s",
                background=alert.background,
            )
        )
        self.sim.log(
            "sns.delivered",
            alert=True,
            topic=alert.topic_arn,
            subject=alert.subject,
            endpoint=alert.endpoint,
            **({"channel": "sms", "sms_parts": sms_parts(alert.message)} if paged else {}),
            **({"background": True} if alert.background else {}),
        )
        self.inbox(alert)
