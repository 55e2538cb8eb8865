"""One test per thesis point encoded in rules/thesis.yaml: vary one fact, see the stated direction.

Every test starts from the same strong base case (tests/helpers.py) and changes one fact, so the
difference in outcome is caused by the rule that encodes that thesis point.
"""

from __future__ import annotations

import pytest

from helpers import (
    BASE_ASSET,
    DELETE,
    criterion,
    evaluate,
    gate,
    make_case,
    run_cli,
    thesis_ruleset,
)

STAGES = [
    "preclinical",
    "ind_enabling",
    "phase1",
    "phase1_2",
    "phase2",
    "phase3",
    "filed",
    "approved",
]
NO_US = {"china": {"stage": "phase2"}}  # in development in China only
SMALL_EPI = {"us": 5000, "eu": 5000, "china": 5000, "rest_of_world": 0}


def run(asset: dict | None = None, **top) -> dict:
    return evaluate(make_case(asset=asset, **top))


def score(cid: str, asset: dict | None = None, **top) -> float:
    c = criterion(run(asset, **top), cid)
    assert c["status"] == "scored", c
    return c["score"]


def test_bundled_thesis_cites_a_thesis_point_or_source_for_every_rule():
    rs = thesis_ruleset()
    for g in rs.gates:
        assert g.rationale.startswith("T"), g.id
    for c in rs.criteria:
        for band in c.bands or []:
            assert band.rationale.strip(), band.id
    for table in rs.tables.values():
        for row in table.rows:
            assert row.rationale.startswith(("T", "BIO")), row.id
    for name, p in rs.parameters.items():
        assert p.source.strip(), name


# --------------------------------------------------------------------------- T1


def test_t1_no_unmet_need_declines():
    assert run()["decision"] == "advance"
    result = run({"unmet_need": {"addressed": False}})
    assert gate(result, "unmet_need")["outcome"] == "fail"
    assert result["decision"] == "decline"


def test_t1_adequate_standard_of_care_declines():
    result = run({"standard_of_care": {"adequacy": "adequate"}})
    assert gate(result, "soc_gap")["outcome"] == "fail"
    assert result["decision"] == "decline"


def test_t1_unknown_unmet_need_is_never_a_pass():
    result = run({"unmet_need": {"addressed": DELETE}})
    assert gate(result, "unmet_need")["outcome"] == "unknown"
    assert result["decision"] == "insufficient_information"


# --------------------------------------------------------------------------- T2


def test_t2_more_severe_disease_scores_higher_need():
    assert score("need_magnitude", {"unmet_need": {"severity": "life_threatening"}}) > score(
        "need_magnitude", {"unmet_need": {"severity": "moderate"}}
    )


def test_t2_worse_served_patients_score_higher_need():
    assert score("need_magnitude", {"standard_of_care": {"adequacy": "poor"}}) > score(
        "need_magnitude", {"standard_of_care": {"adequacy": "partial"}}
    )


def test_t2_larger_population_scores_higher_need():
    mild = {"unmet_need": {"severity": "mild"}}
    large = score("need_magnitude", mild)
    small = score("need_magnitude", {**mild, "epidemiology": SMALL_EPI})
    assert large > small
    # and the total moves the same way
    assert run(mild)["score"] > run({**mild, "epidemiology": SMALL_EPI})["score"]


# --------------------------------------------------------------------------- T3


def test_t3_first_in_class_scores_higher_competitiveness():
    fic = score("global_competitiveness", {"competition": {"first_in_class": True}})
    follower = score(
        "global_competitiveness", {"competition": {"first_in_class": False, "best_in_class": False}}
    )
    assert fic > follower


def test_t3_crowded_target_scores_lower_competitiveness():
    rivals = [{"name": f"Rival-{i}", "stage": "phase3"} for i in range(4)]
    open_field = score("global_competitiveness", {"competition": {"first_in_class": False}})
    crowded = score(
        "global_competitiveness",
        {"competition": {"first_in_class": False, "same_target_programs": rivals}},
    )
    assert crowded < open_field


