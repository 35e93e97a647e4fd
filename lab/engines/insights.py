"""A subset of the CloudWatch Logs Insights query language, run over the events of the emulated log
groups (installed into the emulator's StartQuery by ``lab.emulator.compat``).

Written here because moto's query support stops at ``fields``, ``sort`` and ``limit`` and nothing
else implements the language. Supported, per "CloudWatch Logs Insights language query syntax"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html):

- ``fields f1, f2``, ``display f1, f2``;
- ``filter`` with ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``like /regex/`` or ``like "text"``,
  ``not like``, ``in [..]``, ``ispresent(f)``, ``and``, ``or``, ``not``, parentheses;
- ``parse @message "glob * with * stars" as a, b`` and ``parse @message /(?<name>regex)/``;
- ``stats count(*)|count(f)|count_distinct(f)|sum(f)|avg(f)|min(f)|max(f) [as name], ... [by f, ...]``;
- ``sort f [asc|desc]``, ``limit n``.
Fields: ``@timestamp``, ``@message``, ``@logStream``, ``@log``, ``@ingestionTime`` and, for JSON
events (CloudTrail records), every field discovered with dotted names (``userIdentity.type``).
Left out (a query using them is refused with a clear error): ``bin()``, ``dedup``, ``pattern``,
``unmask``, arithmetic and string functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]


class QueryError(ValueError):
    """The query uses syntax outside the supported subset (or is malformed)."""


@dataclass(frozen=True)
class Event:
    timestamp_ms: int
    message: str
    log_stream: str
    log_group: str
    ingestion_ms: int = 0


def discover_fields(event: Event) -> Row:
    """The fields Logs Insights discovers in an event."""
    row: Row = {
        "@timestamp": event.timestamp_ms,
        "@message": event.message,
        "@logStream": event.log_stream,
        "@log": event.log_group,
        "@ingestionTime": event.ingestion_ms,
    }
    try:
        document = json.loads(event.message)
    except ValueError:
        return row
    if isinstance(document, dict):
        _flatten(document, "", row)
    return row


def _flatten(value: Any, prefix: str, out: Row) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(inner, f"{prefix}.{index}", out)
    else:
        out[prefix] = value


# -- splitting --------------------------------------------------------------------------------------
def _split_commands(query: str) -> list[str]:
    """Split on ``|`` outside quotes and /regex/."""
    parts, current, quote = [], [], ""
    for i, char in enumerate(query):
        if quote:
            current.append(char)
            if char == quote and query[i - 1] != "\\":
                quote = ""
            continue
        if char in "\"'`" or (char == "/" and _regex_can_start(current)):
            quote = char
        if char == "|":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _regex_can_start(current: list[str]) -> bool:
    text = "".join(current).rstrip()
    return text.endswith(("like", "=~", ",")) or text.endswith("@message") or text == "parse"


# -- filter expressions -----------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<regex>/(?:[^/\\]|\\.)*/) |
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
      (?P<number>-?\d+(?:\.\d+)?)(?![\w.]) |
      (?P<op>!=|<=|>=|=~|=|<|>|\(|\)|\[|\]|,) |
      (?P<word>[@\w.]+|`[^`]+`)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position, text = [], 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryError(f"cannot read {text[position : position + 25]!r}")
        out.append((match.lastgroup or "", match.group(match.lastgroup or "")))
        position = match.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "string":
        return raw[1:-1].replace(f"\\{raw[0]}", raw[0])
    if kind == "number":
        return float(raw)
    raise QueryError(f"expected a value, found {raw!r}")


def _field_name(raw: str) -> str:
    return raw[1:-1] if raw.startswith("`") else raw


class _Filter:
    """``filter`` expression: recursive descent (``or`` < ``and`` < ``not`` < comparison)."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0
        self.tree = self._or()
        if self.i != len(self.tokens):
            raise QueryError(f"unexpected {self.tokens[self.i][1]!r} in filter")

    def _peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        self.i += 1
        return token

    def _word(self, word: str) -> bool:
        kind, raw = self._peek()
        if kind == "word" and raw.lower() == word:
            self.i += 1
            return True
        return False

    def _or(self) -> tuple:
        node = self._and()
        while self._word("or"):
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple:
        node = self._not()
        while self._word("and"):
            node = ("and", node, self._not())
        return node

    def _not(self) -> tuple:
        if self._word("not"):
            return ("not", self._not())
        return self._comparison()

    def _comparison(self) -> tuple:
        kind, raw = self._next()
        if raw == "(":
            node = self._or()
            if self._next()[1] != ")":
                raise QueryError("missing ) in filter")
            return node
        if kind != "word":
            raise QueryError(f"expected a field, found {raw!r}")
        if raw.lower() == "ispresent":
            self._expect("(")
            field = _field_name(self._next()[1])
            self._expect(")")
            return ("present", field)
        field = _field_name(raw)
        negate = self._word("not")
        if self._word("like") or self._peek()[1] == "=~":
            if self._peek()[1] == "=~":
                self.i += 1
            vkind, value = self._next()
            pattern = value[1:-1] if vkind == "regex" else re.escape(_literal(vkind, value))
            node: tuple = ("like", field, re.compile(pattern))
            return ("not", node) if negate else node
        if self._word("in"):
            self._expect("[")
            values = []
            while self._peek()[1] != "]":
                vkind, value = self._next()
                if value != ",":
                    values.append(_literal(vkind, value))
            self._expect("]")
            node = ("in", field, tuple(values))
            return ("not", node) if negate else node
        okind, op = self._next()
        if okind != "op" or op not in ("=", "!=", "<", "<=", ">", ">="):
            raise QueryError(f"expected a comparison after {field}, found {op!r}")
        vkind, value = self._next()
        return ("cmp", field, op, _literal(vkind, value))

    def _expect(self, symbol: str) -> None:
        if self._next()[1] != symbol:
            raise QueryError(f"expected {symbol!r} in filter")

    def __call__(self, row: Row) -> bool:
        return _evaluate(self.tree, row)


