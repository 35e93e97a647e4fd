"""The CloudWatch Logs filter-pattern language, as documented in "Filter pattern syntax for metric
filters, subscription filters, filter log events, and Live Tail"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).

Written here because nothing fits: moto matches a single term or a quoted phrase and lets every
other pattern through (``moto.logs.utils.EventMessageFilter``), and no library implements the
language. Four forms:

- terms: ``ERROR``, ``"Failed password"``, ``?ERROR ?WARN`` (any), ``ERROR -ARGUMENTS`` (exclude);
  case-sensitive, a term matches anywhere in the message;
- a regular expression between ``%``: ``%ERROR [0-9]{3}%``;
- space-delimited: ``[ip, user, ..., status = 4* || status = 5*, bytes > 1000]``: fields split on
  spaces, ``"..."`` and ``[...]`` each one field, ``...`` any number of fields;
- JSON: ``{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`` with
  ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IS NULL``, ``NOT EXISTS``, ``EXISTS``, ``IS TRUE``,
  ``IS FALSE``, ``&&``, ``||``, parentheses, ``*`` wildcards, regex values and array indexes.

Metric values: ``metric_value("$.bytes", message)`` or ``metric_value("$size", message)`` extract
the number a metric filter publishes; a literal ("1") is returned as it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lab.engines.log_pattern_conditions import (
    _MISSING,
    PatternError,
    _Conditions,
    _Literal,
    _number,
)


# -- public API -----------------------------------------------------------------------------------
def log_pattern_matches(pattern: str, message: str) -> bool:
    """Does ``message`` match the CloudWatch Logs filter ``pattern``? (empty matches everything)"""
    matches = _MATCHERS.get(pattern)
    if matches is None:
        if len(_MATCHERS) >= 4096:
            _MATCHERS.clear()
        matches = _MATCHERS[pattern] = _compiled(pattern).matches
    return matches(message)


# pattern text -> its compiled ``matches``: one dict lookup per event and filter (this runs for
# every log event under every metric filter)
_MATCHERS: dict[str, Any] = {}


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    """The compiled pattern, keyed by its text as written (one lookup per event and filter)."""
    return _compile(pattern.strip())


def extract_fields(pattern: str, message: str) -> dict[str, Any] | None:
    """The values a pattern binds in ``message`` (named fields of a space-delimited pattern, the
    parsed event of a JSON pattern), or None when it does not match."""
    compiled = _compile(pattern.strip())
    return compiled.bind(message) if compiled.matches(message) else None


def metric_value(pattern: str, value: str, message: str) -> float | None:
    """The number a metric filter with ``metricValue=value`` publishes for a matching ``message``:
    a literal, ``$.json.path`` or ``$field`` of a space-delimited pattern; None if not numeric."""
    value = value.strip()
    if not value.startswith("$"):
        return _number(value)
    bound = extract_fields(pattern, message)
    if bound is None:
        return None
    if value.startswith("$."):
        found = _select(bound.get("$event", _MISSING), _parse_path(value))
        return _number(found) if found is not _MISSING else None
    return _number(bound.get(value[1:]))


def validate(pattern: str) -> None:
    """Raise PatternError when ``pattern`` is not a valid filter pattern."""
    _compile(pattern.strip())


# -- shared value semantics ---------------------------------------------------------------------
_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]|\.\['([^']+)'\]|\[\"([^\"]+)\"\]")


@lru_cache(maxsize=1024)
def _parse_path(selector: str) -> tuple[str | int, ...]:
    if not selector.startswith("$"):
        raise PatternError(f"a JSON selector starts with $: {selector!r}")
    parts: list[str | int] = []
    position = 1
    while position < len(selector):
        match = _PATH_PART.match(selector, position)
        if not match:
            raise PatternError(f"bad JSON selector {selector!r}")
        key, index, quoted, dquoted = match.groups()
        if index is not None:
            parts.append(int(index) if index != "*" else "*")
        else:
            parts.append(key if key is not None else quoted if quoted is not None else dquoted)
        position = match.end()
    return tuple(parts)


def _select(document: Any, path: tuple[str | int, ...]) -> Any:
    current = document
    for part in path:
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
            current = current[part]
        elif part == "*" and isinstance(current, list):
            return current  # compared element by element by the caller
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _verbatim(text: str) -> bool:
    """Does ``text`` appear as itself in JSON (no character JSON would escape)?"""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _needles(node: tuple) -> list[frozenset[str]] | None:
    """Clauses of substrings that any JSON event matching ``node`` contains: it holds at least one
    substring of every clause (None: no such clauses).

    ``$.x = "value"`` needs ``value`` in the event's text, a wildcard value its longest fixed part;
    ``&&`` needs the clauses of both sides, ``||`` for each pair of clauses one of either. Only
    equalities give needles, and only for text that JSON writes as is."""
    kind = node[0]
    if kind in ("and", "or"):
        left, right = _needles(node[1]), _needles(node[2])
        if kind == "and":
            kept = [*(left or []), *(right or [])]
            return kept or None
        if left is None or right is None:
            return None
        return [a | b for a in left for b in right][:8]
    if kind != "cmp" or node[2] != "=":
        return None
    literal: _Literal = node[3]
    if literal.regex or (not literal.quoted and literal.number() is not None):
        return None
    fixed = max(literal.text.split("*"), key=len)
    return [frozenset({fixed})] if fixed and _verbatim(fixed) else None


def _grouped(needles: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``needles`` in groups that share a substring: (shared, members). An event without a group's
    shared text holds none of its members, so one scan rules out the whole group (e.g. the 16 IAM
    policy event names all contain "Polic")."""
    left, groups = list(needles), []
    while left:
        counts: dict[str, int] = {}
        for needle in left:
            seen = {needle[i : i + n] for n in range(4, 9) for i in range(len(needle) - n + 1)}
            for text in seen:
                counts[text] = counts.get(text, 0) + 1
        best = max(counts, key=lambda t: (counts[t], len(t), t), default=None)
        if best is None or counts[best] < 2:
            groups += [(needle, (needle,)) for needle in left]
            break
        members = tuple(n for n in left if best in n)
        groups.append((best, members))
        left = [n for n in left if best not in n]
    return tuple(groups)


