"""The aws CLI fork server: the same CLI, the same answers, exit codes, stdin / stdout / stderr and
working directory as one process per call; off with LAB_AWS_CLI_FORK=0; the real CLI when the
server is gone."""

import json
import os
import subprocess
import sys
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


# Commands whose answers go through what a client is built with: timestamps (the CLI's scalar
# parsers), pagination, text output, an API error, and a global option that changes the session.
CLIENT_COMMANDS = [
    ["iam", "list-users", "--output", "text"],
    ["iam", "list-users", "--query", "Users[].CreateDate", "--output", "json"],
    [
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=CreateUser",
    ],
    ["s3api", "list-buckets", "--no-paginate"],
    ["sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:none", "--message", "m"],
    ["ec2", "describe-security-groups", "--region", "us-west-2", "--output", "text"],
]
RECORDED = ("eventName", "eventSource", "userAgent", "requestParameters", "errorCode", "readOnly")


def test_clients_built_ahead_answer_and_send_as_a_child_s_own_client(envs, emulator):
    """With the fork server's clients (the default) and without (LAB_AWS_CLI_CLIENTS=0): the same
    output and exit code, and the same request as the emulator records it (user agent included)."""
    forked, _, cwd = envs
    _run(["iam", "create-user", "--user-name", "ahead"], None, forked, cwd)
    for command in CLIENT_COMMANDS:  # the server builds this environment's driver and clients
        _run(command, None, forked, cwd)
    seen = {}
    for switch in ("1", "0"):
        emulator.recorder.clear()
        env = forked | {fork_server.prebuilt.SWITCH: switch}
        results = [_run(command, None, env, cwd) for command in CLIENT_COMMANDS]
        records = [{k: r.get(k) for k in RECORDED} for r in emulator.recorder.records()]
        seen[switch] = [(r.returncode, r.stdout, r.stderr) for r in results], records
    assert seen["1"] == seen["0"]
    assert len(seen["1"][1]) >= len(CLIENT_COMMANDS) - 1


# Run in its own interpreter: importing awscli makes ``botocore`` its vendored copy.
_WHICH_CLIENT = """
import json, sys
from awscli import clidriver
from lab.awscli_fork import clients

def used(argv, register=False):
    ahead = {"sts": clients.build(clidriver, "sts")}
    driver = clidriver.create_clidriver()  # as the fork server builds it, before forking
    driver._get_command_table()
    clients.offer(driver.session, ahead, argv, set(driver._get_argument_table()))
    if register:  # a handler for an event a client emits, registered before the client is built
        driver.session.register("before-call.sts", lambda **_: None)
    built = []
    create = driver.session.create_client
    driver.session.create_client = lambda *a, **k: built.append(create(*a, **k)) or built[-1]
    assert driver.main(argv) == 0
    return built == [ahead["sts"].client]

print(json.dumps([
    used(["sts", "get-caller-identity", "--output", "text"]),
    used(["sts", "get-caller-identity", "--region", "us-west-2"]),
    used(["sts", "get-caller-identity", "--cli-read-timeout", "5"]),
    used(["sts", "get-caller-identity"], register=True),
]), file=sys.stderr)
"""


def test_a_command_takes_the_client_built_ahead_only_where_it_would_build_the_same(envs):
    """Taken for a command with output options only; not with a global option that changes the
    session, nor after a handler for a client's event was registered."""
    forked, _, cwd = envs
    plain = {k: v for k, v in forked.items() if k != "LAB_AWS_CLI_SOCKET"}
    result = subprocess.run(
        [sys.executable, "-c", _WHICH_CLIENT], env=plain, cwd=cwd, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.splitlines()[-1]) == [True, False, False, False]
