"""`lab stack` as a user runs it: a third-party stack added, measured by `lab run` beside a
built-in arm, reported against the catalog; broken stacks refused with one error each."""

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lab.architectures.own_stack import folder_digest
from lab.attacks.registry import techniques
from tests.lab_command import LAB

STACK = Path(__file__).parents[1] / "fixtures" / "stacks" / "eventbridge-sns"
SCENARIO = """
name: own-stack
seed: 20260105
trials: 1
techniques: [ec2-sg-open-ssh, s3-bucket-public-acl]
architectures:
  acme: {}
  manual:
    detectors: [cis-alarms, api-calls]  # the trail EventBridge needs, and the shared rules
operator: soc-24x7
max_trial_s: 86400
"""


def _lab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LAB, *args], cwd=cwd, capture_output=True, text=True, timeout=1800)


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            'variable "aws_region" {\n  type = string\n}',
            "",
            "error: stack acme: account: the module declares no variable 'aws_region'",
        ),
        (
            'output "alert_topic_arn" {\n  value = aws_sns_topic.alerts.arn\n}',
            "",
            "error: stack acme: alerts: the module has neither an output 'alert_topic_arn'",
        ),
        (
            # Reads as HCL, meets the contract, but names a resource it never declares.
            "arn      = aws_sns_topic.alerts.arn",
            "arn      = aws_sns_topic.missing.arn",
            "error: stack acme: terraform validate: main.tf:",
        ),
    ],
)
def test_add_refuses_a_broken_stack_with_one_error_and_writes_nothing(tmp_path, old, new, error):
    module = tmp_path / "module"
    shutil.copytree(STACK, module)
    text = (module / "main.tf").read_text()
    assert old in text
    (module / "main.tf").write_text(text.replace(old, new))
    result = _lab("stack", "add", "acme", "--terraform", str(module), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(_errors(result)) == 1 and _errors(result)[0].startswith(error), result.stderr
    assert not (tmp_path / "stacks").exists()


def test_a_third_party_stack_is_added_measured_and_reported(tmp_path):
    added = _lab("stack", "add", "acme", "--terraform", str(STACK), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "stacks" / "acme.yaml").is_file()
    (tmp_path / "scenario.yaml").write_text(SCENARIO)

    ran = _lab("run", "scenario.yaml", "--out", "out", "--jobs", "2", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    (run_dir,) = (tmp_path / "out" / "own-stack").iterdir()
    rows = {
        (r["technique"], r["architecture"]): r
        for r in csv.DictReader((run_dir / "trials.csv").open())
    }
    opened = rows[("ec2-sg-open-ssh", "acme")]
    # Its rule saw the call, its topic alerted the person, who ran the runbook.
    assert opened["detection_source"] == "eventbridge:acme-security-group-opened", opened
    assert opened["outcome"] == "remediated" and opened["remediated_by"].startswith("operator:")
    # No rule of the stack watches bucket ACLs: the catalog shows the gap.
    assert rows[("s3-bucket-public-acl", "acme")]["outcome"] == "missed"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["versions"]["stacks"]["acme"] == folder_digest(STACK)

    with (run_dir / "benchmark.csv").open() as handle:
        benchmark = list(csv.DictReader(handle))
    assert {(r["technique"], r["architecture"]) for r in benchmark} == set(rows)
    assert {r["lock_sha256"] for r in benchmark} == {manifest["versions"]["lock"]["sha256"]}
    assert "on catalog v1" in (run_dir / "benchmark.md").read_text().splitlines()[0]

    report = _lab("stack", "report", "acme", str(run_dir), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    out = report.stdout
    assert "remediated 1/1" in out and "missed 0/1" in out
    not_run = len(techniques()) - 2
    assert out.count("not run") == 2 * not_run  # the stack's and manual's cell of each other one
    other = _lab("stack", "report", "other", str(run_dir), cwd=tmp_path)
    assert other.returncode == 2 and "no arm of stack 'other'" in other.stderr


def test_schema_and_list_describe_the_stack_files(tmp_path):
    schema = json.loads(_lab("stack", "schema", cwd=tmp_path).stdout)
    assert set(schema["properties"]) == {"name", "description", "terraform", "deploy", "teardown"}
    assert schema["additionalProperties"] is False
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "broken.yaml").write_text("name: broken\nterraform: nowhere\n")
    listed = _lab("stack", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "broken: terraform:" in listed.stdout
    assert "is not a folder" in listed.stdout
