"""The memo as a Word document (`memo --format docx`), for partners who edit in a word processor.

Built from the rendered HTML memo, so the Word file says exactly what the HTML and PDF say (and
firm templates apply to it too): headings stay headings, lists stay lists, tables become Word
tables, citations become footnote-style references `[n]` (superscript) to the numbered sources
list of the appendix, and the inline SVG scorecard becomes a table with a bar per criterion
(Word cannot show inline SVG). Case text reaches the document as text runs only: nothing in it
is interpreted (python-docx escapes XML itself).

Deterministic: the document properties carry no clock (created/modified are fixed) and the zip
entries get a fixed timestamp, so the same memo gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from typing import Any

from screen.model.errors import ScreenError, install_hint

DOCX_INSTALL_HINT = install_hint("docx")
FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BAR_CELLS = 20  # a full bar is 20 blocks wide
HEADING_LEVEL = {"h1": 0, "h2": 1, "h3": 2, "h4": 3}
SKIP = {"head", "style", "script", "title", "svg"}
BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "header", "footer", "section", "main"}
INLINE = ("a", "span", "small", "sup", "sub", "abbr")
SPACE = re.compile(r"\s+")


def _document() -> Any:
    try:
        import docx
    except ImportError:
        raise ScreenError("Word output needs python-docx", hint=DOCX_INSTALL_HINT) from None
    return docx.Document()


class _Builder(HTMLParser):
    """Walks the memo's HTML and writes the matching python-docx structure."""

    def __init__(self, doc: Any, scorecard: list[tuple[str, float | None, float]], gates: str):
        super().__init__(convert_charrefs=True)
        self.doc = doc
        self.scorecard = scorecard
        self.gates = gates
        self.skip = 0  # depth inside elements that are not text (style, svg, ...)
        self.para: Any = None  # the paragraph text goes into
        self.lists: list[str] = []  # "ul" / "ol" nesting
        self.marks: list[str] = []  # open inline tags (b, i, code, sup)
        self.table: Any = None
        self.rows: list[list[tuple[str, list[tuple[str, tuple[str, ...]]]]]] = []
        self.cell: list[tuple[str, tuple[str, ...]]] | None = None
        self.cell_tag = "td"
        self.heading: str | None = None
        self.heading_runs: list[tuple[str, tuple[str, ...]]] = []

    # -------------------------------------------------------------- structure
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.skip:
            if tag in SKIP or tag == "svg":
                self.skip += 1
            return
        if tag == "svg":
            self.skip = 1
            if "scorecard" in (a.get("class") or ""):
                self._scorecard()
            return
        if tag in SKIP:
            self.skip = 1
            return
        if tag == "table":
            self.rows = []
            self.table = True
        elif tag == "tr" and self.table:
            self.rows.append([])
        elif tag in ("td", "th") and self.table:
            self.cell = []
            self.cell_tag = tag
        elif tag in HEADING_LEVEL:
            self.heading = tag
            self.heading_runs = []
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.para = None
        elif tag == "li":
            style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self.para = self.doc.add_paragraph(style=style)
        elif tag in ("p", "div"):
            if self.cell is None:
                self.para = None  # a new paragraph starts with the first text
        elif tag == "br":
            self._text("\n")
        elif tag in ("strong", "b"):
            self.marks.append("b")
        elif tag in ("em", "i"):
            self.marks.append("i")
        elif tag == "code":
            self.marks.append("code")
        elif tag == "a" and "cite" in (a.get("class") or ""):
            self.marks.append("sup")
        elif tag == "span" and "flag" in (a.get("class") or ""):
            self.marks.append("i")
        elif tag in INLINE:
            self.marks.append("")  # keeps end tags balanced for a, span, small, ...

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in SKIP or tag == "svg":
                self.skip -= 1
            return
        if tag == "table" and self.table:
            self._flush_table()
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append((self.cell_tag, self.cell))
            self.cell = None
        elif tag in HEADING_LEVEL and self.heading:
            text = SPACE.sub(" ", "".join(t for t, _ in self.heading_runs)).strip()
            self.doc.add_heading(text, level=HEADING_LEVEL[self.heading])
            self.heading = None
            self.para = None
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.para = None
        elif tag in BLOCKS:
            self.para = None
        elif tag in ("strong", "b", "em", "i", "code", *INLINE) and self.marks:
            self.marks.pop()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self._text(data)

    # -------------------------------------------------------------- text
    def _text(self, data: str) -> None:
        text = data if data == "\n" else SPACE.sub(" ", data)
        between_blocks = self.para is None and self.cell is None and self.heading is None
        if not text.strip() and text != "\n" and between_blocks:
            return  # whitespace between blocks
        marks = tuple(m for m in self.marks if m)
        if self.heading is not None:
            self.heading_runs.append((text, marks))
        elif self.cell is not None:
            self.cell.append((text, marks))
        else:
            if self.para is None:
                if not text.strip():
                    return
                self.para = self.doc.add_paragraph()
                text = text.lstrip()
            _run(self.para, text, marks)

    def _flush_table(self) -> None:
        rows = [r for r in self.rows if r]
        self.table = None
        self.para = None
        if not rows:
            return
        width = max(len(r) for r in rows)
        table = self.doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for i, row in enumerate(rows):
            for j, (tag, runs) in enumerate(row):
                p = table.cell(i, j).paragraphs[0]
                first = True
                for text, marks in runs:
                    if first:
                        text = text.lstrip()
                        first = False
                    _run(p, text, (*marks, "b") if tag == "th" else marks)

    def _scorecard(self) -> None:
        """The SVG chart as a table: criterion, score, and a bar of blocks against the max."""
        table = self.doc.add_table(rows=len(self.scorecard) + 1, cols=3)
        table.style = "Table Grid"
        for j, head in enumerate(("Criterion", "Score", "Bar")):
            _run(table.cell(0, j).paragraphs[0], head, ("b",))
        for i, (name, score, top) in enumerate(self.scorecard, 1):
            table.cell(i, 0).paragraphs[0].add_run(name)
            if score is None:
                table.cell(i, 1).paragraphs[0].add_run(f"? / {top:g}")
                table.cell(i, 2).paragraphs[0].add_run("not yet scorable")
                continue
            share = 0.0 if top <= 0 else min(max(score / top, 0.0), 1.0)
            full = round(share * BAR_CELLS)
            table.cell(i, 1).paragraphs[0].add_run(f"{score:g} / {top:g}")
            table.cell(i, 2).paragraphs[0].add_run("█" * full + "░" * (BAR_CELLS - full))
        if self.gates:
            self.doc.add_paragraph(self.gates)
        self.para = None


