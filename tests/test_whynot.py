"""why-not: the smallest fact changes that move a case to a target decision."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import DELETE, MINI_RULES, ROOT, make_case, run_cli, write_yaml

THESIS_1_0 = ROOT / "tests" / "fixtures" / "thesis-1.0.1.yaml"


def search(tmp_path: Path, case: dict, extra_rules: str = "", **kw):
    from screen.audit.whynot import why_not
    from screen.engine.loader import load_case, load_ruleset

    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES + extra_rules, encoding="utf-8")
    path = write_yaml(tmp_path / "case.yaml", case, v2=False)  # MINI_RULES read the v1 stage
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

    rs = load_ruleset(THESIS_1_0)  # the search's mechanics, on the thesis and case it was built on
    src = ROOT / "tests" / "fixtures" / "cases-v1" / "tidewater-bio.yaml"
    found = why_not(rs, load_case(src).case, target="advance")
    if found.reached:
        pytest.skip("the bundled case already advances under the current thesis")
    assert found.singles or found.pairs, "expected a flip on tidewater-bio"
    checked = 0
    for c in found.singles + found.pairs:
        if any(isinstance(ch.value, list) or ch.asset is None for ch in c.changes):
            continue
        data = yaml.safe_load(src.read_text(encoding="utf-8"))
        for ch in c.changes:
            node = next(a for a in data["assets"] if a["id"] == ch.asset)
            *parents, leaf = ch.fact.split(".")[1:]
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = plain(ch.value)
        path = write_yaml(tmp_path / f"flip{checked}.yaml", data)
        loaded = load_case(path)
        assert evaluate_case(rs, loaded.case).decision == "advance", [
            ch.describe() for ch in c.changes
        ]
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


def thesis_search(tmp_path, case: dict, *, unfix: str | None = None, **kw):
    """why-not under thesis 1.0.1 (v1 cases: the stage is one fact), the rule set these tests
    were written on; `unfix` drops one `fixed:` entry (to search it). Regional stages under
    thesis 1.1: test_changes_to_a_regional_stage_are_written_where_a_case_file_can_say_them."""
    from screen.audit.whynot import why_not
    from screen.engine.loader import load_case, load_ruleset

    rules = THESIS_1_0
    if unfix:
        text = THESIS_1_0.read_text(encoding="utf-8")
        assert f"  - {unfix}\n" in text
        rules = tmp_path / "thesis.yaml"
        rules.write_text(text.replace(f"  - {unfix}\n", "", 1), encoding="utf-8")
    rs = load_ruleset(rules)
    return why_not(rs, load_case(write_yaml(tmp_path / "t.yaml", case, v2=False)).case, **kw)


def test_company_facts_say_company_like_asset_facts_say_asset(tmp_path):
    from screen.audit.whynot import format_why_not

    case = make_case(
        {
            "stage": "phase1",
            "competition": {"first_in_class": False, "best_in_class": False},
            "regulatory": {"designations": []},
        },
        company={"overseas_capability": DELETE, "domestic_sales_growth": DELETE},
    )  # near the advance threshold, so the unknown overseas capability can move the decision
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
    found = thesis_search(tmp_path, case, unfix="asset.epidemiology")
    for fact in ("asset.epidemiology.us", "asset.epidemiology.rest_of_world"):
        values, _ = _values(found, fact)
        assert values, fact
        for v in values:
            assert v >= 1 and float(v).is_integer(), (fact, v)
            assert any(abs(v - t) <= 1 for t in thresholds), (fact, v)


# --------------------------------------------------------------------------- issue 15, item 8


def test_probe_values_beside_a_threshold_read_as_above_it(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINI_RULES, encoding="utf-8")
    case = write_yaml(tmp_path / "c.yaml", make_case({"epidemiology": {"us": 1000}}))
    out = run_cli("why-not", str(case), "--rules", str(rules)).stdout
    assert "also at above 100,000" in out and "100001" not in out
    from screen.audit.whynot import probe_label

    assert probe_label(300001.0, [300000.0]) == "above 300,000"
    assert probe_label(499999.0, [500000.0]) == "below 500,000"
    assert probe_label(0.31, [0.3]) == "above 0.3"
    assert probe_label(42.0, [300000.0]) is None


def test_actionable_facts_are_the_only_ones_changed(tmp_path):
    # us 1000 at phase 1/2 declines (score 1): a bigger population or phase 2 each reach watch
    case = make_case({"epidemiology": {"us": 1000}, "stage": "phase1_2"})
    assert {ch.fact for cf in search(tmp_path, case, target="watch").singles
            for ch in cf.changes} >= {"asset.stage", "asset.epidemiology.us"}  # fmt: skip
    found = search(tmp_path, case, "actionable:\n  - asset.stage\n", target="watch")
    changed = {ch.fact for cf in found.singles + found.pairs for ch in cf.changes}
    assert changed == {"asset.stage"}
    assert "asset.epidemiology.us" in found.fixed_skipped
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI_RULES + "actionable:\n  - asset.stagee\n", encoding="utf-8")
    out = run_cli("why-not", str(write_yaml(tmp_path / "c.yaml", case)), "--rules", str(bad))
    assert out.returncode == 2 and "actionable" in out.stderr and "stage" in out.stderr


def test_unknowns_that_move_nothing_are_not_listed(tmp_path):
    from screen.audit.whynot import format_why_not

    # bd_ready decides nothing here: size is small (1) and the gate passes; the unknown stage
    # moves the score between 1 and 3 but never past watch (2.5)... except phase2+ (score 3)
    case = make_case({"epidemiology": {"us": 1000}, "stage": DELETE})
    found = search(tmp_path, case)
    assert any(u.fact == "asset.stage" for u in found.unknowns)
    assert all(len(u.decisions) > 1 for u in found.unknowns)
    text = format_why_not(found)
    for u in found.unknowns:
        assert u.fact.split(".", 1)[1] in text
    # an unknown whose every value gives one decision is left out
    case = make_case({"epidemiology": {"us": 1000}, "unmet_need": {"addressed": False},
                      "stage": DELETE})  # fmt: skip
    found = search(tmp_path, case)  # the failed gate declines whatever the stage
    assert not any(u.fact == "asset.stage" for u in found.unknowns)


def test_no_first_in_class_claim_while_a_rival_is_further_along(tmp_path):
    rival = {"name": "R", "company": "Big", "stage": "phase3"}
    case = make_case(
        {"stage": "phase2", "competition": {"first_in_class": False, "best_in_class": False,
                                            "same_target_programs": [rival]}},
    )  # fmt: skip
    found = thesis_search(tmp_path, case, unfix="asset.competition.first_in_class")
    proposed = [
        ch.value
        for cf in found.singles + found.pairs
        for ch in cf.changes
        if ch.fact == "asset.competition.first_in_class"
    ]
    assert True not in proposed
    # with the only rival behind, first in class is a claim diligence could still confirm
    behind = make_case(
        {"stage": "phase2", "competition": {"first_in_class": False, "best_in_class": False,
                                            "same_target_programs": [{**rival,
                                                                      "stage": "phase1"}]}},
    )  # fmt: skip
    found = thesis_search(tmp_path, behind, unfix="asset.competition.first_in_class")
    facts = {ch.fact for cf in found.singles + found.pairs for ch in cf.changes}
    assert "asset.competition.first_in_class" in facts


def test_no_domestic_sales_growth_for_a_company_without_an_approved_product():
    from screen.audit.whynot import Change, _contradicts
    from screen.model.case import Case
    from screen.model.vocab import Stage

    growth = Change(None, "company.domestic_sales_growth", 0.3, 0.0)
    pre_revenue = Case.model_validate(make_case({"stage": "phase2"}))
    assert _contradicts(growth, pre_revenue.company, pre_revenue)
    selling = Case.model_validate(make_case({"stage": "approved"}))
    assert selling.assets[0].stage is Stage.approved
    assert not _contradicts(growth, selling.company, selling)


def test_the_bundled_thesis_never_proposes_facts_nobody_can_change():
    from screen.audit.whynot import why_not
    from screen.engine.loader import load_case, load_ruleset

    rs = load_ruleset()
    never = (
        "asset.competition.first_in_class",
        "asset.competition.same_target_programs",
        "asset.epidemiology",
        "asset.standard_of_care",
        "company.overseas_capability",
    )
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        found = why_not(rs, load_case(path).case, target="advance")
        for cf in found.singles + found.pairs:
            for ch in cf.changes:
                assert not ch.fact.startswith(never), (path.name, ch.describe())


def test_changes_to_a_regional_stage_are_written_where_a_case_file_can_say_them(tmp_path):
    """A rule set reading asset.stage_us gets why-not changes to development.us.stage (the
    field a case file states), one step at a time, with derived stages following; applied to
    the file, the change gives the target."""
    from screen.audit.whynot import plain, why_not
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.model.vocab import Stage

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        """
ruleset: {name: us-stage, version: "1"}
criteria:
  - id: us
    weight: 1
    bands:
      - {id: us.late, when: "asset.stage_us >= 'phase2'", score: 5, rationale: "T8"}
      - {id: us.other, when: "true", score: 1, rationale: "T8"}
