"""What a cron detector's answer can depend on, read from the deployed script's syntax tree.

The cron (``lab.sim.cron``) skips a run when nothing it depends on changed since its previous run.
That needs the ``aws`` commands the script runs, and only those: a command quoted in an alert's
text ("Check: aws cloudtrail lookup-events ...") is not a call. The script is parsed with shfmt
(mvdan/sh, the shell parser and formatter, its ``--to-json`` syntax tree; the ``shfmt-py`` wheel
ships the binary), since no Python library parses bash with ``[[ ]]`` and process substitution.

Whatever the parser cannot pin down makes the detector depend on everything (it then runs at every
tick): an ``aws`` command whose service or operation is not a literal word, a command whose name is
not a literal word, ``eval`` and the shells, a wrapper (``xargs``, ``timeout``, ...) that could run
``aws``, a ``source`` of a file the detector folder does not hold, a service the lab does not map
to its CloudTrail event source, and no shfmt at all.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

# The aws CLI's command names -> CloudTrail eventSource of the service they read.
CLI_SOURCES = {
    "ec2": "ec2.amazonaws.com",
    "s3api": "s3.amazonaws.com",
    "s3": "s3.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "cloudtrail": "cloudtrail.amazonaws.com",
    "guardduty": "guardduty.amazonaws.com",
    "configservice": "config.amazonaws.com",
    "kms": "kms.amazonaws.com",
    "logs": "logs.amazonaws.com",
    "cloudwatch": "monitoring.amazonaws.com",
    "rds": "rds.amazonaws.com",
    "lambda": "lambda.amazonaws.com",
}
# Commands that read what S3's data events change (objects); every other S3 command reads bucket
# configuration, which no data event (PutObject, DeleteObject, ...) changes. Other services' reads
# count both kinds of write.
S3_OBJECT_READS = {
    ("s3api", "get-object"),
    ("s3api", "head-object"),
    ("s3api", "list-objects"),
    ("s3api", "list-objects-v2"),
    ("s3api", "list-object-versions"),
    ("s3api", "get-object-acl"),
    ("s3api", "get-object-attributes"),
    ("s3api", "get-object-tagging"),
    ("s3api", "select-object-content"),
}
# Commands whose arguments may be a command of their own.
_RUNS_COMMANDS = {
    "eval",
    "exec",
    "bash",
    "sh",
    "source",
    ".",
    "xargs",
    "timeout",
    "nohup",
    "env",
    "command",
    "builtin",
    "sudo",
    "watch",
    "parallel",
    "time",
    "nice",
    "flock",
}


@dataclass(frozen=True)
class Reads:
    """A detector's inputs: management writes to ``sources`` can change its answer, and data-event
    writes (objects, log events, messages) to ``data_sources``; so can new CloudTrail event-history
    records of the users in ``history`` (None: of anyone). ``everything``: any call."""

    sources: frozenset[str] = frozenset()
    history: frozenset[str] | None = field(default_factory=frozenset)
    everything: bool = False
    data_sources: frozenset[str] = frozenset()


EVERYTHING = Reads(everything=True)


def shfmt() -> str | None:
    """The shfmt binary (installed beside this interpreter by the ``shfmt-py`` wheel), if any."""
    here = os.path.dirname(sys.executable)
    return shutil.which("shfmt", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")


def detector_reads(script: bytes, files: dict[str, bytes]) -> Reads:
    """The inputs of a detector ``script`` whose folder holds ``files`` (name -> bytes: the
    libraries it sources)."""
    return _reads(script, tuple(sorted(files.items())))


@functools.lru_cache(maxsize=256)
def _reads(script: bytes, files: tuple[tuple[str, bytes], ...]) -> Reads:
    binary = shfmt()
    if binary is None:
        return EVERYTHING
    found = _Found(binary, dict(files))
    try:
        found.script(script)
    except _Unknown:
        return EVERYTHING
    return Reads(
        frozenset(found.sources),
        None if found.history is None else frozenset(found.history),
        data_sources=frozenset(found.data_sources),
    )


class _Unknown(Exception):
    """The script does something whose inputs cannot be told from its text."""


class _Found:
    def __init__(self, binary: str, files: dict[str, bytes]):
        self.binary = binary
        self.files = files
        self.sources: set[str] = set()
        self.data_sources: set[str] = set()
        self.history: set[str] | None = set()
        self.parsed: set[str] = set()

    def script(self, text: bytes) -> None:
        result = subprocess.run(
            [self.binary, "--language-dialect", "bash", "--to-json"],
            input=text,
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise _Unknown(result.stderr.decode(errors="replace"))
        self._walk(json.loads(result.stdout))

    def _walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item)
        elif isinstance(node, dict):
            if node.get("Type") == "CallExpr" and node.get("Args"):
                self._call(node["Args"])
            for value in node.values():
                self._walk(value)

    def _call(self, words: list[dict[str, Any]]) -> None:
        args = [_literal(word) for word in words]
        name = args[0]
        if name is None:
            raise _Unknown("a command whose name is not a literal word")
        if name == "aws":
            self._aws(args[1:])
        elif name in ("source", ".") and len(words) > 1:
            self._source(_literal_tail(words[1]))
        elif name in _RUNS_COMMANDS:
            raise _Unknown(f"{name} can run any command")

    def _aws(self, args: list[str | None]) -> None:
        if len(args) < 2 or args[0] is None or args[1] is None or args[0].startswith("-"):
            raise _Unknown("an aws command whose service or operation is not literal")
        service, operation = args[0], args[1]
        if (service, operation) == ("sns", "publish"):
            return  # its output, not its input
        if (service, operation) == ("cloudtrail", "lookup-events"):
            self._lookup(args[2:])
            return
        if service not in CLI_SOURCES:
            raise _Unknown(f"aws {service}: no event source mapped")
        self.sources.add(CLI_SOURCES[service])
        if (
            service not in ("s3api", "s3")
            or (service, operation) in S3_OBJECT_READS
            or (
                service == "s3"  # the high-level s3 commands (ls, cp, sync, ...) read objects
            )
        ):
            self.data_sources.add(CLI_SOURCES[service])

    def _lookup(self, args: list[str | None]) -> None:
        """LookupEvents reads the event history: of one user with a Username attribute (the
        shorthand syntax), else of everyone."""
        value = None
        for i, arg in enumerate(args):
            if arg == "--lookup-attributes" and i + 1 < len(args):
                value = args[i + 1]
            elif arg is not None and arg.startswith("--lookup-attributes="):
                value = arg.split("=", 1)[1]
        prefix = "AttributeKey=Username,AttributeValue="
        if value is not None and value.startswith(prefix) and self.history is not None:
            self.history.add(value[len(prefix) :])
        else:
            self.history = None

    def _source(self, tail: str) -> None:
        """Follow ``source "$(dirname "$0")/lib/x.sh"``: the one file of the detector folder whose
        path ends with the word's literal end."""
        tail = tail.lstrip("/")
        matches = [name for name in self.files if tail and f"/{name}".endswith(f"/{tail}")]
        if len(matches) != 1:
            raise _Unknown(f"source of a file the detector folder does not hold: {tail!r}")
        if matches[0] not in self.parsed:
            self.parsed.add(matches[0])
            self.script(self.files[matches[0]])


def _pieces(word: dict[str, Any]) -> list[str | None]:
    """A word's parts in order, double quotes opened: each literal part's text, None for each
    expansion."""
    out: list[str | None] = []
    for part in word.get("Parts", []):
        kind = part.get("Type")
        if kind in ("Lit", "SglQuoted"):
            out.append(part.get("Value", ""))
        elif kind == "DblQuoted":
            out.extend(_pieces(part))
        else:
            out.append(None)
    return out


def _literal(word: dict[str, Any]) -> str | None:
    """A word's value if it is literal (plain, single- or double-quoted text without expansions)."""
    pieces = _pieces(word)
    return None if None in pieces else "".join(p for p in pieces if p is not None)


def _literal_tail(word: dict[str, Any]) -> str:
    """The literal text at the end of a word, after its last expansion ("$(dirname "$0")/lib/a.sh"
    -> "/lib/a.sh")."""
    pieces = _pieces(word)
    last = max((i for i, p in enumerate(pieces) if p is None), default=-1)
    return "".join(p for p in pieces[last + 1 :] if p is not None)
