"""The log pipeline in virtual time against the emulator over HTTP: CloudWatch Logs metric filters,
alarm semantics (M of N, missing data), Logs Insights through the real aws CLI, CloudTrail to
CloudWatch Logs (and nothing after StopLogging), the CloudWatch agent and VPC Flow Logs."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from datetime import UTC, datetime

import numpy as np
import pytest

from lab.attacks.activity import Activity
from lab.attacks.log_delivery import trail_bucket_policy
from lab.engines.insights import Event, QueryError, run_query
from lab.sim.alarms import evaluate
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.services import start_services

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


# -- alarm semantics (pure) --------------------------------------------------------------------------
def _alarm(**overrides):
    return {
        "Threshold": 10.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Statistic": "Sum",
        "TreatMissingData": "missing",
    } | overrides


@pytest.mark.parametrize(
    ("periods", "treat", "expected"),
    [
        ([[12], [1], [11]], "missing", "ALARM"),  # 2 of 3 breach
        ([[12], [1], [1]], "missing", "OK"),  # 1 of 3
        ([[], [], []], "missing", "INSUFFICIENT_DATA"),
        ([[], [], []], "notBreaching", "OK"),
        ([[], [], []], "breaching", "ALARM"),
        ([[], [], []], "ignore", "OK"),  # keeps the current state (OK here)
        ([[12], [], []], "breaching", "ALARM"),  # the missing two count as breaching
        ([[12], [], []], "notBreaching", "OK"),
        ([[5, 6], [], [3, 3, 4]], "missing", "ALARM"),  # Sum per period: 11 and 10
    ],
)
def test_m_of_n_and_missing_data(periods, treat, expected) -> None:
    assert evaluate(_alarm(TreatMissingData=treat), periods, "OK").state == expected


def test_statistic_and_comparison() -> None:
    alarm = _alarm(
        Statistic="Average",
        ComparisonOperator="LessThanThreshold",
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
    )
    assert evaluate(alarm, [[4, 6]], "OK").state == "ALARM"
    assert evaluate(alarm | {"Statistic": "Maximum"}, [[4, 16]], "OK").state == "OK"
    result = evaluate(_alarm(), [[12], [1], [11]], "OK")
    assert "2 out of the last 3 datapoints [12, 1, 11]" in result.reason


# -- Logs Insights (pure) ----------------------------------------------------------------------------
SSHD = [
    Event(
        1_000 + i,
        f"Jan 05 09:0{i % 10}:00 ip-10-0-0-5 sshd[{100 + i}]: Failed password for invalid user "
        f"admin from 203.0.113.{66 if i % 3 else 67} port {50000 + i} ssh2",
        "i-0abc",
        "/lab/secure",
    )
    for i in range(30)
] + [Event(5_000, '{"eventName":"ConsoleLogin","userIdentity":{"type":"Root"}}', "s", "/ct")]


def test_insights_parse_stats_sort_limit() -> None:
    rows = run_query(
        'filter @message like /Failed password/ | parse @message "* from * port *" as head, src, '
        "port | stats count(*) as attempts by src | sort attempts desc | limit 1",
        SSHD,
    )
    assert rows == [{"src": "203.0.113.66", "attempts": 20}]


def test_insights_json_fields_filter_and_regex_parse() -> None:
    assert run_query('filter userIdentity.type = "Root" | fields eventName', SSHD) == [
        {"eventName": "ConsoleLogin"}
    ]
    rows = run_query(
        "filter @message like 'sshd' | parse @message /from (?<ip>[0-9.]+) port/ "
        "| stats count_distinct(ip) as sources",
        SSHD,
    )
    assert rows == [{"sources": 2}]
    newest = run_query("fields @timestamp | limit 1", SSHD)
    assert newest == [{"@timestamp": 5_000}]  # newest first, as Logs Insights sorts by default


def test_insights_refuses_what_it_does_not_implement() -> None:
    with pytest.raises(QueryError, match="bin"):
        run_query("stats count(*) by bin(5m)", SSHD)
    with pytest.raises(QueryError, match="dedup"):
        run_query("dedup @logStream", SSHD)


# -- against the emulator ----------------------------------------------------------------------------
def _sim(emulator, seed: int = 1) -> Simulation:
    return Simulation(
        emulator.endpoints,
        emulator.recorder,
        Calibration.load(),
        np.random.default_rng(seed),
        EPOCH,
    )


def test_filter_log_events_speaks_the_whole_pattern_language(emulator) -> None:
    logs = emulator.endpoints.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    emulator.recorder.clock = lambda: EPOCH
    now_ms = int(EPOCH.timestamp() * 1000)
    messages = ["[ERROR 400] BAD REQUEST", "[ERROR 419] MISSING ARGUMENTS", '{"latency": 70}']
    logs.put_log_events(
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": now_ms + i, "message": m} for i, m in enumerate(messages)],
    )

    def found(pattern: str) -> list[str]:
        return [
            e["message"]
            for e in logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"]
        ]

    assert found("ERROR -ARGUMENTS") == [messages[0]]
    assert found("?BAD ?MISSING") == messages[:2]
    assert found("{ $.latency > 50 }") == [messages[2]]


def test_metric_filter_alarm_and_logs_insights_through_the_cli(emulator, tmp_path) -> None:
    """Lines in a log group -> metric filter -> datapoints -> alarm (ALARM once 10 in a period)
    -> SNS publish; and the operator's Logs Insights query, run with the real aws CLI."""
    e = emulator.endpoints
    topic = e.client("sns").create_topic(Name="alerts")["TopicArn"]
    logs = e.client("logs")
    logs.create_log_group(logGroupName="/lab/secure")
    logs.put_metric_filter(
        logGroupName="/lab/secure",
        filterName="ssh",
        filterPattern='"Failed password"',
        metricTransformations=[
            {"metricName": "Ssh", "metricNamespace": "Lab", "metricValue": "1", "defaultValue": 0}
        ],
    )
    e.client("cloudwatch").put_metric_alarm(
        AlarmName="ssh",
        Namespace="Lab",
        MetricName="Ssh",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    seen: list[dict] = []
    sim.subscribe(seen.append)
    line = "sshd[1]: Failed password for invalid user admin from 203.0.113.66 port 5000 ssh2"

    def attack():
        yield sim.env.timeout(400)
        services.logs.ingest(
            "/lab/secure", "i-0abc", [(400 + i, f"{line} {i}") for i in range(6)], "t"
        )
        yield sim.env.timeout(30)
        services.logs.ingest(
            "/lab/secure",
            "i-0abc",
            [(430 + i, "sshd[2]: Accepted publickey") for i in range(3)],
            "t",
        )
        yield sim.env.timeout(30)
        services.logs.ingest(
            "/lab/secure", "i-0abc", [(460 + i, f"{line} {i}") for i in range(6)], "t"
        )

    sim.env.process(attack())
    sim.env.run(until=1500)
    states = [ev for ev in sim.timeline if ev["kind"] == "cloudwatch.alarm_state"]
    alarm = next(ev for ev in states if ev["new_state"] == "ALARM")
    # Only both batches together reach the threshold (10): the first six alone do not; the sum is
    # what had arrived by the evaluation (each datapoint has its own delivery delay).
    summed = int(re.search(r"datapoints \[(\d+)\]", alarm["reason"]).group(1))
    assert alarm["t_s"] > 460 and 10 <= summed <= 12
    assert alarm["detection"] and alarm["source"] == "alarm:ssh"
    published = [r for r in seen if r["eventName"] == "Publish"]
    message = json.loads(published[-1]["requestParameters"]["message"])
    assert message["NewStateValue"] == "ALARM" and message["Trigger"]["Threshold"] == 10
    # Back to OK once a period passes without failures (notBreaching), in the emulator too.
    assert [ev["new_state"] for ev in states] == ["ALARM", "OK"]
    described = e.client("cloudwatch").describe_alarms(AlarmNames=["ssh"])["MetricAlarms"][0]
    assert described["StateValue"] == "OK"
    services.close()

    env = {**os.environ, **e.cli_env("operator")}
    start = int(EPOCH.timestamp())
    query_id = subprocess.run(
        [
            "aws",
            "logs",
            "start-query",
            "--log-group-name",
            "/lab/secure",
            "--start-time",
            str(start),
            "--end-time",
            str(start + 3600),
            "--query-string",
            "filter @message like /Failed/ | stats count(*) as n by @logStream",
            "--query",
            "queryId",
            "--output",
            "text",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    results = json.loads(
        subprocess.run(
            ["aws", "logs", "get-query-results", "--query-id", query_id],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["results"]
    assert results == [[{"field": "@logStream", "value": "i-0abc"}, {"field": "n", "value": "12"}]]


def _trail(emulator, name: str = "lab-test-trail", global_events: bool = True) -> str:
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="trail-bucket")
    e.client("s3").put_bucket_policy(
        Bucket="trail-bucket", Policy=trail_bucket_policy("trail-bucket", e.account_id())
    )
    e.client("logs").create_log_group(logGroupName="/ct")
    arn = e.client("logs").describe_log_groups(logGroupNamePrefix="/ct")["logGroups"][0]["arn"]
    e.client("cloudtrail").create_trail(
        Name=name,
        S3BucketName="trail-bucket",
        IsMultiRegionTrail=global_events,  # AWS: a multi-region trail must include them
        CloudWatchLogsLogGroupArn=arn,
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/ct",
        IncludeGlobalServiceEvents=global_events,
    )
    e.client("cloudtrail").start_logging(Name=name)
    return name


def test_a_trail_without_global_service_events_does_not_record_iam(emulator, tmp_path) -> None:
    """CloudTrail User Guide, "Global service events": a (single-region) trail that excludes them
    records no IAM call; an EC2 call it records."""
    _trail(emulator, global_events=False)
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)

    def attack():
        yield sim.env.timeout(10)
        emulator.endpoints.client("iam", "attacker").create_user(UserName="unseen")
        emulator.endpoints.client("ec2", "attacker").describe_vpcs()
        sim.pump()

    sim.env.process(attack())
    sim.env.run(until=1800)
    services.close()
    delivered = [
        json.loads(ev["message"])["eventName"]
        for ev in emulator.endpoints.client("logs").filter_log_events(logGroupName="/ct")["events"]
    ]
    assert delivered == ["DescribeVpcs"]
    assert any(
        ev["kind"] == "cloudtrail.not_recorded" and ev["event_name"] == "CreateUser"
        for ev in sim.timeline
    )


def test_cloudtrail_records_its_own_stop_and_nothing_after(emulator, tmp_path) -> None:
    trail = _trail(emulator)
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    attacker_ct = emulator.endpoints.client("cloudtrail", "attacker")
    attacker_iam = emulator.endpoints.client("iam", "attacker")

    def attack():
        yield sim.env.timeout(10)
        attacker_ct.stop_logging(Name=trail)
        sim.pump()
        yield sim.env.timeout(10)
        attacker_iam.create_user(UserName="after-the-stop")
        sim.pump()

    sim.env.process(attack())
    sim.env.run(until=3600)
    services.close()
    logs = emulator.endpoints.client("logs")
    delivered = [
        json.loads(ev["message"])["eventName"]
        for ev in logs.filter_log_events(logGroupName="/ct")["events"]
    ]
    assert delivered == ["StopLogging"]
    assert any(
        ev["kind"] == "cloudtrail.not_recorded" and ev["event_name"] == "CreateUser"
        for ev in sim.timeline
    )
    # The S3 log file of the five-minute window holds the StopLogging record too.
    s3 = emulator.endpoints.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="trail-bucket").get("Contents", [])]
    assert len(keys) == 1 and "/CloudTrail/us-east-1/2026/01/05/" in keys[0]
    body = gzip.decompress(s3.get_object(Bucket="trail-bucket", Key=keys[0])["Body"].read())
    assert [r["eventName"] for r in json.loads(body)["Records"]] == ["StopLogging"]


def _instance(emulator, user_data: str, internet: bool = True) -> str:
    """An instance with ``user_data``; ``internet``: in a public subnet (a default route to an
    internet gateway and a public address), so its agent can reach CloudWatch Logs."""
    ec2 = emulator.endpoints.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    # A zone that offers the type, as the lab's targets pin one (AWS refuses a type the zone
    # does not offer, and CreateSubnet without a zone may pick any).
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    if internet:
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    image = emulator.endpoints.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )["Parameter"]["Value"]
    return ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        UserData=user_data,
    )["Instances"][0]["InstanceId"]