def test_t3_competitors_compare_by_stage_not_by_name():
    # four preclinical rivals do not crowd the field; as text 'preclinical' >= 'phase3' would
    rivals = [{"name": f"Rival-{i}", "stage": "preclinical"} for i in range(4)]
    late = [{"name": f"Rival-{i}", "stage": "phase3"} for i in range(4)]
    early_field = score(
        "global_competitiveness",
        {"competition": {"first_in_class": False, "same_target_programs": rivals}},
    )
    late_field = score(
        "global_competitiveness",
        {"competition": {"first_in_class": False, "same_target_programs": late}},
    )
    assert early_field > late_field


# --------------------------------------------------------------------------- T4


def test_t4_niche_indication_global_plan_beats_domestic_only():
    domestic = score(
        "market_roi", {"epidemiology": SMALL_EPI, "bd": {"plan": {"market_scope": "domestic"}}}
    )
    global_ = score(
        "market_roi", {"epidemiology": SMALL_EPI, "bd": {"plan": {"market_scope": "global"}}}
    )
    assert global_ > domestic


def test_t4_large_indication_acceptable_either_way():
    domestic = score("market_roi", {"bd": {"plan": {"market_scope": "domestic"}}})
    global_ = score("market_roi", {"bd": {"plan": {"market_scope": "global"}}})
    niche_domestic = score(
        "market_roi", {"epidemiology": SMALL_EPI, "bd": {"plan": {"market_scope": "domestic"}}}
    )
    assert domestic == global_
    assert domestic > niche_domestic


def test_t4_large_china_population_alone_is_enough_for_domestic():
    epi = {"us": 1000, "eu": 1000, "china": 400000, "rest_of_world": 0}
    domestic = score(
        "market_roi", {"epidemiology": epi, "bd": {"plan": {"market_scope": "domestic"}}}
    )
    assert domestic == score("market_roi")


# --------------------------------------------------------------------------- T5


def test_t5_early_non_core_asset_is_more_bd_ready_than_early_core():
    for stage in ("preclinical", "phase1"):
        core = score("bd_readiness", {"stage": stage, "role": "core"})
        non_core = score("bd_readiness", {"stage": stage, "role": "non_core"})
        assert non_core > core, stage


def test_t5_core_asset_at_phase3_vs_phase1_bd_readiness_does_not_drop():
    assert score("bd_readiness", {"stage": "phase3"}) >= score("bd_readiness", {"stage": "phase1"})
    assert score("bd_readiness", {"stage": "phase3"}) > score("bd_readiness", {"stage": "phase1"})


def test_t5_bd_readiness_never_drops_as_a_core_asset_advances():
    scores = [score("bd_readiness", {"stage": s}) for s in STAGES]
    assert scores == sorted(scores)
    assert scores[0] < scores[-1]


# --------------------------------------------------------------------------- T6


def test_t6_later_stage_lowers_development_risk():
    no_letter = {"complete_response_letters": []}  # a filing the FDA has not refused
    scores = [score("development_risk", {"stage": s, "regulatory": no_letter}) for s in STAGES]
    assert scores == sorted(scores), dict(zip(STAGES, scores, strict=True))
    assert score("development_risk", {"stage": "phase3"}) > score(
        "development_risk", {"stage": "phase1"}
    )


@pytest.mark.parametrize("area", ["oncology", "metabolic", "autoimmune", "hematology", "neurology"])
def test_t6_likelihood_of_approval_rises_with_stage_in_each_area(area):
    loa = []
    for stage in ("phase1", "phase2", "phase3"):
        result = run({"stage": stage, "therapeutic_area": area})
        entry = next(t for t in result["trace"] if t["rule"] == "derived.likelihood_of_approval")
        loa.append(entry["outcome"])
    assert loa == sorted(loa) and loa[0] < loa[-1]


def test_t6_same_asset_later_scores_at_least_as_high_overall():
    assert run({"stage": "phase3"})["score"] > run({"stage": "phase1"})["score"]


# --------------------------------------------------------------------------- T7


