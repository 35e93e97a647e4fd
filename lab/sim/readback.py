"""Configuration read back from the account, read again only when it may have changed.

Reads do not change state, so a value read when the newest successful write to its services had
sequence number N is still the account's answer while that number is N (the recorder counts every
write, whoever makes it). A reader's own writes (``own_write``) keep its values when the reader
knows they change nothing it read: in the lab's simulation nothing else calls the account while the
simulation's single thread makes a call, so the write in between is that one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from lab.emulator.recorder import ApiCallRecorder

T = TypeVar("T")


class Readback(Generic[T]):
    """Values read back from the account by key, each read again after a write to ``sources``."""

    def __init__(self, recorder: ApiCallRecorder, sources: set[str] | None):
        self.recorder = recorder
        self.sources = sources
        self._values: dict[Hashable, tuple[int, T]] = {}

    def version(self) -> int:
        return self.recorder.last_write(self.sources)

    def get(self, read: Callable[[], T], key: Hashable = None) -> T:
        """The value of ``key``: ``read()`` again only if ``sources`` were written since."""
        version = self.version()
        cached = self._values.get(key)
        if cached is None or cached[0] != version:
            cached = self._values[key] = (version, read())
        return cached[1]

    @contextlib.contextmanager
    def own_write(self) -> Iterator[None]:
        """A write of the reader's own that changes none of the values read (or whose change the
        reader applies to them itself)."""
        before = self.version()
        yield
        after = self.version()
        for key, (version, value) in list(self._values.items()):
            if version == before:
                self._values[key] = (after, value)


def by_name(items: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """``items`` read back from the account, ordered by their ``key`` (a name or ARN).

    The emulator lists resources in the order they were created, and Terraform creates them in
    parallel: a simulated service that iterated in that order would draw its delays in an order
    that changes from deploy to deploy (a run would not be reproducible)."""
    return sorted(items, key=lambda item: str(item.get(key, "")))
