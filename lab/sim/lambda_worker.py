"""One Lambda execution environment: a process that loads a deployed handler and runs events.

Started by ``lambda_runtime`` with the function's environment; reads one JSON request per line on
stdin ({"event": ..., "context": ...}) and answers one JSON line on stdout. Module-level code runs
once (cold start), like in Lambda; later requests reuse the loaded module (warm).
Usage: python -m lab.sim.lambda_worker CODE_DIR MODULE.FUNCTION
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from types import SimpleNamespace


def main() -> None:
    code_dir, handler_spec = sys.argv[1], sys.argv[2]
    sys.path.insert(0, code_dir)
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


if __name__ == "__main__":
    main()