def _evaluate(node: tuple, row: Row) -> bool:
    kind = node[0]
    if kind == "or":
        return _evaluate(node[1], row) or _evaluate(node[2], row)
    if kind == "and":
        return _evaluate(node[1], row) and _evaluate(node[2], row)
    if kind == "not":
        return not _evaluate(node[1], row)
    if kind == "present":
        return row.get(node[1]) is not None
    value = row.get(node[1])
    if kind == "like":
        return value is not None and node[2].search(str(value)) is not None
    if kind == "in":
        return any(_equal(value, v) for v in node[2])
    op, expected = node[2], node[3]
    if op == "=":
        return _equal(value, expected)
    if op == "!=":
        return not _equal(value, expected)
    try:
        left, right = float(value), float(expected)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right}.get(op, left >= right)


def _equal(value: Any, expected: Any) -> bool:
    if value is None:
        return False
    if isinstance(expected, float):
        try:
            return float(value) == expected
        except (TypeError, ValueError):
            return False
    return str(value) == expected


# -- parse ------------------------------------------------------------------------------------------
_PARSE = re.compile(
    r"^parse\s+(?P<field>[@\w.]+)\s+(?:(?P<glob>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s+as\s+"
    r"(?P<names>[\w@.,\s]+)|(?P<regex>/.*/))$",
    re.DOTALL,
)


def _parser(command: str):
    match = _PARSE.match(command)
    if not match:
        raise QueryError(f"cannot read parse command {command!r}")
    field = match["field"]
    if match["regex"]:
        pattern = re.compile(re.sub(r"\(\?<(\w+)>", r"(?P<\1>", match["regex"][1:-1]))
        names = list(pattern.groupindex)
    else:
        glob = match["glob"][1:-1]
        pattern = re.compile("(.*?)".join(re.escape(part) for part in glob.split("*")) + "$")
        names = [n.strip() for n in match["names"].split(",")]
        if len(names) != pattern.groups:
            raise QueryError(f"parse: {pattern.groups} stars but {len(names)} names")

    def apply(row: Row) -> Row:
        found = pattern.search(str(row.get(field, "")))
        if found:
            values = (
                found.groupdict()
                if match["regex"]
                else dict(zip(names, found.groups(), strict=True))
            )
            row.update(values)
        return row

    return apply


