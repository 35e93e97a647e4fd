"""Every request that reaches the emulator, kept in arrival order and played back in process.

A deploy of an architecture is mostly the AWS provider's own waits (eventual-consistency pollers of
S3 lifecycle, SQS attributes, KMS key policies: about a minute per apply); what it does to the
account is only its requests. ``Capture`` keeps them as they arrive (whoever sent them: Terraform,
the aws CLI, boto3); ``replay`` sends them again, in order, straight into the emulator's WSGI app:
the same account in seconds. moto has no snapshot of its own and its backends do not pickle (SQS
holds locks, KMS private keys, SSM lambdas), which is why the requests are kept instead of state.

A replayed request must get the answer's status it got the first time; where the emulator answers
differently on time alone (an instance profile IAM has not yet propagated, ``compat.ec2``) each
request is answered at its moment of the capture on the emulator's clock (``elapsed``), without
waiting. Any other difference is a ``ReplayMismatch``: the caller deploys for real instead.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lab.emulator import elapsed
from lab.emulator.wsgi import buffered_body

# Headers that describe the connection, not the request (recomputed or irrelevant on replay).
_DROPPED = {"content-length", "connection", "accept-encoding", "transfer-encoding"}


class ReplayMismatch(RuntimeError):
    """A replayed request got another answer than the captured one."""


@dataclass(frozen=True)
class Request:
    """One request as it arrived, with the status the emulator answered."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    at: float  # monotonic seconds since the capture started

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [list(h) for h in self.headers],
            "body": base64.b64encode(self.body).decode(),
            "status": self.status,
            "at": round(self.at, 3),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        return cls(
            data["method"],
            data["path"],
            data["query"],
            tuple((k, v) for k, v in data["headers"]),
            base64.b64decode(data["body"]),
            int(data["status"]),
            float(data["at"]),
        )


class Capture:
    """WSGI middleware: while ``recording``, every request (but health checks) is kept."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self._lock = threading.Lock()
        self._kept: list[Request] | None = None
        self._started = 0.0

    def start(self) -> None:
        with self._lock:
            self._kept = []
            self._started = time.monotonic()

    def stop(self) -> list[Request]:
        with self._lock:
            kept, self._kept = self._kept or [], None
        return [request for request in kept if request is not None]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self._kept is None or environ.get("PATH_INFO") == "/_lab/health":
            return self.app(environ, start_response)
        body = buffered_body(environ)
        with self._lock:  # its place in the order: when it arrived
            slot = len(self._kept) if self._kept is not None else None
            if self._kept is not None:
                self._kept.append(None)  # type: ignore[arg-type]
            arrived = time.monotonic() - self._started
        status: dict[str, int] = {}

        def keep_status(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status["code"] = int(line.split()[0])
            return start_response(line, headers, exc_info)

        result = list(self.app(environ, keep_status))
        headers = tuple(
            (key[5:].replace("_", "-").title(), value)
            for key, value in environ.items()
            if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in _DROPPED
        ) + ((("Content-Type", environ["CONTENT_TYPE"]),) if environ.get("CONTENT_TYPE") else ())
        request = Request(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            headers,
            body,
            status.get("code", 500),
            arrived,
        )
        with self._lock:
            if self._kept is not None and slot is not None and slot < len(self._kept):
                self._kept[slot] = request
        return result


def replay(
    app: Callable[..., Iterable[bytes]],
    requests: list[Request],
    rewrite: Callable[[bytes], bytes] = lambda data: data,
) -> None:
    """Send ``requests`` to ``app`` in order; ``rewrite`` adapts what named the old emulator (its
    URL) in paths, headers and bodies. Each request is answered at its moment of the capture on
    the emulator's clock (``elapsed.pinned``), without waiting for it: a retry after a refusal is as late
    after it as the first time, so the answers that depend on time (``compat.ec2``'s propagation
    window) come out the same, and so does the account's event history. Raises
    ``ReplayMismatch`` at the first answer that differs."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    started = time.monotonic()
    origin = elapsed.now()
    for index, request in enumerate(requests):
        headers = [(k, rewrite(v.encode()).decode()) for k, v in request.headers]
        host = next((v for k, v in headers if k.lower() == "host"), "localhost")
        builder = EnvironBuilder(
            base_url=f"http://{host}",
            path=rewrite(request.path.encode()).decode(),
            method=request.method,
            query_string=rewrite(request.query.encode()).decode(),
            headers=headers,
            data=rewrite(request.body),
        )
        try:
            with elapsed.pinned(origin + request.at):
                _, status, _ = run_wsgi_app(app, builder.get_environ(), buffered=True)
        finally:
            builder.close()
        code = int(status.split()[0])
        if code != request.status:
            raise ReplayMismatch(
                f"request {index} ({request.method} {request.path}) answered {code}, "
                f"{request.status} when captured ({time.monotonic() - started:.1f} s into replay)"
            )
