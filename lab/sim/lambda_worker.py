"""One Lambda execution environment: a process that loads a deployed handler and runs events.

Started by ``lambda_runtime`` with the function's environment; reads one JSON request per line on
stdin ({"event": ..., "context": ...}) and answers one JSON line on stdout. Module-level code runs
once (cold start), like in Lambda; later requests reuse the loaded module (warm).
Usage: python -m lab.sim.lambda_worker CODE_DIR MODULE.FUNCTION

Or forked from a server that has imported boto3 once (``serve_forked``, see ``lab.forkserver``): a
cold start then costs milliseconds of wall time instead of an interpreter start-up; its virtual
time is the calibrated cold start either way.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from types import SimpleNamespace
from typing import Any

# The clients the lab's functions build (their models parsed once in the fork server).
WARM_CLIENTS = ("cloudtrail", "config", "ec2", "guardduty", "iam", "kms", "s3", "sns", "ssm", "sts")


def main() -> None:
    code_dir, handler_spec = os.path.abspath(sys.argv[1]), sys.argv[2]
    sys.path.insert(0, code_dir)
    # Lambda runs a handler in its code's folder (LAMBDA_TASK_ROOT, /var/task): Cloud Custodian's
    # reads its policy from ``config.json`` there.
    os.chdir(code_dir)
    os.environ["LAMBDA_TASK_ROOT"] = code_dir
    module_name, _, function_name = handler_spec.rpartition(".")
    out = sys.stdout
    sys.stdout = sys.stderr  # the handler's prints go to its "log", not to the protocol
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error = None
    except Exception:
        handler, init_error = None, traceback.format_exc()
    for line in sys.stdin:
        request = json.loads(line)
        started = time.perf_counter()
        if handler is None:
            response = {"ok": False, "error": "Runtime.ImportModuleError", "trace": init_error}
        else:
            context = SimpleNamespace(**request.get("context", {}))
            context.get_remaining_time_in_millis = lambda: 30_000
            try:
                response = {"ok": True, "result": handler(request["event"], context)}
            except Exception as exc:
                response = {
                    "ok": False,
                    "error": type(exc).__name__,
                    "trace": traceback.format_exc(),
                }
        response["wall_s"] = time.perf_counter() - started
        out.write(json.dumps(response, default=str) + "\n")
        out.flush()


class _ForkedWorker:
    """This module as a fork server's program (``lab.forkserver``)."""

    def __init__(self) -> None:
        import boto3
        import botocore.loaders
        import botocore.session

        # Every session gets this loader: botocore's cache of parsed data files (models, endpoint
        # rules), filled once here, as each process would fill its own.
        loader = botocore.loaders.create_loader()
        botocore.session.create_loader = lambda search_paths_string=None: (
            loader
            if search_paths_string is None
            else botocore.loaders.create_loader(search_paths_string)
        )
        session = boto3.session.Session(
            aws_access_key_id="lab-warm-up", aws_secret_access_key="lab-warm-up"
        )
        for service in WARM_CLIENTS:
            session.client(service, region_name="us-east-1")  # built, never used

    def environment(self, request: dict[str, Any]) -> dict[str, str]:
        return request["env"]

    def run(self, request: dict[str, Any]) -> int:
        main()
        return 0

    def after_fork(self, request: dict[str, Any], env: dict[str, str]) -> None:
        pass


def serve_forked(socket_path: str, parent: int) -> None:
    """Run the Lambda worker fork server (``lab.forkserver.start`` calls this)."""
    from lab.forkserver import serve

    serve(socket_path, parent, _ForkedWorker())


if __name__ == "__main__":
    main()
