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
from collections.abc import Sequence
from typing import Any

from screen.engine.compiler import CompiledRuleSet
from screen.engine.result import dumps_text
from screen.model.numbers import display
from screen.pipeline.rank import PipelineRow
from screen.report.console import DECISION_LABEL
from screen.report.safety import terminal_cell, terminal_text

SCHEMA_VERSION = 1
REASON_WIDTH = 60  # text table only; CSV/JSON carry the full reason
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def to_csv(rs: CompiledRuleSet, rows: Sequence[PipelineRow]) -> str:
    """The pipeline as CSV text (without BOM; the writer adds it if asked)."""
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
    return buf.getvalue()


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


def to_json(rs: CompiledRuleSet, rows: Sequence[PipelineRow], failures: Sequence[Any] = ()) -> str:
    """`{schema, ruleset, scale, thresholds, criteria, rows, failed}`; deterministic bytes."""
    doc = header_dict(rs)
    doc["rows"] = [row_dict(rs, i, r) for i, r in enumerate(rows, 1)]
    doc["failed"] = [{"path": f.path, "message": f.message} for f in failures]
    return dumps_text(doc) + "\n"  # json.dumps(indent=2) bytes, via orjson (issue 12)


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


def to_table(rs: CompiledRuleSet, rows: Sequence[PipelineRow]) -> str:
    """Aligned text: rank, company, decision, score, per-criterion scores, lead, reason."""
    abbr = abbreviations(rs)
    revisits = any(r.revisit for r in rows)  # the column appears once a case is on the watch list
    head = ["#", "company", "decision", "score", *abbr, "lead", "stage", "unk"]
    head += ["revisit", "top reason"] if revisits else ["top reason"]
    body = []
    for i, r in enumerate(rows, 1):
        score = display(r.score)
        if r.score_low != r.score_high:
            score += f" ({display(r.score_low)}-{display(r.score_high)})"
        reason = r.top_reason
        if len(reason) > REASON_WIDTH:
            reason = reason[: REASON_WIDTH - 1] + "…"
        body.append(
            [
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
        )
    table = [[terminal_cell(cell) for cell in row] for row in [head, *body]]
    widths = [max(len(row[c]) for row in table) for c in range(len(head))]
    numeric = {0, *range(4, 4 + len(abbr)), 6 + len(abbr)}
    lines = []
    for row in table:
        cells = [
            cell.rjust(w) if c in numeric else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    legend = ", ".join(f"{a} {c.id} ({c.weight:g})" for a, c in zip(abbr, rs.criteria, strict=True))
    lines.append("")
    maxes = {c.max for c in rs.criteria}
    scale = f", each scored 0-{maxes.pop():g}" if len(maxes) == 1 else ""
    lines.append(f"criteria (weight){scale}: {legend}")
    return terminal_text("\n".join(lines) + "\n")
