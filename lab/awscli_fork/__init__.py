"""The real ``aws`` CLI without its start-up cost: a fork server that has imported awscli once and
runs each ``aws ...`` command in a forked child, with the caller's argv, environment, working
directory and stdin / stdout / stderr (passed as file descriptors). Scripts stay the ones a person
would run; only the interpreter start-up and imports are shared. ``LAB_AWS_CLI_FORK=0`` turns it off.

Written here because nothing off the shelf does this for the AWS CLI v1 (it has no daemon mode);
the protocol is a few lines of ``socket.send_fds``.
"""

from lab.awscli_fork.server import cli_path_and_socket, shutdown

__all__ = ["cli_path_and_socket", "shutdown"]
