"""Issue 16, store side: no false tampering alarms, every broken record named, healthy files
never misread (read-only filesystem, full disk), damaged pages and empty files refused.

Read-only filesystems and full disks are real ones: a read-only bind mount and a small tmpfs in a
private mount namespace (`unshare -rm`, no root needed). Where namespaces are not allowed the
tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import MINI_RULES, make_case, run_cli, write_yaml
from store_backends import *  # noqa: F403 (fixtures: backend, store_url, pg_url, ...)
from store_backends import superuser_sql

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def work(tmp_path: Path) -> dict[str, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES, encoding="utf-8")
    cases = tmp_path / "cases"
    write_yaml(cases / "big.yaml", make_case({"epidemiology": {"us": 200000}}, id="big"))
    write_yaml(cases / "small.yaml", make_case({"epidemiology": {"us": 1000}}, id="small"))
    return {"rules": rules, "cases": cases, "store": tmp_path / "s" / "decisions.db",
            "tmp": tmp_path}  # fmt: skip


def score_record(w: dict[str, Path], store: Path | str | None = None) -> Any:
    return run_cli("score", str(w["cases"]), "--rules", str(w["rules"]), "--record",
                   "--store", str(store or w["store"]))  # fmt: skip


# --------------------------------------------------------------------------- 1: BOM, every record


def test_a_byte_order_mark_is_no_tampering_for_any_recording_command(work, store_url):
    bommed = work["tmp"] / "bom.yaml"
    bommed.write_bytes(BOM + (work["cases"] / "big.yaml").read_bytes())
    case, rules = str(bommed), str(work["rules"])
    runs = {
        "score --record": run_cli("score", case, "--rules", rules, "--record",
                                  "--store", store_url),
        "memo --record": run_cli("memo", case, "--rules", rules, "-o", str(work["tmp"] / "m.md"),
                                 "--record", "--store", store_url),
        "decide": run_cli("decide", case, "--rules", rules, "--decision", "watch",
                          "--store", store_url),
    }  # fmt: skip
    for name, done in runs.items():
        assert done.returncode == 0, (name, done.stderr)
    verify = run_cli("audit", "verify", "--store", store_url)
    assert verify.returncode == 0, verify.stderr
    assert "ok: 3 record(s), chain intact" in verify.stdout
    for rid in ("1", "2", "3"):  # the stored text is the file's exact bytes, BOM included
        assert run_cli("audit", "replay", rid, "--store", store_url).stdout.startswith("IDENTICAL")
    from screen.audit.store import Store

    with Store.open(store_url, create=False) as s:
        r = s.get(1)
        assert s.text(r.case_sha256).encode("utf-8") == bommed.read_bytes()


def test_stored_case_text_refuses_a_text_that_is_not_the_scored_bytes(work):
    from screen.audit.store import StoreError, stored_case_text
    from screen.engine.loader import load_case

    path = work["cases"] / "big.yaml"
    loaded = load_case(path)
    result = {"case": {"sha256": loaded.sha256, "path": str(path)}}
    assert stored_case_text(result, loaded.text) == loaded.text
    path.write_text(loaded.text + "\n# edited after scoring\n", encoding="utf-8")
    with pytest.raises(StoreError, match="changed on disk"):
        stored_case_text(result, "some other text")


def test_verify_lists_every_broken_record_with_count_and_ids(work):
    assert score_record(work).returncode == 0
    assert score_record(work).returncode == 0
    with superuser_sql(work["store"]) as db:
        db.run("UPDATE records SET who = 'mallory' WHERE id IN (1, 3)")
    out = run_cli("audit", "verify", "--store", str(work["store"]))
    assert out.returncode == 1
    assert out.stderr.count("BROKEN: record #") == 2
    assert "record #1 (" in out.stderr and "record #3 (" in out.stderr
    assert "checked 4 record(s): 2 broken (#1, #3)" in out.stderr


# --------------------------------------------------------------------------- 7: healthy files


def _namespaces() -> str | None:
    """Why private mount namespaces are not available here (None: they are)."""
    if not shutil.which("unshare"):
        return "no unshare(1)"
    done = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True)
    return None if done.returncode == 0 else f"unshare -rm refused: {done.stderr.strip()}"


IN_NAMESPACE = """
import json, sys
from click.testing import CliRunner
from screen.cli.app import main
out = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(main, args)
    out.append({"args": args, "code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr})
print(json.dumps(out))
"""


def _run_mounted(setup: str, commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run `setup` (shell, mounts) and then dealscreen `commands` in one private namespace."""
    why = _namespaces()
    if why:
        pytest.skip(why)
    script = f'{setup} && exec {sys.executable} -c "$0" "$1"'
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, IN_NAMESPACE, json.dumps(commands)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "DEALSCREEN_STORE": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_reading_command_works_on_a_read_only_filesystem(work):
    assert score_record(work).returncode == 0
    folder = work["store"].parent
    s = str(work["store"])
    reading = [
        ["audit", "list", "--store", s],
        ["audit", "list", "--format", "json", "--store", s],
        ["audit", "show", "1", "--store", s],
        ["audit", "verify", "--store", s],
        ["audit", "stats", "--store", s],
        ["audit", "replay", "1", "--store", s],
        ["diff", "--new", str(work["rules"]), "--store", s],
    ]
    writing = [["score", str(work["cases"]), "--rules", str(work["rules"]), "--record",
                "--store", s]]  # fmt: skip
    runs = _run_mounted(
        f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder}", reading + writing
    )
    for r in runs[:-1]:
        assert r["code"] == 0, r
        assert "corrupt" not in r["stderr"] and "backup" not in r["stderr"]
    assert "ok: 2 record(s), chain intact" in runs[3]["stdout"]
    assert runs[-1]["code"] == 2 and "read-only" in runs[-1]["stderr"], runs[-1]
    assert not list(folder.glob("*-shm")) and not list(folder.glob("*-wal"))


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_full_disk_says_disk_full_and_keeps_the_store(work, journal):
    assert score_record(work).returncode == 0
    if journal == "delete":
        with sqlite3.connect(work["store"]) as con:
            con.execute("PRAGMA journal_mode = DELETE")
    size = work["store"].stat().st_size
    disk = work["tmp"] / "disk"
    disk.mkdir()
    s = str(disk / "decisions.db")
    cmd = ["score", str(work["cases"]), "--rules", str(work["rules"]), "--record", "--store", s]
    setup = (
        f"mount -t tmpfs -o size={size + 64 * 1024} tmpfs {disk} && cp {work['store']} {s} && "
        f"(dd if=/dev/zero of={disk}/filler bs=4096 2>/dev/null || true)"
    )
    runs = _run_mounted(
        setup, [cmd, ["audit", "verify", "--store", s], ["audit", "list", "--store", s]]
    )
    wrote, verified, listed = runs
    assert wrote["code"] == 2, wrote
    assert "disk full" in wrote["stderr"] and "nothing was recorded" in wrote["stderr"]
    assert "cannot rollback" not in wrote["stderr"]
    assert verified["code"] == 0 and "ok: 2 record(s)" in verified["stdout"], verified
    assert listed["code"] == 0


def test_damaged_pages_are_found_by_verify(work):
    for _ in range(3):
        assert score_record(work).returncode == 0
    with sqlite3.connect(work["store"]) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size, pages = (con.execute(f"PRAGMA {p}").fetchone()[0]
                            for p in ("page_size", "page_count"))  # fmt: skip
    clean = work["store"].read_bytes()
    rng = __import__("random").Random(16)
    for page in sorted(rng.sample(range(2, pages), min(4, pages - 2))):
        data = bytearray(clean)
        data[(page - 1) * page_size : page * page_size] = rng.randbytes(page_size)
        work["store"].write_bytes(bytes(data))
        out = run_cli("audit", "verify", "--store", str(work["store"]))
        assert out.returncode in (1, 2), (page, out.stdout)
        assert "damaged" in out.stderr or "corrupt" in out.stderr or "BROKEN" in out.stderr
        assert "Traceback" not in out.stderr


def test_an_empty_file_is_never_adopted_as_a_store(work):
    work["store"].parent.mkdir(parents=True)
    work["store"].write_bytes(b"")
    for args in (["audit", "list"], ["audit", "verify"]):
        out = run_cli(*args, "--store", str(work["store"]))
        assert out.returncode == 2 and "empty file" in out.stderr
    out = score_record(work)
    assert out.returncode == 2 and "empty file" in out.stderr
    assert work["store"].read_bytes() == b""  # not written to


def test_a_new_store_appears_complete_or_not_at_all(work):
    from screen.audit.store import SCHEMA_VERSION, Store

    Store.open(work["store"]).close()
    assert os.listdir(work["store"].parent) == ["decisions.db"]  # no temporary file left
    con = sqlite3.connect(work["store"])
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_an_older_store_is_read_as_is_and_upgraded_by_the_next_write(work):
    from screen.audit.store import APPLICATION_ID, HASHED_COLUMNS
    from screen.audit.store.sqlite import MIGRATIONS

    assert score_record(work).returncode == 0
    old = work["tmp"] / "v1.db"
    con = sqlite3.connect(old)
    con.executescript(MIGRATIONS[1])
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.execute("ATTACH ? AS new", (str(work["store"]),))
    cols = ", ".join((*HASHED_COLUMNS, "hash", "result_z"))
    con.execute("INSERT INTO texts SELECT * FROM new.texts")
    con.execute(f"INSERT INTO records ({cols}) SELECT {cols} FROM new.records")
    con.commit()
    con.close()
    out = run_cli("audit", "verify", "--store", str(old))
    assert out.returncode == 0 and "ok: 2 record(s)" in out.stdout
    with sqlite3.connect(old) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1  # reading changed nothing
    assert score_record(work, old).returncode == 0
    out = run_cli("audit", "verify", "--store", str(old))
    assert out.returncode == 0 and "ok: 4 record(s)" in out.stdout
    with sqlite3.connect(old) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 2