BRUTE_FORCE = Activity(
    rate_per_s=1.0,
    ports=[22],
    packets=10,
    bytes=2000,
    host_logs={
        "/var/log/secure": "{hostname} sshd[{pid}]: Failed password for {user} from {source_ip} port {source_port} ssh2"
    },
)


@pytest.mark.parametrize(
    ("agent_configured", "internet"), [(True, True), (False, True), (True, False)]
)
def test_agent_ships_host_lines_only_when_the_account_configures_it_and_it_can_reach_aws(
    emulator, tmp_path, agent_configured, internet
) -> None:
    from lab.attacks.target_instance import AGENT_PARAMETER, WORKLOAD_USER_DATA

    e = emulator.endpoints
    e.client("logs").create_log_group(logGroupName="/lab/secure")
    if agent_configured:
        config = {
            "logs": {
                "force_flush_interval": 5,
                "logs_collected": {
                    "files": {
                        "collect_list": [
                            {
                                "file_path": "/var/log/secure",
                                "log_group_name": "/lab/secure",
                                "log_stream_name": "{instance_id}",
                            }
                        ]
                    }
                },
            }
        }
        e.client("ssm").put_parameter(Name=AGENT_PARAMETER, Type="String", Value=json.dumps(config))
    instance = _instance(emulator, WORKLOAD_USER_DATA, internet=internet)
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    services.hosts.start(
        instance,
        BRUTE_FORCE,
        "203.0.113.66",
        active=lambda: sim.now < 60,
        network=lambda: lambda port: True,
    )
    sim.env.run(until=120)
    services.close()
    emulator.recorder.clock = lambda: EPOCH
    events = e.client("logs").filter_log_events(
        logGroupName="/lab/secure", filterPattern='"Failed password"'
    )["events"]
    if not internet:  # no route to CloudWatch Logs: the lines stay on the host
        assert events == []
        assert any(ev["kind"] == "agent.no_route_to_aws" for ev in sim.timeline)
        return
    if agent_configured:
        assert len(events) == 60
        assert "from 203.0.113.66 port" in events[0]["message"]
        assert (
            e.client("logs").describe_log_streams(logGroupName="/lab/secure")["logStreams"][0][
                "logStreamName"
            ]
            == instance
        )
    else:
        assert events == []
        assert any(ev["kind"] == "agent.not_running" for ev in sim.timeline)


