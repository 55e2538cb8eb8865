"""Where a character of a YAML scalar's value sits in the file.

An expression written over several lines (`expr: >-` folded, `|` literal, or a plain or quoted
scalar that wraps) reaches the compiler as one string: YAML has turned each line break into a
space (or kept it), dropped the indentation and resolved escapes. An error's column counted in
that string is not a column of the file: `unknown field` at 318:230 where the typo sits at
320:7. So the value is walked against the file's lines from where the scalar starts, each
character matched to the position it came from; folded breaks, dropped indentation and escape
characters are skipped. Where the two cannot be matched (an escape that changes the text, say),
the error keeps the scalar's own position rather than a wrong one.
"""

from __future__ import annotations

MAX_SKIPS = 8  # file characters skipped in a row before the walk gives up


def source_offset(source: str, lineno: int, col_offset: int) -> int:
    """The index in `source` of a parsed node's (line, UTF-8 byte column): the parser saw
    `source` without its leading and trailing whitespace."""
    stripped = source.lstrip()
    lines = stripped.split("\n")
    row = lines[min(max(lineno, 1), len(lines)) - 1]
    column = len(row.encode()[:col_offset].decode(errors="ignore"))
    before = sum(len(text) + 1 for text in lines[: max(lineno, 1) - 1])
    return len(source) - len(stripped) + before + column


def place_in_scalar(
    lines: list[str], line: int, column: int, value: str, offset: int
) -> tuple[int, int] | None:
    """The 1-based (line, column) in `lines` of `value[offset]`, for a scalar whose first
    content character is at (`line`, `column`); None when the walk cannot match them."""
    if not 0 <= offset < len(value):
        return None
    i, j = line - 1, column - 1
    for k, ch in enumerate(value):
        skips = 0
        while True:
            if i >= len(lines) or skips > MAX_SKIPS:
                return None
            text = lines[i]
            if j < len(text) and text[j] == ch:
                break
            if j >= len(text) or not text[j:].strip():  # the rest of the line is a break
                if ch in " \n":  # the break YAML turned into this space or newline
                    break
                i, j = i + 1, 0
                continue
            if text[j] not in " \t":  # an escape or a quote doubled: not in the value
                skips += 1
            j += 1  # (or indentation YAML dropped)
        if k == offset:
            return i + 1, j + 1
        if j < len(lines[i]) and lines[i][j] == ch:
            j += 1
        else:  # a line break stood for `ch`: carry on at the next line
            i, j = i + 1, 0
    return None
