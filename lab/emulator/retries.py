"""An SDK's retry of a call the emulator has carried out, answered as the call was.

Every AWS SDK sends ``amz-sdk-invocation-id``, one id for all the attempts of one call ("provides
a consistent ID across retries", aws-runtime's ``invocation_id``; botocore and aws-sdk-go-v2 send
it too). The emulator serves one request at a time (``ids.py``): under Terraform's parallel apply
on a busy machine the provider can give up waiting for an answer the emulator is about to give,
and send the call again. The second attempt then met the state the first had made: CI saw
``CreateFunction ... 409 ResourceConflictException: Function already exist: lab-respond`` on a
deploy into a fresh account. AWS answers in milliseconds, and such a retry does not arise there.

So a later attempt of a call whose earlier attempt succeeded (2xx) gets that attempt's answer, and
is neither carried out again, recorded again nor captured again; one still being served is waited
for. A call that failed (4xx, 5xx: throttled, refused) is carried out again on its retry, as AWS
does. Requests without the header (the lab's own control calls) pass through.

Written here: moto has no notion of a call's attempts.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

INVOCATION_HEADER = "HTTP_AMZ_SDK_INVOCATION_ID"
KEPT_CALLS = 512  # calls remembered (a retry follows its first attempt within seconds)
KEPT_BYTES = 1 << 20  # a larger answer is not kept: its retry is served again


@dataclass
class _Call:
    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[str, list[tuple[str, str]], bytes] | None = None


class SdkRetries:
    """WSGI middleware: one answer per SDK call, however many attempts reach the emulator."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self._lock = threading.Lock()
        self._calls: OrderedDict[str, _Call] = OrderedDict()

    def forget(self) -> None:
        """A fresh account: no earlier call's answer stands for a later one."""
        with self._lock:
            self._calls.clear()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        invocation = environ.get(INVOCATION_HEADER)
        if not invocation:
            return self.app(environ, start_response)
        with self._lock:
            call = self._calls.get(invocation)
            first = call is None
            if call is None:
                call = self._calls[invocation] = _Call()
                while len(self._calls) > KEPT_CALLS:
                    self._calls.popitem(last=False)
        if not first:
            call.done.wait()
            if call.answer is not None:
                status, headers, body = call.answer
                start_response(status, headers)
                return [body]
            return self.app(environ, start_response)
        try:
            status_line: list[Any] = []

            def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status_line[:] = [status, list(headers)]
                return start_response(status, headers, exc_info)

            result = self.app(environ, keep)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            if status_line and status_line[0].startswith("2") and len(body) <= KEPT_BYTES:
                call.answer = (status_line[0], status_line[1], body)
            else:
                with self._lock:
                    self._calls.pop(invocation, None)
            return [body]
        finally:
            call.done.set()