class _JsonPattern:
    def __init__(self, body: str):
        self.conditions = _Conditions(body)
        for node in _leaves(self.conditions.tree):
            _parse_path(node[1])
        # The smallest clauses first: the cheapest to check, usually the most selective.
        clauses = sorted(
            (tuple(sorted(clause)) for clause in _needles(self.conditions.tree) or []), key=len
        )
        self.single = tuple(clause[0] for clause in clauses if len(clause) == 1)
        self.multiple = tuple(_grouped(clause) for clause in clauses if len(clause) > 1)

    def matches(self, message: str) -> bool:
        # Exact shortcut: an event missing every needle of a clause cannot match (text with
        # escapes is always parsed).
        for needle in self.single:
            if needle not in message:
                if "\\" not in message:
                    return False
                break
        for groups in self.multiple:
            for shared, members in groups:
                if shared in message and any(m in message for m in members):
                    break
            else:
                if "\\" not in message:
                    return False
                break
        document = self._document(message)
        if document is _MISSING:
            return False
        return _any_element(self.conditions, document)

    def bind(self, message: str) -> dict[str, Any]:
        return {"$event": self._document(message)}

    @staticmethod
    def _document(message: str) -> Any:
        return _parsed(message)


@lru_cache(maxsize=64)
def _parsed(message: str) -> Any:
    """A log event parsed once for every JSON filter that reads it (read-only afterwards)."""
    try:
        return json.loads(message)
    except ValueError:
        return _MISSING


def _any_element(conditions: _Conditions, document: Any) -> bool:
    """Evaluate; a selector that ends on ``[*]`` matches when any element does."""

    def resolve(selector: str) -> Any:
        return _select(document, _parse_path(selector))

    def evaluate(node: tuple) -> bool:
        if node[0] == "or":
            return evaluate(node[1]) or evaluate(node[2])
        if node[0] == "and":
            return evaluate(node[1]) and evaluate(node[2])
        value = resolve(node[1])
        if isinstance(value, list) and node[1].endswith("[*]"):
            return any(conditions._eval(node, lambda _s, v=v: v) for v in value)
        return conditions._eval(node, lambda _s: value)

    return evaluate(conditions.tree)


