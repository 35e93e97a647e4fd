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


def _shim_request(shim: Path, socket_path: str, argv: list[bytes], env: dict[bytes, bytes], code):
    """Run ``shim`` against a one-request server that records what it received and answers
    ``code``; return (request as the server decoded it, the shim's exit status, fds received)."""
    import socket
    import struct
    import threading

    from lab.forkserver import _receive

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(1)
    got: dict = {}

    def serve():
        conn, _ = listener.accept()
        got["request"], fds = _receive(conn)
        got["fds"] = len(fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(struct.pack("!ii", 4242, code))
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    result = subprocess.run([bytes(shim), *argv], env=env, capture_output=True, cwd="/")
    thread.join(timeout=10)
    listener.close()
    os.unlink(socket_path)
    return got["request"], result.returncode, got["fds"]


def test_the_c_shim_sends_what_the_python_shim_sends(tmp_path):
    """Byte for byte the same request once decoded (non-ASCII, bytes that are not UTF-8, quotes,
    control characters, characters above U+FFFF), the same exit status (the server's code & 0xFF),
    the same three fds; without a compiler the lab uses the Python shim."""
    real = "/usr/bin/false"
    compiled = fork_server.compiled_shim(real)
    if compiled is None:
        pytest.skip("no C compiler here: the Python shim is used (tested above)")
    python = tmp_path / "aws.py"
    python.write_text(fork_server.python_shim(real))
    python.chmod(0o755)
    argv = [b"ec2", b"describe-vpcs", 'caf\u00e9 \U0001f680 "q" \\ \t\n'.encode(), b"\xff\xfe raw"]
    env = {
        b"LAB_AWS_CLI_SOCKET": str(tmp_path / "s.sock").encode(),
        b"HOME": b"/root",
        b"ODD": b"a=b\xc3(\x01",
        b"EMPTY": b"",
    }
    for code, extra in ((0, {}), (3, {b"LC_ALL": b"C.UTF-8"}), (255, {b"LANG": b"C"}), (-1, {})):
        a = _shim_request(compiled, str(tmp_path / "s.sock"), argv, env | extra, code)
        b = _shim_request(python, str(tmp_path / "s.sock"), argv, env | extra, code)
        assert a == b
        assert a[1] == code & 0xFF and a[2] == 3
    assert a[0]["argv"][2] == 'caf\u00e9 \U0001f680 "q" \\ \t\n'
    assert a[0]["env"]["ODD"] == b"a=b\xc3(\x01".decode("utf-8", "surrogateescape")
