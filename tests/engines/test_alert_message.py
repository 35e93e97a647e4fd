"""The alert formatter: the detail for e-mail, one short line for SMS, never over SNS's limit."""

import json

from lab.engines.alert_message import (
    PAGE_MAX_CHARS,
    SMS_MAX_CHARS,
    page_line,
    structured_message,
)


def test_the_page_is_one_line_of_what_where_and_runbook():
    line = page_line(
        "[lab] sg-1\nopen", "sg-1 in   us-east-1", "run: runbooks/sg-open-world.sh sg-1"
    )
    assert line == "[lab] sg-1 open | sg-1 in us-east-1 | run: runbooks/sg-open-world.sh sg-1"
    assert page_line("what", "", "") == "what"


def test_a_page_never_exceeds_what_one_sms_publish_sends():
    huge = "x" * 100_000
    line = page_line(huge, huge, huge)
    assert len(line) == PAGE_MAX_CHARS <= SMS_MAX_CHARS


def test_the_structured_message_keeps_the_detail_by_default_and_the_line_for_sms():
    detail = json.dumps({"detail": {"eventName": "AuthorizeSecurityGroupIngress"}}, indent=2)
    body = json.loads(structured_message(detail, "what", "where", "runbook"))
    assert body == {"default": detail, "sms": "what | where | runbook"}
