"""The emulator's dispatch caches are exact: moto's own answers, and a run with them gives the same
trials and timelines, byte for byte, as a run without them (LAB_EMULATOR_CACHES=0)."""

import inspect
import os
import subprocess
from pathlib import Path

import boto3
import moto
from moto import backends
from moto.core import responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from lab.emulator import EmulatorServer
from tests.lab_command import LAB

SCENARIO = """
name: dispatch-caches
seed: 23
trials: 1
techniques: [ec2-sg-open-ssh, s3-bucket-public-policy, iam-create-access-key-other-user]
architectures:
  manual: {}
"""


def test_the_cached_answers_are_moto_s():
    with EmulatorServer():  # applies the patches
        folder = Path(moto.__file__).parent
        assert list(backends.list_of_moto_modules()) == [
            entry
            for entry in sorted(os.listdir(folder))
            if (folder / entry).is_dir() and not entry.startswith("__")
        ]
        dispatcher = DomainDispatcherApplication(lambda service: None)
        assert dispatcher.get_backend_for_host("ec2.us-east-1.amazonaws.com") == "ec2"
        assert dispatcher.get_backend_for_host("s3") == "s3"
        assert dispatcher.get_backend_for_host(None) is None


def test_method_names_follow_a_class_that_gains_a_method():
    class Answers:
        def first(self):
            return 1

    expected = lambda: [n for n, _ in inspect.getmembers(Answers, inspect.isfunction)]  # noqa: E731
    with EmulatorServer():
        assert responses.method_names_from_class(Answers) == expected() == ["first"]
        Answers.second = lambda self: 2
        assert responses.method_names_from_class(Answers) == expected() == ["first", "second"]


def test_the_emulator_answers_through_the_caches():
    with EmulatorServer() as emulator:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=emulator.url,
            region_name="us-east-1",
            aws_access_key_id="AKIALABHARNESS000001",
            aws_secret_access_key="x",
        )
        assert ec2.describe_security_groups()["SecurityGroups"]


def _run(tmp_path: Path, name: str, caches: str) -> tuple[bytes, bytes]:
    scenario = tmp_path / "dispatch.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / name
    subprocess.run(
        [
            *LAB,
            "run",
            str(scenario),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--no-report",
        ],
        env={**os.environ, "LAB_EMULATOR_CACHES": caches},
        check=True,
        capture_output=True,
        timeout=900,
    )
    (run_dir,) = (out / "dispatch-caches").iterdir()
    return (run_dir / "trials.csv").read_bytes(), (run_dir / "events.jsonl").read_bytes()


def test_a_run_with_the_caches_equals_one_without(tmp_path):
    without = _run(tmp_path, "without", "0")
    cached = _run(tmp_path, "cached", "1")
    assert cached[0] == without[0]
    assert cached[1] == without[1]