def test_flow_logs_aggregate_and_deliver_v2_records(emulator, tmp_path) -> None:
    from lab.attacks.registry import technique

    e = emulator.endpoints
    ec2 = e.client("ec2")
    brute_force = technique("ec2-ssh-brute-force")
    prerequisites = brute_force.warm_up(e)
    brute_force.detonate(e, prerequisites)
    vpc = prerequisites["vpc_id"]
    e.client("s3").create_bucket(Bucket="flow-bucket")
    e.client("logs").create_log_group(logGroupName="/flows")
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-bucket",
        MaxAggregationInterval=60,
    )
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName="/flows",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow",
        MaxAggregationInterval=60,
    )
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    services.hosts.start(
        prerequisites["instance_id"],
        BRUTE_FORCE,
        "203.0.113.66",
        active=lambda: sim.now < 60,
        network=lambda: brute_force.network(e, prerequisites),
    )

    def responder():  # at 30 s the source is denied in the subnet's network ACL
        yield sim.env.timeout(30)
        ec2.create_network_acl_entry(
            NetworkAclId=prerequisites["nacl_id"],
            RuleNumber=50,
            Protocol="6",
            RuleAction="deny",
            Egress=False,
            CidrBlock="203.0.113.66/32",
            PortRange={"From": 22, "To": 22},
        )
        sim.pump()

    sim.env.process(responder())
    sim.env.run(until=3600)
    services.close()
    s3 = e.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="flow-bucket")["Contents"]]
    assert keys and all("/vpcflowlogs/us-east-1/2026/01/05/" in k for k in keys)
    lines = []
    for key in keys:
        body = gzip.decompress(s3.get_object(Bucket="flow-bucket", Key=key)["Body"].read()).decode()
        assert body.startswith("version account-id interface-id srcaddr dstaddr")
        lines += body.splitlines()[1:]
    actions = {line.split()[12] for line in lines}
    assert actions == {"ACCEPT", "REJECT"}
    assert all(line.split()[3] == "203.0.113.66" and line.split()[6] == "22" for line in lines)
    assert sum(int(line.split()[8]) for line in lines) == 60 * 10  # packets
    accepted = sum(int(line.split()[8]) for line in lines if line.split()[12] == "ACCEPT")
    assert accepted == 30 * 10  # until the deny
    emulator.recorder.clock = lambda: EPOCH
    rejected = e.client("logs").filter_log_events(logGroupName="/flows")["events"]
    assert rejected and all(ev["message"].endswith("REJECT OK") for ev in rejected)


