"""The aws CLI's fork server (see the package docstring and ``lab.forkserver``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lab import settings
from lab.awscli_fork import clients as prebuilt
from lab.forkserver import Server, serve, start

FORK_ENV = settings.Settings.variable("aws_cli_fork")
# "python": the Python shim even where a C compiler is there
SHIM_ENV = settings.Settings.variable("aws_cli_shim")
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
# botocore's name of each CLI service above (for the clients built at warm-up).
CLIENT_NAMES = {"s3api": "s3", "configservice": "config"}
MAX_DRIVERS = 16
# This process's fork server. Module-level on purpose: a fork server is a process this one started
# (an interpreter that imported the CLI once), serving every `aws` call of the process whatever
# account it targets, and stopped with it (``shutdown``); it holds no account or run state.
_state: dict[str, object] = {}


class _AwsCli:
    """The aws CLI as a fork server's program: models and data parsed once; a driver per
    environment built ahead, untouched, for the children to use."""

    def __init__(self) -> None:
        # awscli first: it installs the import alias that makes ``botocore`` its vendored copy.
        from awscli import clidriver  # isort: skip

        import botocore.loaders
        import botocore.session
        from awscli.clidriver import HISTORY_RECORDER

        # One data loader for every child, built as the CLI builds its own: service models and the
        # CLI's data are read and parsed once. A child whose data path differs (AWS_DATA_PATH) gets
        # a new one.
        session = clidriver.create_clidriver().session
        search_paths = session.get_config_variable("data_path")
        loader = session.get_component("data_loader")
        with contextlib.suppress(Exception):
            loader.load_data("cli")
        original = botocore.loaders.create_loader

        def shared_loader(search_paths_string=None):
            return loader if search_paths_string == search_paths else original(search_paths_string)

        botocore.session.create_loader = shared_loader  # type: ignore[attr-defined]
        _warm_up(clidriver, session)
        self.clidriver = clidriver
        self.history = HISTORY_RECORDER
        # driver key -> a driver built as a child would (None: it cannot be built)
        self.drivers: dict[str, Any] = {}
        # driver key -> botocore service name -> its client built ahead (``clients``)
        self.clients: dict[str, dict[str, prebuilt.Prebuilt]] = {}

    def environment(self, request: dict[str, Any]) -> dict[str, str]:
        return _as_the_cli_starts(request["env"], self.clidriver.__file__)

    def run(self, request: dict[str, Any]) -> int:
        key = driver_key(dict(os.environ))
        driver = self.drivers.get(key)
        if driver is None:
            return self.clidriver.main()
        options = set(driver._get_argument_table())
        prebuilt.offer(driver.session, self.clients.get(key, {}), request["argv"], options)
        code = driver.main()  # what clidriver.main() does after create_clidriver()
        self.history.record("CLI_RC", code, "CLI")
        return code

    def after_fork(self, request: dict[str, Any], env: dict[str, str]) -> None:
        # Built while the child runs; the next call with this key (and service) uses it.
        key = driver_key(env)
        if key not in self.drivers:
            if len(self.drivers) >= MAX_DRIVERS:
                oldest = next(iter(self.drivers))
                self.drivers.pop(oldest)
                self.clients.pop(oldest, None)
            self.drivers[key] = _build_driver(self.clidriver, env)
            return
        service = _service_of(self.drivers[key], request["argv"])
        built = self.clients.setdefault(key, {})
        if service is not None and service not in built:
            with _environment(env), contextlib.suppress(Exception):
                client = prebuilt.build(self.clidriver, service)
                if client is not None:
                    built[service] = client


def _serve(socket_path: str, parent: int) -> None:
    serve(socket_path, parent, _AwsCli())


def driver_key(env: dict[str, str]) -> str:
    """What ``create_clidriver()`` reads: the AWS_* variables, HOME, and the config file (as it is
    now). Two calls with the same key get drivers that are built alike."""
    keyed = sorted((k, v) for k, v in env.items() if k.startswith("AWS_") or k == "HOME")
    home = env.get("HOME", "~")
    config = env.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
    try:
        stat = os.stat(os.path.expanduser(config))
        version = f"{stat.st_mtime_ns}/{stat.st_size}/{stat.st_ino}"
    except OSError:
        version = "absent"
    return json.dumps([keyed, config, version])


def _build_driver(clidriver, env: dict[str, str]) -> Any:
    """A driver as ``create_clidriver()`` builds it under ``env``, with its command table (which the
    driver builds on first use from its session alone). Built in the server, never used there: each
    child starts from this untouched copy. None if it cannot be built (the child builds its own)."""
    with _environment(env):
        try:
            driver = clidriver.create_clidriver()
            table = driver._get_command_table()
            driver._get_argument_table()
            for service, _ in WARM_COMMANDS:
                if hasattr(table.get(service), "_get_command_table"):
                    table[service]._get_command_table()
            return driver
        except Exception:
            return None


def _service_of(driver: Any, argv: list[str]) -> str | None:
    """The botocore service name of the command in ``argv`` (None: not a service's command)."""
    if driver is None:
        return None
    table = driver._get_command_table()
    for word in argv:
        command = table.get(word) if not word.startswith("-") else None
        if command is not None:
            return getattr(command, "_service_name", None)
    return None


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """``os.environ`` is ``env`` inside the block, and as it was after it."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _warm_up(clidriver, session) -> None:
    """Parse one command of each service the lab's scripts use, without sending it (the CLI's own
    ``--generate-cli-skeleton``), and build (not use) one client of each, so models, endpoint rules
    and parsers are loaded before forking."""
    for service, _ in WARM_COMMANDS:
        with contextlib.suppress(Exception):
            session.create_client(
                CLIENT_NAMES.get(service, service),
                region_name="us-east-1",
                aws_access_key_id="lab-warm-up",
                aws_secret_access_key="lab-warm-up",
            )
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
    return settings.current().aws_cli_fork


def cli_path_and_socket() -> tuple[str, str] | None:
    """Start this process's fork server if needed; return (bin folder to put first on PATH,
    socket path), or None when turned off or the real CLI is not installed."""
    if not enabled():
        return None
    server = _state.get("server")
    if isinstance(server, Server) and server.alive() and server.owner == os.getpid():
        return str(server.folder / "bin"), server.socket_path
    real = shutil.which(
        "aws", path=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if real is None:
        return None
    server = start("aws-cli", "lab.awscli_fork.server:_serve")
    if server is None:
        return None
    bin_dir = server.folder / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "aws"
    compiled = compiled_shim(real)
    if compiled is not None:
        shutil.copy2(compiled, shim)
    else:
        shim.write_text(python_shim(real))
        shim.chmod(0o755)
    _state["server"] = server
    return str(bin_dir), server.socket_path


def python_shim(real: str) -> str:
    """The shim as a Python script (``python -IS``), for machines without a C compiler."""
    return f"#!{sys.executable} -IS\n" + (Path(__file__).with_name("shim.py")).read_text().replace(
        'real = os.environ.get("LAB_AWS_CLI_REAL", "")', f"real = {real!r}"
    )


def compiled_shim(real: str) -> Path | None:
    """The C shim (``shim.c``) built for ``real``, cached by source, path and compiler in the
    user's cache folder (``$XDG_CACHE_HOME/lab``, default ``~/.cache/lab``; not the temp folder,
    which the lab leaves as it found it); None when no C compiler is there or
    ``LAB_AWS_CLI_SHIM=python``. Same protocol and results as the Python shim, without an
    interpreter's start per call."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None or settings.current().aws_cli_shim == "python":
        return None
    source = Path(__file__).with_name("shim.c").read_bytes()
    digest = hashlib.sha256(source + b"\0" + real.encode() + b"\0" + compiler.encode()).hexdigest()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lab"
    built = cache / f"aws-shim-{digest[:16]}"
    if built.exists():
        return built
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        out = Path(scratch) / "aws"
        result = subprocess.run(
            [
                compiler,
                "-O2",
                "-o",
                str(out),
                "-x",
                "c",
                "-",
                f"-DLAB_AWS_CLI_REAL={json.dumps(real)}",
            ],
            input=source,
            capture_output=True,
        )
        if result.returncode != 0:
            return None
        os.replace(out, built)  # atomic: concurrent workers build the same file
    return built


def shutdown() -> None:
    """Stop this process's fork server (if it started one) and remove its folder."""
    server = _state.pop("server", None)
    if isinstance(server, Server):
        server.stop()
