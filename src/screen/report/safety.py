"""Text that reaches a terminal: control characters shown, never obeyed.

Case files are written by people outside the firm. A company name holding `ESC ] 0 ; ... BEL`
sets the window title of whoever runs `dealscreen score`; `ESC ] 52` writes their clipboard;
a bidirectional override (U+202E) makes a reader see other text than what is there. Every text
view (tables, explain trees, error messages) passes its output through `terminal_text`, which
writes such characters as visible escapes (`\\x1b`, `\\u202e`). Machine formats (JSON, CSV,
memo files) keep the text as it is in a file or a pipe: they escape for their own readers; on
a terminal they go through `terminal_document`, which writes DEL and C1 (which JSON leaves raw)
as `\\u` escapes, so a JSON document shown there is still the same JSON.
"""

from __future__ import annotations

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_VISIBLE: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in range(0x20) if c != 0x0A},  # C0 except newline (incl. \t, \r)
    0x7F: "\\x7f",
    **{c: f"\\x{c:02x}" for c in range(0x80, 0xA0)},  # C1: 0x9b is CSI in some terminals
    **{c: f"\\u{c:04x}" for c in _BIDI},
}

_VISIBLE_IN_CELL = {**_VISIBLE, 0x0A: "\\n"}
# a document (JSON, a memo) shown on a terminal: DEL and C1 as `\\u` escapes too, which a JSON
# string reads as the same character (C0 never reaches it raw: JSON escapes it already)
_VISIBLE_IN_DOCUMENT = {**_VISIBLE, **{c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0))}}


def terminal_text(text: str) -> str:
    """`text` with every control character except newline written as a visible escape."""
    return text.translate(_VISIBLE)


def terminal_document(text: str) -> str:
    """A document for a terminal: its control characters escaped so that a JSON document
    stays JSON that reads the same (`\\u009b` for CSI), a text one shows them."""
    return text.translate(_VISIBLE_IN_DOCUMENT)


def terminal_cell(text: str) -> str:
    """One cell of an aligned table: newlines too are escaped, so the columns stay aligned."""
    return text.translate(_VISIBLE_IN_CELL)
