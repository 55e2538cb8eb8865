"""why-not: the smallest fact changes that move a case to a target decision."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers import DELETE, MINI_RULES, ROOT, make_case, run_cli, write_yaml


def search(tmp_path: Path, case: dict, extra_rules: str = "", **kw):
    from screen.audit.whynot import why_not
    from screen.engine.loader import load_case, load_ruleset

    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES + extra_rules, encoding="utf-8")
    path = write_yaml(tmp_path / "case.yaml", case)
    return why_not(load_ruleset(rules), load_case(path).case, **kw)


def test_finds_the_single_fact_that_flips_the_decision(tmp_path):
    found = search(tmp_path, make_case({"epidemiology": {"us": 1000}}))
    assert found.decision == "watch"
    facts = {c.changes[0].fact: c for c in found.singles}
    assert set(facts) == {"asset.epidemiology.us"}
    flip = facts["asset.epidemiology.us"]
    assert flip.decision == "advance" and flip.changes[0].value == 100000
    from screen.audit.whynot import line

    assert line(found, flip).startswith(
        "if asset A1 epidemiology.us were 100000 (is 1000): decision advance (score 3.00 -> 5.00)"
    )


def test_reports_no_flip_where_none_exists(tmp_path):
    found = search(
        tmp_path, make_case({"epidemiology": {"us": 1000}}), "fixed: [asset.epidemiology]\n"
    )
    assert found.singles == [] and found.pairs == []
    assert "asset.epidemiology.us" in found.fixed_skipped
    from screen.audit.whynot import format_why_not

    assert "no change of one fact, or of two together, reaches advance" in format_why_not(found)


def test_pairs_only_when_no_single_change_suffices(tmp_path):
    # gate fails (need not addressed) and the need is small: both must change to advance
    case = make_case({"epidemiology": {"us": 1000}, "unmet_need": {"addressed": False}})
    found = search(tmp_path, case)
    assert found.decision == "decline" and found.singles == []
    assert [sorted(c.fact for c in p.changes) for p in found.pairs] == [
        ["asset.epidemiology.us", "asset.unmet_need.addressed"]
    ]


def test_unknown_facts_ranked_by_what_they_could_change(tmp_path):
    case = make_case({"epidemiology": {"us": 200000}})
    del case["assets"][0]["unmet_need"]
    found = search(tmp_path, case, target="advance")
    assert found.unknowns[0].fact == "asset.unmet_need.addressed"
    assert found.unknowns[0].decisions == {"advance", "decline"}


def test_reported_singles_really_flip_a_bundled_case(tmp_path):
    """Every single change reported for a bundled case, applied to its file, gives the target."""
    from screen.audit.whynot import plain, why_not
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset

    rs = load_ruleset()
    src = ROOT / "cases" / "tidewater-bio.yaml"
    found = why_not(rs, load_case(src).case, target="advance")
    if found.reached:
        pytest.skip("the bundled case already advances under the current thesis")
    assert found.singles, "expected a single-fact flip on tidewater-bio"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    checked = 0
    for c in found.singles:
        ch = c.changes[0]
        if isinstance(ch.value, list) or ch.asset is None:
            continue
        asset = next(a for a in data["assets"] if a["id"] == ch.asset)
        node = asset
        *parents, leaf = ch.fact.split(".")[1:]
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = plain(ch.value)
        path = write_yaml(tmp_path / f"flip{checked}.yaml", data)
        loaded = load_case(path)
        assert evaluate_case(rs, loaded.case).decision == "advance", ch.describe()
        data = yaml.safe_load(src.read_text(encoding="utf-8"))
        checked += 1
    assert checked


def test_why_not_cli(tmp_path):

    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES, encoding="utf-8")
    case = write_yaml(tmp_path / "c.yaml", make_case({"epidemiology": {"us": 1000}}))
    out = run_cli("why-not", str(case), "--rules", str(rules))
    assert out.returncode == 0, out.stderr
    assert "if asset A1 epidemiology.us were 100000 (is 1000): decision advance" in out.stdout


def test_max_changes_1_says_only_single_changes_were_searched(tmp_path):
    from screen.audit.whynot import format_why_not

    case = make_case({"epidemiology": {"us": 1000}, "unmet_need": {"addressed": False}})
    found = search(tmp_path, case, max_changes=1)
    assert found.singles == [] and found.pairs == [] and found.max_changes == 1
    text = format_why_not(found)
    assert "no single fact change reaches advance" in text
    assert "pairs were not searched" in text and "two" not in text
    assert found.as_dict()["max_changes"] == 1


def thesis_search(tmp_path, case: dict, **kw):
    from screen.audit.whynot import why_not
    from screen.engine.loader import load_case, load_ruleset

    return why_not(load_ruleset(), load_case(write_yaml(tmp_path / "t.yaml", case)).case, **kw)


def test_company_facts_say_company_like_asset_facts_say_asset(tmp_path):
    from screen.audit.whynot import format_why_not

    case = make_case(
        {"stage": "phase1", "competition": {"first_in_class": False}},
        company={"overseas_capability": DELETE, "domestic_sales_growth": DELETE},
    )
    found = thesis_search(tmp_path, case)
    text = format_why_not(found)
    unknown_lines = text.split("unknown facts, by how much")[1].splitlines()[1:]
    company = [line for line in unknown_lines if "overseas_capability" in line]
    assert company and company[0].strip().startswith("company overseas_capability: ")
    for line in unknown_lines:
        if line.startswith("  ") and ":" in line:
            assert line.strip().startswith(("asset ", "company ", "case ")), line


def _values(found, fact):
    changes = [ch for cf in found.singles + found.pairs for ch in cf.changes if ch.fact == fact]
    also = [v for cf in found.singles if cf.changes[0].fact == fact for v in cf.also]
    unknown = [v for u in found.unknowns if u.fact == fact for v, _, _ in u.outcomes]
    return [ch.value for ch in changes] + also + unknown, changes


NO_FDA_PATH = {
    "regulatory": {"fda_ind": "none", "designations": []},
    "competition": {"first_in_class": False},
}


def test_no_approval_is_proposed_before_filing(tmp_path):
    # a phase 1/2 asset without FDA path or approvals: an FDA approval would lift it to advance
    case = make_case({"stage": "phase1_2", **NO_FDA_PATH}, company={"overseas_capability": "none"})
    found = thesis_search(tmp_path, case)
    changed = [ch.fact for cf in found.singles + found.pairs for ch in cf.changes]
    assert changed, "expected some change to reach advance"
    assert not any(f.startswith("asset.regulatory.approvals") for f in changed)
    assert not any(u.fact.startswith("asset.regulatory.approvals") for u in found.unknowns)
    # once filed, an FDA approval is a plausible next fact
    filed = make_case({"stage": "filed", **NO_FDA_PATH}, company={"overseas_capability": "none"})
    found = thesis_search(tmp_path, filed)
    facts = [ch.fact for cf in found.singles + found.pairs for ch in cf.changes]
    facts += [u.fact for u in found.unknowns]
    assert any(f.startswith("asset.regulatory.approvals") for f in facts)


def test_stage_moves_one_step_at_a_time(tmp_path):
    from screen.model.vocab import Stage

    # phase 2 reaches advance (so would phase 3 or filing, which are more than one step away)
    case = make_case({"stage": "phase1_2", **NO_FDA_PATH}, company={"overseas_capability": "none"})
    found = thesis_search(tmp_path, case)
    stages, _ = _values(found, "asset.stage")
    assert Stage.phase2 in stages
    assert all(abs(int(v) - int(Stage.phase1_2)) == 1 for v in stages), stages


def test_patient_counts_are_whole_numbers_at_the_rules_thresholds(tmp_path):
    from screen.engine.loader import load_ruleset

    rs = load_ruleset()
    names = ("niche_population", "large_population", "large_china_population")
    thresholds = {float(rs.parameters[n].value) for n in names}  # what the rules compare with
    case = make_case(
        {"epidemiology": {"us": 1000, "eu": 1000, "china": 1000, "rest_of_world": DELETE},
         "competition": {"first_in_class": False}},
    )  # fmt: skip
    found = thesis_search(tmp_path, case)
    for fact in ("asset.epidemiology.us", "asset.epidemiology.rest_of_world"):
        values, _ = _values(found, fact)
        assert values, fact
        for v in values:
            assert v >= 1 and float(v).is_integer(), (fact, v)
            assert any(abs(v - t) <= 1 for t in thresholds), (fact, v)
