"""Cost meters, one module per AWS service an architecture deploys (as ``lab.emulator.compat``'s
patches are): each names the price-book services it bills (``SERVICES``) and turns the month
(``lab.cost.bill.Month``: inventory, measured per-trial quantities, profile) into bill lines.

``METERS`` is the one list, in billing order (the order of a bill's lines). A service of the price
book that no meter bills is in ``NOT_METERED`` with the reason; a test checks that the two together
cover the price book.
"""

from __future__ import annotations

from lab.cost.bill import Bill, Line, Month
from lab.cost.meters import (
    agent,
    awslambda,
    cloudtrail,
    cloudwatch,
    config,
    ec2,
    flow_logs,
    guardduty,
    kms,
    logs_insights,
    securityhub,
    sns,
    ssm_automation,
)
from lab.cost.pricing import PriceBook

METERS = (
    ec2,
    kms,
    cloudtrail,
    cloudwatch,
    flow_logs,
    agent,
    guardduty,
    config,
    securityhub,
    logs_insights,
    ssm_automation,
    awslambda,
    sns,
)
NOT_METERED = {
    "sqs": "the serverless functions' dead-letter queues receive only events a function failed on "
    "after its retries: a handful a month, inside SQS's free million requests",
    "step_functions": "neither architecture deploys a state machine (priced, not yet metered)",
}


def bill_month(month: Month, prices: PriceBook) -> list[Line]:
    """Every meter's lines for ``month``, in ``METERS`` order (one line per item)."""
    bill = Bill(prices)
    for meter in METERS:
        bill.services = meter.SERVICES
        meter.meter(month, bill)
    return bill.lines
