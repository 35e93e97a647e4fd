"""The lab's own routes on the emulator (``/_lab/...``): what the account does on its own on AWS
and a caller of the API cannot ask for (serve a deployed zip, end a key's waiting period, the
simulated SSM Automation service writing an execution's progress). A service module lists its
routes in ``ROUTES``; the server dispatches them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Answer = tuple[str, str, bytes]  # (HTTP status, content type, body)


@dataclass(frozen=True)
class Route:
    """``prefix/<rest>``: ``handle(rest, body)`` answers."""

    prefix: str
    handle: Callable[[str, bytes], Answer]


def answer(status: str, body: bytes | str, content_type: str = "text/plain") -> Answer:
    return status, content_type, body.encode() if isinstance(body, str) else body
