"""Ctrl-C that is never lost: SIGINT both raises ``KeyboardInterrupt`` (Python's default) and
leaves a flag that the long loops check at safe points (each simulated step, each trial, each
probe poll).

Why the flag (written here: no library does this): Python raises the handler's exception at
whatever bytecode runs next, and when that happens inside a finalizer (``__del__`` of a socket, a
connection, a subprocess, a generator being collected) the exception is reported as "ignored" and
dropped. Under load, collections are frequent and the interrupt was sometimes dropped that way:
the run went on to the end. The next check raises it again, at a point where it propagates.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()


def install() -> None:
    """Make SIGINT interrupt this process's run (from the main thread; elsewhere a no-op)."""
    _requested.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)


def _handler(signum: int, frame: object) -> None:
    _requested.set()
    raise KeyboardInterrupt


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if SIGINT came (even if its first raise was swallowed)."""
    if _requested.is_set():
        raise KeyboardInterrupt
