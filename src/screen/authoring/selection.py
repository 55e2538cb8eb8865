"""`dealscreen test -k EXPR`: choose rule-set tests by name, as `pytest -k` does.

EXPR is words joined by `and`, `or`, `not` and parentheses; a word matches a test whose name
contains it, ignoring case (`-k 'T6 and not hematology'`). Kept apart from `ruletests` (which runs
tests) because it is a small language of its own with its own errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from screen.model.errors import ScreenError

Matcher = Callable[[str], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def keyword_matcher(expr: str) -> Matcher:
    """A predicate over test names for `-k EXPR`; a malformed EXPR is a ScreenError."""
    tokens = _TOKEN.findall(expr)
    if not tokens:
        raise ScreenError("-k: empty expression", hint="e.g. -k 'T6 and not hematology'")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def bad(what: str) -> ScreenError:
        return ScreenError(
            f"-k {expr!r}: {what}",
            hint="words joined by and / or / not, e.g. -k 'T6 and not hematology'",
        )

    def orexpr() -> Matcher:
        left = andexpr()
        while peek() == "or":
            take()
            right = andexpr()
            left = (lambda a, b: lambda n: a(n) or b(n))(left, right)
        return left

    def andexpr() -> Matcher:
        left = notexpr()
        while peek() == "and":
            take()
            right = notexpr()
            left = (lambda a, b: lambda n: a(n) and b(n))(left, right)
        return left

    def notexpr() -> Matcher:
        if peek() == "not":
            take()
            inner = notexpr()
            return lambda n: not inner(n)
        return atom()

    def atom() -> Matcher:
        tok = peek()
        if tok is None:
            raise bad("ends too early")
        if tok == "(":
            take()
            inner = orexpr()
            if peek() != ")":
                raise bad("missing ')'")
            take()
            return inner
        if tok in (")", "and", "or"):
            raise bad(f"unexpected '{tok}'")
        word = take().casefold()
        return lambda n: word in n.casefold()

    matcher = orexpr()
    if pos != len(tokens):
        raise bad(f"unexpected '{tokens[pos]}'")
    return matcher
