"""Rule-set tests: expectations, failure reports with file:line, and coverage numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import helpers
from screen.authoring.ruletests import deep_merge, run_tests
from screen.model.errors import ScreenError

FIXTURES = Path(__file__).parent / "fixtures" / "authoring" / "ruletests"
RULES = FIXTURES / "rules.yaml"
ROOT = Path(__file__).resolve().parents[1]


def test_coverage_matches_the_hand_count():
    run = run_tests(RULES, [FIXTURES / "tests"])
    assert run.ok and run.count("passed") == 2
    assert (run.covered, len(run.coverage)) == (5, 7)
    assert round(run.percent, 1) == 71.4
    missed = {(c.kind, c.id, c.location.line) for c in run.coverage if not c.hits}
    assert missed == {("gate-fail", "need", 24), ("row", "bd.noncore", 22)}
    text = run.coverage_text()
    assert f"{RULES}:22:9: row bd.noncore (table bd) never fired" in text
    assert f"{RULES}:24:5: gate need never failed" in text
    assert "5/7" in text and "71.4%" in text


def test_a_failing_expectation_reports_file_line_and_actual_vs_expected():
    run = run_tests(RULES, [FIXTURES / "failing"])
    assert [r.status for r in run.results] == ["passed", "failed", "failed"]
    wrong = run.results[1]
    path = str(FIXTURES / "failing" / "failing.yaml")
    by_key = {f.key: f for f in wrong.failures}
    assert str(by_key["decision"]).startswith(
        f"{path}:14:17: decision: expected advance, got watch"
    )
    assert str(by_key["criteria.bd_ready"]) == (
        f"{path}:15:26: criteria.bd_ready: expected >= 3, got 1 (bd.core_early: score 1)"
    )
    assert by_key["fired"].location.line == 16
    unknowns = run.results[2].failures[0]
    assert (unknowns.key, unknowns.location.line) == ("unknowns", 22)
    assert "also unknown: asset.unmet_need.addressed" in str(unknowns)
    text = run.text()
    assert f"FAILED {path}:10:5: wrong score and decision" in text
    assert "2 failed, 1 passed" in text


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(f"base: {FIXTURES / 'base-case.yaml'}\ntests:\n{body}")
    return path


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("{critera.size: 5}", "unknown key 'critera.size'"),
        ("{criteria.sise: 5}", "no criterion 'sise' in the rule set (did you mean 'size'?)"),
        ("{fired: [size.bigg]}", "no gate, band or row 'size.bigg'"),
        ("{decision: advanced}", "unknown decision 'advanced' (did you mean 'advance'?)"),
        ("{criteria.size: '>= x'}", "cannot read the comparison"),
        ("{unknowns: [{a: 1}]}", "unknowns: items are rule ids or fact paths"),
        ("{fired: [[size.big]]}", "fired: items are rule ids or fact paths"),
        ("{unknowns: [asset.nope]}", "unknowns: 'asset.nope' is not a case fact the rule set"),
    ],
)
def test_a_misspelt_expectation_is_an_error_not_a_pass(tmp_path, expect, message):
    run = run_tests(RULES, [write(tmp_path, f"  - name: t\n    expect: {expect}\n")])
    assert run.results[0].status == "error"
    assert message in run.results[0].error and ":4:" in run.results[0].error


def test_an_invalid_inline_case_points_into_the_test_file(tmp_path):
    body = "  - name: t\n    case: {assets: [{stage: phase9}]}\n    expect: {decision: advance}\n"
    run = run_tests(RULES, [write(tmp_path, body)])
    assert run.results[0].status == "error"
    assert "t.yaml:4:29: assets[0].stage: unknown stage 'phase9'" in run.results[0].error


def test_deep_merge_lays_a_partial_case_over_its_base():
    base = {"a": {"b": 1, "c": 2}, "assets": [{"id": "A1", "x": 1}, {"id": "A2", "x": 2}]}
    over = {"a": {"c": None}, "assets": [{"x": 9}, {"id": "A2", "y": 3}, {"id": "A3"}]}
    assert deep_merge(base, over) == {
        "a": {"b": 1},
        "assets": [{"id": "A1", "x": 9}, {"id": "A2", "x": 2, "y": 3}, {"id": "A3"}],
    }
    assert base["a"] == {"b": 1, "c": 2}  # the base is not modified


def test_bundled_thesis_tests_pass_with_full_coverage():
    run = run_tests()
    assert run.ok, run.text()
    assert run.percent == 100.0, run.coverage_text()


def test_missing_test_folder_is_a_located_error(tmp_path):
    (tmp_path / "r.yaml").write_text(RULES.read_text())
    with pytest.raises(ScreenError, match="test file not found"):
        run_tests(tmp_path / "r.yaml", [tmp_path / "nope.yaml"])


def test_a_copied_rule_file_without_tests_beside_it_says_where_they_are_looked_for(tmp_path):
    """`dealscreen test copy.yaml` printed '/tmp/tests: test file not found', naming a
    folder the user never gave (a fresh-clone review)."""
    copy = tmp_path / "copy.yaml"
    copy.write_text((ROOT / "rules" / "thesis.yaml").read_text())
    out = run_cli("test", str(copy))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"{copy}: no tests for these rules")
    assert f"read from {tmp_path / 'tests'}/" in out.stderr
    assert f"'dealscreen test {copy} rules/tests/'" in out.stderr
    assert run_cli("test", str(copy), "rules/tests/").returncode == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return helpers.run_cli(*args, cwd=ROOT)


def test_cli_exit_codes_and_coverage():
    done = run_cli("test", "--coverage")
    assert done.returncode == 0 and "100.0%" in done.stdout
    failing = run_cli("test", str(RULES), str(FIXTURES / "failing"))
    assert failing.returncode == 1 and "expected >= 3, got 1" in failing.stdout
    under = run_cli("test", str(RULES), str(FIXTURES / "tests"), "--coverage", "--fail-under", "80")
    assert under.returncode == 1 and "71.4%" in under.stdout


def test_a_missing_test_file_is_named_as_missing(tmp_path):
    """`dealscreen test rules/ nope.yaml` said 'one rule set at a time, got rules/, nope.yaml':
    a file that does not exist is not a second rule set."""
    from helpers import ROOT, run_cli

    out = run_cli("test", str(ROOT / "rules"), str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert f"{tmp_path / 'nope.yaml'}: no such file or folder" in out.stderr
    assert "one rule set at a time" not in out.stderr
