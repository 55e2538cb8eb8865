"""Batches held on disk, not in memory (issue 12): the same bytes and records as holding them.

`rank` spools its rows (`pipeline.spool.RowSpool`) and writes JSON, CSV and the table in pieces;
`score --record` spools the results to record (`audit.store.spool.ResultSpool`). These tests
check that nothing changes for the reader: the order, the bytes, the records and their hashes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import make_case, run_cli, thesis_ruleset, write_yaml
from screen.audit.store import Store
from screen.audit.store.records import result_text
from screen.audit.store.spool import ResultSpool
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case
from screen.engine.result import build_result
from screen.pipeline import rank as pipeline
from screen.pipeline import report
from screen.pipeline.spool import RowSpool

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))


def _rows(paths: list[Path] = CASES) -> list[pipeline.PipelineRow]:
    rs = thesis_ruleset()
    return [pipeline.row_for(rs, load_case(p)) for p in paths]


def test_spool_reads_rows_back_in_rank_order_as_often_as_asked() -> None:
    rows = _rows()
    twice = [*rows, rows[0]]  # the same file given twice: equal keys keep input order
    with RowSpool() as spool:
        for r in twice:
            spool.add(r)
        assert len(spool) == len(twice)
        assert list(spool) == pipeline.rank(twice)
        assert list(spool) == pipeline.rank(twice)  # re-iterable (the table reads twice)
        spool.add(rows[1])  # adding after reading appends, it does not overwrite
        assert list(spool) == pipeline.rank([*twice, rows[1]])


@pytest.mark.parametrize("chunk", [1, 200, 1 << 16])
def test_pieces_are_the_bytes_of_the_whole_text(chunk: int, monkeypatch) -> None:
    rs = thesis_ruleset()
    rows = pipeline.rank(_rows())
    failed = [pipeline.Failure("a\nb.yaml", 'x.yaml:1:2: bad "q"\n more')]
    whole_json = report.dumps_text(
        {
            **report.header_dict(rs),
            "rows": [report.row_dict(rs, i, r) for i, r in enumerate(rows, 1)],
            "failed": [{"path": f.path, "message": f.message} for f in failed],
        }
    )
    monkeypatch.setattr(report, "CHUNK_CHARS", chunk)
    assert "".join(report.json_chunks(rs, rows, failed)) == whole_json + "\n"
    assert (
        "".join(report.json_chunks(rs, [], []))
        == json.dumps(
            {**report.header_dict(rs), "rows": [], "failed": []}, indent=2, ensure_ascii=False
        )
        + "\n"
    )
    with RowSpool() as spool:
        for r in rows:
            spool.add(r)
        assert "".join(report.csv_chunks(rs, spool)) == report.to_csv(rs, rows)
        assert "".join(report.table_chunks(rs, spool)) == report.to_table(rs, rows)


def test_rank_streams_the_same_output_to_stdout_and_to_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    for p in CASES:
        (folder / p.name).parent.mkdir(parents=True, exist_ok=True)
        (folder / p.name).write_bytes(p.read_bytes())
    write_yaml(folder / "broken.yaml", {"id": "x"})
    rs = thesis_ruleset()
    rows = pipeline.rank(_rows(sorted(p for p in folder.glob("*.yaml") if p.name != "broken.yaml")))
    for fmt, expected in (
        ("json", None),
        ("csv", report.to_csv(rs, rows)),
        ("table", report.to_table(rs, rows)),
    ):
        out = tmp_path / f"out.{fmt}"
        to_file = run_cli("rank", str(folder), "--format", fmt, "-o", str(out))
        to_stdout = run_cli("rank", str(folder), "--format", fmt)
        assert to_file.returncode == to_stdout.returncode == 2  # the broken file
        assert out.read_text(encoding="utf-8") == to_stdout.stdout  # (newlines translated)
        if expected is not None:
            assert out.read_bytes() == expected.encode("utf-8")
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["case_id"] for r in doc["rows"]] == [r.case_id for r in rows]
    assert [f["path"] for f in doc["failed"]] == [str(folder / "broken.yaml")]


def test_result_spool_round_trips_the_stored_text() -> None:
    rs = thesis_ruleset()
    results = []
    for p in CASES[:3]:
        loaded = load_case(p)
        results.append(build_result(rs, loaded, evaluate_case(rs, loaded.case)))
    with ResultSpool() as spool:
        assert not spool
        for r in results:
            spool.add(r)
        assert len(spool) == 3
        for _ in range(2):  # read twice: checks, then writes
            for (back, text), r in zip(spool.items(), results, strict=True):
                assert text == result_text(r) == result_text(back)
                assert back == json.loads(result_text(r))


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_score_record_stores_every_result_it_scored(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "d.db"
    folder = tmp_path / "c"
    for i in range(3):
        write_yaml(folder / f"c{i}.yaml", make_case(id=f"c{i}", company={"name": f"Co {i}"}))
    write_yaml(folder / "broken.yaml", {"id": "x"})
    res = run_cli("score", str(folder), "--record", "--store", str(db), "--format", fmt)
    assert res.returncode == 2, res.stderr  # the broken file; the others are recorded
    assert "recorded 3 results as #1..#3" in res.stderr
    rs = thesis_ruleset()
    with Store.open(db, create=False) as s:
        records = s.records()
        assert [r.case_id for r in records] == ["c0", "c1", "c2"]
        assert s.verify().ok
        for r in records:
            loaded = load_case(r.case_path)
            again = build_result(rs, loaded, evaluate_case(rs, loaded.case))
            assert r.result() == json.loads(result_text(again))


def test_score_and_rank_import_no_memo_or_graph_machinery(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from screen.cli.app import main\n"
        "for argv in (['score', sys.argv[1]], ['rank', sys.argv[1]]):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('jinja2', 'networkx', 'sqlite3', 'xlsxwriter') "
        "if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(CASES[0])], capture_output=True, text=True, check=True
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_score_table_from_spooled_cells_is_the_table_of_the_results() -> None:
    from screen.report import console
    from screen.report.spool import SortedSpool

    rs = thesis_ruleset()
    results = []
    for p in CASES:
        loaded = load_case(p)
        results.append(build_result(rs, loaded, evaluate_case(rs, loaded.case)))
    odd = json.loads(json.dumps(results[0]))
    odd["case"]["company"] = "Evil\x1b]0;title\x07 \u202eCo"  # escaped in the cell, width too
    results.append(odd)
    with SortedSpool() as spool:
        for r in results:
            spool.add(*console.table_row(r))
        assert "".join(console.table_chunks(spool)) == console.table(results)
        assert "\\x1b" in console.table(results)
