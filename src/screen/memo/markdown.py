"""Markdown escaping and safe links: case text is data, never markup, and it pastes cleanly.

`md_escape` puts a backslash only where a Markdown reader would misread the text, because a
memo pasted into a word processor as plain text shows every backslash: `~28%`, `>= 75%`,
`(n=62)` and `v1.0` must stay as written. What it escapes, and why (CommonMark 0.31 + GFM):

- backticks (code spans) and `\\` before punctuation (it would escape the next character);
- `*` and `_` runs that could open or close emphasis (a `*` with spaces on both sides, and a
  `_` inside a word, cannot);
- `~`: GFM strikes text between a pair of tildes. A tilde that cannot close a strikethrough
  (a space before it, or `(` before and a digit after) stays, so `~28%` and `(~9.6 months)`
  read as written; a possible closer (`a~b`, `5~`) or a run (`~~`) is escaped. (Templates put
  values after a space or punctuation, and use no tildes of their own.)
- `<` that starts a tag, autolink, comment or declaration (`<img`, `</`, `<!`, `<?`); `<10%`
  and `>=` stay;
- `]` before `(`, `[` or `:` (a link, a reference link or a link definition), and `[^`
  (a footnote reference: memos define footnotes);
- `|` (a table cell boundary: values may land in table cells, in firm templates too);
- `&` that starts an entity (`&amp;` would print as `&`);
- at the start of the value, a block marker: `>`, and `#`, `-`, `+`, `*`, `=`, `1.`, `1)` before
  a space.

Whitespace runs (newlines included) collapse to one space, so a value never starts a line of
its own unless the template puts it there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_ASCII_PUNCT = re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_BACKSLASH = re.compile(rf"\\(?=[{_ASCII_PUNCT}]|$)")
_STARS = re.compile(r"\*+")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not between two letters/digits
_TILDES = re.compile(r"~+")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_CLOSE = re.compile(r"\](?=[(\[:])")
_FOOTNOTE = re.compile(r"\[(?=\^)")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(>|[#+=*-]+(?=\s|$)|\d+[.)](?=\s|$))")


def md_escape(value: Any) -> str:
    """Case text as literal Markdown: one line, no emphasis, links, HTML, tables or headings,
    and no backslash a reader would not need (see the module docstring)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _BACKSLASH.sub(r"\\\\", text)
    text = text.replace("`", "\\`")
    text = _STARS.sub(_escape_stars, text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _TILDES.sub(_escape_tildes, text)
    text = _TAG_START.sub(r"\\<", text)
    text = _LINK_CLOSE.sub(r"\\]", text)
    text = _FOOTNOTE.sub(r"\\[", text)
    text = text.replace("|", "\\|")
    text = _ENTITY.sub(r"\\&", text)
    return _LINE_START.sub(_escape_block_start, text)


def _escape_stars(m: re.Match[str]) -> str:
    """A `*` run with a space (not the value's edge) on both sides cannot emphasise."""
    s, start, end = m.string, m.start(), m.end()
    spaced = start > 0 and s[start - 1] == " " and end < len(s) and s[end] == " "
    return m.group() if spaced else "\\*" * len(m.group())


def _escape_tildes(m: re.Match[str]) -> str:
    """A single `~` that cannot close a strikethrough (it is not right-flanking: a space or
    the value's start before it, or punctuation before it and a letter after) stays; it could
    only open one, and nothing can close it. Runs (`~~`) and possible closers are escaped."""
    s, start, end = m.string, m.start(), m.end()
    before = s[start - 1] if start > 0 else " "
    after = s[end] if end < len(s) else " "
    closes = not before.isspace() and (
        not _punctuation(before) or after.isspace() or _punctuation(after)
    )
    return "\\~" * len(m.group()) if len(m.group()) > 1 or closes else m.group()


def _punctuation(ch: str) -> bool:
    """Unicode punctuation as CommonMark counts it (general categories P and S)."""
    return unicodedata.category(ch)[0] in "PS"


def _escape_block_start(m: re.Match[str]) -> str:
    """`# x` -> `\\# x`; `1. x` -> `1\\. x` (a backslash before a digit is not an escape)."""
    mark = m.group(1)
    if mark[0].isdigit():
        return mark[:-1] + "\\" + mark[-1]
    return "\\" + mark if not mark.startswith("\\") else mark


def md_code(value: Any) -> str:
    """A code span that survives backticks in its content."""
    text = " ".join(str(value).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_WEB_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$")


def web_url(value: Any) -> str | None:
    """The URL if it is a plain http(s) address, else None (no javascript:, no file:)."""
    return value if isinstance(value, str) and _WEB_URL.match(value) else None
