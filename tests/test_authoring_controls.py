"""OPA/pytest/ruff-style controls for rule-set authors (issue 15, item 10): `eval`, `test -k` and
`-v`, and per-finding lint suppressions (`# noqa: CODE`, `--show-suppressed`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import DELETE, MINI_RULES, ROOT, make_case, run_cli, write_yaml

SHADOWED = """      - id: size.tiny{mark}
        when: derived.us_patients < 10
        score: 0
        rationale: "T2: kept for the record"
"""


def _rules_with_shadowed_band(tmp_path: Path, mark: str) -> Path:
    anchor = '        rationale: "T2: small need"\n'
    assert anchor in MINI_RULES
    path = tmp_path / "rules.yaml"
    path.write_text(MINI_RULES.replace(anchor, anchor + SHADOWED.format(mark=mark)), "utf-8")
    return path


# --------------------------------------------------------------------------- eval


def test_eval_prints_the_value_and_every_fact_it_read(tmp_path: Path) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case({"epidemiology": {"us": 250000}}))
    run = run_cli("eval", "derived.us_patients >= params.big", str(case),
                  "--rules", str(_mini(tmp_path)))  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "true"
    assert "  derived.us_patients = 250000" in lines and "  params.big = 100000" in lines


def _mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI_RULES, encoding="utf-8")
    return path


def test_eval_says_unknown_and_names_the_missing_fact(tmp_path: Path) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case({"epidemiology": {"us": DELETE}}))
    run = run_cli("eval", "asset.epidemiology.us > 1000 or false", str(case),
                  "--rules", str(_mini(tmp_path)), "--format", "json")  # fmt: skip
    doc = json.loads(run.stdout)
    assert doc["unknown"] is True and doc["value"] is None
    assert doc["missing"] == ["asset.epidemiology.us"]
    assert doc["reads"] == {"asset.epidemiology.us": None}


def test_eval_of_a_list_with_an_unstated_item_gives_json_and_names_the_fact(
    tmp_path: Path,
) -> None:
    """One readout states `n`, another does not: the list has an unknown item (null in JSON,
    not a crash), and a sum over it is unknown for want of that fact."""
    readouts = [{"endpoint": "ORR", "n": 62}, {"endpoint": "PFS"}]
    case = write_yaml(tmp_path / "c.yaml", make_case({"trials": [{"readouts": readouts}]}))
    run = run_cli("eval", "asset.trials.readouts.n", str(case), "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["value"] == [62, None] and doc["missing"] == ["asset.trials.readouts.n"]
    run = run_cli("eval", "sum(asset.trials.readouts.n)", str(case))
    assert run.stdout.splitlines()[0] == "unknown (needs asset.trials.readouts.n)"


def test_eval_reads_fields_the_rule_set_never_reads_and_picks_an_asset(tmp_path: Path) -> None:
    base = make_case()
    second = {**base["assets"][0], "id": "B2", "name": "B-2", "role": "non_core",
              "stage": "phase3"}  # fmt: skip
    case = write_yaml(tmp_path / "c.yaml", {**base, "assets": [base["assets"][0], second]})
    run = run_cli("eval", "asset.stage", str(case), "--asset", "B2")
    assert run.stdout.splitlines()[0] == "phase3" and "asset B2:" in run.stdout
    run = run_cli("eval", "asset.target", str(case))  # not read by the thesis
    assert run.stdout.splitlines()[0] == "HER3"
    run = run_cli("eval", "asset.stage", str(case), "--asset", "b-2")
    assert run.returncode == 2 and "did you mean 'B2'?" in run.stderr


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("asset.__class__", "names starting with '_' are not allowed"),
        ("asset.epidemology.us > 0", "did you mean 'epidemiology'?"),
        ("2 ** 999999", "exponent"),
        ("params.nope", "unknown parameter 'nope'"),
    ],
)
def test_eval_refuses_what_the_sandbox_refuses(tmp_path: Path, expr: str, message: str) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case())
    run = run_cli("eval", expr, str(case))
    assert run.returncode == 2 and message in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


# --------------------------------------------------------------------------- test -k / -v


def test_test_k_selects_by_name_and_v_lists_each_test() -> None:
    run = run_cli("test", "-k", "T6 and not Hematology", "-v")
    assert run.returncode == 0, run.stdout
    ran = [line for line in run.stdout.splitlines() if line.endswith(" PASSED")]
    assert ran and all("T6" in line and "hematology" not in line for line in ran)
    assert " deselected " in run.stdout.splitlines()[-1]
    total = run_cli("test").stdout.splitlines()[-1]
    assert f"{len(ran)} passed" in run.stdout and "deselected" not in total


def test_test_k_that_matches_nothing_fails_and_says_so() -> None:
    run = run_cli("test", "-k", "no-such-test-name")
    assert run.returncode == 1 and "no test name matches -k 'no-such-test-name'" in run.stderr
    bad = run_cli("test", "-k", "T6 and")
    assert bad.returncode == 2 and "-k 'T6 and': ends too early" in bad.stderr


def test_keyword_matcher_follows_and_or_not_with_parentheses() -> None:
    from screen.authoring.selection import keyword_matcher

    m = keyword_matcher("(gate or band) and not Phase3")
    assert m("a gate test") and m("BAND x") and not m("gate phase3") and not m("row")


# --------------------------------------------------------------------------- noqa


def test_noqa_silences_one_finding_and_show_suppressed_lists_it(tmp_path: Path) -> None:
    plain = run_cli("lint", str(_rules_with_shadowed_band(tmp_path, "")))
    assert "[shadowed-band]" in plain.stdout and ", 1 warning," in plain.stderr
    rules = _rules_with_shadowed_band(tmp_path, "  # noqa: shadowed-band")
    run = run_cli("lint", "--strict", str(rules))
    assert run.returncode == 0, run.stdout
    assert "shadowed-band" not in run.stdout
    assert "0 warnings" in run.stderr and "1 suppressed (show with --show-suppressed)" in run.stderr
    shown = run_cli("lint", "--show-suppressed", str(rules))
    assert "[shadowed-band] (suppressed)" in shown.stdout
    doc = json.loads(run_cli("lint", "--format", "json", str(rules)).stdout)
    assert doc["summary"]["suppressed"] == 1 and doc["summary"]["warnings"] == 0


def test_noqa_for_another_check_does_not_silence_and_a_typo_is_flagged(tmp_path: Path) -> None:
    rules = _rules_with_shadowed_band(tmp_path, "  # noqa: table-gap")
    run = run_cli("lint", str(rules))
    assert "[shadowed-band]" in run.stdout
    rules = _rules_with_shadowed_band(tmp_path, "  # noqa: shadowd-band")
    run = run_cli("lint", str(rules))
    assert "[shadowed-band]" in run.stdout and "[unknown-noqa]" in run.stdout
    assert "did you mean 'shadowed-band'?" in run.stdout


def test_the_bundled_thesis_lints_clean_without_suppressions() -> None:
    assert "noqa" not in (ROOT / "rules" / "thesis.yaml").read_text(encoding="utf-8")
