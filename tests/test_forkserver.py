"""A fork server's children report their CPU to LAB_FORK_CPU_LOG (nobody reaps them, so it is
counted nowhere else), and report nothing without it."""

import os
import time
from typing import Any

from lab import forkserver


class _Busy:
    """Spins for the seconds its argv names, then exits 0."""

    def environment(self, request: dict[str, Any]) -> dict[str, str]:
        return dict(request["env"])

    def run(self, request: dict[str, Any]) -> int:
        until = time.process_time() + float(request["argv"][0])
        while time.process_time() < until:
            pass
        return 0

    def after_fork(self, request: dict[str, Any], env: dict[str, str]) -> None:
        pass


def serve_busy(socket_path: str, parent: int) -> None:
    forkserver.serve(socket_path, parent, _Busy())


def _spin(seconds: float, cwd: str | None = None) -> int:
    server = forkserver.start("test-busy", "tests.test_forkserver:serve_busy")
    assert server is not None
    try:
        with open(os.devnull, "wb") as sink:
            fds = [os.open(os.devnull, os.O_RDONLY), sink.fileno(), sink.fileno()]
            child = forkserver.spawn(
                server.socket_path, [str(seconds)], {}, cwd or os.getcwd(), fds
            )
            os.close(fds[0])
            assert child.wait(timeout=30) == 0
        return child.pid
    finally:
        server.stop()


def test_children_report_their_cpu(tmp_path, monkeypatch):
    log = tmp_path / "cpu.log"
    monkeypatch.setenv("LAB_FORK_CPU_LOG", str(log))
    pid = _spin(0.2)
    ((logged_pid, user, system),) = (line.split() for line in log.read_text().splitlines())
    assert int(logged_pid) == pid
    assert 0.15 <= float(user) + float(system) < 5


def test_no_log_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_FORK_CPU_LOG", "")
    _spin(0.01, cwd=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
