"""The fork server (see the package docstring). Started as its own single-threaded process, so each
fork is safe; it exits when its parent does."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

FORK_ENV = "LAB_AWS_CLI_FORK"
# One command of each service the lab's scripts call, parsed once before forking.
WARM_COMMANDS = (
    ("ec2", "describe-vpcs"),
    ("iam", "list-users"),
    ("s3api", "list-buckets"),
    ("logs", "describe-log-groups"),
    ("cloudwatch", "describe-alarms"),
    ("sns", "list-topics"),
    ("cloudtrail", "describe-trails"),
    ("ssm", "get-parameter"),
    ("guardduty", "list-detectors"),
    ("configservice", "describe-configuration-recorders"),
    ("kms", "list-keys"),
    ("sts", "get-caller-identity"),
    ("events", "list-rules"),
)
_state: dict[str, object] = {}


def _serve(socket_path: str, parent: int) -> None:
    # awscli first: it installs the import alias that makes ``botocore`` its vendored copy.
    from awscli import clidriver  # isort: skip

    import botocore.loaders
    import botocore.session

    # One data loader for every child, built as the CLI builds its own: service models and the CLI's
    # data are read and parsed once. A child whose data path differs (AWS_DATA_PATH) gets a new one.
    session = clidriver.create_clidriver().session
    search_paths = session.get_config_variable("data_path")
    loader = session.get_component("data_loader")
    with contextlib.suppress(Exception):
        loader.load_data("cli")
    original = botocore.loaders.create_loader

    def shared_loader(search_paths_string=None):
        return loader if search_paths_string == search_paths else original(search_paths_string)

    botocore.session.create_loader = shared_loader  # type: ignore[attr-defined]
    _warm_up(clidriver)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        try:
            data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
            (length,) = struct.unpack("!I", data[:4])
            body = data[4:]
            while len(body) < length:
                chunk = conn.recv(length - len(body))
                if not chunk:
                    raise ConnectionError("short header")
                body += chunk
            request = json.loads(body)
        except (OSError, ValueError, struct.error):
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 255
            try:
                for target, fd in enumerate(fds):
                    os.dup2(fd, target)
                    os.close(fd)
                os.chdir(request["cwd"])
                os.environ.clear()
                os.environ.update(_as_the_cli_starts(request["env"], clidriver.__file__))
                sys.argv = ["aws", *request["argv"]]
                try:
                    code = clidriver.main()
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                with contextlib.suppress(OSError):
                    conn.sendall(struct.pack("!i", int(code or 0)))
                os._exit(0)
        for fd in fds:
            os.close(fd)
        conn.close()


def _warm_up(clidriver) -> None:
    """Parse one command of each service the lab's scripts use, without sending it (the CLI's own
    ``--generate-cli-skeleton``), so models, endpoint rules and parsers are loaded before forking."""
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        for command in WARM_COMMANDS:
            sys.argv = ["aws", *command, "--generate-cli-skeleton"]
            with contextlib.suppress(BaseException):
                clidriver.main()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _as_the_cli_starts(env: dict[str, str], clidriver_file: str) -> dict[str, str]:
    """The environment as the ``aws`` script and ``import awscli`` leave it (they edit it at start,
    which the children, forked after the import, did not see)."""
    env = dict(env)
    if env.get("LC_CTYPE", "") == "UTF-8":  # the aws script's own fix-up
        env["LC_CTYPE"] = "en_US.UTF-8"
    paths = [
        os.path.expanduser(os.path.expandvars(p))
        for p in env.get("AWS_DATA_PATH", "").split(os.pathsep)
        if "AWS_DATA_PATH" in env
    ]
    paths.append(os.path.join(os.path.dirname(os.path.abspath(clidriver_file)), "data"))
    env["AWS_DATA_PATH"] = os.pathsep.join(paths)
    return env


def enabled() -> bool:
    """False when ``LAB_AWS_CLI_FORK=0``: every ``aws`` call is then its own process."""
    return os.environ.get(FORK_ENV, "1") != "0"


def cli_path_and_socket() -> tuple[str, str] | None:
    """Start this process's fork server if needed; return (bin folder to put first on PATH,
    socket path), or None when turned off or the real CLI is not installed."""
    if not enabled():
        return None
    if "socket" in _state and _state["process"].poll() is None:  # type: ignore[union-attr]
        return str(_state["bin"]), str(_state["socket"])
    real = shutil.which(
        "aws", path=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if real is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="lab-aws-cli-"))
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "aws"
    shim.write_text(
        f"#!{sys.executable} -IS\n"
        + (Path(__file__).with_name("shim.py"))
        .read_text()
        .replace('real = os.environ.get("LAB_AWS_CLI_REAL", "")', f"real = {real!r}")
    )
    shim.chmod(0o755)
    socket_path = str(folder / "aws.sock")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from lab.awscli_fork.server import _serve; _serve({socket_path!r}, {os.getpid()})",
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C at the terminal goes to the lab, which stops the server
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            shutil.rmtree(folder, ignore_errors=True)
            return None
        time.sleep(0.01)
    _state.update(
        process=process, bin=bin_dir, socket=socket_path, folder=folder, owner=os.getpid()
    )
    atexit.register(shutdown)
    return str(bin_dir), socket_path


def shutdown() -> None:
    """Stop this process's fork server (if it started one) and remove its folder."""
    process = _state.get("process")
    if process is None or _state.get("owner") != os.getpid():
        return
    process.terminate()  # type: ignore[union-attr]
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)  # type: ignore[union-attr]
    shutil.rmtree(_state["folder"], ignore_errors=True)  # type: ignore[arg-type]
    _state.clear()
