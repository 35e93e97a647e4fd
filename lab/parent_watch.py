"""A worker process that ends with the process that started it.

The lab's worker processes (a run's workers, a live lab's accounts) report to their parent through
a queue. When the parent is killed (kill -9, or a SIGTERM that skips Python's exit handlers) nobody
reads the queue any more: the worker would finish its unit, block on the full queue and wait
forever, holding its emulator and its AWS provider. ``multiprocessing`` gives a child its parent's
sentinel but does not act on it (a daemonic child is stopped only by the parent's normal exit), so
this watches it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading

ORPHANED_EXIT_CODE = 70  # EX_SOFTWARE: the work was abandoned, not finished


def exit_with_parent() -> None:
    """In a ``multiprocessing`` child: end this process as soon as its parent has ended (a no-op
    in a process that multiprocessing did not start)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(ORPHANED_EXIT_CODE)  # no cleanup to wait for: what the process ran goes with it

    threading.Thread(target=watch, name="lab-parent-watch", daemon=True).start()
