"""`dealscreen memo --record` stores the screening behind each memo in the decision store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=60)


def test_memo_record_stores_each_result_and_prints_the_head(tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    cases = [str(ROOT / "cases" / "kestrel-bio.yaml"), str(ROOT / "cases" / "silverpine-bio.yaml")]
    done = run(
        "memo",
        *cases,
        "-o",
        str(tmp_path / "memos"),
        "--record",
        "--store",
        str(store),
        "--who",
        "analyst",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "head " in done.stderr
    listed = run("audit", "list", "--store", str(store), "--format", "json", cwd=tmp_path)
    rows = json.loads(listed.stdout)
    assert sorted(r["company"] for r in rows) == [
        "Kestrel Biotherapeutics",
        "Silverpine Biosciences",
    ]
    verify = run("audit", "verify", "--store", str(store), cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
