"""An alert as SNS sends it to each channel: the detail by e-mail, one short line as a page.

Published with ``MessageStructure=json`` (SNS API Reference, Publish): the ``default`` entry (the
detail) goes to every protocol that has no entry of its own (e-mail, e-mail-json, SQS, Lambda), the
``sms`` entry (what, where, which runbook) to SMS subscribers. SNS sends an SMS of more than one
part as several messages and at most 1,600 characters in all; each field of the line is cut to its
own length here, so a page is never longer than that, whatever the alert.

Standard library only: the lab's Lambda packages carry a copy of this module (``lab.architectures.
lambda_package``), and the manual baseline's detectors build the same line in bash
(``cli-baseline/detectors/lib/alert.sh``), with the same fields and lengths.
"""

from __future__ import annotations

import json

SMS_MAX_CHARS = 1_600  # the most one SMS Publish sends (SNS API Reference, Publish, Message)
WHAT_MAX_CHARS = 100  # what was found: an SNS subject's limit
WHERE_MAX_CHARS = 200  # the resource and the region
RUNBOOK_MAX_CHARS = 200  # which runbook, with its arguments
SEPARATOR = " | "
PAGE_MAX_CHARS = WHAT_MAX_CHARS + WHERE_MAX_CHARS + RUNBOOK_MAX_CHARS + 2 * len(SEPARATOR)
assert PAGE_MAX_CHARS <= SMS_MAX_CHARS


def _one_line(text: str, limit: int) -> str:
    return " ".join(str(text).split())[:limit]


def page_line(what: str, where: str, runbook: str) -> str:
    """The page: ``what | where | runbook``, each field on one line and cut to its length."""
    fields = (
        _one_line(what, WHAT_MAX_CHARS),
        _one_line(where, WHERE_MAX_CHARS),
        _one_line(runbook, RUNBOOK_MAX_CHARS),
    )
    return SEPARATOR.join(field for field in fields if field)


def structured_message(detail: str, what: str, where: str, runbook: str) -> str:
    """The ``Message`` of a Publish with ``MessageStructure=json``: ``default`` the detail (the
    e-mail), ``sms`` the page line."""
    return json.dumps({"default": detail, "sms": page_line(what, where, runbook)})


def publish_alert(sns: object, topic_arn: str, subject: str, detail: str, where: str, runbook: str):
    """Publish one alert with ``sns`` (a boto3 SNS client): ``detail`` by e-mail, the page line
    (``subject`` as what) by SMS; the subject cut to SNS's 100 characters."""
    subject = subject[:WHAT_MAX_CHARS]
    return sns.publish(  # type: ignore[attr-defined]
        TopicArn=topic_arn,
        Subject=subject,
        MessageStructure="json",
        Message=structured_message(detail, subject, where, runbook),
    )
