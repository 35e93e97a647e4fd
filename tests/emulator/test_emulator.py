import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from lab.emulator import EmulatorError, EmulatorServer


def test_starts_on_a_free_port_answers_and_stops():
    with EmulatorServer() as server:
        assert server.port > 0
        assert server.healthy()
        identity = server.endpoints.client("sts").get_caller_identity()
        assert identity["Account"] == "123456789012"
        url = server.url
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_lab/health", timeout=1)


def test_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(EmulatorError, match="port in use"):
            EmulatorServer(port=busy.getsockname()[1]).start()


def test_reset_forgets_resources(emulator):
    sns = emulator.endpoints.client("sns")
    sns.create_topic(Name="forget-me")
    emulator.reset()
    assert sns.list_topics()["Topics"] == []
    assert emulator.recorder.records()[-1]["eventName"] == "ListTopics"


def test_forget_log_events_leaves_the_groups_and_no_event_a_cli_search_finds(emulator):
    # What a trial wrote (the trail's records, delivered) is gone for the next trial; the deployed
    # groups and metric filters stay, and a sender writes to the same stream name again.
    logs = emulator.endpoints.client("logs")
    logs.create_log_group(logGroupName="/lab/trail")
    logs.put_metric_filter(
        logGroupName="/lab/trail",
        filterName="bucket-policy",
        filterPattern="{ $.eventName = PutBucketAcl }",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}],
    )
    now_ms = int(time.time() * 1000)
    record = json.dumps({"eventName": "PutBucketAcl", "requestParameters": {"bucketName": "b"}})
    logs.create_log_stream(logGroupName="/lab/trail", logStreamName="s")
    logs.put_log_events(
        logGroupName="/lab/trail",
        logStreamName="s",
        logEvents=[{"timestamp": now_ms, "message": record}],
    )
    env = {**os.environ, **emulator.endpoints.cli_env("operator")}

    def search() -> list[str]:  # cis-alarm-events.sh's search, as the person runs it
        argv = ["aws", "logs", "filter-log-events", "--log-group-name", "/lab/trail"]
        argv += ["--filter-pattern", "{ $.eventName = PutBucketAcl }"]
        argv += ["--start-time", str(now_ms - 3_600_000), "--end-time", str(now_ms + 60_000)]
        argv += ["--query", "events[].message", "--output", "json"]
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        return json.loads(done.stdout)

    assert search() == [record]
    emulator.forget_log_events()
    assert search() == []
    groups = logs.describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/lab/trail"]
    assert logs.describe_log_streams(logGroupName="/lab/trail")["logStreams"] == []
    assert logs.describe_metric_filters(logGroupName="/lab/trail")["metricFilters"]
    logs.create_log_stream(logGroupName="/lab/trail", logStreamName="s")


def test_forget_terminated_instances_leaves_the_others_to_a_cli_enumeration(emulator):
    # An earlier technique's instance, terminated at its clean-up, is not the next trial's.
    ec2 = emulator.endpoints.client("ec2")
    launch = {"ImageId": "ami-12c6146b", "MinCount": 1, "MaxCount": 1}
    gone = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    kept = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    stopped = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])
    ec2.stop_instances(InstanceIds=[stopped])
    env = {**os.environ, **emulator.endpoints.cli_env("attacker")}

    def enumerate_instances() -> set[str]:  # what ec2-get-password-data enumerates
        argv = ["aws", "ec2", "describe-instances"]
        argv += ["--query", "Reservations[].Instances[].InstanceId", "--output", "json"]
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        return set(json.loads(done.stdout))

    assert enumerate_instances() == {gone, kept, stopped}
    emulator.forget_terminated_instances()
    assert enumerate_instances() == {kept, stopped}
    ec2.terminate_instances(InstanceIds=[kept])
    assert enumerate_instances() == {kept, stopped}  # visible for a while within the trial


def test_restore_alarm_states_puts_each_alarm_back_as_created(emulator):
    # A trial left the alarm in ALARM; the next trial starts from the state a fresh deploy gives.
    cloudwatch = emulator.endpoints.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="sg-changes",
        MetricName="SecurityGroupEventCount",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    created = cloudwatch.describe_alarms(AlarmNames=["sg-changes"])["MetricAlarms"][0]
    env = {**os.environ, **emulator.endpoints.cli_env("baseline")}

    def state() -> list[str]:
        argv = ["aws", "cloudwatch", "describe-alarms", "--alarm-names", "sg-changes"]
        argv += ["--query", "MetricAlarms[0].[StateValue,StateReason]", "--output", "json"]
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        return json.loads(done.stdout)

    def set_state(value: str) -> None:
        argv = ["aws", "cloudwatch", "set-alarm-state", "--alarm-name", "sg-changes"]
        argv += ["--state-value", value, "--state-reason", f"now {value}"]
        subprocess.run(argv, env=env, check=True, capture_output=True)

    for _trial in range(2):  # the second trial's changes are undone as the first's were
        set_state("ALARM")
        set_state("OK")
        set_state("ALARM")
        assert state() == ["ALARM", "now ALARM"]
        emulator.restore_alarm_states()
        assert state() == [created["StateValue"], created["StateReason"]]


def test_export_lines_point_the_cli_at_the_emulator(emulator):
    lines = emulator.endpoints.export_lines("attacker")
    assert f"export AWS_ENDPOINT_URL={emulator.url}" in lines
    assert "export AWS_ACCESS_KEY_ID=AKIALABATTACKER00001" in lines


def test_sessions_sharing_one_model_loader_send_what_their_own_would(emulator):
    """``boto3_session`` (the process's one botocore loader) and a plain ``boto3.Session``: the
    same request, as the emulator records it (user agent and caller included)."""
    import boto3

    from lab.emulator.actors import actor
    from lab.emulator.endpoints import boto3_session

    who = actor("observer")
    keys = {"aws_access_key_id": who.access_key_id, "aws_secret_access_key": who.secret_access_key}
    seen = []
    for make in (boto3.Session, boto3_session, boto3_session):
        emulator.recorder.clear()
        make(region_name="us-east-1", **keys).client(
            "iam", endpoint_url=emulator.endpoints.url
        ).list_users()
        (record,) = emulator.recorder.records()
        seen.append({k: record[k] for k in ("userAgent", "userIdentity", "eventName")})
    assert seen[0] == seen[1] == seen[2]
