"""`audit replay` refuses to replay stored inputs that no longer match their hashes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=60)


def test_replay_of_an_altered_case_text_says_it_was_altered(tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    assert run("score", case, "--record", "--store", str(store), cwd=tmp_path).returncode == 0
    with sqlite3.connect(store) as conn:
        sha = conn.execute("SELECT case_sha256 FROM records WHERE id = 1").fetchone()[0]
        conn.execute(
            "UPDATE texts SET body = replace(body, 'Kestrel', 'Kestral') WHERE sha256 = ?", (sha,)
        )
    done = run("audit", "replay", "1", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert "altered" in done.stdout + done.stderr
    assert "Kestral" not in done.stdout


def test_audit_show_accepts_the_id_as_list_prints_it(tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    assert run("score", case, "--record", "--store", str(store), cwd=tmp_path).returncode == 0
    shown = run("audit", "show", "#1", "--store", str(store), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "record #1" in shown.stdout


def test_an_altered_record_is_never_shown_as_the_record(tmp_path: Path) -> None:
    """Someone sets a stored decision to advance with SQL: verify says BROKEN, and so do
    replay (not IDENTICAL), list (marked '!'), show and stats (a warning), each exit 1."""
    store = tmp_path / "d.db"
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    assert run("score", case, "--record", "--store", str(store), cwd=tmp_path).returncode == 0
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE records SET decision = 'decline', score = 0.5 WHERE id = 1")
    replayed = run("audit", "replay", "1", "--store", str(store), cwd=tmp_path)
    assert replayed.returncode == 1 and replayed.stdout.startswith("BROKEN: record #1")
    assert "IDENTICAL" not in replayed.stdout
    listed = run("audit", "list", "--store", str(store), cwd=tmp_path)
    assert listed.returncode == 1 and "#1!" in listed.stdout
    assert "record(s) #1 fail their integrity check" in listed.stderr
    as_json = run("audit", "list", "--format", "json", "--store", str(store), cwd=tmp_path)
    assert as_json.returncode == 1 and '"intact": false' in as_json.stdout
    for args in (("audit", "show", "1"), ("audit", "stats"), ("history", "kestrel")):
        done = run(*args, "--store", str(store), cwd=tmp_path)
        assert done.returncode == 1 and "integrity check" in done.stderr, args
    fixture = str(ROOT / "tests" / "fixtures" / "thesis-1.0.1.yaml")
    diffed = run("diff", "--new", fixture, "--store", str(store), cwd=tmp_path)
    assert diffed.returncode == 1 and "integrity check" in diffed.stderr
    as_input = run("compare", "#1", case, "--store", str(store), cwd=tmp_path)
    assert as_input.returncode == 2 and "#1: hash mismatch" in as_input.stderr
    replay_json = run(
        "audit", "replay", "1", "--format", "json", "--store", str(store), cwd=tmp_path
    )
    assert replay_json.returncode == 1 and json.loads(replay_json.stdout)["broken"]


def test_a_damaged_stored_result_is_a_located_error_not_a_crash(tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    assert run("score", case, "--record", "--store", str(store), cwd=tmp_path).returncode == 0
    with sqlite3.connect(store) as conn:
        blob = bytearray(conn.execute("SELECT result_z FROM records").fetchone()[0])
        blob[40:60] = bytes(b ^ 0xFF for b in blob[40:60])
        conn.execute("UPDATE records SET result_z = ?", (bytes(blob),))
    for args in (("audit", "show", "1"), ("audit", "replay", "1")):
        done = run(*args, "--store", str(store), cwd=tmp_path)
        assert done.returncode in (1, 2), (args, done.stderr)
        assert "internal error" not in done.stderr
        said = done.stdout + done.stderr
        assert "record #1" in said and "unreadable" in said
