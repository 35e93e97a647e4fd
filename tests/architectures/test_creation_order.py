"""A trial's timeline does not depend on the order the account's resources were created in.

Terraform creates a stack's resources in parallel, in an order that changes from deploy to deploy,
and the emulator lists them in creation order; a simulated service that drew its delays in listing
order gave different timelines for the same seed (found in the full matrix: 2 of 30 trials of
cloudtrail-stop-logging differed between runs). Here the same account is built forwards and
backwards against the emulator over HTTP, and the same attack must give the same timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from lab.attacks.log_delivery import trail_bucket_policy
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.services import start_services

EPOCH = datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
# One metric filter and alarm each, all on the CloudTrail log group, all set off by the attack's
# calls (the CIS patterns of CloudTrail, IAM and S3 changes, simplified).
FILTERS = {
    "cloudtrail-changes": '{ ($.eventName = "StopLogging") || ($.eventName = "CreateTrail") }',
    "iam-changes": '{ ($.eventName = "CreateUser") || ($.eventName = "DeleteUser") }',
    "any-write": "{ $.readOnly IS FALSE }",
    "s3-changes": '{ $.eventSource = "s3.amazonaws.com" }',
}
TRAILS = ["trail-a", "trail-b"]


def _build(emulator, reverse: bool) -> None:
    e = emulator.endpoints
    order = (lambda items: list(reversed(items))) if reverse else list
    topic = e.client("sns").create_topic(Name="alerts")["TopicArn"]
    for address in order(["a@example.com", "b@example.com"]):
        e.client("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    e.client("s3").create_bucket(Bucket="trail-bucket")
    e.client("s3").put_bucket_policy(
        Bucket="trail-bucket", Policy=trail_bucket_policy("trail-bucket", e.account_id())
    )
    logs = e.client("logs")
    logs.create_log_group(logGroupName="/ct")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="/ct")["logGroups"][0]["arn"]
    for name in order(TRAILS):
        e.client("cloudtrail").create_trail(
            Name=name,
            S3BucketName="trail-bucket",
            IsMultiRegionTrail=True,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/ct",
        )
        e.client("cloudtrail").start_logging(Name=name)
    for name in order(list(FILTERS)):
        logs.put_metric_filter(
            logGroupName="/ct",
            filterName=name,
            filterPattern=FILTERS[name],
            metricTransformations=[
                {
                    "metricName": name,
                    "metricNamespace": "CIS",
                    "metricValue": "1",
                    "defaultValue": 0,
                }
            ],
        )
        e.client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            Namespace="CIS",
            MetricName=name,
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[topic],
        )


def _timeline(emulator, tmp_path, reverse: bool) -> list[tuple]:
    emulator.reset()
    emulator.seed(7)
    _build(emulator, reverse)
    sim = Simulation(
        emulator.endpoints,
        emulator.recorder,
        Calibration.load(),
        np.random.default_rng(11),
        EPOCH,
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "index.yaml").write_text("[]\n")  # a person without runbooks: alerts are read only
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    attacker = {s: emulator.endpoints.client(s, "attacker") for s in ("cloudtrail", "iam", "s3")}

    def attack():
        yield sim.env.timeout(30)
        attacker["iam"].create_user(UserName="intruder")
        attacker["s3"].create_bucket(Bucket="loot")
        attacker["cloudtrail"].stop_logging(Name="trail-a")
        sim.pump()

    sim.env.process(attack())
    sim.env.run(until=1800)
    services.close()
    names = ("alarm", "filter", "trail", "rule", "new_state", "endpoint", "subject", "event_name")
    return [
        (event["kind"], round(event["t_s"], 6), *(str(event.get(n)) for n in names))
        for event in sim.timeline
        if event["kind"] != "api_call"
    ]


def test_the_same_account_built_in_another_order_gives_the_same_timeline(emulator, tmp_path):
    forwards = _timeline(emulator, tmp_path / "f", reverse=False)
    backwards = _timeline(emulator, tmp_path / "b", reverse=True)
    kinds = {event[0] for event in forwards}
    # The attack went through every ordered path: both trails, every filter, alarms, e-mail.
    assert {"logs.metric_filter_matched", "cloudwatch.alarm_state", "sns.delivered"} <= kinds
    assert {"cloudtrail.delivered_to_s3"} <= kinds
    assert len({event[3] for event in forwards if event[0] == "logs.metric_filter_matched"}) == 4
    assert forwards == backwards
