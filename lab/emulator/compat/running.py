"""The emulators running in this process (moto's state is per process, so the newest one serves
it): their base URLs, for the links a response carries back to the emulator, and their recorders,
which hold the account's event history and its clock. Not account state: ``reset`` keeps it.
Owned by ``EmulatorServer``: it adds itself when it starts and removes itself when it stops, so
an entry lives exactly as long as its emulator; module-level because moto's patched responses,
which find it here, are too."""

from __future__ import annotations

from typing import Any

_base_urls: list[str] = []
_recorders: list[Any] = []


def started(url: str, recorder: Any) -> None:
    _base_urls.append(url.rstrip("/"))
    _recorders.append(recorder)


def stopped(url: str, recorder: Any) -> None:
    if url.rstrip("/") in _base_urls:
        _base_urls.remove(url.rstrip("/"))
    if recorder in _recorders:
        _recorders.remove(recorder)


def base_url() -> str:
    """The newest running emulator's URL."""
    return _base_urls[-1] if _base_urls else "http://127.0.0.1"


def recorder() -> Any | None:
    """The newest running emulator's recorder (event history, the account's clock)."""
    return _recorders[-1] if _recorders else None
