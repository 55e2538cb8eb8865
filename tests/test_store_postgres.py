"""The team store on a real PostgreSQL server: one chain under concurrency, faults, tampering,
roles, passwords never shown, copies between backends, schema versions.

Store behaviour shared with SQLite is tested on both backends in test_store.py; this file is
what only a server has. The server comes from `store_backends.py` (skips outside CI without one,
fails in CI).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import MINI_RULES, make_case, run_cli, write_yaml
from store_backends import *  # noqa: F403 (fixtures: backend, store_url, pg_url, ...)
from store_backends import superuser_sql

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def work(tmp_path: Path, pg_url: str) -> dict[str, Any]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES, encoding="utf-8")
    cases = tmp_path / "cases"
    write_yaml(cases / "big.yaml", make_case({"epidemiology": {"us": 200000}}, id="big"))
    write_yaml(cases / "small.yaml", make_case({"epidemiology": {"us": 1000}}, id="small"))
    from psycopg.conninfo import conninfo_to_dict

    return {
        "rules": rules,
        "cases": cases,
        "url": pg_url,
        "password": conninfo_to_dict(pg_url)["password"],
        "tmp": tmp_path,
    }


def cli(*args: str, store: str) -> subprocess.CompletedProcess:
    return run_cli(*args, env={"DEALSCREEN_STORE": store})


def record(w: dict[str, Any]) -> subprocess.CompletedProcess:
    out = cli("score", str(w["cases"]), "--rules", str(w["rules"]), "--record", store=w["url"])
    assert out.returncode == 0, out.stderr
    return out


def seed_entry(url: str) -> dict[str, Any]:
    from screen.audit.store import Store

    with Store.open(url, create=False) as s:
        r = s.get(1)
        return {"result": r.result(), "case": s.text(r.case_sha256),
                "files": s.ruleset_files(r.ruleset_sha256)}  # fmt: skip


# --------------------------------------------------------------------------- the chain


def _writer(url: str, n: int, who: str, seed: dict[str, Any]) -> None:
    from screen.audit.store import Entry, Store

    with Store.open(url) as s:
        for _ in range(n):  # one transaction per record: the worst case for the lock
            s.append([Entry(seed["result"], seed["case"], seed["files"])], who=who)


def test_four_writers_of_250_make_one_linear_chain_of_1000(work):
    record(work)
    seed = seed_entry(work["url"])
    with superuser_sql(work["url"]) as db:  # start the count at 0 records, texts kept
        db.run("DELETE FROM records")
        db.run("UPDATE chain_head SET last_id = 0, hash = ?", ("0" * 64,))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(work["url"], 250, f"w{i}", seed)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    out = cli("audit", "verify", store=work["url"])
    assert out.returncode == 0, out.stderr
    assert "ok: 1000 record(s), chain intact" in out.stdout
    assert "append-only trigger in place" in out.stdout
    with superuser_sql(work["url"]) as db:
        per_writer = dict(db.run("SELECT who, count(*) FROM records GROUP BY who"))
        ids = [r[0] for r in db.run("SELECT id FROM records ORDER BY id")]
        forks = db.run("SELECT count(*) - count(DISTINCT prev_hash) FROM records")[0][0]
        times = [r[0] for r in db.run("SELECT created_at FROM records ORDER BY id")]
    assert per_writer == {"w0": 250, "w1": 250, "w2": 250, "w3": 250}
    assert ids == list(range(1, 1001)) and forks == 0
    assert times == sorted(times)  # server clock, taken under the lock: times follow ids


def _cli_writer(url: str, n: int, case: str, rules: str) -> None:
    from click.testing import CliRunner

    from screen.cli.app import main

    for _ in range(n):
        done = CliRunner().invoke(main, ["score", case, "--rules", rules, "--record"],
                                  env={"DEALSCREEN_STORE": url})  # fmt: skip
        assert done.exit_code == 0, done.output


def test_parallel_score_record_runs_share_one_chain(work):
    """`score --record` itself, in 4 processes at once (10 runs each, in-process)."""
    case, rules = str(work["cases"] / "big.yaml"), str(work["rules"])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_cli_writer, args=(work["url"], 10, case, rules)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    out = cli("audit", "verify", store=work["url"])
    assert out.returncode == 0 and "ok: 40 record(s), chain intact" in out.stdout


def test_first_writers_racing_to_create_the_store_all_get_it(pg_cluster):
    """Eight connections open a fresh database at once: one creates the schema, the others
    wait and use it (a waiter must see the tables the winner just created)."""
    import threading

    from screen.audit.store import Store

    for round_ in range(3):
        name = f"dsrace_{os.getpid()}_{round_}"
        with pg_cluster.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        url, start, errors = pg_cluster.database_url(name), threading.Barrier(8), []

        def open_it(
            url: str = url, start: threading.Barrier = start, errors: list = errors
        ) -> None:
            start.wait()
            try:
                Store.open(url).close()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with pg_cluster.admin() as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        assert errors == []


def test_a_writer_that_skips_the_lock_gets_an_error_not_a_fork(work):
    import psycopg

    record(work)
    with psycopg.connect(work["url"], autocommit=True) as conn:
        row = conn.execute("SELECT * FROM records WHERE id = 2").fetchone()
        cols = [d.name for d in conn.execute("SELECT * FROM records LIMIT 0").description]
        forged = dict(zip(cols, row, strict=True))
        forged.update(id=3, hash="f" * 64)  # same prev_hash as record 2: a second successor
        marks = ", ".join(["%s"] * len(cols))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(f"INSERT INTO records ({', '.join(cols)}) VALUES ({marks})",
                         list(forged.values()))  # fmt: skip
    assert cli("audit", "verify", store=work["url"]).returncode == 0


def test_scores_survive_the_round_trip_bit_for_bit(work):
    from screen.audit.store import Entry, Store

    record(work)
    seed = seed_entry(work["url"])
    result = dict(seed["result"], score=1234.5678)  # `real` would give back 1234.5677
    with Store.open(work["url"]) as s:
        written = s.append([Entry(result, seed["case"], seed["files"])])
        assert s.get(written.ids[0]).engine_score == 1234.5678
        assert s.verify().ok


def test_records_carry_the_server_clock_and_the_database_role(work):
    record(work)
    listed = json.loads(cli("audit", "list", "--format", "json", store=work["url"]).stdout)
    assert {r["db_role"] for r in listed} == {"postgres"}
    shown = cli("audit", "show", "1", store=work["url"]).stdout
    assert shown.splitlines()[0].endswith("(database role postgres)")
    with superuser_sql(work["url"]) as db:
        skew = db.run(
            "SELECT extract(epoch FROM clock_timestamp() AT TIME ZONE 'UTC' "
            "- max(created_at)::timestamp) FROM records"
        )[0][0]
    assert 0 <= float(skew) < 600


# --------------------------------------------------------------------------- faults

WRITER = """
import sys
from screen.audit.store import Entry, Store, StoreError
import json
seed = json.loads(open(sys.argv[2]).read())
try:
    with Store.open(sys.argv[1]) as s:
        while True:
            w = s.append([Entry(seed["result"], seed["case"], seed["files"])], who="k")
            print(w.ids[0], w.head, flush=True)  # acknowledged: committed
