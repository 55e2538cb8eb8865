"""The ranked pipeline as a text table, CSV or JSON (the HTML page is in `pipeline_html.py`).

All views read the same `PipelineRow`s in the same order. CSV is written for spreadsheets:
UTF-8 (with a byte-order mark on request, which older Excel needs to detect UTF-8), a header
row, `\\r\\n` line ends, ISO dates, `.` as decimal point, empty cells for unknown scores, and
text cells that Excel would run as a formula (`=`, `+`, `-`, `@` first) prefixed with `'`: every
cell, headers included (criterion and gate ids come from rule files).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from screen.engine.plan import CompiledRuleSet
from screen.engine.result import dumps_text
from screen.model.numbers import display
from screen.pipeline.rank import PipelineRow
from screen.report.console import DECISION_LABEL
from screen.report.safety import terminal_cell, terminal_text

SCHEMA_VERSION = 1
REASON_WIDTH = 60  # text table only; CSV/JSON carry the full reason
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 1 << 16  # streamed output is handed to the writer in pieces of about this size


def criterion_ids(rs: CompiledRuleSet) -> list[str]:
    return [c.id for c in rs.criteria]


def csv_header(rs: CompiledRuleSet) -> list[str]:
    return [
        "rank",
        "company",
        "case_id",
        "decision",
        "score",
        "score_low",
        "score_high",
        *criterion_ids(rs),
        "lead_asset",
        "lead_asset_name",
        "stage",
        "therapeutic_area",
        "indication",
        "unknowns",
        "top_reason",
        "top_reason_ids",
        "failed_gates",
        "as_of",
        "analyst",
        "file",
        "revisit",
        "revisit_when",
    ]


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")


def _cell(value: Any) -> Any:
    """The formula guard, for every cell (headers and ids come from rule files, which are
    input too): text that a spreadsheet would run gets a leading `'`; numbers stay numbers."""
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return _text(value)
    return value


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}" if abs(x) < 1e15 else repr(x)


def to_csv(rs: CompiledRuleSet, rows: Iterable[PipelineRow]) -> str:
    """The pipeline as CSV text (without BOM; the writer adds it if asked)."""
    return "".join(csv_chunks(rs, rows))


def csv_chunks(rs: CompiledRuleSet, rows: Iterable[PipelineRow]) -> Iterator[str]:
    """`to_csv`'s text a row at a time (a batch of 20,000 rows is never one string)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_cell(h) for h in csv_header(rs)])
    for i, r in enumerate(rows, 1):
        cells = [
            i,
            _text(r.company),
            _text(r.case_id),
            r.decision,
            _num(r.score),
            _num(r.score_low),
            _num(r.score_high),
            *(_num(s) for s in r.criteria),
            _text(r.lead_asset),
            _text(r.lead_name),
            r.stage or "",
            r.therapeutic_area or "",
            _text(r.indication),
            r.unknowns,
            _text(r.top_reason),
            " ".join(r.top_reason_ids),
            " ".join(r.failed_gates),
            r.as_of or "",
            _text(r.analyst),
            _text(r.path),
            r.revisit or "",
            _text(r.revisit_when),
        ]
        w.writerow([_cell(c) for c in cells])
        if buf.tell() >= CHUNK_CHARS:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def row_dict(rs: CompiledRuleSet, rank: int, r: PipelineRow) -> dict[str, Any]:
    return {
        "rank": rank,
        "company": r.company,
        "case_id": r.case_id,
        "decision": r.decision,
        "score": r.score,
        "score_range": [r.score_low, r.score_high],
        "provisional": None
        if r.provisional_decision is None
        else {"decision": r.provisional_decision, "score": r.provisional_score},
        "criteria": {
            c.id: {"score": s, "contribution": k}
            for c, s, k in zip(rs.criteria, r.criteria, r.contributions, strict=True)
        },
        "lead_asset": {"id": r.lead_asset, "name": r.lead_name},
        "stage": r.stage,
        "therapeutic_area": r.therapeutic_area,
        "indication": r.indication,
        "unknowns": r.unknowns,
        "top_reason": r.top_reason,
        "top_reason_ids": list(r.top_reason_ids),
        "failed_gates": list(r.failed_gates),
        "as_of": r.as_of,
        "analyst": r.analyst,
        "file": {"path": r.path, "sha256": r.sha256},
        "revisit": {"on": r.revisit, "when": r.revisit_when} if r.revisit else None,
    }


def header_dict(rs: CompiledRuleSet) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "ruleset": {"name": rs.name, "version": rs.version, "sha256": rs.sha256},
        "scale": rs.scale,
        "thresholds": {"advance": rs.decision.advance, "watch": rs.decision.watch},
        "criteria": [
            {"id": c.id, "name": c.name, "weight": c.weight, "max": c.max} for c in rs.criteria
        ],
    }


