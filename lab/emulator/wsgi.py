"""What the emulator's WSGI layers share: a request's body, read once and left readable."""

from __future__ import annotations

import io
from typing import Any


def buffered_body(environ: dict[str, Any]) -> bytes:
    """The request's body (empty without a Content-Length); ``wsgi.input`` is replaced by a copy,
    so the next layer reads it too (a stream without a length is left as it is)."""
    length = environ.get("CONTENT_LENGTH")
    if not (length and length.isdigit()):
        return b""
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    return body
