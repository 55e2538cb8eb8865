"""The engine: unknowns never pass silently, the core asset decides, every result is explained."""

from __future__ import annotations

import copy
import json

import pytest

from helpers import (
    BASE_ASSET,
    DELETE,
    MINI_RULES,
    criterion,
    evaluate,
    gate,
    make_case,
    merge,
    thesis_1_0,
)
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_ruleset
from screen.model.case import Case

DECISIONS = {"advance", "watch", "decline", "insufficient_information"}


@pytest.fixture
def mini(tmp_path):
    """The small inline rule set, compiled; `mini(text)` compiles a variant of it."""

    def build(text: str = MINI_RULES):
        path = tmp_path / f"rules-{abs(hash(text))}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_ruleset(path)

    return build


def without_questions(text: str) -> str:
    start = text.index("questions:\n")
    end = text.index("derived:\n")
    return text[:start] + text[end:]


# --------------------------------------------------------------------------- gates and unknowns


def test_base_case_advances_with_no_unknowns():
    result = evaluate(make_case())
    assert result["decision"] == "advance"
    assert result["unknowns"] == []
    assert all(g["outcome"] == "pass" for g in result["gates"])


def test_unknown_gate_never_passes_silently():
    result = evaluate(make_case(asset={"unmet_need": {"addressed": DELETE}}))
    assert gate(result, "unmet_need")["outcome"] == "unknown"
    assert result["decision"] != "advance"
    assert result["decision"] == "insufficient_information"
    # everything else is as strong as in the base case
    assert result["score"] == evaluate(make_case())["score"]


def test_unknown_gate_in_mini_rules_is_not_a_pass(mini):
    rs = mini()
    result = evaluate(make_case(asset={"unmet_need": DELETE}), rs)
    assert gate(result, "need")["outcome"] == "unknown"
    assert "asset.unmet_need.addressed" in gate(result, "need")["because"]
    assert result["decision"] == "insufficient_information"


def test_failed_gate_declines_however_high_the_score():
    result = evaluate(make_case(asset={"unmet_need": {"addressed": False}}))
    assert gate(result, "unmet_need")["outcome"] == "fail"
    assert result["score"] >= result["thresholds"]["advance"]
    assert result["decision"] == "decline"


def test_failed_gate_stays_decline_even_with_unknowns():
    result = evaluate(
        make_case(
            asset={
                "unmet_need": {"addressed": False},
                "epidemiology": DELETE,
                "competition": DELETE,
                "regulatory": DELETE,
            }
        )
    )
    assert result["unknowns"], "the unknowns are still reported"
    assert result["score_range"][0] < result["score_range"][1]
    assert result["decision"] == "decline"


def test_unknown_gate_with_a_failing_score_is_decline_not_insufficient(mini):
    rs = mini()
    weak = make_case(asset={"unmet_need": DELETE, "epidemiology": {"us": 10}, "stage": "phase1"})
    result = evaluate(weak, rs)
    assert gate(result, "need")["outcome"] == "unknown"
    assert result["score_range"][1] < result["thresholds"]["watch"]
    assert result["decision"] == "decline"


def test_insufficient_information_when_unknown_criterion_spans_thresholds(mini):
    rs = mini()
    result = evaluate(make_case(asset={"epidemiology": DELETE}), rs)
    size = criterion(result, "size")
    assert size["status"] == "unknown"
    assert size["score"] is None
    assert set(size["possible"]) == {1, 5}
    assert result["score_range"] == [3, 5]
    assert result["decision"] == "insufficient_information"


def test_thesis_insufficient_when_competition_unknown_could_move_decision():
    mid = {
        "competition": DELETE,
        "regulatory": {"fda_ind": "none", "designations": []},
        "stage": "phase1",
    }
    result = evaluate_1_0(make_case(asset=mid))
    lo, hi = result["score_range"]
    assert lo < result["thresholds"]["advance"] <= hi
    assert result["decision"] == "insufficient_information"
    assert criterion(result, "global_competitiveness")["status"] == "unknown"


def test_unknowns_that_cannot_change_the_decision_do_not_make_it_insufficient():
    result = evaluate(make_case(asset={"therapeutic_area": DELETE}))
    assert any(u["fact"] == "asset.therapeutic_area" for u in result["unknowns"])
    assert result["score_range"][0] >= result["thresholds"]["advance"]
    assert result["decision"] == "advance"


