"""A rule that fails at run time is a located result, never an aborted batch (issue 16, item 2).

The failure may meet an unknown fact of the same rule (the three-valued path) or not (the fast
path): either way the rule's outcome is unknown with its error, the criterion's status is
`error`, the other cases are still scored and the exit code is 2 with `rules/x.yaml:L:C:`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import ROOT, make_case, run_cli, write_yaml
from test_bad_inputs import at

FAILING = {
    "division": "asset.epidemiology.us / asset.epidemiology.eu > 0.5",
    "floor division": "asset.epidemiology.us // asset.epidemiology.eu > 0",
    "modulo": "asset.epidemiology.us % asset.epidemiology.eu > 0",
    "round digits": "round(asset.epidemiology.us, asset.epidemiology.china) > 0",
}
RULES = """\
ruleset: {{name: t, version: "1"}}
criteria:
  - id: c
    weight: 1
    bands:
      - id: b1
        when: "{when}"
        score: 5
        rationale: T2
      - {{id: b2, when: "true", score: 1, rationale: T2}}
decision: {{advance: 3, watch: 2}}
"""


@pytest.mark.parametrize("unknown_too", [False, True], ids=["known", "with-an-unknown"])
@pytest.mark.parametrize("kind", sorted(FAILING))
def test_a_failing_rule_is_located_and_the_batch_goes_on(
    tmp_path: Path, kind: str, unknown_too: bool
) -> None:
    when = FAILING[kind]
    if unknown_too:  # `x or <failing>`: x unknown sends the rule down the three-valued path
        when = f"asset.bd.plan.market_scope == 'global' or {when}"
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES.format(when=when), encoding="utf-8")
    epi = {"us": 100, "eu": 0, "china": 100}
    bad = make_case({"epidemiology": epi, "bd": {"plan": {"market_scope": None}}}, id="bad")
    if not unknown_too:
        bad["assets"][0]["bd"]["plan"]["market_scope"] = "domestic"
    else:
        del bad["assets"][0]["bd"]["plan"]["market_scope"]
    write_yaml(tmp_path / "a-bad.yaml", bad)
    write_yaml(tmp_path / "b-good.yaml", make_case(id="good"))
    done = run_cli("score", str(tmp_path / "a-bad.yaml"), str(tmp_path / "b-good.yaml"),
                   "--rules", str(rules), "--format", "json")  # fmt: skip
    assert done.returncode == 2
    results = {r["case"]["id"]: r for r in json.loads(done.stdout)}
    assert set(results) == {"bad", "good"}  # the other case is still scored
    crit = results["bad"]["criteria"][0]
    assert crit["status"] == "error", crit
    errors = results["bad"]["assets"][0]["errors"]
    assert errors and errors[0]["rule"] == "b1"
    assert f"{rules}:7:" in errors[0]["error"]  # the band's `when` line
    line = next(x for x in done.stderr.splitlines() if "rule b1 failed" in x)
    assert line.startswith(f"{rules}:7:") and "a-bad.yaml" in line
    assert "Traceback" not in done.stderr


def test_a_name_defined_in_two_files_says_where_it_was_first(tmp_path: Path) -> None:
    from helpers import ROOT

    (tmp_path / "a.yaml").write_text((ROOT / "rules" / "thesis.yaml").read_text())
    (tmp_path / "b.yaml").write_text("derived:\n  global_patients:\n    expr: 1 + 1\n")
    out = run_cli("lint", str(tmp_path))
    assert out.returncode == 1
    line = next(x for x in out.stdout.splitlines() if "defined twice" in x)
    assert line.startswith(f"{tmp_path / 'b.yaml'}:2:3:")
    assert f"first defined at {tmp_path / 'a.yaml'}:" in line


def test_a_misspelt_value_in_a_list_parameter_is_located_in_the_list(tmp_path: Path) -> None:
    """`fda_designations: [..., fast_trak, ...]` counted 0 for that designation without a word
    (count_in did not check its values); it is an error at the item, once, with the fix."""
    rules = ROOT / "rules" / "thesis.yaml"
    text = rules.read_text("utf-8").replace(
        "[breakthrough_therapy, fast_track,", "[breakthrough_therapy, fast_trak,", 1
    )
    bad = tmp_path / "thesis.yaml"
    bad.write_text(text, "utf-8")
    out = run_cli("lint", str(bad))
    assert out.returncode != 0
    line, column = at(text, "fast_trak")
    assert (
        f"{bad}:{line}:{column}: error: params.fda_designations: 'fast_trak'"
        in out.stdout + out.stderr
    )
    assert "did you mean 'fast_track'" in out.stdout + out.stderr
    assert (out.stdout + out.stderr).count("fast_trak' is not") == 1


def _failing_rules(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A rule set whose band fails on `bad` (division by zero) and a case that passes."""
    rules = tmp_path / "r.yaml"
    rules.write_text(RULES.format(when=FAILING["division"]), encoding="utf-8")
    epi = {"us": 100, "eu": 0, "china": 100}
    bad = write_yaml(tmp_path / "a-bad.yaml", make_case({"epidemiology": epi}, id="bad"))
    good = write_yaml(tmp_path / "b-good.yaml", make_case(id="good"))
    return rules, bad, good


