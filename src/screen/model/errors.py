"""One error type, with a location, raised by every stage of the pipeline.

Users fix their YAML from the message alone, so every error that reaches the command line carries
the file, line and column of the offending text, what is wrong, and where we can guess it, a hint
(`did you mean 'weight'?`). The CLI prints `str(error)` and exits 2; it never shows a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file. `line` and `column` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


class ScreenError(Exception):
    """A user-facing error: bad input, a rule set that does not compile, a missing file."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ScreenErrors(ScreenError):
    """Several errors found in one pass, so an author can fix them all before re-running."""

    def __init__(self, errors: list[ScreenError]):
        super().__init__("\n".join(str(e) for e in errors), errors[0].location if errors else None)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean ...' hint for a misspelt name, or None when nothing is close."""
    matches = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
