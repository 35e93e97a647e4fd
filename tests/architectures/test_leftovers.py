"""A lab process killed with kill -9 leaves nothing behind: its aws CLI fork server and its shared
AWS provider stop, and the folders they made in TMPDIR are removed."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lab.architectures.terraform_runner import find_plugin_mirror

STARTERS = {
    "aws CLI fork server": (
        "from lab.awscli_fork.server import cli_path_and_socket\n"
        "print(cli_path_and_socket()[1], flush=True)\n"
    ),
    "AWS provider": (
        "import json, sys\n"
        "from lab.architectures.terraform_runner import _start_provider\n"
        "_, reattach = _start_provider(sys.argv[1], {'PATH': '/usr/bin:/bin', 'TMPDIR': sys.argv[2]})\n"
        "print(next(iter(json.loads(reattach).values()))['Addr']['String'], flush=True)\n"
    ),
}


def _provider_binary() -> str:
    mirror = find_plugin_mirror()
    found = sorted(mirror.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))
    assert found, f"no AWS provider in {mirror}"
    return str(found[-1])


@pytest.fixture
def tmpdir():
    """An empty TMPDIR with a short path (pytest's are too long for a Unix socket's 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="lab-t-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("what", STARTERS)
def test_kill_9_leaves_no_folder_in_tmpdir(tmpdir, what):
    script = STARTERS[what] + "import time\ntime.sleep(600)\n"
    args = [_provider_binary(), str(tmpdir)] if what == "AWS provider" else []
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        socket_path = Path(process.stdout.readline().strip())
        assert socket_path.exists() and socket_path.is_relative_to(tmpdir)  # it used TMPDIR
        assert list(tmpdir.iterdir())
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 30
    while list(tmpdir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(tmpdir.iterdir()), list(tmpdir.rglob("*"))


def test_a_deep_tmpdir_still_gets_its_fork_server(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)  # a socket path there would pass 108 bytes
    deep.mkdir(parents=True)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from lab.awscli_fork.server import cli_path_and_socket, shutdown\n"
            "print(cli_path_and_socket()[1]); shutdown()",
        ],
        env={**os.environ, "TMPDIR": str(deep)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().startswith("/tmp/lab-aws-cli-")
    assert not Path(out.stdout.strip()).exists()  # removed when stopped


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_the_providers_watchdog_waits_without_forking_and_ends_with_its_provider(tmpdir):
    from lab.architectures.terraform_runner import _start_provider

    process, _ = _start_provider(
        _provider_binary(), {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmpdir)}
    )
    try:
        first = _children(process.pid)
        assert len(first) == 2  # the provider and the reader of this process's pipe
        time.sleep(3)
        # A polling loop (`sleep 1`) would have forked a new child each second.
        assert _children(process.pid) == first
        provider = next(
            c for c in first if "terraform-provider" in Path(f"/proc/{c}/cmdline").read_text()
        )
        os.kill(provider, signal.SIGKILL)  # the provider ends on its own: so does its watchdog
        assert process.wait(timeout=30) == 0
        assert not list(tmpdir.iterdir())
    finally:
        if process.poll() is None:
            process.kill()
