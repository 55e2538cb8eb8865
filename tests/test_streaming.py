"""`score --format json` streams results out one by one: same bytes as the whole list at once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from helpers import run_cli
from screen.engine import result
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))


def whole_list(paths: list[Path]) -> str:
    rs = load_ruleset()
    results = []
    for p in paths:
        loaded = load_case(p)
        results.append(result.build_result(rs, loaded, evaluate_case(rs, loaded.case)))
    return result.dumps(results)


def test_streamed_json_is_the_bytes_of_the_whole_list():
    res = run_cli("score", *[str(p) for p in CASES], "--format", "json")
    assert res.returncode == 0, res.stderr
    assert res.stdout == whole_list(CASES)


def test_streamed_json_to_a_file_matches_stdout_and_has_ordinary_permissions(tmp_path):
    out = tmp_path / "sub" / "results.json"
    one = str(CASES[0])
    res = run_cli("score", one, "--format", "json", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_text(encoding="utf-8") == run_cli("score", one, "--format", "json").stdout
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    assert [f.name for f in out.parent.iterdir()] == ["results.json"]  # no temporary left


def test_no_case_scored_is_an_empty_list_and_the_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("company: [\n", encoding="utf-8")
    res = run_cli("score", str(bad), "--format", "json")
    assert res.returncode == 2
    assert res.stdout == "[]\n"
    assert res.stderr.startswith(str(bad) + ":")


def test_a_device_as_output_is_written_to_and_its_failure_is_located(tmp_path):
    res = run_cli("score", str(CASES[0]), "--format", "json", "-o", "/dev/full")
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("/dev/full:") and "Traceback" not in res.stderr
    assert Path("/dev/full").is_char_device()  # written to, never replaced by a renamed file


def test_table_without_record_is_the_same_as_with_the_full_results(tmp_path):
    from screen.report import console

    args = [str(p) for p in CASES]
    rs = load_ruleset()
    full = []
    for p in args:
        loaded = load_case(p)
        full.append(result.build_result(rs, loaded, evaluate_case(rs, loaded.case)))
    res = run_cli("score", *args)
    assert res.returncode == 0, res.stderr
    assert res.stdout == console.table(full)


def test_output_through_a_symlink_writes_the_file_it_points_at(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    res = run_cli("score", str(CASES[0]), "--format", "json", "-o", str(link))
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("[\n  {")