except StoreError as err:
    print("ERROR", err, file=sys.stderr, flush=True)
    sys.exit(2)
"""


def _start_writers(work: dict[str, Any], n: int) -> list[subprocess.Popen]:
    seed_file = work["tmp"] / "seed.json"
    if not seed_file.exists():
        seed_file.write_text(json.dumps(seed_entry(work["url"])), encoding="utf-8")
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, work["url"], str(seed_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]


def _acknowledged(procs: list[subprocess.Popen]) -> tuple[dict[int, str], str]:
    acked: dict[int, str] = {}
    errors = ""
    for p in procs:
        out, err = p.communicate(timeout=60)
        errors += err
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 2 and len(fields[1]) == 64:  # a line cut by the kill is no ack
                acked[int(fields[0])] = fields[1]
    return acked, errors


def _wait_for_records(url: str, at_least: int, timeout: float = 60) -> None:
    from screen.audit.store import Store

    deadline = time.monotonic() + timeout
    with Store.open(url, create=False) as s:
        while s.last_id() < at_least:
            assert time.monotonic() < deadline, "writers made no progress"
            time.sleep(0.05)


def _assert_all_kept(url: str, acked: dict[int, str]) -> None:
    from screen.audit.store import Store

    with Store.open(url, create=False) as s:
        v = s.verify()
        assert v.ok, v.problems
        for rid, head in acked.items():
            assert s.get(rid).hash == head


def test_kill_9_of_writers_mid_transaction_leaves_no_partial_record(work):
    record(work)
    acked: dict[int, str] = {}
    for _round in range(3):
        procs = _start_writers(work, 2)
        from screen.audit.store import Store

        with Store.open(work["url"], create=False) as s:
            start = s.last_id()
        _wait_for_records(work["url"], start + 10)
        for p in procs:
            p.send_signal(signal.SIGKILL)
        got, _ = _acknowledged(procs)
        acked.update(got)
    assert len(acked) >= 3 * 10 // 2
    _assert_all_kept(work["url"], acked)
    with superuser_sql(work["url"]) as db:  # no lock left behind: the head row is free
        db.run("SET lock_timeout = '2s'")
        assert db.run("SELECT last_id FROM chain_head FOR UPDATE NOWAIT")


def test_server_stopped_mid_run_is_a_clear_error_and_keeps_what_was_acknowledged(work, pg_cluster):
    record(work)
    procs = _start_writers(work, 2)
    _wait_for_records(work["url"], 30)
    pg_cluster.pg_ctl("stop", "-m", "immediate")
    try:
        acked, errors = _acknowledged(procs)
        assert all(p.returncode == 2 for p in procs), errors
        assert "lost the connection" in errors or "cannot connect" in errors, errors
        assert "Traceback" not in errors and work["password"] not in errors
        down = cli("audit", "list", store=work["url"])
        assert down.returncode == 2 and "cannot connect to the decision store" in down.stderr
        assert work["password"] not in down.stderr + down.stdout
    finally:
        pg_cluster.pg_ctl("start")
    _assert_all_kept(work["url"], acked)


# --------------------------------------------------------------------------- tampering


def test_superuser_changes_deletions_and_reorders_are_detected(work):
    record(work)
    record(work)
    url = work["url"]
    with superuser_sql(url) as db:
        db.run("UPDATE records SET who = 'mallory' WHERE id = 2")
        db.run("UPDATE records SET id = 100 WHERE id = 4")  # reorder: 3 <-> 4 by renumbering
        db.run("UPDATE records SET id = 4 WHERE id = 3")
        db.run("UPDATE records SET id = 3 WHERE id = 100")
    out = cli("audit", "verify", store=url)
    assert out.returncode == 1
    assert "record #2" in out.stderr and "3 broken (#2, #3, #4)" in out.stderr
    with superuser_sql(url) as db:
        db.run("DELETE FROM records WHERE id = 2")
    out = cli("audit", "verify", store=url)
    assert out.returncode == 1 and "#2 before it are missing" in out.stderr


def test_truncated_tail_is_caught_by_the_head_row_and_by_head(work):
    out = record(work)
    head = out.stderr.split("head ")[-1].split()[0]
    record(work)
    with superuser_sql(work["url"]) as db:
        db.run("DELETE FROM records WHERE id > 2")
    out = cli("audit", "verify", store=work["url"])
    assert out.returncode == 1 and "removed from the end" in out.stderr
    with superuser_sql(work["url"]) as db:  # a forger who also rewrites the head row
        db.run("DELETE FROM records WHERE id > 1")
        db.run("UPDATE chain_head SET last_id = 1, hash = (SELECT hash FROM records)")
    assert cli("audit", "verify", store=work["url"]).returncode == 0
    out = cli("audit", "verify", "--head", head, store=work["url"])
    assert out.returncode == 1 and "not in the chain" in out.stderr


def test_append_only_trigger_refuses_changes_and_verify_checks_it(work):
    import psycopg

    record(work)
    with psycopg.connect(work["url"], autocommit=True) as conn:
        for sql in ("UPDATE records SET who = 'x'", "DELETE FROM records", "TRUNCATE records"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(sql)
        conn.execute("ALTER TABLE records DISABLE TRIGGER dealscreen_records_append_only")
    out = cli("audit", "verify", store=work["url"])
    assert out.returncode == 1 and "append-only trigger is missing or disabled" in out.stderr


# --------------------------------------------------------------------------- roles, passwords


def test_writer_and_reader_roles_as_the_readme_creates_them(work):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    assert cli("audit", "init", store=work["url"]).returncode == 0
    db = conninfo_to_dict(work["url"])["dbname"]
    with psycopg.connect(work["url"], autocommit=True) as conn:
        for role in ("writer", "reader"):
            conn.execute(f"DROP ROLE IF EXISTS ds_{role}_{db}")
            conn.execute(f"CREATE ROLE ds_{role}_{db} LOGIN PASSWORD 'pw-{role}-secret'")
        w, r = f"ds_writer_{db}", f"ds_reader_{db}"
        conn.execute(f"GRANT CONNECT ON DATABASE {db} TO {w}, {r}")
        conn.execute(f"GRANT SELECT, INSERT ON records, texts TO {w}")
        conn.execute(f"GRANT SELECT, UPDATE ON chain_head TO {w}")
        conn.execute(f"GRANT SELECT ON records, texts, chain_head, dealscreen_schema TO {w}, {r}")

    def as_role(role: str) -> str:
        params = conninfo_to_dict(work["url"])
        params.update(user=f"ds_{role}_{db}", password=f"pw-{role}-secret")
        return make_conninfo(**params)  # key=value conninfo: also accepted

    try:
        wrote = cli("score", str(work["cases"]), "--rules", str(work["rules"]), "--record",
                    store=as_role("writer"))  # fmt: skip
        assert wrote.returncode == 0, wrote.stderr
        listed = json.loads(
            cli("audit", "list", "--format", "json", store=as_role("reader")).stdout
        )
        assert {r["db_role"] for r in listed} == {w}
        assert cli("audit", "verify", store=as_role("reader")).returncode == 0
        denied = cli("score", str(work["cases"]), "--rules", str(work["rules"]), "--record",
                     store=as_role("reader"))  # fmt: skip
        assert denied.returncode == 2 and "may not do this" in denied.stderr
        assert "Traceback" not in denied.stderr and "pw-reader-secret" not in denied.stderr
        refused = pytest.raises(psycopg.errors.InsufficientPrivilege)
        with psycopg.connect(as_role("writer"), autocommit=True) as conn, refused:
            conn.execute("UPDATE records SET who = 'x'")
    finally:
        with psycopg.connect(work["url"], autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {w}, {r}")
            conn.execute(f"DROP ROLE {w}, {r}")


def test_no_output_ever_contains_the_password(work):
    url, pw = work["url"], work["password"]
    cases, rules = str(work["cases"]), str(work["rules"])
    big = str(work["cases"] / "big.yaml")
    runs = [
        run_cli("score", cases, "--rules", rules, "--record", "--store", url),
        cli("decide", big, "--rules", rules, "--decision", "watch", store=url),
        cli("memo", big, "--rules", rules, "-o", str(work["tmp"] / "m.md"), "--record", store=url),
        cli("audit", "list", store=url),
        cli("audit", "list", "--format", "json", store=url),
        cli("audit", "show", "1", store=url),
        cli("audit", "show", "99", store=url),
        cli("audit", "verify", store=url),
        cli("audit", "stats", store=url),
        cli("audit", "replay", "1", store=url),
        cli("audit", "init", store=url),
        run_cli("diff", "--new", rules, "--store", url),
        run_cli("audit", "copy", "--from", url, "--to", str(work["tmp"] / "p.db")),
        run_cli("audit", "verify", "--store", url.replace(pw, "wrong-" + pw)),
        run_cli("audit", "verify", "--store", url.replace("127.0.0.1", "127.0.0.1:1")),
        run_cli("audit", "verify", "--store", url.rsplit("/", 1)[0] + "/no_such_db"),
        run_cli("audit", "list", "--store", f"postgresql://bob:{pw}@[::1"),  # unparseable
        run_cli("audit", "list", "--store", f"host=127.0.0.1 password='{pw}"),
    ]
    assert runs[0].returncode == 0 and "in postgresql://postgres@" in runs[0].stderr
    for done in runs:
        assert pw not in done.stdout + done.stderr, done.args
        assert "Traceback" not in done.stderr
        assert done.returncode in (0, 2), (done.args, done.stderr)
    assert "cannot connect" in runs[-5].stderr and runs[-5].returncode == 2
    assert "not a valid PostgreSQL URL" in runs[-1].stderr


def test_missing_driver_is_a_clear_error_and_writes_nothing(work, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg.conninfo", None)
    out = run_cli("score", str(work["cases"]), "--record", "--store", work["url"])
    assert out.returncode == 2 and "dealscreen[postgres]" in out.stderr
    assert work["password"] not in out.stderr and "Traceback" not in out.stderr


# --------------------------------------------------------------------------- copy, versions


def test_copy_sqlite_to_postgres_and_back_keeps_every_hash(work):
    personal = work["tmp"] / "me.db"
    out = run_cli("score", str(work["cases"]), "--rules", str(work["rules"]), "--record",
                  "--store", str(personal))  # fmt: skip
    assert out.returncode == 0
    first = run_cli("audit", "copy", "--from", str(personal), "--to", work["url"])
    assert first.returncode == 0 and "copied 2 record(s)" in first.stdout
    again = run_cli("audit", "copy", "--from", str(personal), "--to", work["url"])
    assert again.returncode == 0 and "nothing to copy" in again.stdout
    record(work)  # the team store goes on: 4 records
    back = work["tmp"] / "back.db"
    done = run_cli("audit", "copy", "--from", work["url"], "--to", str(back))
    assert done.returncode == 0 and "copied 4 record(s)" in done.stdout

    def listing(store: str) -> list[dict[str, Any]]:
        return json.loads(run_cli("audit", "list", "--format", "json", "--store", store).stdout)

    lite, team, copy = listing(str(personal)), listing(work["url"]), listing(str(back))
    assert [r["hash"] for r in team[:2]] == [r["hash"] for r in lite]
    assert team == copy  # every field, db_role included, and every hash
    assert run_cli("audit", "verify", "--store", str(back)).returncode == 0
    # a diverged target is refused, and nothing is written to it
    diverged = run_cli("audit", "copy", "--from", str(personal), "--to", str(back))
    assert diverged.returncode == 2 and "nothing was copied" in diverged.stderr
    assert len(listing(str(back))) == 4


def test_newer_schema_and_foreign_databases_are_refused(work):
    record(work)
    with superuser_sql(work["url"]) as db:
        db.run("UPDATE dealscreen_schema SET version = 99")
    out = cli("audit", "list", store=work["url"])
    assert out.returncode == 2 and "schema version 99" in out.stderr and "upgrade" in out.stderr
    with superuser_sql(work["url"]) as db:
        db.run("DROP TABLE dealscreen_schema")
    out = cli("score", str(work["cases"]), "--record", store=work["url"])
    assert out.returncode == 2 and "already has tables" in out.stderr


def test_reading_commands_on_an_empty_database_create_nothing(work):
    out = cli("audit", "list", store=work["url"])
    assert out.returncode == 2 and "no decision store in this database" in out.stderr
    with superuser_sql(work["url"]) as db:
        assert db.run("SELECT to_regclass('records')") == [(None,)]
