"""The clock of the emulator's answers that depend on elapsed time (``compat.ec2``'s IAM
propagation window), which a replay sets to each request's moment in the capture.

A kept deploy (``capture.replay``) sends its requests as fast as the emulator answers them, while
the deploy it replays waited between them (a retry after a refusal waits seconds). Rather than
sleep through those waits, a replay pins this clock to each request's moment of the capture while
the emulator answers it: the answers that depend on elapsed time come out as they did, at once,
however fast or slow the replay runs. Afterwards the clock goes on from the last moment replayed
(it never goes back), so a window that had elapsed stays elapsed. It is the process's clock, as
moto's backends are the process's.

Written here: moto keeps no clock of its own for such windows (its backends read ``time``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

_lock = threading.Lock()
_skew = 0.0
_pinned: float | None = None


def now() -> float:
    """Seconds on the emulator's clock: the moment a replay pinned, else ``time.monotonic`` plus
    how far replays moved the clock ahead."""
    pinned = _pinned
    return pinned if pinned is not None else time.monotonic() + _skew


@contextlib.contextmanager
def pinned(moment: float) -> Iterator[None]:
    """The clock reads ``moment`` inside; it goes on from there (if that is ahead) afterwards."""
    global _pinned, _skew
    _pinned = moment
    try:
        yield
    finally:
        with _lock:
            _pinned = None
            _skew = max(_skew, moment - time.monotonic())
