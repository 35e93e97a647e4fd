"""The aws CLI fork server: the same CLI, the same answers, exit codes, stdin / stdout / stderr and
working directory as one process per call; off with LAB_AWS_CLI_FORK=0; the real CLI when the
server is gone."""

import os
import subprocess
from pathlib import Path

import pytest

from lab.awscli_fork import server as fork_server

COMMANDS = [
    (["ec2", "describe-vpcs", "--query", "length(Vpcs)", "--output", "text"], None),
    (["ec2", "describe-vpcs", "--vpc-ids", "vpc-00000000"], None),  # an API error
    (["ec2", "describe-vpcs", "--no-such-option"], None),  # a usage error
    (["sts", "get-caller-identity", "--output", "json"], None),
    (["sns", "create-topic", "--name", "fork", "--tags", "file://tags.json"], None),
    (["s3api", "put-object", "--bucket", "nope", "--key", "k", "--body", "/dev/stdin"], b"x"),
]


@pytest.fixture
def envs(emulator, tmp_path):
    env = {**os.environ, **emulator.endpoints.cli_env("baseline")}
    assert "LAB_AWS_CLI_SOCKET" in env and env["PATH"].split(os.pathsep)[0].endswith("/bin")
    plain = {k: v for k, v in env.items() if k != "LAB_AWS_CLI_SOCKET"} | {
        "PATH": env["PATH"].split(os.pathsep, 1)[1]
    }
    (tmp_path / "tags.json").write_text('[{"Key": "lab:test", "Value": "fork"}]')
    return env, plain, tmp_path


def _run(command, stdin, env, cwd):
    return subprocess.run(["aws", *command], env=env, cwd=cwd, input=stdin, capture_output=True)


@pytest.mark.parametrize(("command", "stdin"), COMMANDS)
def test_fork_server_answers_as_one_process_per_call_does(envs, command, stdin):
    forked, plain, cwd = envs
    a = _run(command, stdin, forked, cwd)
    b = _run(command, stdin, plain, cwd)
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


def test_exit_codes_are_the_cli_s_own(envs):
    forked, _, cwd = envs
    assert _run(COMMANDS[0][0], None, forked, cwd).returncode == 0
    # AWS CLI v1: 255 for a service error and for a usage error (v2 would say 254 / 252).
    api_error = _run(COMMANDS[1][0], None, forked, cwd)
    assert api_error.returncode == 255 and b"InvalidVpcID.NotFound" in api_error.stderr
    usage = _run(COMMANDS[2][0], None, forked, cwd)
    assert usage.returncode == 255 and b"Unknown options: --no-such-option" in usage.stderr


def test_off_switch_and_fallback_to_the_real_cli(envs, monkeypatch):
    forked, _, cwd = envs
    monkeypatch.setenv("LAB_AWS_CLI_FORK", "0")
    assert fork_server.cli_path_and_socket() is None
    # The shim runs the real CLI when its server is not there.
    gone = forked | {"LAB_AWS_CLI_SOCKET": str(Path(cwd) / "no-such.sock")}
    result = _run(
        ["sts", "get-caller-identity", "--query", "Account", "--output", "text"], None, gone, cwd
    )
    assert result.returncode == 0 and result.stdout.strip().isdigit()