def test_unknown_criterion_reported_with_policy_score(mini):
    for policy, expected_score in (("lowest", 3), ("zero", 2.5), ("exclude", 5)):
        text = MINI_RULES.replace(
            "  - id: size\n    weight: 0.5\n",
            f"  - id: size\n    weight: 0.5\n    unknown_policy: {policy}\n",
        )
        result = evaluate(make_case(asset={"epidemiology": DELETE}), mini(text))
        size = criterion(result, "size")
        assert size["status"] == "unknown", policy
        assert "asset.epidemiology.us" in size["because"], policy
        assert result["score"] == expected_score, policy
        assert result["decision"] == "insufficient_information", policy


def test_unknowns_name_the_fact_path_and_carry_a_question():
    result = evaluate_1_0(make_case(asset={"regulatory": DELETE}))
    facts = {u["fact"]: u for u in result["unknowns"]}
    assert "asset.regulatory.fda_ind" in facts
    question = facts["asset.regulatory.fda_ind"]["question"]
    assert question.endswith("?")
    assert "TST-101" in question and "{asset}" not in question
    assert facts["asset.regulatory.fda_ind"]["asset"] == "A1"
    assert "criteria.us_path" in facts["asset.regulatory.fda_ind"]["rules"]


def test_authors_question_wins_over_default(mini):
    case = make_case(asset={"unmet_need": DELETE})
    authored = evaluate(case, mini())
    default = evaluate(case, mini(without_questions(MINI_RULES)))
    q_authored = next(
        u["question"] for u in authored["unknowns"] if u["fact"] == "asset.unmet_need.addressed"
    )
    q_default = next(
        u["question"] for u in default["unknowns"] if u["fact"] == "asset.unmet_need.addressed"
    )
    assert q_authored == "AUTHOR QUESTION - does TST-101 address an unmet need?"
    assert "AUTHOR" not in q_default
    assert "TST-101" in q_default  # the default still names the asset


def test_gate_question_used_when_no_questions_entry(mini):
    text = without_questions(MINI_RULES).replace(
        '    rationale: "T1: unmet need first"\n',
        '    rationale: "T1: unmet need first"\n    question: GATE QUESTION for {asset}?\n',
    )
    result = evaluate(make_case(asset={"unmet_need": DELETE}), mini(text))
    question = next(
        u["question"] for u in result["unknowns"] if u["fact"] == "asset.unmet_need.addressed"
    )
    assert question == "GATE QUESTION for TST-101?"


def test_questions_entry_for_an_enclosing_group_applies_to_its_fields():
    # the thesis asks about asset.competition.same_target_programs as a whole
    result = evaluate(make_case(asset={"competition": {"same_target_programs": DELETE}}))
    u = next(
        u for u in result["unknowns"] if u["fact"] == "asset.competition.same_target_programs.stage"
    )
    assert "same molecule" in u["question"]


# --------------------------------------------------------------------------- company and assets


def _two_assets(core_over: dict, noncore_over: dict) -> dict:
    case = make_case(asset=core_over)
    second = merge(BASE_ASSET, {"id": "A2", "name": "TST-202", "role": "non_core", **noncore_over})
    case["assets"].append(second)
    return case


def test_company_decision_follows_the_core_asset_not_a_strong_non_core():
    result = evaluate(_two_assets({"unmet_need": {"addressed": False}}, {}))
    per_asset = {a["id"]: a["decision"] for a in result["assets"]}
    assert per_asset == {"A1": "decline", "A2": "advance"}
    assert result["decision"] == "decline"
    assert result["lead_asset"] == "A1"
    assert result["core_assets"] == ["A1"]
    assert result["bd_options"] == ["A2"]


def test_weak_non_core_asset_does_not_drag_the_company_down():
    result = evaluate(_two_assets({}, {"unmet_need": {"addressed": False}}))
    assert result["decision"] == "advance"
    assert result["bd_options"] == ["A2"]
    assert result["criteria"] == next(a for a in result["assets"] if a["id"] == "A1")["criteria"]


def test_unknowns_of_non_core_assets_are_listed_with_their_asset():
    result = evaluate_1_0(_two_assets({}, {"regulatory": DELETE}))
    assert result["decision"] == "advance"
    assert any(
        u["asset"] == "A2" and u["fact"] == "asset.regulatory.fda_ind" for u in result["unknowns"]
    )


def test_best_core_asset_leads_when_there_are_two():
    case = make_case(asset={"unmet_need": {"addressed": False}})
    case["assets"].append(merge(BASE_ASSET, {"id": "A2", "name": "TST-202"}))
    result = evaluate(case)
    assert result["core_assets"] == ["A1", "A2"]
    assert result["lead_asset"] == "A2"
    assert result["decision"] == "advance"
    assert result["bd_options"] == []


