"""cli-baseline/deploy.sh and teardown.sh with the real aws CLI against the emulator."""

import base64
import subprocess

from lab.architectures.manual import ManualArchitecture
from lab.paths import CLI_BASELINE_DIR
from lab.sim.cron import parse_user_data
from lab.sim.user_data import decode_user_data


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def test_deploy_is_idempotent_tagged_and_teardown_removes_everything(emulator, tmp_path):
    e = emulator.endpoints
    arch = ManualArchitecture(cron_schedule="*/10 * * * *", run_id="run-1")
    state = arch.deploy(e, tmp_path)
    assert set(state) >= {"VPC_ID", "SUBNET_ID", "MONITOR_SG_ID", "ALERT_TOPIC_ARN", "INSTANCE_ID"}
    ec2 = e.client("ec2")
    instance = ec2.describe_instances(InstanceIds=[state["INSTANCE_ID"]])["Reservations"][0][
        "Instances"
    ][0]
    assert _tags(instance)["lab:architecture"] == "manual"
    assert _tags(instance)["lab:run-id"] == "run-1"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    topic_tags = e.client("sns").list_tags_for_resource(ResourceArn=state["ALERT_TOPIC_ARN"])[
        "Tags"
    ]
    assert {"Key": "lab:run-id", "Value": "run-1"} in topic_tags
    role_tags = e.client("iam").list_role_tags(RoleName=state["MONITOR_ROLE"])["Tags"]
    assert {"Key": "lab:architecture", "Value": "manual"} in role_tags
    encoded = ec2.describe_instance_attribute(
        InstanceId=state["INSTANCE_ID"], Attribute="userData"
    )["UserData"]["Value"]
    # EC2 takes 16 KB of user data before base64: the bootstrap is sent gzip-compressed.
    assert len(base64.b64decode(encoded)) <= 16384
    assert base64.b64decode(encoded)[:2] == b"\x1f\x8b"
    user_data = decode_user_data(encoded)
    assert len(user_data) > 16384  # which is why it is compressed
    jobs = parse_user_data(state["INSTANCE_ID"], user_data)
    detectors = sorted(p.name for p in (CLI_BASELINE_DIR / "detectors").glob("*.sh"))
    assert [(j.schedule, j.script_name) for j in jobs] == [("*/10 * * * *", d) for d in detectors]
    by_name = {j.script_name: j for j in jobs}
    assert (
        by_name["sg-open-world.sh"].script
        == (CLI_BASELINE_DIR / "detectors" / "sg-open-world.sh").read_bytes()
    )
    assert "lib/alert.sh" in jobs[0].files  # shipped, but not a cron job
    assert jobs[0].env["ALERT_TOPIC_ARN"] == state["ALERT_TOPIC_ARN"]

    filters = e.client("logs").describe_metric_filters(logGroupName="/lab/manual/secure")
    patterns = {f["filterName"]: f["filterPattern"] for f in filters["metricFilters"]}
    assert (
        patterns["lab-manual-ssh-login-attempts"]
        == '?"Invalid user" ?"Connection closed by authenticating user"'
    )
    alarms = e.client("cloudwatch").describe_alarms(AlarmNamePrefix="lab-manual-")["MetricAlarms"]
    host_alarms = {a["AlarmName"] for a in alarms if "-cis-" not in a["AlarmName"]}
    assert host_alarms == {
        "lab-manual-ssh-login-attempts",
        "lab-manual-sudo-auth-failure",
        "lab-manual-app-errors",
    }
    # The competent set by default: the CIS alarms on a trail, GuardDuty, Config.
    assert len(alarms) == 3 + 15
    assert state["TRAIL_NAME"] == "lab-manual-trail" and state["DETECTOR_ID"]
    assert state["CONFIG_RECORDER"] == "lab-manual-recorder"
    assert all(a["AlarmActions"] == [state["ALERT_TOPIC_ARN"]] for a in alarms)
    assert instance["KeyName"] == "lab-manual-key"
    routes = ec2.describe_route_tables(RouteTableIds=[state["RTB_ID"]])["RouteTables"][0]["Routes"]
    assert any(r.get("GatewayId") == state["IGW_ID"] for r in routes)
    assert "amazon-cloudwatch-agent-ctl" in user_data
    # The agent configuration lives in Parameter Store, where every instance's bootstrap fetches it,
    # and the monitoring instance runs the agent with it (read back as the simulation reads it).
    from lab.sim.agent import agent_config

    config = agent_config(ec2, e.client("ssm"), state["INSTANCE_ID"])
    assert config is not None and config.flush_s == 5
    assert config.files["/var/log/secure"]["log_group_name"] == "/lab/manual/secure"
    workload = ec2.describe_vpcs(Filters=[{"Name": "tag:lab:workload", "Values": ["true"]}])["Vpcs"]
    assert [v["VpcId"] for v in workload] == [state["VPC_ID"]]
    # The monitoring instance can reach the AWS APIs (its detectors and agent call them): a public
    # address behind the internet gateway's default route.
    from lab.sim.reachability import aws_apis_reachable

    assert aws_apis_reachable(ec2, state["INSTANCE_ID"]) == (
        True,
        f"default route to {state['IGW_ID']}, public address",
    )
    trust = e.client("iam").get_role(RoleName="lab-manual-config-recorder")["Role"]
    condition = trust["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == e.account_id()

    again = arch.deploy(e, tmp_path)
    assert again == state
    assert (
        len(
            ec2.describe_instances(
                Filters=[{"Name": "tag:lab:architecture", "Values": ["manual"]}]
            )["Reservations"]
        )
        == 1
    )

    arch.destroy(e, tmp_path)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:lab:architecture", "Values": ["manual"]}])[
        "Vpcs"
    ]
    assert vpcs == []
    assert e.client("sns").list_topics()["Topics"] == []
    assert e.client("iam").list_instance_profiles()["InstanceProfiles"] == []
    assert e.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert e.client("cloudtrail").describe_trails()["trailList"] == []
    assert e.client("guardduty").list_detectors()["DetectorIds"] == []
    assert e.client("config").describe_config_rules()["ConfigRules"] == []
    assert e.client("config").describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert e.client("events").list_rules(NamePrefix="lab-manual-")["Rules"] == []
    assert not [
        b for b in e.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("lab-manual-")
    ]
    assert "lab-manual-config-recorder" not in {
        r["RoleName"] for r in e.client("iam").list_roles()["Roles"]
    }
    assert e.client("logs").describe_log_groups(logGroupNamePrefix="/lab/manual")["logGroups"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert (
        e.client("ssm").describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": ["AmazonCloudWatch-lab"]}]
        )["Parameters"]
        == []
    )
    assert (
        ec2.describe_internet_gateways(
            Filters=[{"Name": "tag:lab:architecture", "Values": ["manual"]}]
        )["InternetGateways"]
        == []
    )
    arch.destroy(e, tmp_path)  # re-runnable


