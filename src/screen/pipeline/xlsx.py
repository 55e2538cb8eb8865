"""The ranked pipeline as an Excel workbook (`rank -o pipeline.xlsx`), for partners.

Written with XlsxWriter (optional extra `[xlsx]`): it writes cells by explicit type
(`write_string`, `write_number`), so case text can never become a formula, and with a fixed
creation date its files are byte-identical run to run (deterministic output). openpyxl is only
used by the tests, to read the files back.

Sheets: *Pipeline* (one row per company, the CSV's columns; scores as numbers shown with 2
decimals; header frozen, autofilter, column widths, the decision as a coloured cell), *Criteria*
(ids, names, weights, maxima, thresholds, the rule set) and *Questions* (the open diligence
questions on each company's core assets).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from screen.engine.plan import CompiledRuleSet
from screen.model.dates import parse_case_date
from screen.model.errors import ScreenError, install_hint
from screen.pipeline.rank import PipelineRow
from screen.pipeline.report import csv_header

FIXED_CREATED = dt.datetime(2000, 1, 1)  # no clock in the file: same inputs, same bytes
MAX_WIDTH = 60
DECISION_COLOURS = {  # fill, font (colour-blind safe, dark text on light fills)
    "advance": ("#C6EFCE", "#006100"),
    "watch": ("#FFEB9C", "#7F6000"),
    "insufficient_information": ("#DDEBF7", "#1F3864"),
    "decline": ("#FFC7CE", "#9C0006"),
}


def require_xlsxwriter() -> Any:
    """The XlsxWriter module, or a user error saying how to install it."""
    try:
        import xlsxwriter
    except ImportError:
        raise ScreenError(
            "writing .xlsx needs XlsxWriter, which is not installed",
            hint=install_hint("xlsx"),
        ) from None
    return xlsxwriter


def _workbook(buf: io.BytesIO) -> Any:
    wb = require_xlsxwriter().Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": FIXED_CREATED, "title": "Pipeline", "author": "dealscreen"})
    return wb


class _Sheet:
    """A worksheet that tracks column widths and writes every cell by its type."""

    def __init__(self, wb: Any, name: str, header: Sequence[str], bold: Any):
        self.ws = wb.add_worksheet(name)
        self.widths = [len(h) for h in header]
        self.rows = 0
        for c, h in enumerate(header):
            self.ws.write_string(0, c, h, bold)
        self.ws.freeze_panes(1, 0)

    def put(
        self, row: int, col: int, value: Any, fmt: Any = None, shown: str | None = None
    ) -> None:
        if value is None or value == "":
            self.ws.write_blank(row, col, None, fmt)
            text = ""
        elif isinstance(value, bool):
            self.ws.write_boolean(row, col, value, fmt)
            text = str(value)
        elif isinstance(value, int | float):
            self.ws.write_number(row, col, value, fmt)
            text = shown if shown is not None else f"{value:.2f}"
        elif isinstance(value, dt.date):
            self.ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
            text = value.isoformat()
        else:
            text = str(value)
            # text stays text, whatever it starts with (XlsxWriter escapes control characters
            # and a literal `_x0041_` the OOXML way, so Excel shows them as written)
            self.ws.write_string(row, col, text, fmt)
        self.widths[col] = max(self.widths[col], min(len(text), MAX_WIDTH))
        self.rows = max(self.rows, row)

    def finish(self) -> None:
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w + 2)
        self.ws.autofilter(0, 0, max(self.rows, 1), len(self.widths) - 1)


def _date_cell(text: str | None, day: Any) -> tuple[Any, Any]:
    """A row's date as a spreadsheet date in format `day`; a month-precision one (`2024-05`)
    stays text, since a date cell would show it as the 1st, a day the source never gave."""
    if not text:
        return None, None
    d = parse_case_date(text)
    return (text, None) if d.precision == "month" else (dt.date(d.year, d.month, d.day), day)


def to_xlsx(
    rs: CompiledRuleSet,
    rows: Sequence[PipelineRow],
    questions: dict[str, list[tuple[str, str, str]]] | None = None,
) -> bytes:
    """The workbook's bytes. `questions`: row path -> [(asset, fact, question)] (optional)."""
    buf = io.BytesIO()
    wb = _workbook(buf)
    bold = wb.add_format({"bold": True, "bottom": 1})
    two = wb.add_format({"num_format": "0.00"})
    four = wb.add_format({"num_format": "0.0000"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    decision_fmt = {
        d: wb.add_format({"bg_color": fill, "font_color": font, "bold": True})
        for d, (fill, font) in DECISION_COLOURS.items()
    }
    header = csv_header(rs)
    sheet = _Sheet(wb, "Pipeline", header, bold)
    n = len(rs.criteria)
    for i, r in enumerate(rows, 1):
        values: list[tuple[Any, Any]] = [
            (i, None),
            (r.company, None),
            (r.case_id, None),
            (r.decision.replace("_", " "), decision_fmt[r.decision]),
            (r.score, two),
            (r.score_low, two),
            (r.score_high, two),
            *((s, two) for s in r.criteria),
            (r.lead_asset, None),
            (r.lead_name, None),
            (r.stage, None),
            (r.therapeutic_area, None),
            (r.indication, None),
            (r.unknowns, None),
            (r.top_reason, None),
            (" ".join(r.top_reason_ids), None),
            (" ".join(r.failed_gates), None),
            _date_cell(r.as_of, day),
            (r.analyst, None),
            (r.path, None),
            _date_cell(r.revisit, day),
            (r.revisit_when, None),
        ]
        assert len(values) == len(header)
        for c, (value, fmt) in enumerate(values):
            shown = str(value) if c in (0, 12 + n) else None  # rank, unknowns: integers
            sheet.put(i, c, value, fmt, shown)
    sheet.finish()

    crit = _Sheet(wb, "Criteria", ["criterion", "name", "weight", "max"], bold)
    for i, c in enumerate(rs.criteria, 1):
        crit.put(i, 0, c.id)
        crit.put(i, 1, c.name or c.id)
        crit.put(i, 2, c.weight, four, f"{c.weight:g}")
        crit.put(i, 3, c.max, None, f"{c.max:g}")
    settings = [
        ("advance threshold", rs.decision.advance),
        ("watch threshold", rs.decision.watch),
        ("scale", rs.scale),
        ("rule set", f"{rs.name} {rs.version}"),
        ("rule set sha256", rs.sha256),
    ]
    for k, (label, value) in enumerate(settings, len(rs.criteria) + 2):
        crit.put(k, 0, label)
        crit.put(k, 2, value, None, str(value))
    crit.finish()

    qs = _Sheet(wb, "Questions", ["company", "case_id", "asset", "fact", "question"], bold)
    line = 0
    for r in rows:
        for asset, fact, question in (questions or {}).get(r.path, []):
            line += 1
            for c, value in enumerate((r.company, r.case_id, asset, fact, question)):
                qs.put(line, c, value)
    qs.finish()
    wb.close()
    return buf.getvalue()


def open_questions(rs: CompiledRuleSet, rows: Sequence[PipelineRow]) -> dict[str, list]:
    """Per row: (asset, fact, question) for each unknown on its core asset(s).

    Rows keep only the count, so each case is evaluated again; a file that changed since it
    was ranked (another sha256) gets no questions rather than another file's."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case
    from screen.engine.result import build_result

    out: dict[str, list] = {}
    for r in rows:
        try:
            loaded = load_case(r.path)
        except ScreenError:
            continue
        if loaded.sha256 != r.sha256:
            continue
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=False))
        core = set(result["core_assets"]) or {result["lead_asset"]}
        out[r.path] = [
            (u["asset"], u["fact"], u["question"]) for u in result["unknowns"] if u["asset"] in core
        ]
    return out
