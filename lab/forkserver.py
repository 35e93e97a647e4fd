"""A fork server: a single-threaded process that pays a start-up once (imports, parsed data) and then
forks one child per request, handing the child the caller's argv, environment, working directory and
file descriptors (``socket.send_fds``). The child is a fresh process in every way that matters to
the program it runs; only the start-up is shared.

The lab uses two: the ``aws`` CLI (``lab.awscli_fork``) and Lambda execution environments
(``lab.sim.lambda_runtime``). Written here because the standard library's ``multiprocessing``
forkserver runs Python callables, not a program with its own argv, environment and stdio.

Protocol, per connection: the caller sends a 4-byte length, a JSON header ({"argv", "env", "cwd"})
and up to three fds (which become the child's 0, 1, 2); the child answers its pid (4 bytes) at once
and its exit code (4 bytes) when it ends. The socket's folder belongs to the server: whichever of
the two ends last (``Server.stop``, or the server once its caller is gone) removes it.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lab import settings

CPU_LOG_ENV = settings.Settings.variable("fork_cpu_log")
_SOCKET_PATH_MAX = 92  # sun_path holds 108 bytes on Linux, 104 on macOS; "+.binding" while binding


class Program(Protocol):
    """What a fork server runs: prepared once in the server, then run in each child."""

    def environment(self, request: dict[str, Any]) -> dict[str, str]:
        """The child's environment for ``request`` (computed in the server, before the fork)."""
        ...

    def run(self, request: dict[str, Any]) -> int:
        """Run in the child, with fds, cwd, environment and ``sys.argv`` already set."""
        ...

    def after_fork(self, request: dict[str, Any], env: dict[str, str]) -> None:
        """Run in the server once the child is forked (caches for the next request)."""
        ...


def serve(socket_path: str, parent: int, program: Program) -> None:
    """Answer requests on ``socket_path`` until the process ``parent`` is gone."""
    cpu_log = settings.current().fork_cpu_log
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound under another name and renamed once listening: ``start`` waits for ``socket_path`` to
    # exist, and a connect between bind and listen is refused (seen under load: a trial failed
    # with ConnectionRefusedError on its first Lambda invocation).
    listener.bind(socket_path + ".binding")
    listener.listen(64)
    os.rename(socket_path + ".binding", socket_path)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError, struct.error):
            conn.close()
            continue
        env = program.environment(request)
        # Objects made so far go to the collector's permanent generation: a collection in the child
        # would otherwise write to every object's header and copy each page the server shares with
        # it (copy-on-write). Same program, same answers; fewer page copies per child.
        gc.freeze()
        if os.fork() == 0:
            listener.close()
            _child(conn, request, fds, env, program, cpu_log)
        for fd in fds:
            os.close(fd)
        conn.close()
        program.after_fork(request, env)
    # The caller is gone (killed: it could not remove the folder it made for the socket).
    listener.close()
    shutil.rmtree(os.path.dirname(socket_path), ignore_errors=True)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    (length,) = struct.unpack("!I", data[:4])
    body = data[4:]
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            raise ConnectionError("short header")
        body += chunk
    return json.loads(body), fds


def _child(
    conn: socket.socket,
    request: dict[str, Any],
    fds: list[int],
    env: dict[str, str],
    program: Program,
    cpu_log: str | None = None,
) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 255
    try:
        conn.sendall(struct.pack("!i", os.getpid()))
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [sys.argv[0], *request["argv"]]
        try:
            code = program.run(request)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        if cpu_log:  # the server reaps no child: their CPU is counted nowhere else
            with contextlib.suppress(OSError):
                times = os.times()
                with open(cpu_log, "a") as log:
                    log.write(f"{os.getpid()} {times.user:.4f} {times.system:.4f}\n")
        with contextlib.suppress(OSError):
            conn.sendall(struct.pack("!i", int(code or 0)))
        os._exit(0)


# -- the caller's side ------------------------------------------------------------------------
@dataclass
class Server:
    """A started fork server (owned by the process that started it)."""

    process: subprocess.Popen[bytes]
    folder: Path
    socket_path: str
    owner: int

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.owner != os.getpid():
            return
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(name: str, entry: str, startup_timeout_s: float = 30) -> Server | None:
    """Start a fork server whose ``entry`` ("module:function", called with the socket path and
    this process's pid) calls ``serve``; None if it did not come up."""
    folder = Path(tempfile.mkdtemp(prefix=f"lab-{name}-"))
    socket_path = str(folder / f"{name}.sock")
    if len(socket_path.encode()) > _SOCKET_PATH_MAX and os.path.isdir("/tmp"):
        folder.rmdir()  # TMPDIR too deep for a Unix socket's path
        folder = Path(tempfile.mkdtemp(prefix=f"lab-{name}-", dir="/tmp"))
        socket_path = str(folder / f"{name}.sock")
    module, function = entry.split(":")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from {module} import {function}; {function}({socket_path!r}, {os.getpid()})",
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C at the terminal goes to the lab, which stops the server
    )
    deadline = time.monotonic() + startup_timeout_s
    while not os.path.exists(socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            shutil.rmtree(folder, ignore_errors=True)
            return None
        time.sleep(0.01)
    server = Server(process, folder, socket_path, os.getpid())
    atexit.register(server.stop)
    return server


class Child:
    """A child started through a fork server (``spawn``): its pid, its exit code when it ends."""

    def __init__(self, conn: socket.socket, pid: int):
        self.conn = conn
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.conn.setblocking(False)
            try:
                self._read_code()
            except BlockingIOError:
                self.conn.setblocking(True)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.conn.settimeout(timeout)  # socket.timeout (TimeoutError) when it runs out
            self._read_code()
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def _read_code(self) -> None:
        data = self.conn.recv(4)
        while data and len(data) < 4:
            more = self.conn.recv(4 - len(data))
            if not more:
                break
            data += more
        # Ended without a code: killed.
        self.returncode = struct.unpack("!i", data)[0] if len(data) == 4 else -signal.SIGKILL
        self.conn.close()


def spawn(
    socket_path: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    fds: list[int],
) -> Child:
    """Ask the server at ``socket_path`` for a child running ``argv`` with ``fds`` as 0, 1, 2."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(socket_path)
    body = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
    socket.send_fds(conn, [struct.pack("!I", len(body)) + body], fds)
    pid = b""
    while len(pid) < 4:
        chunk = conn.recv(4 - len(pid))
        if not chunk:
            raise ConnectionError("the fork server's child did not start")
        pid += chunk
    return Child(conn, struct.unpack("!i", pid)[0])
