"""Resource ids that do not depend on the order requests arrive in.

moto draws every id it makes (``sg-...``, ``fl-...``, UUIDs) from one seeded random stream, so an
id depends on how many draws came before it. Terraform applies a stack in parallel, in an order
that changes from apply to apply, so the same stack got different ids in two deploys, and every id
made after it (a technique's prerequisites) shifted too: two runs of one scenario differed in those
ids. This WSGI middleware, in front of moto, serves one request at a time and reseeds the stream
before each one from the account's seed, the request itself (``canonical``: method, path, query
and body without idempotency tokens, which SDKs fill with random or time-based values, with map
entries such as tags in a fixed order, and without the run id, which every lab tag carries) and
how many identical requests came before it since the seed. An id is then
a function of what was asked, not of when.

Serving one request at a time also keeps moto's backends from being read while another thread
changes them (moto is not thread-safe; "dictionary changed size during iteration" was seen under
Terraform's parallel apply). Long polls (SQS ``WaitTimeSeconds``) are let through unlocked, since
they wait for other requests.

Written here: moto offers one global seed, nothing per request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from moto.moto_api._internal import mock_random

from lab.emulator.wsgi import buffered_body

_INDEX = re.compile(r"\.\d+(?=\.|$)")
_LONG_POLL = re.compile(rb"WaitTimeSeconds[\"=:\s]+\"?[1-9]")
# Parameters that botocore's service models mark ``idempotencyToken`` (the SDK fills them with a
# random UUID when the caller does not) and whose names do not end in "token": listed from the
# models of the locked botocore (every structure member with the trait). A Route 53 Resolver query
# log config made by the CLI got another id in every run through its ``CreatorRequestId``.
_IDEMPOTENCY_NAMES = frozenset(
    name.lower()
    for name in (
        "CallbackId",
        "CallerReference",
        "ClientTokenId",
        "CreatorRequestId",
        "NamedQueryId",
        "OperationId",
        "QueryExecutionId",
        "RequestId",
        "UpdaterRequestId",
        "associatedResourceName",
        "runtimeSessionId",
    )
)


def _varies(name: str) -> bool:
    """Is ``name`` an idempotency token (random or time-based from call to call)?"""
    name = name.lower()
    return name.endswith("token") or name.rsplit(".", 1)[-1] in _IDEMPOTENCY_NAMES


def canonical(body: bytes) -> bytes:
    """What a request asks, without what an SDK varies from call to call: idempotency tokens
    (``ClientToken``, ``ClientRequestToken``... random or time-based) and the order of map entries
    such as tags (Terraform's provider writes Go maps, whose order is random). For seeding only:
    two requests that differ in nothing else are counted apart anyway."""
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            return json.dumps(_sorted(json.loads(stripped)), sort_keys=True).encode()
        except ValueError:
            return body
    if stripped[:1] == b"<" or b"=" not in stripped:
        return body
    pairs = []
    for name, value in urllib.parse.parse_qsl(stripped.decode("latin-1"), keep_blank_values=True):
        if not _varies(_INDEX.sub("", name)):
            pairs.append(f"{_INDEX.sub('.N', name)}={value}")
    return "&".join(sorted(pairs)).encode()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items() if not _varies(k)}
    if isinstance(value, list):
        return sorted((_sorted(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


class OrderFreeIds:
    """WSGI middleware: one request at a time, each with a stream seeded from its own content."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seed: int = 0):
        self.app = app
        self._lock = threading.Lock()
        self._seed = seed
        self._seen: dict[bytes, int] = {}
        self._masks: tuple[bytes, ...] = ()
        # The server's own address, in queue URLs a request may name: a free port differs from
        # process to process, the ids must not.
        self.address = b""

    def seed(self, seed: int) -> None:
        """A new account seed: ids repeat from here for the same requests in the same numbers."""
        with self._lock:
            self._seed = seed
            self._seen.clear()

    def mask(self, *texts: str) -> None:
        """Leave ``texts`` out of the requests' keys: values that differ from run to run by design
        (the run id in every ``lab:run-id`` tag and in paths under the run's folder)."""
        with self._lock:
            # Longest first: a text that holds another (a stand-in run id holding the letter a
            # run id is) goes whole.
            self._masks = tuple(sorted((t.encode() for t in texts if t), key=len, reverse=True))

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """No request is served inside the block (one waits for it to end): moto's state can be
        changed in place between two requests."""
        with self._lock:
            yield

    @property
    def masks(self) -> tuple[str, ...]:
        """The texts left out of the requests' keys now."""
        return tuple(mask.decode() for mask in self._masks)

    def _unmasked(self, text: bytes) -> bytes:
        """``text`` without the masked texts, before ``canonical`` sorts its entries: a run id left
        in a tag value until then would move the tag in the sorted order, and the key with it."""
        for mask in self._masks:
            text = text.replace(mask, b"")
        return text.replace(self.address, b"") if self.address else text

    def _key(self, *parts: bytes) -> bytes:
        return hashlib.sha256(b"\0".join(parts)).digest()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        body = buffered_body(environ)
        if _LONG_POLL.search(body) or _LONG_POLL.search(environ.get("QUERY_STRING", "").encode()):
            return self._serve(environ, start_response)
        with self._lock:
            key = self._key(
                environ.get("REQUEST_METHOD", "").encode(),
                self._unmasked(environ.get("PATH_INFO", "").encode()),
                canonical(self._unmasked(environ.get("QUERY_STRING", "").encode())),
                canonical(self._unmasked(body)),
            )
            count = self._seen.get(key, 0)
            self._seen[key] = count + 1
            stream = hashlib.sha256(f"{self._seed}:{count}:".encode() + key).digest()
            mock_random.seed(int.from_bytes(stream[:8], "big"))
            return self._serve(environ, start_response)

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        result = self.app(environ, start_response)
        try:
            return list(result)
        finally:
            if hasattr(result, "close"):
                result.close()
