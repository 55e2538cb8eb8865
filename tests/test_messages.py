"""What a new user reads when they get something wrong (issue 15, items 1-6, 9, 11).

Each test here failed on the code before the fix: a suggestion that pointed the wrong way, two
errors for one typo, a command that wrote a file without saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT, make_case, run_cli, write_yaml
from screen.model.errors import did_you_mean, normalise_word, plural, suggest
from screen.model.vocab import Stage, TherapeuticArea, TrialPhase

AREAS = [a.value for a in TherapeuticArea]


@pytest.mark.parametrize(
    ("word", "candidates", "expected"),
    [
        ("immunology", AREAS, "autoimmune"),  # was 'urology': letters, not meaning
        ("Immunology", AREAS, "autoimmune"),
        ("cancer", AREAS, "oncology"),
        ("phase 2", list(Stage.__members__), "phase2"),
        ("Phase 2", list(Stage.__members__), "phase2"),
        ("phase-1/2", list(Stage.__members__), "phase1_2"),
        ("PHASE 2", [p.value for p in TrialPhase], "PHASE2"),
        ("wieght", ["weight", "id", "name"], "weight"),
    ],
)
def test_suggestions_know_synonyms_and_ignore_case_spaces_and_hyphens(
    word: str, candidates: list[str], expected: str
) -> None:
    assert suggest(word, candidates) == expected
    assert did_you_mean(word, candidates) == f"did you mean '{expected}'?"


def test_a_synonym_is_offered_only_when_its_target_is_a_candidate() -> None:
    assert suggest("immunology", ["weight", "name"]) is None
    assert suggest("zzzz", AREAS) is None


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([*Stage.__members__, *AREAS]),
    st.lists(st.sampled_from([str.upper, str.title, lambda w: w.replace("_", " ")]), max_size=3),
)
def test_a_value_written_in_another_case_or_spacing_always_finds_itself(word, changes) -> None:
    written = word
    for change in changes:
        written = change(written)
    pool = [*Stage.__members__, *AREAS]
    assert normalise_word(written) == normalise_word(word)
    if written != word:
        assert suggest(written, pool) == word


def test_plural_agrees_with_its_count() -> None:
    assert [plural(n, "error") for n in (0, 1, 2)] == ["0 errors", "1 error", "2 errors"]


def test_case_file_area_and_stage_typos_get_the_right_suggestion(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "c.yaml", make_case({"therapeutic_area": "immunology", "stage": "Phase 2"})
    )
    run = run_cli("score", str(path))
    assert run.returncode == 2
    assert "'immunology'" in run.stderr and "did you mean 'autoimmune'?" in run.stderr
    assert "unknown stage 'Phase 2'" in run.stderr and "did you mean 'phase2'?" in run.stderr
    assert "urology'?" not in run.stderr


def test_bad_date_names_the_format_not_the_parser_state(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", make_case(as_of="2025-3x-31"))
    run = run_cli("score", str(path))
    assert run.returncode == 2
    assert "c.yaml:" in run.stderr and "as_of: expected a date as YYYY-MM-DD" in run.stderr
    assert "invalid character" not in run.stderr


def _misspelt_rules(tmp_path: Path) -> Path:
    text = (ROOT / "rules" / "thesis.yaml").read_text(encoding="utf-8")
    assert "    weight: 0.2\n" in text
    path = tmp_path / "thesis.yaml"
    path.write_text(text.replace("    weight: 0.2\n", "    wieght: 0.2\n", 1), encoding="utf-8")
    return path


def test_a_misspelt_required_key_is_one_error_with_the_suggestion(tmp_path: Path) -> None:
    rules = _misspelt_rules(tmp_path)
    lint = run_cli("lint", str(rules))
    assert lint.returncode == 1
    assert lint.stdout.count("error:") == 1, lint.stdout
    assert "unknown key 'wieght'" in lint.stdout and "did you mean 'weight'?" in lint.stdout
    assert "missing required key" not in lint.stdout
    assert ": 1 error, 0 warnings, 0 notes" in lint.stderr


def test_an_unquoted_stage_filter_says_the_shell_may_have_eaten_the_operator(
    tmp_path: Path,
) -> None:
    path = write_yaml(tmp_path / "c.yaml", make_case())
    run = run_cli("rank", str(path), "--filter", "stage")  # what bash passes for stage>=phase2
    assert run.returncode == 2
    assert "filter 'stage' has no operator and value" in run.stderr
    assert "--filter 'stage>=phase2'" in run.stderr and "redirection" in run.stderr


def test_rank_help_and_readme_quote_the_stage_filter() -> None:
    import re

    help_text = run_cli("rank", "--help").stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (help_text, readme):
        assert "'stage>=phase2'" in text
        assert not re.search(r"(?<!')stage[<>]=phase", text), "unquoted stage filter"


def test_rank_area_filter_suggests_by_meaning(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", make_case())
    run = run_cli("rank", str(path), "--filter", "area=immunology")
    assert run.returncode == 2 and "did you mean 'autoimmune'?" in run.stderr


def test_fail_under_says_coverage_fell_below(tmp_path: Path) -> None:
    rules = ROOT / "rules" / "thesis.yaml"
    one = tmp_path / "one.yaml"
    one.write_text(
        "tests:\n  - name: only one\n    case: {company: {name: X}, assets: [{id: A, name: A, "
        "role: core, stage: phase2}]}\n    expect: {lead_asset: A}\n",
        encoding="utf-8",
    )
    run = run_cli("test", str(rules), str(one), "--fail-under", "90")
    assert run.returncode == 1
    assert "1 passed" in run.stdout  # the test passed: coverage is why it failed
    assert "% is below --fail-under 90%" in run.stderr and "FAIL: coverage" in run.stderr
    assert "TOTAL" in run.stdout  # --fail-under shows the coverage it judged


@pytest.mark.parametrize(
    "args",
    [
        ("score", "{case}", "-o", "{out}/s.txt"),
        ("score", "{case}", "--format", "json", "-o", "{out}/s.json"),
        ("rank", "{case}", "-o", "{out}/p.csv"),
        ("rank", "{case}", "-o", "{out}/p.json"),
        ("rank", "{case}", "-o", "{out}/p.html"),
        ("rank", "{case}", "-o", "{out}/p.xlsx"),
        ("sensitivity", "{case}", "--samples", "5", "-o", "{out}/r.csv", "--format", "csv"),
        ("memo", "{case}", "-o", "{out}/m.md"),
    ],
)
def test_every_command_that_writes_a_file_says_so_on_stderr(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case())
    argv = [a.format(case=case, out=tmp_path / "out") for a in args]
    run = run_cli(*argv)
    assert run.returncode == 0, run.stderr
    target = argv[argv.index("-o") + 1]
    assert Path(target).is_file()
    assert "wrote " in run.stderr and target in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize("command", ["rank", "sensitivity"])
def test_a_missing_path_is_an_error_before_any_output(tmp_path: Path, command: str) -> None:
    run = run_cli(command, str(tmp_path / "missing_dir"))
    assert run.returncode == 2
    assert run.stdout == ""
    assert "missing_dir: no such file or folder" in run.stderr
    assert "the others" not in run.stderr


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=0, max_value=9))
def test_display_rounds_half_away_from_zero_on_the_written_decimals(cents: int, third: int) -> None:
    from screen.model.numbers import display

    written = f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}{third}"
    value = float(written)
    step = 1 if third >= 5 else 0
    expected = (abs(cents) + step) / 100
    text = display(value)
    assert text.lstrip("-") == f"{expected:.2f}"
    assert text.startswith("-") == (cents < 0 and expected != 0)


def test_one_score_shows_the_same_two_decimals_in_every_human_output(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", make_case())
    doc = __import__("json").loads(run_cli("score", str(path), "--format", "json").stdout)
    assert doc[0]["score"] == 4.575  # every human output rounds it the same way: 4.58
    shown = "4.58"
    assert f" {shown} " in run_cli("score", str(path)).stdout
    assert f"score {shown} / 5" in run_cli("explain", str(path)).stdout
    assert f" {shown} " in run_cli("rank", str(path)).stdout
    memo = run_cli("memo", str(path)).stdout
    assert f"score {shown} / 5" in memo and "4.575" not in memo
    page = tmp_path / "p.html"
    run_cli("rank", str(path), "-o", str(page))
    assert f">{shown}<" in page.read_text(encoding="utf-8")
    csv_text = run_cli("rank", str(path), "--format", "csv").stdout
    assert "4.575" in csv_text  # machine output keeps 4 decimals


def test_explain_names_the_unknown_policy_and_does_not_repeat_the_asset_id(
    tmp_path: Path,
) -> None:
    from helpers import DELETE

    case = make_case(
        {"name": "A1 (HER3 ADC)", "competition": {"best_in_class": DELETE, "first_in_class": False}}
    )
    path = write_yaml(tmp_path / "c.yaml", case)
    out = run_cli("explain", str(path)).stdout
    line = next(x for x in out.splitlines() if x.strip().startswith("global_competitiveness:"))
    assert "unknown, counted as its lowest reachable score" in line and "policy lowest" in line
    assert "core asset A1 (HER3 ADC) -" in out and "A1 A1" not in out


def test_explain_takes_several_files_like_score(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", make_case(company={"name": "Alpha Bio"}))
    b = write_yaml(tmp_path / "b.yaml", make_case(company={"name": "Beta Bio"}))
    run = run_cli("explain", str(a), str(b))
    assert run.returncode == 0, run.stderr
    assert "Alpha Bio  [" in run.stdout and "Beta Bio  [" in run.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("company: {name: X}\nassets: [{id: A, name: A, stage: phase9}]\n", "utf-8")
    run = run_cli("explain", str(a), str(bad))
    assert run.returncode == 2 and "Alpha Bio" in run.stdout and "bad.yaml:" in run.stderr


def test_a_pass_needs_a_reason_and_audit_list_shows_the_note(tmp_path: Path) -> None:
    import json

    from helpers import MINI_RULES

    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES + "reasons:\n  valuation: Valuation\n", encoding="utf-8")
    case = write_yaml(tmp_path / "c.yaml", make_case())
    env = {"DEALSCREEN_STORE": str(tmp_path / "d.db")}
    run = run_cli("decide", str(case), "--rules", str(rules), "--decision", "pass", env=env)
    assert run.returncode == 2 and "needs --reason" in run.stderr and "valuation" in run.stderr
    assert not (tmp_path / "d.db").exists()  # nothing recorded
    note = "asked for 3x the last round; founders firm on it, revisit after the phase 2 readout"
    run = run_cli("decide", str(case), "--rules", str(rules), "--decision", "pass",
                  "--reason", "valuation", "--note", note, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    table = run_cli("audit", "list", env=env).stdout
    assert "note" in table.splitlines()[0]
    assert note[:39] + "…" in table and note not in table
    listed = json.loads(run_cli("audit", "list", "--format", "json", env=env).stdout)
    assert listed[-1]["note"] == note


@pytest.mark.parametrize(
    ("policy", "said"),
    [
        ("lowest", "unknown, counted as its lowest reachable score 1/5 (policy lowest)"),
        ("zero", "unknown, counted as 0/5 (policy zero: no score while unknown)"),
        ("exclude", "unknown, left out of the score (policy exclude"),
    ],
)
def test_explain_names_each_unknown_policy(tmp_path: Path, policy: str, said: str) -> None:
    from helpers import DELETE, MINI_RULES

    anchor = "  - id: size\n    weight: 0.5\n"
    assert anchor in MINI_RULES
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        MINI_RULES.replace(anchor, anchor + f"    unknown_policy: {policy}\n"), encoding="utf-8"
    )
    case = write_yaml(tmp_path / "c.yaml", make_case({"epidemiology": {"us": DELETE}}))
    out = run_cli("explain", str(case), "--rules", str(rules)).stdout
    line = next(x for x in out.splitlines() if x.strip().startswith("size:"))
    assert said in line, line
