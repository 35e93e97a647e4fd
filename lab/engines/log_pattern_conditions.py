"""The conditions of the CloudWatch Logs filter-pattern language (``lab.engines.log_patterns``):
literals (strings with ``*`` wildcards, numbers, regular expressions), comparisons, and the
``&&`` / ``||`` / parentheses grammar the JSON and space-delimited forms share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

_MISSING = object()


class PatternError(ValueError):
    """The filter pattern is not valid (AWS answers InvalidParameterException)."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class _Literal:
    """A value on the right of a comparison: a string (``*`` wildcards), a number or a regex."""

    text: str
    quoted: bool
    regex: bool = False

    def number(self) -> float | None:
        return None if self.quoted or self.regex else _number(self.text)

    @cached_property
    def exact_text(self) -> bool:
        """A quoted string without wildcards: equality is plain string equality."""
        return self.quoted and not self.regex and "*" not in self.text

    def equals(self, actual: Any) -> bool:
        if self.exact_text and type(actual) is str:  # the common case, without regexes
            return actual == self.text
        if actual is _MISSING or actual is None or isinstance(actual, dict | list):
            return False
        if self.regex:
            return re.search(self.text, _as_text(actual)) is not None
        expected = self.number()
        if expected is not None and (found := _number(actual)) is not None:
            return found == expected
        return _wildcard(self.text).fullmatch(_as_text(actual)) is not None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=1024)
def _wildcard(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


def _compare(actual: Any, op: str, literal: _Literal) -> bool:
    if op == "=":
        return literal.equals(actual)
    if op == "!=":
        return actual is not _MISSING and not literal.equals(actual)
    expected, found = literal.number(), _number(actual) if actual is not _MISSING else None
    if expected is None or found is None:
        return False
    return {"<": found < expected, "<=": found <= expected, ">": found > expected}.get(
        op, found >= expected
    )


# -- tokenizer for conditions (JSON and space-delimited fields) ----------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<and>&&) | (?P<or>\|\|) | (?P<lp>\() | (?P<rp>\)) |
      (?P<op>!=|<=|>=|=|<|>) |
      (?P<regex>%(?:[^%\\]|\\.)*%) |
      (?P<quoted>"(?:[^"\\]|\\.)*") |
      (?P<word>IS\s+NULL|NOT\s+EXISTS|EXISTS|IS\s+TRUE|IS\s+FALSE) (?![\w.]) |
      (?P<atom>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise PatternError(f"unexpected text at {position}: {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


class _Conditions:
    """Recursive descent over ``selector op value`` terms joined by ``&&`` / ``||`` (``&&`` binds
    tighter) with parentheses; ``resolve(selector)`` gives a selector's value in the event."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0
        self.tree = self._or()
        if self.i != len(self.tokens):
            raise PatternError(f"unexpected {self.tokens[self.i][1]!r}")

    def _peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def _take(self, kind: str) -> str:
        if self._peek() != kind:
            found = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of pattern"
            raise PatternError(f"expected {kind}, found {found!r}")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def _or(self) -> tuple:
        node = self._and()
        while self._peek() == "or":
            self.i += 1
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple:
        node = self._unit()
        while self._peek() == "and":
            self.i += 1
            node = ("and", node, self._unit())
        return node

    def _unit(self) -> tuple:
        if self._peek() == "lp":
            self.i += 1
            node = self._or()
            self._take("rp")
            return node
        selector = self._take("atom")
        if self._peek() == "word":
            return ("test", selector, " ".join(self._take("word").split()))
        op = self._take("op")
        kind = self._peek()
        if kind == "quoted":
            raw = self._take("quoted")
            return ("cmp", selector, op, _Literal(json.loads(raw), quoted=True))
        if kind == "regex":
            return ("cmp", selector, op, _Literal(self._take("regex")[1:-1], False, regex=True))
        return ("cmp", selector, op, _Literal(self._take("atom"), quoted=False))

    def evaluate(self, resolve) -> bool:
        return self._eval(self.tree, resolve)

    def _eval(self, node: tuple, resolve) -> bool:
        kind = node[0]
        if kind == "or":
            return self._eval(node[1], resolve) or self._eval(node[2], resolve)
        if kind == "and":
            return self._eval(node[1], resolve) and self._eval(node[2], resolve)
        actual = resolve(node[1])
        if kind == "test":
            return {
                "IS NULL": actual is None,
                "NOT EXISTS": actual is _MISSING,
                "EXISTS": actual is not _MISSING,
                "IS TRUE": actual is True,
                "IS FALSE": actual is False,
            }[node[2]]
        return _compare(actual, node[2], node[3])


# -- JSON selectors -------------------------------------------------------------------------------
