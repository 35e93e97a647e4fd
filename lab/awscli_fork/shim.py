"""The ``aws`` shim (copied as ``aws`` into the fork server's bin folder): sends argv, environment,
working directory and fds 0-2 to the server, waits for the exit code. Standard library only, started
with ``python -I -S`` so it costs a few milliseconds. If the server is gone, it runs the real CLI.
Protocol: ``lab.forkserver``."""

import json
import os
import socket
import struct
import sys


def main() -> int:
    path = os.environ.get("LAB_AWS_CLI_SOCKET", "")
    real = os.environ.get("LAB_AWS_CLI_REAL", "")
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        os.execv(real, [real, *sys.argv[1:]])
    header = json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()})
    body = header.encode()
    socket.send_fds(conn, [struct.pack("!I", len(body)) + body], [0, 1, 2])
    answer = b""  # the child's pid, then its exit code
    while len(answer) < 8:
        chunk = conn.recv(8 - len(answer))
        if not chunk:
            sys.stderr.write(
                "aws (lab fork server): the command's process ended without an exit code\n"
            )
            return 255
        answer += chunk
    return struct.unpack("!i", answer[4:])[0]


if __name__ == "__main__":
    sys.exit(main())
