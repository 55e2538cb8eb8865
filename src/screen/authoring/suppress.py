"""Per-finding lint suppressions written in the rule file: `# noqa: shadowed-band`.

Like ruff's and flake8's `# noqa: CODE`: a comment naming one or more check codes silences those
findings of the item it sits on (on the finding's own line, or on an earlier line of the same
YAML list item, e.g. its `- id:` line). Only warnings and notes can be silenced: an error means
the rule set does not load. Silenced findings are kept, marked `suppressed`, and shown with
`dealscreen lint --show-suppressed`; a code that names no check is itself a warning (with a
did-you-mean), so a typo cannot silence nothing while looking like it silences something.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from screen.model.errors import did_you_mean

NOQA = re.compile(r"#\s*noqa:\s*([A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*)", re.IGNORECASE)
MAX_ITEM_LINES = 40  # how far up a finding's YAML item may start

CODES = (
    "cited-parameter",
    "constant-gate",
    "never-matches",
    "question-placeholder",
    "shadowed-band",
    "shadowed-row",
    "table-gap",
    "unasked-question",
    "uncited-rationale",
    "unused-derived",
    "unused-parameter",
    "unused-table",
    "weights-sum",
)


def noqa_codes(line: str) -> list[str]:
    """The codes a `# noqa: a, b` comment on this line names (lowercase), else []."""
    m = NOQA.search(line)
    return [c.strip().lower() for c in m.group(1).split(",")] if m else []


def _item_lines(lines: list[str], line: int) -> list[str]:
    """The finding's line and the lines above it in the same YAML item (1-based `line`)."""
    if not 1 <= line <= len(lines):
        return []
    first = lines[line - 1]
    indent = len(first) - len(first.lstrip(" "))
    out = [first]
    if first.lstrip(" ").startswith("- "):
        return out
    for i in range(line - 2, max(line - 2 - MAX_ITEM_LINES, -1), -1):
        text = lines[i]
        if not text.strip() or text.lstrip().startswith("#"):
            out.append(text)
            continue
        own = len(text) - len(text.lstrip(" "))
        if own < indent - 2 or (own < indent and not text.lstrip(" ").startswith("- ")):
            break
        out.append(text)
        if text.lstrip(" ").startswith("- ") and own < indent:
            break
    return out


def apply(diagnostics: list[Any], texts: dict[str, str], make: Any) -> list[Any]:
    """Mark the diagnostics a `# noqa` comment silences; add a warning per unknown code.

    `texts` maps each diagnostic's file name to its text; `make(file, line, column, code,
    message, hint)` builds a new warning (lint's Diagnostic)."""
    lines = {f: t.splitlines() for f, t in texts.items()}
    out = []
    for d in diagnostics:
        codes = {c for text in _item_lines(lines.get(d.file, []), d.line) for c in noqa_codes(text)}
        if d.severity != "error" and d.code in codes:
            d = dataclasses.replace(d, suppressed=True)
        out.append(d)
    for f, file_lines in lines.items():
        for n, text in enumerate(file_lines, 1):
            for code in noqa_codes(text):
                if code not in CODES:
                    col = text.lower().find(code, text.find("#")) + 1
                    out.append(
                        make(f, n, col, "unknown-noqa", f"'# noqa: {code}' names no lint check",
                             did_you_mean(code, CODES) or "checks: " + ", ".join(CODES))
                    )  # fmt: skip
    return out
