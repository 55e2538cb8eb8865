"""Markdown escaping and safe links: case text is data, never markup."""

from __future__ import annotations

import re
from typing import Any

_MD_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<!\w)_|_(?!\w))")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]+|\d+[.)])(?=\s|$)")


def md_escape(value: Any) -> str:
    """Case text as literal Markdown: one line, no emphasis, links, HTML, tables or headings."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    return _MD_LINE_START.sub(_escape_block_start, text)


def _escape_block_start(m: re.Match[str]) -> str:
    """`# x` -> `\\# x`; `1. x` -> `1\\. x` (a backslash before a digit is not an escape)."""
    indent, mark = m.group(1), m.group(2)
    if mark[0].isdigit():
        return indent + mark[:-1] + "\\" + mark[-1]
    return indent + "\\" + mark


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


# -- rendering ---------------------------------------------------------------------------------
