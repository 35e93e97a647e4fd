"""The cost meters' registry: together with the services it leaves out (each with its reason) it
covers the price book; each meter bills exactly the services it names, on the real price file."""

import pytest

from lab.cost.bill import Bill, Month
from lab.cost.meters import METERS, NOT_METERED, bill_month
from lab.cost.pricing import price_book
from lab.cost.workloads import workloads

PRICES = price_book("us-east-1")
# Everything deployed once and every per-trial quantity measured: each meter's every branch bills.
EVERYTHING = {
    "ec2_instances": {"t3.micro": 1},
    "ebs_gb": 8,
    "public_ipv4": 1,
    "kms_customer_keys": 1,
    "trails": 2,
    "trails_to_cloudwatch_logs": 1,
    "alarms": 3,
    "metric_filters": 3,
    "flow_logs": {"s3": 1, "cloud-watch-logs": 1},
    "agent_log_files": 2,
    "guardduty_detectors": 1,
    "config_recorders": 1,
    "config_periodic_rules": 2,
    "securityhub": 1,
    "securityhub_standards": 1,
    "lambda_functions": 2,
    "eventbridge_rules": 2,
}
MEASURED = {
    "cloudtrail.record_bytes": 3000.0,
    "cloudtrail.management_events": 2.0,
    "config.rule_evaluations": 4.0,
    "config.configuration_items": 2.0,
    "securityhub.findings_ingested": 1.0,
    "logs.insights_queries": 2.0,
    "ssm.automation_steps": 3.0,
    "lambda.gb_seconds": 0.5,
    "lambda.requests": 1.0,
    "sns.publishes": 1.0,
    "sns.email_deliveries": 1.0,
    "sns.sms_parts": 2.0,
}


def _month():
    loads = workloads()
    return Month(EVERYTHING, MEASURED, loads.profile("teaching-lab"), loads.drivers)


def test_the_meters_and_the_services_left_out_cover_the_price_book():
    metered = {service for meter in METERS for service in meter.SERVICES}
    assert metered | set(NOT_METERED) == set(PRICES.services)
    assert not metered & set(NOT_METERED)
    assert all(reason.strip() for reason in NOT_METERED.values())


@pytest.mark.parametrize("meter", METERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_each_meter_bills_exactly_the_services_it_names(meter):
    bill = Bill(PRICES, services=meter.SERVICES)
    meter.meter(_month(), bill)
    assert {line.service for line in bill.lines} == set(meter.SERVICES)
    assert all(line.cost_usd >= 0 for line in bill.lines)


def test_a_meter_billing_a_service_it_does_not_name_is_refused():
    bill = Bill(PRICES, services=("sns",))
    with pytest.raises(ValueError, match="'lambda' without naming it"):
        bill("detection-response", "lambda", "requests", 1.0)


def test_an_item_billed_by_two_meters_is_one_line_priced_on_its_total():
    lines = bill_month(_month(), PRICES)
    keys = [(line.service, line.item) for line in lines]
    assert len(keys) == len(set(keys))
    storage = next(line for line in lines if line.item == "storage_gb_month")
    # The trail's logs, the flow logs to CloudWatch Logs and the host logs: one line, one free tier.
    assert storage.cost_usd == pytest.approx(
        PRICES.cost("cloudwatch_logs", "storage_gb_month", storage.quantity)
    )