def test_a_single_asset_not_marked_core_is_judged_and_noted():
    result = evaluate_1_0(make_case(asset={"role": DELETE}))
    assert result["notes"] and "core" in result["notes"][0]
    assert result["decision"] == evaluate_1_0(make_case())["decision"]
    assert not any("company's core asset" in u["question"] for u in result["unknowns"])


def test_several_assets_none_core_wait_for_which_is_core():
    strong = {**BASE_ASSET, "id": "A1", "role": DELETE}
    weak = merge(BASE_ASSET, {"id": "A2", "role": DELETE, "unmet_need": {"addressed": False}})
    result = evaluate(make_case(assets=[merge(BASE_ASSET, strong), weak]))
    assert result["decision"] == "insufficient_information"
    assert result["unknowns"][0]["fact"] == "asset.role"
    assert "core asset" in result["unknowns"][0]["question"]
    assert result["decided_by"] == [{"asset": None, "fact": "asset.role"}]


# --------------------------------------------------------------------------- result document


def test_result_json_has_the_documented_keys():
    result = evaluate_1_0(make_case(asset={"regulatory": DELETE}), path="cases/x.yaml")
    json.dumps(result, allow_nan=False)  # plain JSON
    assert {"path", "sha256", "company"} <= set(result["case"])
    assert result["case"]["path"] == "cases/x.yaml"
    assert result["case"]["company"] == "Testco Bio"
    assert set(result["ruleset"]) >= {"name", "version", "sha256"}
    assert result["ruleset"]["name"] == "biotech-product-thesis"
    assert len(result["ruleset"]["sha256"]) == 64
    assert result["decision"] in DECISIONS
    assert isinstance(result["score"], int | float)
    assert result["criteria"]
    for c in result["criteria"]:
        assert {"id", "score", "max", "weight", "status", "because"} <= set(c)
        assert c["status"] in {"scored", "unknown", "error"}
        assert isinstance(c["because"], str) and c["because"]
    for g in result["gates"]:
        assert {"id", "outcome"} <= set(g)
        assert g["outcome"] in {"pass", "fail", "unknown"}
    assert result["unknowns"]
    for u in result["unknowns"]:
        assert {"fact", "question"} <= set(u)
    assert [a["id"] for a in result["assets"]] == ["A1"]
    assert isinstance(result["trace"], list) and result["trace"]


def test_criteria_carry_weights_and_scores_from_the_rule_set():
    rs = load_ruleset()
    result = evaluate(make_case())
    assert [c["id"] for c in result["criteria"]] == [c.id for c in rs.criteria]
    assert [c["weight"] for c in result["criteria"]] == [c.weight for c in rs.criteria]
    for c in result["criteria"]:
        assert 0 <= c["score"] <= c["max"]
        assert c["fired"] and c["fired"] in c["because"]


def test_contributions_add_up_to_the_score():
    result = evaluate(make_case())
    total = sum(c["contribution"] for c in result["criteria"])
    assert total == pytest.approx(result["score"], abs=1e-3)


def test_contributions_add_up_to_the_score_with_excluded_criterion(mini):
    text = MINI_RULES.replace(
        "  - id: size\n    weight: 0.5\n",
        "  - id: size\n    weight: 0.5\n    unknown_policy: exclude\n",
    )
    result = evaluate(make_case(asset={"epidemiology": DELETE}), mini(text))
    total = sum(c["contribution"] for c in result["criteria"])
    assert total == pytest.approx(result["score"], abs=1e-3)


def test_trace_records_every_rule_with_inputs_and_outcome(mini):
    result = evaluate(make_case(), mini())
    trace = result["trace"]
    for entry in trace:
        assert {"rule", "inputs", "outcome", "asset"} <= set(entry)
        assert isinstance(entry["inputs"], dict)
    by_rule = {t["rule"]: t for t in trace}
    assert by_rule["derived.us_patients"]["inputs"] == {"asset.epidemiology.us": 200000}
    assert by_rule["derived.us_patients"]["outcome"] == 200000
    assert by_rule["need"]["outcome"] == "pass"
    assert by_rule["need"]["inputs"] == {"asset.unmet_need.addressed": True}
    assert by_rule["need"]["rationale"].startswith("T1")
    assert by_rule["size.big"]["outcome"] is True
    assert by_rule["size.big"]["inputs"] == {"derived.us_patients": 200000, "params.big": 100000}
    assert by_rule["bd.late"]["outcome"] is True
    assert by_rule["size"]["outcome"] == 5 and "contribution" in by_rule["size"]
    assert by_rule["bd_ready"]["outcome"] == 5


