"""Partner formats: `rank -o pipeline.xlsx` (read back with openpyxl) and `memo --format docx`
(read back with python-docx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import make_case, run_cli, thesis_ruleset, write_yaml

openpyxl = pytest.importorskip("openpyxl")
docx = pytest.importorskip("docx")

HOSTILE = '=HYPERLINK("http://evil.example/","click")'


def _pipeline(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    write_yaml(folder / "a.yaml", make_case(id="a", company={"name": HOSTILE}))
    write_yaml(folder / "b.yaml", make_case(id="b", company={"name": "+1"}))
    write_yaml(
        folder / "c.yaml",
        make_case(
            {"unmet_need": {"addressed": None}},
            id="c",
            company={"name": "@Unknown Co"},
            revisit={"on": "2026-06-30", "when": "after the readout"},
        ),
    )
    return folder


def test_xlsx_rows_types_and_hostile_text(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path)
    out = tmp_path / "pipeline.xlsx"
    res = run_cli("rank", str(folder), "-o", str(out))
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Pipeline", "Criteria", "Questions"]
    ws = wb["Pipeline"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 3  # one row per company
    companies = {r["company"].value for r in rows}
    assert companies == {HOSTILE, "+1", "@Unknown Co"}
    for r in rows:
        assert r["company"].data_type == "s"  # text, never a formula
        assert r["score"].data_type == "n" and isinstance(r["score"].value, float | int)
        assert r["score"].number_format == "0.00"
        assert isinstance(r["rank"].value, int)
    by_name = {r["company"].value: r for r in rows}
    unknown = by_name["@Unknown Co"]
    assert unknown["decision"].value == "insufficient information"
    assert unknown["decision"].fill.fgColor.rgb.endswith("DDEBF7")  # coloured decision cell
    assert unknown["revisit"].value == dt.datetime(2026, 6, 30)
    assert unknown["revisit_when"].value == "after the readout"
    assert by_name["+1"]["revisit"].value is None
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}4"
    assert ws.column_dimensions["B"].width > len("company")
    crit = wb["Criteria"]
    rs = thesis_ruleset()
    ids = [crit.cell(i + 2, 1).value for i in range(len(rs.criteria))]
    assert ids == [c.id for c in rs.criteria]
    assert crit.cell(2, 3).value == rs.criteria[0].weight
    labels = [crit.cell(r, 1).value for r in range(1, crit.max_row + 1)]
    assert "advance threshold" in labels and "watch threshold" in labels
    questions = wb["Questions"]
    asked = [row for row in questions.iter_rows(min_row=2, values_only=True)]
    assert any(
        q[0] == "@Unknown Co" and q[3] == "asset.unmet_need.addressed" and q[4] for q in asked
    )


def test_xlsx_is_byte_identical_run_to_run(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run_cli("rank", str(folder), "-o", str(a)).returncode == 0
    assert run_cli("rank", str(folder), "--format", "xlsx", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_xlsx_needs_a_file() -> None:
    res = run_cli("rank", "cases/", "--format", "xlsx")
    assert res.returncode == 2 and "-o FILE.xlsx" in res.stderr


def test_docx_memo_headings_tables_and_every_source(tmp_path: Path) -> None:
    case = make_case(
        sources=[
            {"id": "deck", "title": "Company deck", "document": "deck-2024.pdf"},
            {
                "id": "seer",
                "title": "SEER <b>stats</b> & {{ 7*7 }}",
                "url": "https://seer.cancer.gov/",
            },
        ],
        company={"name": "Testco <script>alert(1)</script>"},
    )
    case["assets"][0]["epidemiology"]["eu"] = {"value": 250000, "source": "seer"}
    path = write_yaml(tmp_path / "x.yaml", case)
    out = tmp_path / "x.docx"
    res = run_cli("memo", str(path), "--format", "docx", "-o", str(out))
    assert res.returncode == 0, res.stderr
    doc = docx.Document(str(out))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Investment memo: Testco <script>alert(1)</script>"  # text, as is
    for section in ("Executive summary", "Scorecard", "The product", "Thesis fit",
                    "Need magnitude and market", "International competitiveness",
                    "Open diligence questions", "Appendix A: sources"):  # fmt: skip
        assert any(h.startswith(section) for h in headings), (section, headings)
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    # every source is listed, and each is cited by a superscript [n] somewhere
    for title in ("Company deck", "SEER <b>stats</b> & {{ 7*7 }}"):
        assert title in text
    cites = {
        r.text
        for p in [
            *doc.paragraphs,
            *(c.paragraphs[0] for t in doc.tables for row in t.rows for c in row.cells),
        ]
        for r in p.runs
        if r.font.superscript
    }
    assert {"[1]", "[2]"} <= cites
    # the scorecard is a table with one bar per criterion
    score_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Criterion")
    assert len(score_table.rows) == len(thesis_ruleset().criteria) + 1
    assert "█" in score_table.rows[1].cells[2].text
    assert "Company" in cells  # the header table


def test_docx_memo_is_deterministic_and_refuses_the_terminal(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "x.yaml", make_case())
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    assert run_cli("memo", str(path), "-o", str(a)).returncode == 0  # format from the suffix
    assert run_cli("memo", str(path), "--format", "docx", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    other = write_yaml(tmp_path / "y.yaml", make_case(id="other"))
    folder = tmp_path / "memos"
    res = run_cli("memo", str(path), str(other), "--format", "docx", "-o", str(folder))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["other.docx", "testco.docx"]


def test_missing_optional_libraries_are_user_errors(tmp_path: Path, monkeypatch) -> None:
    import sys

    path = write_yaml(tmp_path / "x.yaml", make_case())
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "docx", None)
    res = run_cli("rank", str(path), "-o", str(tmp_path / "p.xlsx"))
    assert res.returncode == 2 and "pip install 'dealscreen[xlsx]'" in res.stderr
    assert "pip install -e '.[xlsx]'" in res.stderr  # the way that works in a checkout
    res = run_cli("memo", str(path), "-o", str(tmp_path / "m.docx"))
    assert res.returncode == 2 and "pip install 'dealscreen[docx]'" in res.stderr
    assert not (tmp_path / "p.xlsx").exists() and not (tmp_path / "m.docx").exists()


_ROW_CACHE: dict[str, object] = {}


def _one_row(tmp_path_factory) -> object:
    """A real pipeline row, computed once (hypothesis then only varies the company name)."""
    if "row" not in _ROW_CACHE:
        from screen.engine.loader import load_case
        from screen.pipeline.rank import row_for

        path = write_yaml(tmp_path_factory.mktemp("row") / "x.yaml", make_case())
        _ROW_CACHE["row"] = row_for(thesis_ruleset(), load_case(path))
    return _ROW_CACHE["row"]


@settings(max_examples=40, deadline=None)
@given(
    # any printable text, and the texts spreadsheets are known to turn into formulas or numbers
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
    | st.sampled_from(["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("x")', "0042", "1e5", "TRUE"])
)
def test_any_company_name_reads_back_as_the_same_text(tmp_path_factory, name: str) -> None:
    import dataclasses
    import io

    from screen.pipeline.xlsx import to_xlsx

    row = dataclasses.replace(_one_row(tmp_path_factory), company=name)
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(thesis_ruleset(), [row])))["Pipeline"]
    cell = ws.cell(2, 2)
    assert cell.data_type == "s" and cell.value == name


def test_control_characters_and_literal_escapes_are_stored_the_ooxml_way(tmp_path: Path) -> None:
    """Excel decodes `_xHHHH_` in stored text: a control character is stored as its escape, and
    a literal `_x0041_` as `_x005F_x0041_` (else Excel would show "A")."""
    import zipfile

    path = write_yaml(tmp_path / "x.yaml", make_case(company={"name": "a\bb _x0041_"}))
    out = tmp_path / "x.xlsx"
    assert run_cli("rank", str(path), "-o", str(out)).returncode == 0
    strings = zipfile.ZipFile(out).read("xl/sharedStrings.xml").decode()
    assert "<t>a_x0008_b _x005F_x0041_</t>" in strings