decision: {advance: 4, watch: 2.5, weights_sum: 1}
""",
        encoding="utf-8",
    )
    rs = load_ruleset(rules)
    data = make_case(
        {
            "stage": DELETE,
            "development": {"china": {"stage": "approved"}, "us": {"stage": "phase1_2"}},
        }
    )
    src = write_yaml(tmp_path / "case.yaml", data)
    found = why_not(rs, load_case(src).case, target="advance")
    facts = {ch.fact for cf in found.singles for ch in cf.changes}
    assert facts == {"asset.development.us.stage"}, facts
    change = found.singles[0].changes[0]
    assert change.value == Stage.phase2 and change.was == Stage.phase1_2
    data["assets"][0]["development"]["us"]["stage"] = plain(change.value)
    flipped = load_case(write_yaml(tmp_path / "flip.yaml", data)).case
    assert evaluate_case(rs, flipped).decision == "advance"


ASSET_GROUPS = (
    "competition",
    "regulatory",
    "development",
    "trials",
    "safety",
    "epidemiology",
    "unmet_need",
    "standard_of_care",
    "bd",
    "stage",
    "data_origin",
)


@settings(max_examples=4, deadline=None, database=None)
@given(dropped=st.sets(st.sampled_from(ASSET_GROUPS), min_size=1, max_size=3))
@example(dropped={"competition"})  # the case that crashed
def test_why_not_runs_whatever_groups_a_case_leaves_out(dropped):
    """A case without a `competition:` block crashed why-not (exit 70): a change to the
    first-in-class claim's status invented the claim without its value. Any asset groups may
    be absent (an imported case has few); why-not answers, never with an internal error."""
    import tempfile

    case = make_case({k: DELETE for k in dropped})
    with tempfile.TemporaryDirectory() as tmp:
        path = write_yaml(Path(tmp) / "c.yaml", case)
        out = run_cli("why-not", str(path), "--max-changes", "1")  # every single change
    assert out.returncode == 0, (sorted(dropped), out.stderr)
    assert "internal error" not in out.stderr


def test_a_number_is_proposed_at_the_nearest_threshold_the_rules_name():
    """Mingsha's 9 months of runway: 12 (the rules' going-concern line) reaches watch; the
    headline said 120, a round number further away, and listed 12 among the others."""
    out = run_cli("why-not", str(ROOT / "cases" / "mingsha-bio.yaml"), "--target", "watch")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "cash_runway_months were" in x)
    assert "cash_runway_months were 12 (is 9)" in line, line


def test_a_region_named_without_a_stage_is_unknown_to_why_not(tmp_path: Path) -> None:
    """It read as 'none' ('were preclinical (is none)'), so none was never a candidate."""
    case = yaml.safe_load((ROOT / "cases" / "silverpine-bio.yaml").read_text())
    asset = case["assets"][0]
    del asset["stage"]
    asset["development"] = {"china": {"stage": "phase2"}, "us": {"note": "IND submitted"}}
    path = write_yaml(tmp_path / "c.yaml", case, v2=False)
    out = run_cli("why-not", str(path), "--target", "watch")
    assert "development.us.stage were phase1 (is unknown)" in out.stdout
    assert "(is none)" not in out.stdout


def test_with_no_core_asset_marked_the_header_says_what_score_says(tmp_path):
    """Two assets of unstated role that decide differently: score says insufficient
    information until the case says which is core; why-not had headed its report with the
    stronger candidate's decision ("advance") as if it were the company's."""
    from screen.audit.whynot import format_why_not
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset

    case = make_case({"role": DELETE, "epidemiology": {"us": 100000}})
    weak = {**case["assets"][0], "id": "A2", "name": "TST-2", "epidemiology": {"us": 1000}}
    case["assets"].append(weak)
    found = search(tmp_path, case)
    rules = load_ruleset(tmp_path / "rules.yaml")
    screened = evaluate_case(rules, load_case(tmp_path / "case.yaml").case, trace=False)
    assert screened.decision == "insufficient_information"
    assert found.decision == screened.decision and found.core_unstated
    assert found.as_dict()["core_unstated"] is True
    text = format_why_not(found)
    assert text.splitlines()[0].startswith("Testco Bio: decision insufficient_information")
    assert "no asset is marked core" in text


def test_why_not_shows_a_score_as_every_other_command_does():
    """Baicao scores 3.575: score, explain and memo show 3.58; why-not showed the float
    3.57499... as 3.57 (a fresh-clone review)."""
    case = str(ROOT / "cases" / "baicao-therapeutics.yaml")
    shown = run_cli("why-not", case, cwd=ROOT).stdout.splitlines()[0]
    assert "score 3.58;" in shown
    assert " 3.58 " in run_cli("score", case, cwd=ROOT).stdout


def test_why_not_lists_only_the_open_questions_the_screen_asks_and_names_the_rest():
    """A fresh-clone review: on Ruyi (0 unknowns) why-not listed safety.stopped_for_safety as
    an unknown that moves the decision (the rules read its absence as false), on Tidewater it
    proposed 'a trial stopped for safety' as the way to reach watch (settling the open case
    lower), and it was silent on the regional stages explain says settle it."""
    from screen.audit.whynot import format_why_not, why_not
    from screen.engine.loader import load_case, load_ruleset

    rs = load_ruleset()
    ruyi = why_not(rs, load_case(ROOT / "cases" / "ruyi-pharma.yaml").case, target="advance")
    assert not [u for u in ruyi.unknowns if u.fact == "asset.safety.stopped_for_safety"]
    tide = load_case(ROOT / "cases" / "tidewater-bio.yaml").case
    found = why_not(rs, tide, target="watch")
    assert found.decision == "insufficient_information"
    assert all(c.score >= found.score for c in found.singles + found.pairs)
    assert ("TW-011", "asset.stage_us") in found.unvaried
    assert "also open, which no change of one written field varies" in format_why_not(found)