def _run(paragraph: Any, text: str, marks: tuple[str, ...]) -> None:
    from docx.shared import Pt

    if not text:
        return
    parts = text.split("\n")
    for k, part in enumerate(parts):
        if k:
            paragraph.add_run().add_break()
        if not part:
            continue
        run = paragraph.add_run(part)
        if "b" in marks:
            run.bold = True
        if "i" in marks:
            run.italic = True
        if "sup" in marks:
            run.font.superscript = True
        if "code" in marks:
            run.font.name = "Consolas"
            run.font.size = Pt(9)


def _scorecard_rows(result: dict[str, Any]) -> tuple[list[tuple[str, float | None, float]], str]:
    rows = [(c["name"] or c["id"], c["score"], float(c["max"])) for c in result["criteria"]]
    gates = "; ".join(f"{g['name'] or g['id']}: {g['outcome']}" for g in result["gates"])
    return rows, ("Gates: " + gates if gates else "")


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with a fixed timestamp on every entry (python-docx stamps the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF): a case
# may carry them in a quoted YAML string ("\x1b"), and python-docx refuses the whole document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """`text` with every character Word's XML cannot hold shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def html_to_docx(html: str, result: dict[str, Any], title: str | None = None) -> bytes:
    """The Word document for a rendered HTML memo and the result it was rendered from."""
    doc = _document()
    props = doc.core_properties
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    props.author = "dealscreen"
    props.last_modified_by = "dealscreen"
    props.title = _xml_safe(title or f"Investment memo: {result['case']['company']}")
    rows, gates = _scorecard_rows(result)
    rows = [(_xml_safe(name), score, top) for name, score, top in rows]
    builder = _Builder(doc, rows, _xml_safe(gates))
    builder.feed(_xml_safe(html))
    builder.close()
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())