def to_json(rs: CompiledRuleSet, rows: Iterable[PipelineRow], failures: Sequence[Any] = ()) -> str:
    """`{schema, ruleset, scale, thresholds, criteria, rows, failed}`; deterministic bytes."""
    return "".join(json_chunks(rs, rows, failures))


def json_chunks(
    rs: CompiledRuleSet, rows: Iterable[PipelineRow], failures: Sequence[Any] = ()
) -> Iterator[str]:
    """`to_json`'s text a row at a time: the bytes of `json.dumps(doc, indent=2)` (via
    `dumps_text`) for the whole document, which is never built. JSON text has raw line breaks
    only between tokens, never inside strings, so a nested value is the value's own text with
    each line break followed by the indent of its depth."""
    head = dumps_text(header_dict(rs))
    yield head[: -len("\n}")] + ',\n  "rows": ['  # the header dict is never empty
    pieces: list[str] = []
    size = count = 0
    for i, r in enumerate(rows, 1):
        count = i
        piece = ("\n    " if i == 1 else ",\n    ") + dumps_text(row_dict(rs, i, r)).replace(
            "\n", "\n    "
        )
        pieces.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(pieces)
            pieces, size = [], 0
    yield "".join(pieces) + ("\n  ]" if count else "]")
    failed = [{"path": f.path, "message": f.message} for f in failures]
    yield ',\n  "failed": ' + dumps_text(failed).replace("\n", "\n  ") + "\n}\n"


def abbreviations(rs: CompiledRuleSet) -> list[str]:
    """Short column labels for criteria: initials of the id's words (`us_path` -> UP), unique."""
    out: list[str] = []
    for c in rs.criteria:
        base = "".join(w[0] for w in c.id.replace("-", "_").split("_") if w).upper() or "C"
        label, n = base, 2
        while label in out:
            label, n = f"{base}{n}", n + 1
        out.append(label)
    return out


def to_table(rs: CompiledRuleSet, rows: Iterable[PipelineRow]) -> str:
    """Aligned text: rank, company, decision, score, per-criterion scores, lead, reason."""
    return "".join(table_chunks(rs, rows if isinstance(rows, Sequence) else list(rows)))


def table_chunks(rs: CompiledRuleSet, rows: Iterable[PipelineRow]) -> Iterator[str]:
    """`to_table`'s text a few lines at a time, in two passes over `rows` (a sequence, or a
    `RowSpool`, which reads them again): column widths, then the lines."""
    abbr = abbreviations(rs)
    revisits = any(r.revisit for r in rows)  # the column appears once a case is on the watch list
    head = ["#", "company", "decision", "score", *abbr, "lead", "stage", "unk"]
    head += ["revisit", "top reason"] if revisits else ["top reason"]
    header = [terminal_cell(cell) for cell in head]
    widths = [len(cell) for cell in header]
    for i, r in enumerate(rows, 1):
        for c, cell in enumerate(_table_cells(r, i, revisits)):
            if len(cell) > widths[c]:
                widths[c] = len(cell)
    numeric = {0, *range(4, 4 + len(abbr)), 6 + len(abbr)}

    def line(row: list[str]) -> str:
        cells = [
            cell.rjust(w) if c in numeric else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip() + "\n"

    lines = [line(header), "  ".join("-" * w for w in widths) + "\n"]
    for i, r in enumerate(rows, 1):
        lines.append(line(_table_cells(r, i, revisits)))
        if len(lines) >= 256:
            yield terminal_text("".join(lines))
            lines = []
    legend = ", ".join(f"{a} {c.id} ({c.weight:g})" for a, c in zip(abbr, rs.criteria, strict=True))
    maxes = {c.max for c in rs.criteria}
    scale = f", each scored 0-{maxes.pop():g}" if len(maxes) == 1 else ""
    lines.append(f"\ncriteria (weight){scale}: {legend}\n")
    yield terminal_text("".join(lines))


def _table_cells(r: PipelineRow, i: int, revisits: bool) -> list[str]:
    score = display(r.score)
    if r.score_low != r.score_high:
        score += f" ({display(r.score_low)}-{display(r.score_high)})"
    reason = r.top_reason
    if len(reason) > REASON_WIDTH:
        reason = reason[: REASON_WIDTH - 1] + "…"
    cells = [
        str(i),
        r.company,
        DECISION_LABEL[r.decision],
        score,
        *("?" if s is None else f"{s:g}" for s in r.criteria),
        r.lead_asset,
        r.stage or "?",
        str(r.unknowns),
        *([r.revisit or ""] if revisits else []),
        reason,
    ]
    return [terminal_cell(cell) for cell in cells]