def test_a_query_outside_the_subset_is_one_clear_error(emulator) -> None:
    from botocore.exceptions import ClientError

    logs = emulator.endpoints.client("logs")
    logs.create_log_group(logGroupName="/q")
    with pytest.raises(ClientError, match="does not support 'dedup'"):
        logs.start_query(logGroupName="/q", startTime=0, endTime=10, queryString="dedup @logStream")


def test_event_history_shows_a_call_only_after_its_delay(emulator, tmp_path) -> None:
    """LookupEvents (CloudTrail event history) answers a call only after the calibrated
    event-history delay of a running simulation; after the simulation every call is there."""
    sim = _sim(emulator)
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    lookup = emulator.endpoints.client("cloudtrail", "monitor")
    by_root = [{"AttributeKey": "Username", "AttributeValue": "root"}]
    seen: list[tuple[float, int]] = []

    def attack_then_poll():
        yield sim.env.timeout(10)
        emulator.endpoints.client("iam", "root").get_account_summary()
        sim.pump()
        for _ in range(60):  # poll every 5 s, as grimoire does
            seen.append((sim.now, len(lookup.lookup_events(LookupAttributes=by_root)["Events"])))
            yield sim.env.timeout(5)

    sim.env.process(attack_then_poll())
    sim.env.run(until=400)
    first_seen = next(t for t, n in seen if n == 1)
    assert seen[0] == (10, 0) and first_seen > 10
    assert all(n == 0 for t, n in seen if t < first_seen)
    services.close()
    assert len(lookup.lookup_events(LookupAttributes=by_root)["Events"]) == 1
