"""`dealscreen compare`: criterion by criterion, differing facts, and the rules behind them."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import DELETE, make_case, run_cli, thesis_ruleset, write_yaml


def compare(tmp_path: Path, a: dict, b: dict):
    from screen import compare as cmp
    from screen.loader import load_case

    pa, pb = write_yaml(tmp_path / "a.yaml", a), write_yaml(tmp_path / "b.yaml", b)
    return cmp.compare(thesis_ruleset(), load_case(pa), load_case(pb))


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
