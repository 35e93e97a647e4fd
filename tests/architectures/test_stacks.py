"""A team's stack: its registration file, the contract read from its files before anything is
deployed, and the stack deployed, wired to the person, and torn down on the emulator."""

import shutil
from pathlib import Path

import pytest

from lab.architectures.own_stack import stack_architecture, stack_options_problem
from lab.architectures.registry import arm_problem, build
from lab.architectures.stacks import (
    PERSON_INBOX,
    StackError,
    StackFile,
    contract_problems,
    load_stack,
    write_stack,
)

STACK = Path(__file__).parents[1] / "fixtures" / "stacks" / "eventbridge-sns"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    module = tmp_path / "module"
    shutil.copytree(STACK, module)
    text = (module / "main.tf").read_text()
    assert old in text
    (module / "main.tf").write_text(text.replace(old, new))
    return module


def test_the_test_stack_meets_the_contract():
    assert contract_problems(StackFile(name="acme", terraform=STACK)) == []


@pytest.mark.parametrize(
    ("old", "new", "term"),
    [
        (
            'variable "run_id" {\n  type = string\n}',
            "",
            "account: the module declares no variable 'run_id'",
        ),
        ('output "alert_topic_arn"', 'output "topic"', "alerts: the module has neither an output"),
        (
            '"lab:run-id" = var.run_id',
            '"owner" = var.run_id',
            "tags: the aws provider's default_tags",
        ),
        (
            "force_destroy = true",
            "force_destroy = true\n  lifecycle {\n    prevent_destroy = true\n  }",
            "teardown: terraform destroy cannot remove aws_s3_bucket.trail",
        ),
    ],
)
def test_each_broken_term_is_one_problem_naming_it(tmp_path, old, new, term):
    problems = contract_problems(StackFile(name="acme", terraform=_broken(tmp_path, old, new)))
    assert len(problems) == 1 and problems[0].startswith(term), problems


def test_a_script_stack_needs_executable_scripts_that_tag_and_alert(tmp_path):
    deploy, teardown = tmp_path / "deploy.sh", tmp_path / "teardown.sh"
    deploy.write_text("#!/bin/sh\naws sns create-topic --name x\n")
    teardown.write_text("#!/bin/sh\n")
    teardown.chmod(0o755)
    spec = StackFile(name="acme", deploy=deploy, teardown=teardown)
    assert contract_problems(spec) == [f"deploy: {deploy} is not executable (chmod +x)"]
    deploy.chmod(0o755)
    problems = contract_problems(spec)
    assert [p.split(":")[0] for p in problems] == ["alerts", "tags"]


def test_a_stack_file_round_trips_and_a_broken_one_is_one_error(tmp_path):
    written = write_stack(StackFile(name="acme", terraform=STACK.resolve()), tmp_path / "stacks")
    assert load_stack(written).terraform == STACK.resolve()
    assert "terraform: ../" in written.read_text()  # relative to the file: the folder can move
    (tmp_path / "stacks" / "other.yaml").write_text("name: other\ndeploy: d.sh\n")
    with pytest.raises(StackError, match="a deploy script needs its teardown script"):
        load_stack(tmp_path / "stacks" / "other.yaml")
    with pytest.raises(ValueError, match="built-in architecture"):
        StackFile(name="serverless", terraform=STACK)


def test_a_scenario_arm_names_a_registered_stack_with_its_own_variables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "unknown" in arm_problem("acme", {})
    write_stack(StackFile(name="acme", terraform=STACK.resolve()), Path("stacks"))
    assert arm_problem("acme", {}) is None
    assert arm_problem("ours", {"architecture": "acme", "name_prefix": "ours"}) is None
    assert "has no variable ['detectors']" in arm_problem("acme", {"detectors": ["cron"]})
    architecture = build("ours", "run-1", {"architecture": "acme", "name_prefix": "ours"})
    assert (architecture.name, architecture.run_id) == ("acme", "run-1")
    assert architecture.variables == {"name_prefix": "ours"}


def test_a_required_variable_the_arm_does_not_give_is_refused(tmp_path):
    module = _broken(tmp_path, 'type    = string\n  default = "acme"', "type = string")
    spec = StackFile(name="acme", terraform=module)
    assert "['name_prefix'] have no default" in stack_options_problem(spec, {})
    assert stack_options_problem(spec, {"name_prefix": "x"}) is None


@pytest.mark.terraform
def test_deployed_it_alerts_the_person_carries_the_run_id_and_is_torn_down(emulator, tmp_path):
    spec = StackFile(name="acme", terraform=STACK.resolve())
    architecture = stack_architecture(spec, "run-7", {})
    outputs = architecture.deploy(emulator.endpoints, tmp_path)
    sns = emulator.endpoints.client("sns")
    topic = outputs["alert_topic_arn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", PERSON_INBOX)]
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags["lab:run-id"] == "run-7"
    events = emulator.endpoints.client("events")
    rules = [r["Name"] for r in events.list_rules(NamePrefix="acme-")["Rules"]]
    assert len(rules) == 3
    architecture.destroy(emulator.endpoints, tmp_path)
    assert events.list_rules(NamePrefix="acme-")["Rules"] == []
    assert topic not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


DEPLOY_SH = """#!/bin/sh
set -eu
arn=$(aws sns create-topic --name acme-alerts --tags Key=lab:run-id,Value="$LAB_RUN_ID" \\
  --query TopicArn --output text)
echo "ALERT_TOPIC_ARN=$arn" >> "$LAB_STATE_FILE"
"""
TEARDOWN_SH = """#!/bin/sh
set -eu
arn=$(sed -n 's/^ALERT_TOPIC_ARN=//p' "$LAB_STATE_FILE")
[ -z "$arn" ] || aws sns delete-topic --topic-arn "$arn"
"""


@pytest.mark.integration
def test_a_script_stack_is_deployed_with_the_cli_wired_to_the_person_and_torn_down(
    emulator, tmp_path
):
    deploy, teardown = tmp_path / "deploy.sh", tmp_path / "teardown.sh"
    deploy.write_text(DEPLOY_SH)
    teardown.write_text(TEARDOWN_SH)
    deploy.chmod(0o755)
    teardown.chmod(0o755)
    spec = StackFile(name="acme", deploy=deploy, teardown=teardown)
    assert contract_problems(spec) == []
    architecture = stack_architecture(spec, "run-8", {"alert_phone": "+15555550100"})
    state = architecture.deploy(emulator.endpoints, tmp_path / "work")
    sns = emulator.endpoints.client("sns")
    topic = state["ALERT_TOPIC_ARN"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", PERSON_INBOX),
        ("sms", "+15555550100"),
    ]
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags["lab:run-id"] == "run-8"
    architecture.destroy(emulator.endpoints, tmp_path / "work")
    assert sns.list_topics()["Topics"] == []


@pytest.mark.integration
def test_a_stack_whose_alerts_reach_no_inbox_stops_at_its_deploy(emulator, tmp_path):
    deploy, teardown = tmp_path / "deploy.sh", tmp_path / "teardown.sh"
    deploy.write_text("#!/bin/sh\n# writes no ALERT_TOPIC_ARN, subscribes no ALERT_EMAIL\n")
    teardown.write_text("#!/bin/sh\n")
    deploy.chmod(0o755)
    teardown.chmod(0o755)
    architecture = stack_architecture(
        StackFile(name="acme", deploy=deploy, teardown=teardown), "run-9", {}
    )
    with pytest.raises(StackError, match="no SNS topic delivers to the person's inbox"):
        architecture.deploy(emulator.endpoints, tmp_path / "work")
