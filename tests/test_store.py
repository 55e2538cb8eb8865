"""The decision store: recording, listing, showing, replaying, verifying, concurrency, faults.

Every test that is not about the SQLite file itself runs on both backends (`backend` fixture:
a SQLite file and a fresh database on a real PostgreSQL server, see `store_backends.py`)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import MINI_RULES, make_case, run_cli, write_yaml
from store_backends import *  # noqa: F403 (fixtures: backend, store_url, pg_url, ...)
from store_backends import is_pg, superuser_sql

REASONS = """
reasons:
  crowded_target: Too many same-target competitors at later stages (T3)
  valuation: Valuation
  other: Other (explain in the note)
"""


def dealscreen(
    *args: str, store: Path | str, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd, env={"DEALSCREEN_STORE": str(store)})


@pytest.fixture
def setup(tmp_path: Path, store_url: str):
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES + REASONS, encoding="utf-8")
    cases = tmp_path / "cases"
    write_yaml(cases / "big.yaml", make_case({"epidemiology": {"us": 200000}}, id="big"))
    write_yaml(cases / "small.yaml", make_case({"epidemiology": {"us": 1000}}, id="small"))
    return rules, cases, store_url


def record(rules: Path, cases: Path, store: Path | str) -> subprocess.CompletedProcess:
    out = dealscreen("score", str(cases), "--rules", str(rules), "--record", store=store)
    assert out.returncode == 0, out.stderr
    return out


def test_a_record_id_beyond_any_database_integer_is_not_found(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    done = dealscreen("audit", "show", "99999999999999999999", store=store)
    assert done.returncode == 2, done.stderr
    assert "#99999999999999999999" in done.stderr and "internal error" not in done.stderr


def test_record_list_show_replay_round_trip(setup):
    rules, cases, store = setup
    out = record(rules, cases, store)
    assert "recorded 2 results as #1..#2" in out.stderr and "head " in out.stderr
    listed = json.loads(dealscreen("audit", "list", "--format", "json", store=store).stdout)
    assert [r["id"] for r in listed] == [1, 2]
    assert {r["decision"] for r in listed} == {"advance", "watch"}
    assert listed[1]["prev_hash"] == listed[0]["hash"]

    explained = dealscreen("explain", str(cases / "small.yaml"), "--rules", str(rules), store=store)
    small = next(r["id"] for r in listed if r["case_path"].endswith("small.yaml"))
    shown = dealscreen("audit", "show", str(small), store=store)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.endswith(explained.stdout)  # the stored explanation, exactly as printed

    replayed = dealscreen("audit", "replay", str(small), store=store)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert replayed.stdout.startswith("IDENTICAL")


def test_replay_uses_the_stored_texts_not_the_files_on_disk(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    (cases / "small.yaml").write_text("garbage: [", encoding="utf-8")
    rules.write_text("nonsense", encoding="utf-8")
    assert dealscreen("audit", "replay", "1", store=store).stdout.startswith("IDENTICAL")


def test_replay_of_an_altered_stored_result_says_broken_not_different(setup):
    """A result JSON rewritten out of band no longer matches its hash: replay names the
    record BROKEN (as verify does) instead of vouching for, or diffing against, the forgery."""
    rules, cases, store = setup
    record(rules, cases, store)
    import zlib

    with superuser_sql(store) as db:
        z = db.run("SELECT result_z FROM records WHERE id = 2")[0][0]
        stored = json.loads(zlib.decompress(z))
        stored["decision"] = "decline"
        db.run(
            "UPDATE records SET result_z = ? WHERE id = 2",
            (zlib.compress(json.dumps(stored).encode()),),
        )
    out = dealscreen("audit", "replay", "2", store=store)
    assert out.returncode == 1
    assert out.stdout.startswith("BROKEN: record #2")
    assert "the stored result JSON was altered after it was written" in out.stdout


def test_replay_reports_what_todays_engine_concludes_differently(setup, monkeypatch):
    """An intact record whose re-evaluation differs (here: an engine that declines all)."""
    rules, cases, store = setup
    record(rules, cases, store)
    import screen.engine.result as result_module

    real = result_module.build_result

    def declining(*args, **kwargs):
        out = real(*args, **kwargs)
        out["decision"] = "decline"
        return out

    monkeypatch.setattr(result_module, "build_result", declining)
    out = dealscreen("audit", "replay", "2", store=store)
    assert out.returncode == 1
    assert "DIFFERENT" in out.stdout and "-> decline" in out.stdout


def test_verify_passes_then_names_the_row_changed_out_of_band(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    record(rules, cases, store)
    ok = dealscreen("audit", "verify", store=store)
    assert ok.returncode == 0 and "4 record(s), chain intact" in ok.stdout
    with superuser_sql(store) as db:
        db.run("UPDATE records SET decision = 'advance' WHERE id = 3 AND decision != 'advance'")
        db.run("UPDATE records SET decision = 'decline' WHERE id = 3 AND decision = 'advance'")
    bad = dealscreen("audit", "verify", store=store)
    assert bad.returncode == 1
    assert "record #3" in bad.stderr and "altered" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_verify_detects_altered_case_text_and_deleted_rows(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    with superuser_sql(store) as db:
        db.run("UPDATE texts SET body = body || ' ' WHERE kind = 'case'")
    assert dealscreen("audit", "verify", store=store).returncode == 1
    with superuser_sql(store) as db:
        db.run("UPDATE texts SET body = substr(body, 1, length(body) - 1) WHERE kind = 'case'")
        db.run("DELETE FROM records WHERE id = 1")
    bad = dealscreen("audit", "verify", store=store)
    assert bad.returncode == 1 and "record #2" in bad.stderr


def test_head_kept_elsewhere_catches_a_rewritten_tail(setup, tmp_path):
    from screen.audit.store import Store

    rules, cases, store = setup
    out = record(rules, cases, store)
    head = out.stderr.split("head ")[-1].split()[0]
    record(rules, cases, store)
    ok = dealscreen("audit", "verify", "--head", head, store=store)
    assert ok.returncode == 0 and "record #2; 2 record(s) written since" in ok.stdout
    # rewrite the whole chain from record 2 on: still self-consistent, but the head is gone
    with Store.open(store) as s:
        kept = [s.get(i) for i in (2, 3, 4)]
        texts = {r.case_sha256: s.text(r.case_sha256) for r in kept}
        files = s.ruleset_files(kept[0].ruleset_sha256)
    with superuser_sql(store) as db:
        db.run("DELETE FROM records WHERE id >= 2")
        if is_pg(store):  # a thorough forger rewrites the head row too
            db.run("UPDATE chain_head SET last_id = 1, hash = (SELECT hash FROM records)")
    from screen.audit.store import Entry

    with Store.open(store) as s:
        forged = []
        for r in kept:
            res = r.result()
            res["decision"] = "decline"
            forged.append(Entry(res, texts[r.case_sha256], files))
        s.append(forged, who="mallory")
    assert dealscreen("audit", "verify", store=store).returncode == 0  # chain alone is fooled
    bad = dealscreen("audit", "verify", "--head", head, store=store)
    assert bad.returncode == 1 and "not in the chain" in bad.stderr


def test_decide_records_override_with_validated_reason(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    big = str(cases / "big.yaml")
    typo = dealscreen("decide", big, "--rules", str(rules), "--decision", "pass",
                      "--reason", "crowdd_target", store=store)  # fmt: skip
    assert typo.returncode == 2 and "did you mean 'crowded_target'?" in typo.stderr
    out = dealscreen("decide", big, "--rules", str(rules), "--decision", "pass",
                     "--reason", "crowded_target", "--note", "three rivals", "--who", "partner-a",
                     store=store)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "OVERRIDE of the engine's advance" in out.stdout and "head " in out.stderr
    small = str(cases / "small.yaml")
    refused = dealscreen("decide", small, "--rules", str(rules), "--decision", "decline",
                         "--note", "no", store=store)  # fmt: skip
    assert refused.returncode == 2 and "--decision decline needs --reason" in refused.stderr
    assert "crowded_target" in refused.stderr  # the codes to choose from
    no_codes = rules.parent / "no-reasons.yaml"  # a rule set without reason codes still may pass
    no_codes.write_text(MINI_RULES, encoding="utf-8")
    out = dealscreen("decide", small, "--rules", str(no_codes), "--decision", "decline",
                     store=store)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "counts as undocumented" in out.stderr
    listed = dealscreen("audit", "list", "--kind", "decision", store=store).stdout
    assert "OVERRIDE: engine advance" in listed and "partner-a" in listed
    shown = dealscreen("audit", "show", "3", store=store).stdout
    assert "OVERRIDES the engine's advance" in shown and "reason: crowded_target" in shown
    assert "screen record: #" in shown
    stats = json.loads(dealscreen("audit", "stats", "--format", "json", store=store).stdout)
    assert stats["passes"] == 2 and stats["passes_with_reason"] == 1
    assert stats["share_of_passes_with_reason"] == 0.5
    assert [o["case_id"] for o in stats["overrides"]] == ["big", "small"]
    assert stats["override_kinds"] == {"advance -> decline": 1, "watch -> decline": 1}
    text = dealscreen("audit", "stats", store=store).stdout
    assert "passes with a documented reason: 1 of 2 (50%)" in text
    assert dealscreen("audit", "verify", store=store).returncode == 0


def test_list_filters(setup):
    rules, cases, store = setup
    record(rules, cases, store)
    one = json.loads(
        dealscreen("audit", "list", "--decision", "advance", "--format", "json", store=store).stdout
    )
    assert [Path(r["case_path"]).name for r in one] == ["big.yaml"]
    assert (
        json.loads(
            dealscreen(
                "audit", "list", "--since", "2999-01-01", "--format", "json", store=store
            ).stdout
        )
        == []
    )
    by_case = dealscreen("audit", "list", "--company", "SMA", "--format", "json", store=store)
    assert [r["case_id"] for r in json.loads(by_case.stdout)] == ["small"]


def test_missing_corrupt_foreign_and_newer_stores_are_clear_errors(tmp_path):
    missing = dealscreen("audit", "list", store=tmp_path / "none.db")
    assert missing.returncode == 2 and "no decision store here" in missing.stderr
    assert not (tmp_path / "none.db").exists()

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    out = dealscreen("audit", "verify", store=corrupt)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "corrupt" in out.stderr

    text = tmp_path / "notes.db"
    text.write_text("hello", encoding="utf-8")
    out = dealscreen("audit", "list", store=text)
    assert out.returncode == 2 and "Traceback" not in out.stderr

    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE x (y)")
    con.commit()
    con.close()
    out = dealscreen("audit", "list", store=foreign)
    assert out.returncode == 2 and "not a dealscreen decision store" in out.stderr

    from screen.audit.store import SCHEMA_VERSION, Store

    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    out = dealscreen("audit", "list", store=newer)
    assert out.returncode == 2
    assert f"schema version {SCHEMA_VERSION + 1}" in out.stderr and "upgrade" in out.stderr


def test_store_is_wal_and_versioned(tmp_path):
    from screen.audit.store import APPLICATION_ID, SCHEMA_VERSION, Store

    Store.open(tmp_path / "s.db").close()
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_failed_write_leaves_the_store_unchanged(setup):
    from screen.audit.store import Entry, Store

    rules, cases, store = setup
    record(rules, cases, store)
    with Store.open(store) as s:
        good = s.get(1)
        entry = Entry(good.result(), s.text(good.case_sha256), s.ruleset_files(good.ruleset_sha256))
        broken = Entry({"case": {}}, "", {})  # fails half-way through the transaction
        with pytest.raises(KeyError):
            s.append([entry, broken])
        assert len(s.records()) == 2 and s.verify().ok


def _writer(store: str, n: int, who: str, seed: dict) -> None:
    from screen.audit.store import Entry, Store

    with Store.open(store) as s:
        for _ in range(n):  # one transaction per record: the worst case for contention
            s.append([Entry(seed["result"], seed["case"], seed["files"])], who=who)


def test_parallel_writers_lose_nothing_and_keep_the_chain(setup, backend):
    from screen.audit.store import Store

    rules, cases, store = setup
    record(rules, cases, store)
    with Store.open(store) as s:
        r = s.get(1)
        seed = {"result": r.result(), "case": s.text(r.case_sha256),
                "files": s.ruleset_files(r.ruleset_sha256)}  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    n = 500 if backend == "sqlite" else 250  # the server's 4 x 250 is in test_store_postgres
    procs = [ctx.Process(target=_writer, args=(str(store), n, f"w{i}", seed)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Store.open(store) as s:
        records = s.records()
        assert len(records) == 2 + 2 * n
        assert sum(r.who == "w0" for r in records) == n
        v = s.verify()
        assert v.ok, v.problem


def test_record_results_api_for_other_commands(setup):
    """The memo command records through `record_results`, passing the texts it loaded."""
    from screen.audit.store import Store, record_results
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.engine.result import build_result

    rules, cases, store = setup
    rs = load_ruleset(rules)
    loaded = load_case(cases / "big.yaml")
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case))
    written = record_results([result], rules=rules, store=store, who="memo",
                             case_texts={loaded.sha256: loaded.text})  # fmt: skip
    with Store.open(store, create=False) as s:
        assert s.head() == written.head and s.get(written.ids[0]).who == "memo"


def test_acceptance_parallel_cli_recording(setup, tmp_path, backend):
    """Separate processes (`python -m screen`) on one SQLite file; the PostgreSQL equivalent
    is test_store_postgres.py's 4-writer tests (process start-up is the cost, not the store)."""
    if backend == "postgres":
        pytest.skip("covered by test_store_postgres.py (4 writers x 250, score --record x 40)")
    rules, cases, store = setup
    record(rules, cases, store)
    env = {**os.environ, "DEALSCREEN_STORE": str(store)}
    script = (
        "for i in 1 2 3 4 5; do "
        f"{sys.executable} -m screen score {cases} --rules {rules} --record "
        ">/dev/null 2>&1 || exit 1; "
        "done"
    )
    procs = [subprocess.Popen(["sh", "-c", script], env=env) for _ in range(2)]
    assert all(p.wait(120) == 0 for p in procs)
    listed = json.loads(dealscreen("audit", "list", "--format", "json", store=store).stdout)
    assert len(listed) == 11 * 2
    assert dealscreen("audit", "verify", store=store).returncode == 0


def test_streamed_listing_prints_exactly_what_the_whole_list_would():
    """`audit list` streams (one record in memory); its bytes are those of the list at once."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from screen.audit.replay import format_table, format_table_streamed
    from screen.cli.audit import _json_lines
    from screen.cli.common import echo_json as _json

    cell = st.text(max_size=8)
    item = st.dictionaries(st.text(max_size=5), st.one_of(cell, st.integers(), st.none()))

    row = st.lists(cell, min_size=3, max_size=3)

    @settings(max_examples=15, deadline=None)
    @given(items=st.lists(item, max_size=4), rows=st.lists(row, max_size=4))
    def check(items, rows):
        import contextlib
        import io

        whole, streamed = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(whole):
            _json(items)
        with contextlib.redirect_stdout(streamed):
            _json_lines(iter(items))
        assert streamed.getvalue() == whole.getvalue()
        lines = format_table_streamed(["a", "b", "c"], lambda: iter(rows))
        if not rows:
            assert lines is None
        else:
            assert "".join(line + "\n" for line in lines) == format_table(["a", "b", "c"], rows)

    check()