def _leaves(node: tuple) -> list[tuple]:
    if node[0] in ("or", "and"):
        return _leaves(node[1]) + _leaves(node[2])
    return [node]


# -- space-delimited --------------------------------------------------------------------------------
_MESSAGE_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')


def _split_message(message: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _MESSAGE_FIELD.finditer(message)]


def _split_top_level(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, []
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


@dataclass(frozen=True)
class _Field:
    name: str | None  # None: an anonymous literal field
    conditions: _Conditions | None
    ellipsis: bool = False


class _DelimitedPattern:
    def __init__(self, body: str):
        self.fields: list[_Field] = []
        for part in _split_top_level(body):
            if not part:
                raise PatternError("empty field in a space-delimited pattern")
            if part == "...":
                self.fields.append(_Field(None, None, ellipsis=True))
            elif re.fullmatch(r"[A-Za-z_][\w.-]*", part):
                self.fields.append(_Field(part, None))
            elif part.startswith('"') and part.endswith('"'):
                literal = json.loads(part)
                self.fields.append(_Field(None, _Conditions(f'_ = "{_escape(literal)}"')))
            else:
                conditions = _Conditions(part)
                names = {leaf[1] for leaf in _leaves(conditions.tree)}
                if len(names) != 1:
                    raise PatternError(f"one field per position: {part!r}")
                self.fields.append(_Field(names.pop(), conditions))

    def _align(self, values: list[str]) -> list[tuple[_Field, str | None]] | None:
        def walk(fi: int, vi: int) -> list[tuple[_Field, str | None]] | None:
            if fi == len(self.fields):
                return [] if vi == len(values) else None
            field = self.fields[fi]
            if field.ellipsis:
                for skip in range(len(values) - vi + 1):
                    rest = walk(fi + 1, vi + skip)
                    if rest is not None:
                        return rest
                return None
            if vi == len(values):
                return None
            value = values[vi]
            if field.conditions is not None and not field.conditions.evaluate(lambda _s: value):
                return None
            rest = walk(fi + 1, vi + 1)
            return None if rest is None else [(field, value), *rest]

        return walk(0, 0)

    def matches(self, message: str) -> bool:
        return self._align(_split_message(message)) is not None

    def bind(self, message: str) -> dict[str, Any]:
        aligned = self._align(_split_message(message)) or []
        return {f.name: v for f, v in aligned if f.name and f.name != "_"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# -- terms and regex --------------------------------------------------------------------------------
_TERM = re.compile(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|(%(?:[^%\\]|\\.)*%)|(\S+))')


class _TermsPattern:
    def __init__(self, text: str):
        self.required: list[_Literal] = []
        self.optional: list[_Literal] = []
        self.excluded: list[_Literal] = []
        for match in _TERM.finditer(text):
            prefix, quoted, regex, bare = match.groups()
            if quoted is not None:
                term = _Literal(json.loads(f'"{quoted}"'), quoted=True)
            elif regex is not None:
                term = _Literal(regex[1:-1], quoted=False, regex=True)
            else:
                term = _Literal(bare, quoted=True)
            {"?": self.optional, "-": self.excluded}.get(prefix, self.required).append(term)

    @staticmethod
    def _found(term: _Literal, message: str) -> bool:
        if term.regex:
            return re.search(term.text, message) is not None
        return term.text in message

    def matches(self, message: str) -> bool:
        if any(self._found(t, message) for t in self.excluded):
            return False
        if not all(self._found(t, message) for t in self.required):
            return False
        return not self.optional or any(self._found(t, message) for t in self.optional)

    def bind(self, message: str) -> dict[str, Any]:
        return {}


class _MatchAll:
    def matches(self, message: str) -> bool:
        return True

    def bind(self, message: str) -> dict[str, Any]:
        return {}


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> Any:
    if not pattern:
        return _MatchAll()
    if pattern.startswith("{"):
        if not pattern.endswith("}"):
            raise PatternError("a JSON pattern ends with }")
        return _JsonPattern(pattern[1:-1])
    if pattern.startswith("["):
        if not pattern.endswith("]"):
            raise PatternError("a space-delimited pattern ends with ]")
        return _DelimitedPattern(pattern[1:-1])
    return _TermsPattern(pattern)