def test_trace_shows_unknown_inputs_as_null_and_outcome_unknown(mini):
    result = evaluate(make_case(asset={"unmet_need": DELETE}), mini())
    entry = next(t for t in result["trace"] if t["rule"] == "need")
    assert entry["inputs"] == {"asset.unmet_need.addressed": None}
    assert entry["outcome"] == "unknown"


def test_trace_covers_every_gate_and_criterion_of_the_thesis():
    rs = load_ruleset()
    rules = {t["rule"] for t in evaluate(make_case())["trace"]}
    assert {g.id for g in rs.gates} <= rules
    assert {c.id for c in rs.criteria} <= rules


def test_engine_is_a_pure_function():
    rs = load_ruleset()
    case = Case.model_validate(make_case(asset={"regulatory": DELETE}))
    snapshot = case.model_dump()
    first = evaluate_case(rs, case)
    second = evaluate_case(rs, case)
    assert case.model_dump() == snapshot  # the input is not modified
    assert first.decision == second.decision and first.score == second.score
    assert [u.fact for _, u in first.unknowns] == [u.fact for _, u in second.unknowns]


def test_results_do_not_share_state_between_cases():
    rs = load_ruleset()
    unknown = Case.model_validate(make_case(asset={"unmet_need": DELETE}))
    known = Case.model_validate(make_case())
    evaluate_case(rs, unknown)
    assert evaluate_case(rs, known).decision == "advance"
    assert evaluate_case(rs, unknown).decision == "insufficient_information"


def test_case_data_is_not_mutated_by_evaluation():
    data = make_case()
    before = copy.deepcopy(data)
    evaluate(data)
    assert data == before


# --------------------------------------------------------------------------- fast path


VARIANTS = {
    "base": {},
    "preclinical-core": {"stage": "preclinical"},
    "phase1-non-core": {"stage": "phase1", "role": "non_core"},
    "approved": {"stage": "approved", "regulatory": {"approvals": [{"agency": "fda"}]}},
    "niche-domestic": {
        "epidemiology": {"us": 5000, "eu": 5000, "china": 5000, "rest_of_world": 0},
        "bd": {"plan": {"market_scope": "domestic"}},
    },
    "crowded": {
        "competition": {
            "first_in_class": False,
            "same_target_programs": [{"name": f"R{i}", "stage": "phase3"} for i in range(4)],
        }
    },
    "no-need": {"unmet_need": {"addressed": False}},
    "neurology-china-data": {"therapeutic_area": "neurology", "data_origin": "china"},
    "mild-partial": {
        "unmet_need": {"severity": "mild"},
        "standard_of_care": {"adequacy": "partial"},
    },
}


def _never_fast(*_args):
    from screen.engine.fastpath import Fallback

    raise Fallback


@pytest.mark.parametrize("name", list(VARIANTS))
def test_fast_path_and_interpreter_agree_on_complete_variants(name):
    from screen.engine.result import dumps

    fast_rs = load_ruleset()
    slow_rs = load_ruleset()
    slow_rs._fast = _never_fast
    case = make_case(asset=VARIANTS[name])
    fast = dumps([evaluate(case, fast_rs)])
    slow = dumps([evaluate(case, slow_rs)])
    assert fast == slow


def evaluate_1_0(case: dict, **kw: object) -> dict:
    """Under thesis 1.0.1 with the v1 case as written: these tests are about the engine's
    handling of unknowns, written on that thesis (1.1 reads other facts)."""
    return evaluate(case, thesis_1_0(), v2=False, **kw)


def test_an_unknown_number_swings_only_the_criteria_it_reaches() -> None:
    """With cash, burn and patient counts all open (none has a prior), the burn's swing is at
    most what the runway criterion can move, not the whole range the other numbers leave open
    (which the diligence list would print as 'moves the score by up to ...')."""
    case = make_case(
        asset={"epidemiology": {"us": DELETE, "china": DELETE}},
        company={"cash_runway_months": DELETE, "cash_usd_m": DELETE, "annual_burn_usd_m": DELETE},
    )
    result = evaluate(case)
    unknowns = {u["fact"]: u for u in result["unknowns"]}
    burn = unknowns["company.annual_burn_usd_m"]
    runway = criterion(result, "cash_runway")
    total = sum(c["weight"] for c in result["criteria"])
    span = max(runway["possible"]) - min(runway["possible"])
    share = runway["weight"] / total * span / runway["max"] * result["scale"]
    low, high = result["score_range"]
    assert 0 < burn["swing"] <= share + 1e-9 < high - low