def test_scripts_print_usage_with_h():
    scripts = [
        CLI_BASELINE_DIR / "deploy.sh",
        CLI_BASELINE_DIR / "teardown.sh",
        *sorted((CLI_BASELINE_DIR / "detectors").glob("*.sh")),
        *sorted((CLI_BASELINE_DIR / "runbooks").glob("*.sh")),
    ]
    for script in scripts:
        out = subprocess.run([str(script), "-h"], capture_output=True, text=True)
        assert out.returncode == 0, script
        assert "Usage" in out.stdout or "usage" in out.stdout.lower(), script


def test_scripts_use_strict_mode():
    for script in CLI_BASELINE_DIR.rglob("*.sh"):
        if script.name == "lib.sh" or script.parent.name == "lib":  # sourced, not run
            continue
        assert "set -euo pipefail" in script.read_text(), script


def test_shell_scripts_are_shellcheck_clean():
    scripts = [str(p) for p in sorted(CLI_BASELINE_DIR.rglob("*.sh"))]
    result = subprocess.run(
        ["shellcheck", "-x", *scripts], cwd=CLI_BASELINE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_build_effort_counts_what_each_architecture_takes(tmp_path):
    from lab.architectures.effort import measure, static_effort

    manual = measure("manual", tmp_path)
    assert manual["manual_steps"] >= 7 and manual["runbook_lines"] > 0
    assert manual["writes"] >= 20  # every create, tag, put-metric-alarm ... is one write
    assert manual["api_calls"] > manual["writes"]  # plus the look-ups that make it idempotent
    assert manual["deploy_aws_modelled_s"] > manual["deploy_emulator_s"]
    serverless = static_effort("serverless")
    assert int(serverless["declared"].split()[0]) >= 20  # resource blocks of terraform/


def test_config_lines_count_what_a_person_writes(tmp_path):
    from lab.architectures.effort import config_lines

    script = tmp_path / "deploy.sh"
    script.write_text("#!/bin/bash\n# a comment\n\naws sns create-topic --name t\n  echo done\n")
    tf = tmp_path / "main.tf"
    tf.write_text('# comment\nresource "aws_sns_topic" "t" {\n\n  name = "t"\n}\n')
    assert config_lines([script]) == 2  # the shebang is a comment line too
    assert config_lines([script, tf]) == 2 + 3