def test_t7_china_clinical_data_counts_towards_the_us_path():
    base = {"regulatory": {"designations": [], "us_evidence_plan": "mrct_planned"}}
    china = score("us_path", {**base, "data_origin": "china"})
    global_ = score("us_path", {**base, "data_origin": "global"})
    no_path = score(
        "us_path",
        {
            "regulatory": {"fda_ind": "none", "designations": []},
            "data_origin": "china",
            "development": NO_US,
        },
    )
    assert china > no_path
    assert china >= 0.8 * global_  # weighed close to global data, not discarded


def test_t7_t8_china_only_data_without_a_us_plan_scores_below_an_mrct_or_bridging_plan():
    # 21 CFR 314.106(b)(1): foreign data alone must be applicable to US patients and practice;
    # 1.2: a bridging study counts as a planned MRCT, not a running one (surufatinib, 2022).
    def us(plan, stage="phase2"):
        reg = {"designations": [], "us_evidence_plan": plan, "complete_response_letters": []}
        dev = {"china": {"stage": "approved"}, "us": {"stage": stage}}
        asset = {"regulatory": reg, "data_origin": "china", "development": dev, "stage": DELETE}
        return score("us_path", asset)

    assert us("none") < us("mrct_planned") == us("bridging") < us("mrct")
    assert us("none", "filed") < us("bridging", "filed") < us("mrct", "filed")


def test_t7_stating_china_data_never_scores_below_not_stating_it():
    # Unstated, the origin could be any of china | global | mixed: the unknown criterion counts
    # at its lowest *reachable* score, which is China's own (not a fallback no origin fires).
    base = {"regulatory": {"designations": [], "us_evidence_plan": "mrct_planned"}}
    unstated = run({**base, "data_origin": DELETE})
    china = run({**base, "data_origin": "china"})
    assert criterion(unstated, "us_path")["status"] == "unknown"
    assert china["score"] >= unstated["score"]
    assert min(criterion(unstated, "us_path")["possible"]) == criterion(china, "us_path")["score"]
    assert china["decision"] == "advance"


# --------------------------------------------------------------------------- T8


def test_t8_a_credible_fda_path_scores_higher():
    def us(fda_ind, **extra):
        reg = {"fda_ind": fda_ind, "designations": [], **extra}
        return score("us_path", {"regulatory": reg, "development": NO_US})

    assert us("none") < us("planned") <= us("cleared")
    in_us_trials = score("us_path", {"regulatory": {"designations": []}})
    assert us("cleared") < in_us_trials
    approved = score(
        "us_path",
        {"regulatory": {"fda_ind": "none", "designations": [], "approvals": [{"agency": "fda"}]}},
    )
    assert approved > in_us_trials


def test_t8_approval_elsewhere_does_not_count_as_an_fda_path():
    nmpa = score(
        "us_path",
        {
            "regulatory": {
                "fda_ind": "none",
                "designations": [],
                "approvals": [{"agency": "nmpa"}],
            },
            "development": {"china": {"stage": "approved"}},
            "stage": DELETE,
        },
    )
    fda = score(
        "us_path",
        {"regulatory": {"fda_ind": "none", "designations": [], "approvals": [{"agency": "fda"}]}},
    )
    assert nmpa < fda


# --------------------------------------------------------------------------- 1.1 acceptance


def test_nmpa_approved_us_phase1_asset_scores_as_a_us_phase1_asset():
    """Issue 11: a China approval is credited to the China market, not to ex-China risk."""
    us_phase1 = {"china": {"stage": "phase1"}, "us": {"stage": "phase1"}}
    china_approved = {
        "china": {"stage": "approved", "approvals": [{"agency": "nmpa"}]},
        "us": {"stage": "phase1"},
    }
    plain = run({"development": us_phase1, "stage": DELETE})
    approved = run(
        {
            "development": china_approved,
            "stage": DELETE,
            "regulatory": {"approvals": [{"agency": "nmpa"}]},
        }
    )
    for cid in ("development_risk", "us_path", "bd_readiness"):
        assert criterion(approved, cid)["score"] == criterion(plain, cid)["score"], cid
    assert criterion(approved, "development_risk")["fired"] == "risk.very_high"


