"""`audit replay` refuses to replay stored inputs that no longer match their hashes."""

from __future__ import annotations

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