# -- stats ------------------------------------------------------------------------------------------
_AGGREGATE = re.compile(
    r"^(?P<fn>count_distinct|count|sum|avg|min|max)\((?P<arg>[^)]*)\)(?:\s+as\s+(?P<alias>[\w@]+))?$",
    re.IGNORECASE,
)


def _stats(command: str):
    body = command[len("stats") :].strip()
    by: list[str] = []
    split = re.split(r"\s+by\s+", body, maxsplit=1, flags=re.IGNORECASE)
    if len(split) == 2:
        body = split[0]
        by = [_field_name(f.strip()) for f in split[1].split(",")]
        if any(f.lower().startswith("bin(") for f in by):
            raise QueryError("stats ... by bin() is not supported by the lab's Logs Insights")
    aggregates = []
    for part in (p.strip() for p in body.split(",")):
        match = _AGGREGATE.match(part)
        if not match:
            raise QueryError(f"unsupported stats expression {part!r}")
        fn, arg = match["fn"].lower(), match["arg"].strip()
        aggregates.append((fn, arg, match["alias"] or f"{fn}({arg})"))

    def apply(rows: Iterable[Row]) -> list[Row]:
        groups: dict[tuple, list[Row]] = {}
        for row in rows:
            groups.setdefault(tuple(row.get(f) for f in by), []).append(row)
        out = []
        for key, members in groups.items():
            result: Row = dict(zip(by, key, strict=True))
            for fn, arg, alias in aggregates:
                result[alias] = _aggregate(fn, arg, members)
            out.append(result)
        return out

    return apply


def _aggregate(fn: str, arg: str, rows: list[Row]) -> Any:
    if fn == "count":
        return len(rows) if arg in ("*", "") else sum(r.get(arg) is not None for r in rows)
    values = [r.get(arg) for r in rows if r.get(arg) is not None]
    if fn == "count_distinct":
        return len({str(v) for v in values})
    numbers = []
    for value in values:
        try:
            numbers.append(float(value))
        except (TypeError, ValueError):
            continue
    if not numbers:
        return None
    return {"sum": sum(numbers), "avg": sum(numbers) / len(numbers), "min": min(numbers)}.get(
        fn, max(numbers)
    )


# -- the query --------------------------------------------------------------------------------------
def run_query(query: str, events: Iterable[Event]) -> list[Row]:
    """Run ``query`` over ``events``; rows in the order Logs Insights returns them."""
    rows = [discover_fields(e) for e in events]
    rows.sort(key=lambda r: r["@timestamp"], reverse=True)  # newest first, as Logs Insights
    shown: list[str] | None = None
    aggregated = False
    for command in _split_commands(query):
        verb = command.split(None, 1)[0].lower()
        rest = command[len(verb) :].strip()
        if verb in ("fields", "display"):
            shown = [_field_name(f.strip()) for f in rest.split(",")]
        elif verb == "filter":
            keep = _Filter(rest)
            rows = [r for r in rows if keep(r)]
        elif verb == "parse":
            apply = _parser(command)
            rows = [apply(r) for r in rows]
        elif verb == "stats":
            rows = _stats(command)(rows)
            aggregated, shown = True, None
        elif verb == "sort":
            for key in reversed([k.strip() for k in rest.split(",")]):
                name, _, order = key.partition(" ")
                name = _field_name(name)
                rows.sort(
                    key=lambda r, n=name: (r.get(n) is None, _sort_key(r.get(n))),
                    reverse=order.strip().lower() != "asc",
                )
        elif verb == "limit":
            rows = rows[: int(rest)]
        else:
            raise QueryError(f"the lab's Logs Insights does not support {verb!r}")
    if shown is not None:
        rows = [{name: r.get(name) for name in shown} for r in rows]
    if not aggregated and shown is None:
        rows = [{k: r[k] for k in ("@timestamp", "@message") if k in r} for r in rows]
    return rows


def _sort_key(value: Any) -> tuple:
    if isinstance(value, int | float):
        return (0, float(value), "")
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def format_value(field: str, value: Any) -> str:
    """A value as GetQueryResults returns it (a string; @timestamp as 'YYYY-MM-DD HH:MM:SS.mmm')."""
    if value is None:
        return ""
    if field in ("@timestamp", "@ingestionTime") and isinstance(value, int | float):
        moment = datetime.fromtimestamp(value / 1000, UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
