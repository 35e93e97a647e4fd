"""Pricing arithmetic (hand-worked), metering from a timeline, and the cost model's errors."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.cost.model import break_even, monthly_cost
from lab.cost.pricing import Item, PricingError, price_book
from lab.cost.usage import meter
from lab.cost.workloads import Profile, workloads

PRICES = price_book("us-east-1")


def test_free_tier_is_consumed_first():
    # Lambda requests: 1,000,000 free, then $0.20 per million.
    assert PRICES.cost("lambda", "requests", 1_000_000) == 0.0
    # 3,000,000 - 1,000,000 free = 2,000,000 x $0.0000002 = $0.40
    assert PRICES.cost("lambda", "requests", 3_000_000) == pytest.approx(0.40)


def test_tier_boundaries_guardduty_flow_logs():
    # 500 GB at $1.00 = $500 exactly at the first boundary
    assert PRICES.cost("guardduty", "vpc_flow_dns_gb", 500) == pytest.approx(500.0)
    # 501 GB: 500 x 1.00 + 1 x 0.50 = $500.50
    assert PRICES.cost("guardduty", "vpc_flow_dns_gb", 501) == pytest.approx(500.50)
    # 3,000 GB: 500 x 1.00 + 2,000 x 0.50 + 500 x 0.25 = 500 + 1,000 + 125 = $1,625
    assert PRICES.cost("guardduty", "vpc_flow_dns_gb", 3_000) == pytest.approx(1625.0)
    # 12,000 GB: 500 + 1,000 + 7,500 x 0.25 (1,875) + 2,000 x 0.15 (300) = $3,675
    assert PRICES.cost("guardduty", "vpc_flow_dns_gb", 12_000) == pytest.approx(3675.0)


def test_free_tier_and_tiers_together_custom_metrics():
    # 10 free; the free ones count toward the first tier (10,000 at $0.30).
    assert PRICES.cost("cloudwatch", "custom_metric_month", 10) == 0.0
    # 20 metrics: 10 x $0.30 = $3.00
    assert PRICES.cost("cloudwatch", "custom_metric_month", 20) == pytest.approx(3.0)
    # 10,010 metrics: 9,990 x 0.30 (2,997) + 10 x 0.10 (1) = $2,998
    assert PRICES.cost("cloudwatch", "custom_metric_month", 10_010) == pytest.approx(2998.0)


def test_config_rule_evaluation_tiers():
    # 600,000: 100,000 x 0.001 (100) + 400,000 x 0.0008 (320) + 100,000 x 0.0005 (50) = $470
    assert PRICES.cost("config", "rule_evaluations", 600_000) == pytest.approx(470.0)


def test_unknown_service_item_or_region_is_named():
    with pytest.raises(PricingError, match="no prices for service 'mainframe'"):
        PRICES.cost("mainframe", "hours", 1)
    with pytest.raises(PricingError, match=r"no price for ec2\.m5\.large_hours"):
        PRICES.cost("ec2", "m5.large_hours", 1)
    with pytest.raises(PricingError, match="no price file for region 'mars-1'"):
        price_book("mars-1")


def test_tiers_must_end_open_and_ascend():
    with pytest.raises(ValueError, match="last tier"):
        Item(unit="x", tiers=[{"up_to": 10, "price": 1}])
    with pytest.raises(ValueError, match="ascend"):
        Item(
            unit="x",
            tiers=[
                {"up_to": 10, "price": 1},
                {"up_to": 5, "price": 1},
                {"up_to": None, "price": 1},
            ],
        )


def test_every_service_names_its_source():
    for name, service in PRICES.services.items():
        assert service.source.startswith("https://"), name


def _event(kind, trial=0, arch="serverless", **fields):
    return {"technique": "t", "architecture": arch, "trial": trial, "kind": kind, **fields}


def test_usage_equals_the_events_processed():
    events = [
        _event("cloudtrail.delivered_to_eventbridge", record_bytes=1000),
        _event("cloudtrail.delivered_to_eventbridge", record_bytes=500),
        _event("eventbridge.matched"),
        _event("lambda.invoked", billed_ms=2000, memory_mb=512),
        _event("api_call", event_name="Publish"),
        _event("api_call", event_name="Publish", error="AuthorizationError"),
        _event("sns.delivered", alert=True),
        _event("operator.acknowledged", work_s=90.0),
        _event("cron.ran", trial=1, arch="manual"),
        _event("cron.run_skipped_no_change", trial=1, arch="manual"),
        _event("operator.runbook_done", trial=1, arch="manual", work_s=300.0),
    ]
    usage = meter(events)
    s = usage["serverless"]["totals"]
    assert s["cloudtrail.management_events"] == 2
    assert s["cloudtrail.record_bytes"] == 1500
    assert s["lambda.requests"] == 1
    assert s["lambda.gb_seconds"] == pytest.approx(2.0 * 0.5)  # 2 s x 0.5 GB
    assert s["sns.publishes"] == 1  # the failed publish is not billed
    assert s["sns.email_deliveries"] == 1
    assert s["operator.work_s"] == 90.0
    m = usage["manual"]
    assert m["trials"] == 1
    assert m["totals"]["cron.executions"] == 1
    assert m["totals"]["cron.executions_counted_not_run"] == 1
    assert m["per_trial"]["operator.work_s"] == 300.0


def test_monthly_cost_of_a_manual_stack_by_hand():
    loads = workloads()
    profile = Profile(
        description="t",
        management_events_per_day=1000,
        log_gb_per_day=0,
        flow_log_gb_per_day=0,
        resource_changes_per_day=0,
        sg_ingress_changes_per_day=0,
        incidents_per_month=10,
        log_retention_days=30,
        s3_retention_months=1,
    )
    usage = {
        "inventory": {"ec2_instances": {"t3.micro": 1}, "ebs_gb": 8},
        "per_trial": {"operator.work_s": 1800.0, "sns.publishes": 1.0, "sns.email_deliveries": 1.0},
    }
    lines = {
        (line.service, line.item): line.cost_usd
        for line in monthly_cost("manual", usage, profile, PRICES, loads, hourly_rate_usd=50)
    }
    assert lines[("ec2", "t3.micro_hours")] == pytest.approx(730 * 0.0104)  # $7.592
    assert lines[("ebs", "gp3_gb_month")] == pytest.approx(8 * 0.08)  # $0.64
    assert lines[("sns", "email_deliveries")] == 0.0  # 10 e-mails, 1,000 free
    assert lines[("operator", "incident response")] == pytest.approx(10 * 0.5 * 50)  # 5 h = $250
    effort = loads.effort["manual"]
    assert lines[("engineer", "maintenance")] == pytest.approx(
        effort.maintenance_hours_per_month * 50
    )


def test_break_even_interpolates_the_crossing():
    scales = [1.0, 2.0, 3.0]
    assert break_even([10, 20, 30], [15, 15, 15], scales) == pytest.approx(1.5)
    assert break_even([10, 11, 12], [20, 21, 22], scales) is None


def test_unknown_profile_is_named():
    with pytest.raises(KeyError, match="small-company"):
        workloads().profile("huge")


def test_profiles_scale_volumes_only():
    profile = workloads().profile("small-company")
    double = profile.scaled(2)
    assert double.management_events_per_day == 2 * profile.management_events_per_day
    assert double.log_retention_days == profile.log_retention_days


def test_a_second_region_is_a_drop_in_file(tmp_path, monkeypatch):
    import yaml

    from lab.cost import pricing

    raw = yaml.safe_load((pricing.PRICES_DIR / "us-east-1.yaml").read_text())
    raw["region"] = "xx-test-1"
    raw["services"]["ec2"]["items"]["t3.micro_hours"]["tiers"][0]["price"] = 0.02
    (tmp_path / "xx-test-1.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setattr(pricing, "PRICES_DIR", tmp_path)
    book = pricing.price_book("xx-test-1")
    assert book.region == "xx-test-1"
    assert book.cost("ec2", "t3.micro_hours", 100) == pytest.approx(2.0)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=40))
def test_metering_does_not_depend_on_the_order_trials_were_appended(work):
    events = [
        {"kind": "operator.acknowledged", "architecture": "manual", "trial": i, "work_s": w}
        for i, w in enumerate(work)
    ]
    assert meter(events) == meter(events[::-1])  # workers append trials in any order
    assert meter(events)["manual"]["totals"]["operator.work_s"] == math.fsum(work)


SMALL_COMPANY = workloads().profile("small-company")  # 2 GB/day flows, 1 GB/day host logs, ...


def _lines(inventory, profile=SMALL_COMPANY, per_trial=None):
    usage = {"inventory": inventory, "per_trial": per_trial or {}}
    return {
        (line.service, line.item): line
        for line in monthly_cost("serverless", usage, profile, PRICES, workloads(), 60)
    }


def test_guardduty_bills_flow_and_dns_analysis_by_hand():
    # small-company: 2 GB/day x 30.4 days = 60.8 GB, first tier $1.00/GB = $60.80
    lines = _lines({"guardduty_detectors": 1})
    assert lines[("guardduty", "vpc_flow_dns_gb")].quantity == pytest.approx(60.8)
    assert lines[("guardduty", "vpc_flow_dns_gb")].cost_usd == pytest.approx(60.80)
    # 50,000 management events/day x 30.4 = 1,520,000 x $4.00 per million = $6.08
    assert lines[("guardduty", "cloudtrail_management_events")].cost_usd == pytest.approx(6.08)


def test_config_bills_every_resource_change_by_hand():
    # 300 changes/day x 30.4 = 9,120 items x $0.003 = $27.36 (was priced on SG changes only: 10/day)
    lines = _lines({"config_recorders": 1})
    assert lines[("config", "configuration_items")].quantity == pytest.approx(9120)
    assert lines[("config", "configuration_items")].cost_usd == pytest.approx(27.36)


def test_flow_logs_bill_as_vended_logs_by_hand():
    # to S3: 60.8 GB x $0.25 = $15.20; stored gzip (x0.10) for 12 months: 72.96 GB-month x $0.023
    lines = _lines({"flow_logs": {"s3": 1}})
    assert lines[("cloudwatch_logs", "vended_to_s3_gb")].cost_usd == pytest.approx(15.20)
    assert lines[("s3", "standard_gb_month")].quantity == pytest.approx(60.8 * 0.10 * 12)
    # to CloudWatch Logs: 60.8 GB x $0.50 = $30.40, plus storage
    lines = _lines({"flow_logs": {"cloud-watch-logs": 1}})
    assert lines[("cloudwatch_logs", "vended_to_cloudwatch_logs_gb")].cost_usd == pytest.approx(
        30.4
    )
    assert ("cloudwatch_logs", "storage_gb_month") in lines


def test_host_logs_shipped_by_the_agent_are_ingested_and_stored_by_hand():
    # 1 GB/day x 30.4 = 30.4 GB, 5 GB free: 25.4 x $0.50 = $12.70
    lines = _lines({"agent_log_files": 4})
    assert lines[("cloudwatch_logs", "ingestion_gb")].cost_usd == pytest.approx(12.70)
    # stored: 30.4 x 0.15 compressed x (90 days / 30.4) = 13.5 GB-month, 5 free: 8.5 x $0.03
    assert lines[("cloudwatch_logs", "storage_gb_month")].cost_usd == pytest.approx(8.5 * 0.03)
    assert ("cloudwatch_logs", "ingestion_gb") not in _lines({})  # no agent, no host logs


def test_one_free_tier_per_item_whatever_drives_it():
    # Host logs (30.4 GB) and a trail to CloudWatch Logs share one ingestion line and one 5 GB
    # free tier: the bill is $0.50 x (total - 5), not two lines each 5 GB free.
    both = _lines(
        {"agent_log_files": 1, "trails": 1, "trails_to_cloudwatch_logs": 1},
        per_trial={"cloudtrail.record_bytes": 1500.0, "cloudtrail.management_events": 1.0},
    )
    line = both[("cloudwatch_logs", "ingestion_gb")]
    trail_gb = 50_000 * 30.4 * 1500 / 1e9  # 2.28 GB
    assert line.quantity == pytest.approx(30.4 + trail_gb)
    assert line.cost_usd == pytest.approx((30.4 + trail_gb - 5) * 0.50)


# Drivers that were not billed before: each now moves the total, by hand from the price file.
def _total(inventory, profile=SMALL_COMPANY, per_trial=None):
    return sum(line.cost_usd for line in _lines(inventory, profile, per_trial).values())


def test_metric_filters_bill_a_custom_metric_each_by_hand():
    # 19 CIS filters + 4 host-log filters = 23 metrics, 10 free: 13 x $0.30 = $3.90
    lines = _lines({"metric_filters": 23})
    assert lines[("cloudwatch", "custom_metric_month")].cost_usd == pytest.approx(3.90)
    assert _total({"metric_filters": 23}) - _total({}) == pytest.approx(3.90)


def test_kms_keys_and_the_trail_files_data_keys_by_hand():
    # one key $1.00; a trail writes 8,760 files a month, one data key each: 8,760 requests,
    # inside the 20,000 free
    lines = _lines({"kms_customer_keys": 1, "trails": 1})
    assert lines[("kms", "customer_keys")].cost_usd == pytest.approx(1.00)
    assert lines[("kms", "requests")].quantity == 8760
    assert lines[("kms", "requests")].cost_usd == 0.0
    three_trails = _lines({"kms_customer_keys": 1, "trails": 3})  # 26,280: 6,280 x $0.000003
    assert three_trails[("kms", "requests")].cost_usd == pytest.approx(6280 * 0.000003)


def test_public_ipv4_addresses_by_hand():
    # $0.005 per address-hour x 730 h = $3.65 a month each
    assert _lines({"public_ipv4": 2})[("vpc", "public_ipv4_hours")].cost_usd == pytest.approx(7.30)


@pytest.mark.parametrize(
    ("name", "checks"),
    [
        # changes/day x 30.4 x 2 checks + 60 periodic/day x 30.4, per enabled standard
        ("teaching-lab", 20 * 30.4 * 2 + 60 * 30.4),  # 3,040
        ("small-company", 300 * 30.4 * 2 + 60 * 30.4),  # 20,064
        ("enterprise", 20_000 * 30.4 * 2 + 60 * 30.4),  # 1,217,824
    ],
)
def test_security_hub_checks_per_profile_by_hand(name, checks):
    profile = workloads().profile(name)
    line = _lines({"securityhub": 1, "securityhub_standards": 2}, profile)[
        ("securityhub", "security_checks")
    ]
    assert line.quantity == pytest.approx(2 * checks)
    # $0.0010 up to 100,000 checks, $0.0008 to 500,000, $0.0005 beyond
    quantity = 2 * checks
    expected = (
        min(quantity, 100_000) * 0.0010
        + max(0.0, min(quantity, 500_000) - 100_000) * 0.0008
        + max(0.0, quantity - 500_000) * 0.0005
    )
    assert line.cost_usd == pytest.approx(expected)
    if name == "small-company":  # 40,128 checks x $0.0010 = $40.128
        assert line.cost_usd == pytest.approx(40.128)


def test_the_persons_logs_insights_queries_by_hand():
    # enterprise: 150 incidents x 1 query x one hour of 50 GB/day host logs (2.083 GB) = 312.5 GB
    # scanned, 5 free: 307.5 x $0.005 = $1.5375
    enterprise = workloads().profile("enterprise")
    line = _lines({}, enterprise, {"logs.insights_queries": 1.0})[
        ("cloudwatch_logs", "insights_gb_scanned")
    ]
    assert line.quantity == pytest.approx(312.5)
    assert line.cost_usd == pytest.approx(1.5375)


def test_pages_bill_each_sms_part_by_hand():
    # teaching-lab: 4 incidents x 2 pages of 3 parts = 24 parts x $0.00881 = $0.21144
    teaching = workloads().profile("teaching-lab")
    line = _lines({}, teaching, {"sns.sms_parts": 6.0})[("sns", "sms_parts")]
    assert line.cost_usd == pytest.approx(24 * 0.00881)


def test_upkeep_effort_is_swept_by_a_factor():
    loads = workloads()
    doubled = loads.with_effort({"manual": 2.0})
    assert (
        doubled.effort["manual"].maintenance_hours_per_month
        == 2 * loads.effort["manual"].maintenance_hours_per_month
    )
    assert doubled.effort["serverless"] == loads.effort["serverless"]


def test_every_profile_field_drives_a_line():
    """No profile field is read by nothing: scaling any one of them changes a billed quantity of
    a stack that has every driver deployed (the cost too, once past the free tiers)."""
    inventory = {
        "trails": 1,
        "trails_to_cloudwatch_logs": 1,
        "agent_log_files": 2,
        "flow_logs": {"s3": 1},
        "guardduty_detectors": 1,
        "config_recorders": 1,
        "securityhub": 1,
        "securityhub_standards": 1,
        "lambda_functions": {"f": 128},
        "eventbridge_rules": 1,
    }
    per_trial = {"operator.work_s": 600.0, "logs.insights_queries": 1.0, "sns.publishes": 1.0}

    def quantities(profile):
        lines = _lines(inventory, profile, per_trial)
        return {key: line.quantity for key, line in lines.items()}

    base = quantities(SMALL_COMPANY)
    for field in Profile.model_fields:
        if field in ("description", "source"):
            continue
        bumped = SMALL_COMPANY.model_copy(update={field: getattr(SMALL_COMPANY, field) * 10})
        assert quantities(bumped) != base, field


def test_a_registered_stack_is_billed_without_effort_figures_it_has_none_of():
    usage = {"inventory": {"trails": 1}, "per_trial": {"operator.work_s": 600.0}}
    lines = {
        (line.service, line.item): line
        for line in monthly_cost("acme", usage, SMALL_COMPANY, PRICES, workloads(), 60)
    }
    assert ("cloudtrail", "management_events_first_copy") in lines  # its infrastructure
    response = lines[("operator", "incident response")]  # the same person's time, measured
    assert response.quantity == pytest.approx(SMALL_COMPANY.incidents_per_month * 600 / 3600)
    assert ("engineer", "maintenance") not in lines  # not guessed
    assert ("engineer", "build (amortised)") not in lines
