"""`dealscreen compare`: criterion by criterion, differing facts, and the rules behind them."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import DELETE, THESIS_1_0, make_case, run_cli, thesis_1_0, write_yaml
from screen.model.numbers import display, display_signed


def compare(tmp_path: Path, a: dict, b: dict):
    from screen.engine.loader import load_case
    from screen.pipeline import compare as cmp

    pa = write_yaml(tmp_path / "a.yaml", a, v2=False)
    pb = write_yaml(tmp_path / "b.yaml", b, v2=False)
    return cmp.compare(thesis_1_0(), load_case(pa), load_case(pb))


def test_a_case_compared_with_itself_has_no_differences(tmp_path: Path) -> None:
    c = compare(tmp_path, make_case(), make_case())
    assert c.facts == []
    assert not any(x.differs for x in c.criteria)
    assert all(g.a == g.b for g in c.gates)


def test_stage_difference_is_traced_to_the_criteria_that_read_it(tmp_path: Path) -> None:
    c = compare(tmp_path, make_case({"stage": "phase3"}), make_case({"stage": "phase1"}))
    assert [f.fact for f in c.facts] == ["asset.stage"]
    assert "criteria.bd_readiness" in c.facts[0].rules
    bd = next(x for x in c.criteria if x.id == "bd_readiness")
    assert bd.differs and bd.facts == ["asset.stage"]
    assert bd.a_fired == "bd.core_late" and bd.b_fired == "bd.core_early"
    assert bd.a_rationale and bd.a_points > bd.b_points
    focus = next(x for x in c.criteria if x.id == "focus_area")
    assert not focus.differs and focus.facts == []


def test_unknown_fact_and_gate_difference_are_reported(tmp_path: Path) -> None:
    c = compare(tmp_path, make_case(), make_case({"unmet_need": DELETE}))
    gate = next(g for g in c.gates if g.id == "unmet_need")
    assert (gate.a, gate.b) == ("pass", "unknown")
    assert gate.facts == ["asset.unmet_need.addressed"]
    fact = next(f for f in c.facts if f.fact == "asset.unmet_need.addressed")
    assert fact.a is True and fact.b is None
    assert c.b.decision == "insufficient_information"


def test_cli_text_and_json(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", make_case({"stage": "phase3"}))
    b = write_yaml(tmp_path / "b.yaml", make_case({"stage": "phase1"}, company={"name": "Other"}))
    proc = run_cli("compare", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    for text in ("A: Testco Bio", "B: Other", "rules that make the difference", "asset.stage"):
        assert text in proc.stdout
    doc = json.loads(run_cli("compare", str(a), str(b), "--format", "json").stdout)
    assert doc["a"]["company"] == "Testco Bio" and doc["facts"][0]["fact"] == "asset.stage"


def test_cli_reports_a_broken_case_with_its_location(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", make_case())
    bad = tmp_path / "bad.yaml"
    bad.write_text("company:\n  name: X\nassets:\n  - id: 1\n    nam: y\n", encoding="utf-8")
    proc = run_cli("compare", str(a), str(bad))
    assert proc.returncode == 2 and "bad.yaml:" in proc.stderr and "Traceback" not in proc.stderr


def _same_score_other_rule(tmp_path: Path) -> tuple[Path, Path]:
    """commercial_path 4/5 both ways: by an overseas partner (A), by domestic growth (B), under
    thesis 1.0.1 (1.1 caps domestic growth below a partner, T13)."""
    a = write_yaml(tmp_path / "a.yaml", make_case({"stage": "phase3"}), v2=False)
    b = write_yaml(
        tmp_path / "b.yaml",
        make_case(
            {"stage": "phase1"},
            company={"name": "Other", "overseas_capability": "none", "domestic_sales_growth": 0.5},
        ),
        v2=False,
    )
    return a, b


def test_differences_lists_only_criteria_whose_score_differs(tmp_path: Path) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import compare as cmp

    a, b = _same_score_other_rule(tmp_path)
    c = cmp.compare(thesis_1_0(), load_case(a), load_case(b))
    path = next(x for x in c.criteria if x.id == "commercial_path")
    assert (path.a_score, path.b_score) == (4, 4) and path.a_fired != path.b_fired
    assert not path.differs and path.rule_differs
    only = run_cli("compare", str(a), str(b), "--differences", "--rules", str(THESIS_1_0)).stdout
    table = only.split("rules that make the difference")[0]
    assert "commercial_path" not in only.split("facts that differ")[0]
    assert "bd_readiness" in table
    rows = table.split("----")[-1].strip().splitlines()[1:]
    assert rows and all(row.split()[-1] not in ("=", "+0", "+0.00") for row in rows)
    full = run_cli("compare", str(a), str(b), "--rules", str(THESIS_1_0)).stdout
    row = next(line for line in full.splitlines() if line.startswith("commercial_path"))
    assert row.rstrip().endswith("=")
    assert "same score by different rules: commercial_path" in full


def test_scores_and_points_show_two_decimals_with_deltas_from_unrounded_values(
    tmp_path: Path,
) -> None:
    # 3.925: a score with a third decimal (as `score` and `rank` show it: 3.92)
    a = write_yaml(
        tmp_path / "a.yaml",
        make_case(
            {"stage": "phase1_2", "competition": {"first_in_class": False}},
            company={"overseas_capability": "own"},
        ),
    )
    b = write_yaml(tmp_path / "b.yaml", make_case(company={"name": "Other"}))
    doc = json.loads(run_cli("compare", str(a), str(b), "--format", "json").stdout)
    score_a, score_b = doc["a"]["score"], doc["b"]["score"]
    assert round(score_a, 2) != score_a  # JSON keeps the 4-decimal value
    text = run_cli("compare", str(a), str(b)).stdout
    score_row = next(line for line in text.splitlines() if line.startswith("score"))
    assert score_row.split()[1:] == [display(score_a), display(score_b)]
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert total.split()[-1] == display_signed(doc["score_delta"])
    for crit in doc["criteria"]:
        if crit["differs"]:
            row = next(line for line in text.splitlines() if line.startswith(crit["id"] + " "))
            assert row.split()[-1] == display_signed(crit["points_delta"])
            assert len(row.split()[-1].split(".")[1]) == 2
