"""`lab scenario validate` and `lab scenario schema`, as a user runs them (subprocesses)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.paths import SCENARIOS_DIR

LAB = [sys.executable, "-m", "lab.cli", "scenario"]
HEAD = "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"


def test_every_scenario_of_the_repository_is_valid(tmp_path: Path):
    far = tmp_path / ("a-folder-whose-name-is-long-" * 4)  # one line per file, however long
    far.mkdir()
    (far / "demo.yaml").write_text((SCENARIOS_DIR / "demo.yaml").read_text())
    files = [*sorted(SCENARIOS_DIR.glob("*.yaml")), far / "demo.yaml"]
    done = subprocess.run([*LAB, "validate", *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == [f"ok {f}" for f in files]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            HEAD + "architectures: {manual: {cron_schedule: every five minutes}}\n",
            "cron expression",
        ),
        (
            HEAD
            + "architectures: {serverless: {guardduty_finding_publishing_frequency: HOURLY}}\n",
            "'HOURLY' is not one of",
        ),
        (HEAD.replace("trials: 1", "trials: 0") + "architectures: {manual: {}}\n", "trials"),
    ],
)
def test_a_broken_scenario_is_one_clear_error(tmp_path: Path, text: str, says: str):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    done = subprocess.run([*LAB, "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_the_schema_describes_every_field_the_model_reads():
    done = subprocess.run([*LAB, "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(done.stdout)
    assert schema["additionalProperties"] is False
    assert {"name", "seed", "trials", "techniques", "architectures"} <= set(schema["required"])
    assert {"sweep", "injection", "paging", "cspm"} <= set(schema["properties"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["cost", "--rate", "-5"], "--rate"),
        (["attack", "ec2-sg-open-ssh", "--endpoint", "not-a-url"], "is not a URL"),
        (["runs", "--out", "/nonexistent"], "is not a folder"),
        (["cost", "/nonexistent-run"], "is not a run directory"),
    ],
)
def test_a_bad_option_is_one_clear_error_and_writes_nothing(tmp_path: Path, args, says):
    done = subprocess.run(
        [sys.executable, "-m", "lab.cli", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