def _with_orr(value: float) -> dict:
    readout = {
        "endpoint": "ORR",
        "kind": "orr",
        "value": value,
        "n": 60,
        "comparator": {"kind": "standard_of_care", "value": 0.25},
    }
    return {"trials": [{**BASE_ASSET["trials"][0], "readouts": [readout]}]}


def test_two_response_rates_vs_the_same_comparator_differ_in_score():
    """Issue 11: a 47% and a 5% response rate no longer score the same."""
    high, low = run(_with_orr(0.47)), run(_with_orr(0.05))
    assert criterion(high, "differentiation")["score"] > criterion(low, "differentiation")["score"]
    assert high["score"] > low["score"]


def test_graph_impact_shows_readouts_regional_stages_and_runway_feeding_the_decision():
    for field, criterion_id in [
        ("asset.trials.readouts.value", "criteria.differentiation"),
        ("asset.development.us.stage", "criteria.us_path"),
        ("asset.stage_ex_china", "criteria.development_risk"),
        ("company.cash_runway_months", "criteria.cash_runway"),
    ]:
        r = run_cli("graph", "--impact", field)
        assert r.returncode == 0, r.stderr
        assert criterion_id in r.stdout and "decision: decision" in r.stdout, (field, r.stdout)


def test_t8_us_market_share_parameter_is_sourced_and_within_the_stated_range():
    p = thesis_ruleset().parameters["us_share_of_global_market"]
    assert 0.4 <= p.value <= 0.5
    assert p.source


# --------------------------------------------------------------------------- T11


@pytest.mark.parametrize("area", ["oncology", "metabolic", "autoimmune"])
def test_t11_focus_areas_score_higher(area):
    assert score("focus_area", {"therapeutic_area": area}) > score(
        "focus_area", {"therapeutic_area": "neurology"}
    )


# --------------------------------------------------------------------------- T12


def test_t12a_overseas_capability_scores_the_path_to_value():
    own = score("commercial_path", company={"overseas_capability": "own"})
    partner = score("commercial_path", company={"overseas_capability": "partner"})
    none = score("commercial_path", company={"overseas_capability": "none"})
    assert own > partner > none


def test_t12b_strong_domestic_growth_is_also_a_path_to_value():
    strong = score(
        "commercial_path", company={"overseas_capability": "none", "domestic_sales_growth": 0.6}
    )
    weak = score(
        "commercial_path", company={"overseas_capability": "none", "domestic_sales_growth": 0.05}
    )
    assert strong > weak


def test_t12_both_kinds_of_company_can_be_investable():
    overseas = run(company={"overseas_capability": "own", "domestic_sales_growth": 0.0})
    domestic = run(company={"overseas_capability": "none", "domestic_sales_growth": 0.6})
    assert overseas["decision"] == "advance"
    assert domestic["decision"] == "advance"


# --------------------------------------------------------------------------- T13


def test_t13_near_term_sales_are_not_over_weighted():
    low = run(company={"overseas_capability": "none", "domestic_sales_growth": 0.3})
    huge = run(company={"overseas_capability": "none", "domestic_sales_growth": 4.5})
    assert huge["score"] == low["score"]  # growth is capped, not rewarded without limit


def test_t13_peak_sales_estimate_does_not_drive_the_score():
    small = run({"peak_sales_usd_m": 50})
    huge = run({"peak_sales_usd_m": 20000})
    assert small["score"] == huge["score"]


def test_t13_commercial_path_has_a_low_weight():
    rs = thesis_ruleset()
    weights = {c.id: c.weight for c in rs.criteria}
    assert weights["commercial_path"] <= min(weights.values())
    assert weights["commercial_path"] / sum(weights.values()) <= 0.1
    # from the worst to the best commercial path moves the total by at most 10% of the scale
    worst = run(company={"overseas_capability": "none", "domestic_sales_growth": 0.0})
    best = run(company={"overseas_capability": "own"})
    assert 0 < best["score"] - worst["score"] <= 0.1 * rs.scale
