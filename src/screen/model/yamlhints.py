"""What a YAML parser's complaint usually means, said at the line it is on.

libyaml reports where it gave up (`did not find expected key`, `mapping values are not allowed
here`), which is often not where the author went wrong: a tab, a key indented one space off, a
value with an unquoted ': ', a quote left open lines before. Each hint names that cause.
"""

from __future__ import annotations

from typing import Any

MAX_REPARSES = 8  # quotes tried as the culprit of one error, each by a parse of the file
_MISPLACED = ("expected <block end>", "did not find expected key", "expected '-' indicator")


def yaml_hint(problem: str, lines: list[str], at: int, context: Any) -> str | None:
    """The usual cause of a YAML parser's complaint, said in terms of the line it is on:
    tabs, an unquoted ': ', a key indented more or less than the keys beside it."""
    line = lines[at] if at < len(lines) else ""
    indent = len(line) - len(line.lstrip(" \t"))
    if "\t" in line[:indent] or "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "end of stream" in problem and context is not None and _quote_at(lines, context):
        return (
            f"the quote opened at line {context.line + 1}, column {context.column + 1} is never "
            "closed, so the rest of the file was read as one value: close it there"
        )
    if any(p in problem for p in (*_MISPLACED, "could not find expected ':'")):
        opened = _open_quote_before(lines, context.line if context is not None else 0, at)
        if opened is not None:
            return (
                f"the quote opened at line {opened[0]}, column {opened[1]} is not closed on its "
                "line, so everything up to its next quote was read as one value: close it there"
            )
    if "mapping values are not allowed" in problem:
        above = next(
            (x for x in reversed(lines[:at]) if x.strip() and not x.lstrip().startswith("#")), ""
        )
        key, sep, value = above.strip().removeprefix("- ").partition(":")
        deeper = indent > len(above) - len(above.lstrip(" "))
        if deeper and sep and value.strip() and not line[indent:].startswith("- "):
            shown = f"{key}:{value}" if len(key) + len(value) < 40 else f"{key}: ..."
            return (
                f"this line is indented more than '{shown.strip()}' above it, and a key holds a "
                "value or the keys indented under it, not both: line up the keys of one "
                "mapping, or quote a value with ': '"
            )
        return "a value containing ': ' must be quoted"
    if any(p in problem for p in _MISPLACED):
        where = ""
        if context is not None and context.line != at:
            where = f"; the mapping or list it is in begins on line {context.line + 1}"
        return (
            f"check the indentation: this line starts in column {indent + 1}, and the keys of "
            f"one mapping, like the '- ' items of one list, start in one column{where}"
        )
    if "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        opened = _unclosed_quote(lines, context, at)
        if opened is not None:
            line, column = opened
            return (
                f"the quote opened at line {line}, column {column} is not closed on its line, "
                "so everything up to here was read as one value: close it there"
            )
        return "quote values that contain commas, colons or brackets"
    return None


def _quote_at(lines: list[str], mark: Any) -> bool:
    """Whether the parser's context mark points at a quote (it was scanning a quoted value)."""
    text = lines[mark.line] if mark.line < len(lines) else ""
    return mark.column < len(text) and text[mark.column] in "'\""


def _open_quote_before(lines: list[str], start: int, at: int) -> tuple[int, int] | None:
    """(line, column), 1-based, of the first block value from line `start` to the error's
    line `at` that opens a quote and does not close it on its line: a quoted value runs on to
    its next quote, so the parser's complaint comes lines later (a value quoted over several
    lines is legal YAML, but rare in these files, and the complaint says something is wrong)."""
    tries = MAX_REPARSES
    for n in range(max(start, 0), min(at + 1, len(lines))):
        text = lines[n]
        body = text.lstrip(" ")
        if body.startswith("- "):
            body = body[2:].lstrip(" ")
        key, sep, rest = body.partition(": ")
        value = rest.lstrip(" ") if sep and not key.startswith(("'", '"')) else body
        column = len(text) - len(value)
        if value[:1] in ("'", '"') and _open_quote(text, column) == column:
            # the culprit only if closing it there lets the parser get past the error (a
            # quote in a block scalar's prose, or a value legally quoted over two lines, is not)
            closed = [*lines[:n], text + value[0], *lines[n + 1 :]]
            if _parses_past(closed, at):
                return n + 1, column + 1
            tries -= 1
            if not tries:  # each try parses the file again: a file of such lines stays fast
                return None
    return None


def _parses_past(lines: list[str], at: int) -> bool:
    """Whether `lines` parse as YAML with no error on or before line `at` (0-based)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for _ in yaml.parse("\n".join(lines) + "\n", Loader=loader):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark is not None and mark.line > at
    except yaml.YAMLError:
        return False
    return True


def _unclosed_quote(lines: list[str], context: Any, at: int) -> tuple[int, int] | None:
    """(line, column), 1-based, of a quote left open on the line where the flow mapping or
    list the parser was reading began, when the error comes on a later line."""
    if context is None or context.line >= at or context.line >= len(lines):
        return None
    open_at = _open_quote(lines[context.line], context.column)
    return (context.line + 1, open_at + 1) if open_at is not None else None


def _open_quote(text: str, start: int) -> int | None:
    """The column (0-based) of a quote that opens on `text` from `start` on and is not
    closed on it (escapes, doubled single quotes and a trailing comment read as YAML does)."""
    open_at, quote, i = None, "", start
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if quote == "'" and text.startswith("''", i):
            i += 2
            continue
        if quote and ch == quote:
            quote, open_at = "", None
        elif not quote and ch in "\"'" and (i == 0 or text[i - 1] in " \t,[{:"):
            quote, open_at = ch, i
        elif not quote and ch == "#" and i > 0 and text[i - 1] in " \t":
            break  # a comment
        i += 1
    return open_at