@pytest.mark.parametrize("command", [("rank",), ("memo", "-o", "{tmp}/memos")])
def test_every_command_that_screens_reports_a_failing_rule(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """rank and memo went on silently (exit 0) where score exits 2 with the rule's place."""
    rules, bad, good = _failing_rules(tmp_path)
    args = [a.format(tmp=tmp_path) for a in command]
    done = run_cli(*args, str(bad), str(good), "--rules", str(rules))
    assert done.returncode == 2
    assert f"{rules}:7:15: rule b1 failed on {bad} (asset A1): division by zero" in done.stderr


@pytest.mark.parametrize("command", ["score", "memo"])
def test_a_result_whose_rule_failed_is_not_recorded(tmp_path: Path, command: str) -> None:
    """The audit trail holds the thesis's judgement, not a rule set's defect: the good case
    is recorded, the failed one is named as not recorded."""
    rules, bad, good = _failing_rules(tmp_path)
    store = tmp_path / "s.db"
    extra = ["-o", str(tmp_path / "memos")] if command == "memo" else []
    done = run_cli(command, str(bad), str(good), "--rules", str(rules), "--record",
                   "--store", str(store), *extra)  # fmt: skip
    assert done.returncode == 2 and f"{bad}: not recorded: a rule failed on it" in done.stderr
    listed = run_cli("audit", "list", "--store", str(store), "--format", "json")
    assert [r["case_id"] for r in json.loads(listed.stdout)] == ["good"]


def test_eval_of_an_expression_reading_a_failing_rule_says_so(tmp_path: Path) -> None:
    """eval printed 'unknown (needs criterion c)' and exited 0: a rule's defect read as
    missing data."""
    rules, bad, _ = _failing_rules(tmp_path)
    done = run_cli("eval", "criteria.c", str(bad), "--rules", str(rules))
    assert done.returncode == 2
    assert f"{rules}:7:15: division by zero (rule b1 failed on asset A1" in done.stderr


def test_diff_reports_a_proposal_whose_rule_fails(tmp_path: Path) -> None:
    """A colleague's proposal with a rule that fails on a case showed only a score change."""
    rules, bad, good = _failing_rules(tmp_path)
    fine = tmp_path / "old.yaml"
    fine.write_text(RULES.format(when="asset.epidemiology.us > 0"), encoding="utf-8")
    done = run_cli("diff", "--old", str(fine), "--new", str(rules), str(bad), str(good))
    assert done.returncode == 2
    assert f"{rules}:7:15: rule b1 failed on {bad} (asset A1): division by zero" in done.stderr


@pytest.mark.parametrize("command", [("compare",), ("sensitivity", "--samples", "5")])
def test_compare_and_sensitivity_report_a_failing_rule(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """They showed the failed rule's outcome as unknown and exited 0."""
    rules, bad, good = _failing_rules(tmp_path)
    done = run_cli(*command, str(bad), str(good), "--rules", str(rules))
    assert done.returncode == 2
    assert f"{rules}:7:15: rule b1 failed on {bad} (asset A1): division by zero" in done.stderr


def test_why_not_and_due_report_a_failing_rule(tmp_path: Path) -> None:
    rules, bad, _ = _failing_rules(tmp_path)
    line = f"{rules}:7:15: rule b1 failed on {bad} (asset A1): division by zero"
    done = run_cli("why-not", str(bad), "--rules", str(rules))
    assert done.returncode == 2 and line in done.stderr
    case = make_case({"epidemiology": {"us": 100, "eu": 0, "china": 100}}, id="bad")
    case["revisit"] = {"on": "2024-01-01", "when": "next readout"}
    due = write_yaml(tmp_path / "due.yaml", case)
    done = run_cli("due", str(due), "--rules", str(rules), "--today", "2024-06-01")
    assert done.returncode == 2 and f"rule b1 failed on {due} (asset A1)" in done.stderr
