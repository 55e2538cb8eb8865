"""Memo wording a partner reads: deal models that know about existing deals, plain FDA and gate
sentences, company questions tagged as such, cases without a core asset, and no machine-like
leftovers (raw ids where a name exists, 'None', doubled words).

Each test builds the case it needs from the shared base case (tests/helpers.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from helpers import BASE_ASSET, DELETE, ROOT, make_case, merge, write_yaml
from screen import memo as memos
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset
from screen.engine.result import build_result

NORVANE = {
    "partner": "Norvane Therapeutics",
    "deal_model": "out_license",
    "territory": "ex_china",
    "date": "2024-09-12",
    "upfront_usd_m": {"value": 45, "source": "deck"},
}


def non_core(**over: Any) -> dict[str, Any]:
    """A second, non-core phase 1 asset (id A2, name TST-202), with `over` merged in."""
    base = merge(
        BASE_ASSET,
        {
            "id": "A2",
            "name": "TST-202",
            "role": "non_core",
            "stage": "phase1",
            "bd": {"status": "preparing", "plan": {"deal_model": "out_license"}},
        },
    )
    return merge(base, over)


def memo_for(tmp_path: Path, case: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(view model, Markdown, HTML) for a case dict."""
    path = write_yaml(tmp_path / "case.yaml", case)
    rs = load_ruleset(None)
    loaded = load_case(path)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    md = memos.render(loaded, result, "md")
    page = memos.render(loaded, result, "html")
    assert isinstance(md, str) and isinstance(page, str)
    return memos.memo_context(loaded, result), md, page


def two_assets(tmp_path: Path, second: dict[str, Any], **top: Any) -> dict[str, Any]:
    case = make_case(**top)
    case["assets"].append(second)
    return memo_for(tmp_path, case)[0]


def asset(ctx: dict[str, Any], asset_id: str) -> dict[str, Any]:
    return next(a for a in ctx["assets"] if a["id"] == asset_id)


def section(md: str, heading: str) -> str:
    return md.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


# -- 1. the suggested deal model knows about bd.status and deals --------------------------------


@pytest.mark.parametrize(
    "bd",
    [
        {"status": "partnered", "deals": [NORVANE]},
        {"status": "in_discussion", "deals": [NORVANE]},  # a deal covering the planned territory
    ],
)
def test_partnered_non_core_asset_is_not_told_to_out_license_now(tmp_path: Path, bd) -> None:
    plan = {"plan": {"deal_model": "out_license", "territory": "ex_china"}}
    ctx = two_assets(tmp_path, non_core(bd={**bd, **plan}))
    t5 = asset(ctx, "A2")["readings"]["t5"]
    assert t5.startswith(
        "Already partnered with Norvane Therapeutics under an ex-China out-licence (2024-09-12); "
        "next: "
    )
    assert "out-license now" not in t5
    assert "retained China rights" in t5  # an ex-China deal leaves China with the company
    for thesis in ("T5", "T6", "T10"):
        assert thesis in t5
    options = next(s for s in ctx["summary"] if s.startswith("Non-core assets"))
    assert "already partnered with Norvane Therapeutics" in options


def test_partnered_status_without_deal_terms_still_reads_as_partnered(tmp_path: Path) -> None:
    ctx = two_assets(tmp_path, non_core(bd={"status": "partnered"}))
    t5 = asset(ctx, "A2")["readings"]["t5"]
    assert t5.startswith("Already partnered (the case file records no deal terms); next: ")
    assert "out-license now" not in t5


def test_deal_for_part_of_the_planned_territory_leaves_the_rest_open(tmp_path: Path) -> None:
    us_deal = {**NORVANE, "territory": "us"}
    bd = {"status": "preparing", "deals": [us_deal], "plan": {"territory": "ex_china"}}
    t5 = asset(two_assets(tmp_path, non_core(bd=bd)), "A2")["readings"]["t5"]
    assert t5.startswith(
        "Partly partnered (Norvane Therapeutics under a US out-licence (2024-09-12)); "
        "Asia ex-China and rest-of-world of the planned territory still open. Non-core: "
    )


def test_returned_rights_ask_why_then_re_partner(tmp_path: Path) -> None:
    ctx = two_assets(tmp_path, non_core(bd={"status": "returned", "deals": [NORVANE]}))
    t5 = asset(ctx, "A2")["readings"]["t5"]
    assert t5.startswith(
        "Rights were returned by Norvane Therapeutics: a normal risk, not a scandal (T6); "
        "find out why, then re-partner. Non-core: out-license now"
    )
    assert not t5.startswith("Already partnered")


@pytest.mark.parametrize(
    ("status", "opening"),
    [
        ("in_discussion", "A deal is in discussion now (live process). "),
        ("term_sheet", "A term sheet is under negotiation now (live process). "),
    ],
)
def test_live_bd_process_is_noted(tmp_path: Path, status: str, opening: str) -> None:
    ctx = memo_for(tmp_path, make_case(asset={"bd": {"status": status}}))[0]
    assert ctx["lead"]["readings"]["t5"].startswith(opening + "Core with phase 2 data: ")


def test_kestrel_memo_reports_kst305_as_partnered(tmp_path: Path) -> None:
    """The QA finding on the bundled case (frozen copy in tests/golden/memo/inputs)."""
    case = Path(__file__).parent / "golden" / "memo" / "inputs" / "kestrel-bio.yaml"
    rs = load_ruleset(None)
    loaded = load_case(case)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    md = memos.render(loaded, result, "md")
    bd = section(md, "BD readiness and suggested deal model")
    kst305 = bd.split("### KST-305", 1)[1]
    assert "out-license now" not in kst305
    assert "Thesis view: Already partnered with Norvane Therapeutics (US)" in kst305


# -- 2. FDA path in plain sentences --------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulatory", "sentence"),
    [
        ({"fda_ind": "none", "designations": DELETE}, "No FDA IND yet."),
        (
            {"fda_ind": "cleared"},
            "FDA IND cleared; FDA designation: breakthrough therapy.",
        ),
        ({"fda_ind": "submitted", "designations": DELETE}, "FDA IND submitted, not yet cleared."),
        (DELETE, "FDA path unknown: no FDA status in the case file."),
    ],
)
def test_fda_path_is_a_plain_sentence(tmp_path: Path, regulatory: Any, sentence: str) -> None:
    _, md, page = memo_for(tmp_path, make_case(asset={"regulatory": regulatory}))
    assert f"\n- {sentence}\n" in section(md, "International competitiveness")
    assert f"<li>{sentence}</li>" in page
    assert "FDA path: IND" not in md and "FDA path: IND" not in page


# -- 3. gates by name, in plain grammar ----------------------------------------------------------


def test_unknown_gate_is_named_in_the_summary(tmp_path: Path) -> None:
    ctx, md, page = memo_for(tmp_path, make_case(asset={"unmet_need": {"addressed": DELETE}}))
    recommendation = next(s for s in ctx["summary"] if s.startswith("Recommendation"))
    assert 'the gate "Addresses an unmet clinical need" cannot be checked yet' in recommendation
    assert "unmet_need" not in recommendation
    assert "gate unmet_need" not in md
    risk = next(k for k in ctx["risks"] if "gate" in k["text"])
    assert risk["text"] == (
        'The gate "Addresses an unmet clinical need" cannot be checked yet; '
        "see diligence question 1."
    )
    assert ctx["questions"][0]["fact"] == "asset.unmet_need.addressed"
    assert "Addresses an unmet clinical need: unknown" in section(md, "Thesis fit")
    assert "Addresses an unmet clinical need: unknown" in page  # scorecard and table


def test_failed_gates_are_named_in_the_summary(tmp_path: Path) -> None:
    case = make_case(
        asset={"unmet_need": {"addressed": False}, "standard_of_care": {"adequacy": "adequate"}}
    )
    ctx, md, _ = memo_for(tmp_path, case)
    assert (
        "Recommendation: decline. It fails the knock-out gates "
        '"Addresses an unmet clinical need" and "Standard of care leaves a gap".'
    ) in ctx["summary"]
    red = [k["text"] for k in ctx["risks"] if k["level"] == "red"]
    assert red[0].startswith('Fails the knock-out gate "Addresses an unmet clinical need" (T1: ')
    assert "== true is false" not in md


# -- 4. company questions are tagged as company questions ----------------------------------------


def test_company_questions_are_tagged_company_and_asked_once(tmp_path: Path) -> None:
    case = make_case(company={"overseas_capability": DELETE, "cash_runway_months": 30})
    case["assets"].append(non_core())
    ctx, md, page = memo_for(tmp_path, case)
    overseas = [q for q in ctx["questions"] if q["fact"] == "company.overseas_capability"]
    assert len(overseas) == 1
    assert overseas[0]["tag"] == "Company" and overseas[0]["asset"] is None
    runway = next(q for q in ctx["questions"] if "company.cash_runway_months" in q["facts"])
    assert runway["tag"] == "Company" and runway["kind"] == "provenance"
    assert runway["question"] == (
        "What are the sources for the company's cash runway (30 months) and domestic sales "
        "growth (10%)?"
    )
    questions = section(md, "Open diligence questions")
    assert re.search(r"\d\. \[Company\] Can the company commercialise overseas", questions)
    assert "[A1]" not in questions and "[TST-101] Can the company" not in questions
    assert questions.count("commercialise overseas") == 1
    assert "[company]" not in md and "company: cash runway" not in md
    assert "[Company] What are the sources for the company&#39;s cash runway" in page


# -- 5. a case with no asset marked core ---------------------------------------------------------


@pytest.mark.parametrize("role", [DELETE, "non_core"])
def test_no_core_asset_says_so_and_names_the_assets_judged(tmp_path: Path, role: Any) -> None:
    case = make_case(asset={"role": role})
    case["assets"].append(non_core(role=role))
    ctx, md, _ = memo_for(tmp_path, case)
    first = ctx["summary"][0]
    assert "the decision follows the core asset" not in first
    assert first == (
        "Testco Bio is screened on 2 assets. No asset is marked core, so the decision was "
        "judged on TST-101 and TST-202; it follows TST-101, a phase 2 asset in EGFR-mutant "
        "NSCLC after osimertinib."
    )
    risk = ctx["risks"][0]
    assert risk["tag"] == "Company"
    assert risk["text"].startswith("No asset is marked core; the decision was judged on ")
    assert "the company is judged on A1, A2" not in md  # the engine's note, with raw ids


def test_single_asset_without_core_role(tmp_path: Path) -> None:
    ctx = memo_for(tmp_path, make_case(asset={"role": DELETE}))[0]
    assert ctx["summary"][0] == (
        "Testco Bio is screened on 1 asset. No asset is marked core, so the decision was "
        "judged on TST-101, a phase 2 asset in EGFR-mutant NSCLC after osimertinib."
    )
    assert ctx["lead"]["readings"]["t5"].startswith("Role (core or non-core) not recorded")


# -- 6. no machine-like leftovers ----------------------------------------------------------------


def test_assets_are_tagged_by_name_when_the_id_is_not_part_of_it(tmp_path: Path) -> None:
    case = make_case(asset={"epidemiology": {"eu": 250000}})  # EU patients: unsourced
    _, md, _ = memo_for(tmp_path, case)
    assert re.search(
        r"\[TST-101\] What are the sources for EU patient numbers \(250,000 patients\)", md
    )
    assert "- TST-101 EU patient numbers = 250,000 patients (`assets[0].epidemiology.eu`)" in md
    assert "[A1]" not in md and "A1:" not in md


def test_figure_lists_read_as_sentences(tmp_path: Path) -> None:
    case = make_case(
        asset={"trials": [{"registry_id": "CTR20241022", "size": 36, "phase": "PHASE1"}]},
    )
    ctx, md, _ = memo_for(tmp_path, case)
    assert re.search(
        r"\[TST-101\] What are the sources for .*enrolment in CTR20241022 \(36 patients\)", md
    )
    quality = next(s for s in ctx["summary"] if s.startswith("Data quality"))
    assert " 1 are " not in quality


def test_bd_plan_and_header_read_as_prose(tmp_path: Path) -> None:
    plan = {"deal_model": "self_commercialise", "territory": "china", "target_stage": "filed"}
    case = make_case(
        asset={"bd": {"status": "none", "plan": {**plan, "market_scope": "domestic"}}},
        company={"financing_stage": "public", "overseas_capability": "none"},
    )
    _, md, _ = memo_for(tmp_path, case)
    bd = section(md, "BD readiness and suggested deal model")
    assert "### TST-101: core, phase 2\n" in bd
    assert (
        "- BD status: no BD process yet. Plan (T10): self-commercialisation in China at "
        "NDA/BLA filing; domestic market only.\n"
    ) in bd
    assert "Company: publicly listed; cash runway 30 months" in bd
    assert "no overseas commercial capability" in bd
    assert "at filed" not in md and "overseas capability none" not in md
    assert "| Assets | TST-101: core, lead |" in md
    assert "| Headquarters | Shanghai, China |" in md


_DOUBLED = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)


@pytest.mark.parametrize("case", sorted((ROOT / "cases").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_memos_have_no_machine_leftovers(case: Path) -> None:
    rs = load_ruleset(None)
    loaded = load_case(case)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    md = memos.render(loaded, result, "md")
    assert isinstance(md, str)
    prose = md.split("\n## Appendix B", 1)[0]  # the rule trace is raw by design
    assert "None" not in prose
    assert not _DOUBLED.search(prose), _DOUBLED.search(prose)
    for raw in ("FDA path: IND", "Figure ", "(core, lead)", "- T7: ", "- T8: ", "severity life"):
        assert raw not in prose, raw
    for a in result["assets"]:
        assert f"[{a['id'].lower()}]" not in prose


def test_a_deal_that_names_countries_retains_only_the_regions_it_leaves_untouched() -> None:
    """A licence for the US, Canada, Japan and the big EU markets (ivonescimab to Summit):
    China is retained; Asia and the rest of the world are partly licensed, so not 'retained'."""
    from screen.memo.readings import bd_deal

    countries = ["US", "CA", "JP", "DE", "FR", "IT", "ES", "GB"]
    summit = {
        "partner": "Summit",
        "deal_model_key": "out_license",
        "territory_key": "other",
        "countries": countries,
        "date": "2022-12",
    }
    out = bd_deal({"bd_status_key": None, "deals": [summit], "bd_plan": None})
    assert out["state"] == "partnered" and out["retained"] == ["China"]
    assert out["deals"] == [
        "Summit under an out-licence for US, CA, JP, DE, FR, IT, ES and GB (2022-12)"
    ]
    ex_china = {**summit, "territory_key": "ex_china", "countries": []}
    retained = bd_deal({"bd_status_key": None, "deals": [ex_china], "bd_plan": None})["retained"]
    assert retained == ["China"]


def test_the_likelihood_of_approval_names_the_stage_it_is_read_from(tmp_path: Path) -> None:
    """1.1+ reads it at the stage in the planned deal's territory, not the most advanced one."""
    case = make_case({"development": {"china": {"stage": "phase2"}}, "stage": DELETE}, v2=False)
    ctx = _context(write_yaml(tmp_path / "c.yaml", case, v2=False))
    t5 = ctx["assets"][0]["readings"]["t5"]
    assert "Likelihood of approval with no development yet in the planned deal's territory" in t5


def test_an_unlisted_deal_figure_is_named_by_its_partner(tmp_path: Path) -> None:
    deal = {"partner": "Kailera", "milestones_usd_m": 5750}
    ctx = _context(write_yaml(tmp_path / "c.yaml", make_case({"bd": {"deals": [deal]}})))
    asked = " ".join(q["question"] for q in ctx["questions"])
    assert "Kailera deal milestones (5,750)" in asked and "usd m" not in asked


def test_a_safety_blocks_source_covers_its_figures_that_name_none(tmp_path: Path) -> None:
    """Cited once at the block, the numbers of one publication are not 'unsourced' (and the
    case's own checks still see the source once, where it is written)."""
    safety = {"source": "deck", "grade3_ae_rate": 0.29, "comparator_grade3_ae_rate": 0.16}
    ctx = _context(write_yaml(tmp_path / "c.yaml", make_case({"safety": safety})))
    rows = ctx["assets"][0]["safety_rows"]
    assert rows and all(r["cite"].source is not None for r in rows)
    asked = " ".join(q["question"] for q in ctx["questions"])
    assert "grade 3 or worse adverse events" not in asked


def _context(path: Path) -> dict[str, Any]:
    rs = load_ruleset()
    loaded = load_case(path)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case))
    return memos.memo_context(loaded, result)


def test_a_licence_abroad_reads_as_a_global_return_in_the_memo(tmp_path: Path) -> None:
    """Thesis 1.5 scores a niche asset licensed ex-China as global (T4); the memo says the
    same, not that the plan's scope is unrecorded or domestic."""
    niche = {"epidemiology": {"us": 10000, "eu": 10000, "china": 10000, "rest_of_world": 0}}
    bd = {"status": "partnered", "plan": {"territory": DELETE, "market_scope": "domestic"}}
    case = make_case({**niche, "bd": {**bd, "deals": [NORVANE]}})
    t4 = _context(write_yaml(tmp_path / "c.yaml", case))["assets"][0]["readings"]["t4"]
    assert t4.startswith("Niche indication") and "a licence in force that covers the US" in t4
    case = make_case({**niche, "bd": {**bd, "status": "preparing"}})
    t4 = _context(write_yaml(tmp_path / "d.yaml", case))["assets"][0]["readings"]["t4"]
    assert "domestic-only plan: weak" in t4


def test_a_cleared_ind_on_china_only_data_is_not_called_a_credible_fda_path(
    tmp_path: Path,
) -> None:
    """The US path scores China-only data without a running MRCT low (21 CFR 314.106); the
    memo must not call it credible because the IND is cleared."""
    regulatory = {"fda_ind": "cleared", "us_evidence_plan": "none"}
    case = make_case({"data_origin": "china", "regulatory": regulatory})
    t8 = _context(write_yaml(tmp_path / "c.yaml", case))["assets"][0]["readings"]["t8"]
    assert "not credible yet" in t8 and "A credible FDA path" not in t8
    case = make_case({"data_origin": "global", "regulatory": regulatory})
    t8 = _context(write_yaml(tmp_path / "d.yaml", case))["assets"][0]["readings"]["t8"]
    assert t8.startswith("A credible FDA path")


def test_the_rival_named_is_the_global_leader_not_the_first_by_name(tmp_path: Path) -> None:
    """Sintilimab's questions were 'against camrelizumab' (alphabetical among approved
    PD-1s) where the claim and the US standard of care are pembrolizumab (a real-deal review)."""
    rivals = [
        {"name": name, "company": company, "stage": "approved", "region": region}
        for name, company, region in [
            ("pembrolizumab", "Merck & Co", "multiregional"),
            ("camrelizumab", "Jiangsu Hengrui", "china"),
            ("cemiplimab", "Regeneron", "multiregional"),
        ]
    ]
    case = make_case({"competition": {"same_target_programs": rivals, "first_in_class": False}})
    ctx = _context(write_yaml(tmp_path / "c.yaml", case))
    asked = " ".join(q["question"] for q in ctx["questions"])
    assert "position against pembrolizumab (Merck & Co, approved)" in asked
    assert [c["name"] for c in ctx["assets"][0]["competitors"]] == [
        "pembrolizumab", "cemiplimab", "camrelizumab"
    ]  # fmt: skip


def test_a_deal_without_a_total_shows_its_payments_added_up(tmp_path: Path) -> None:
    """'upfront USD 200m, total not stated' hid a deal of up to USD 1,025m (Lilly's 2020
    sintilimab licence: 200 upfront + 825 milestones; a real-deal review)."""
    deal = {"partner": "Eli Lilly", "territory": "ex_china", "upfront_usd_m": 200,
            "milestones_usd_m": 825}  # fmt: skip
    case = make_case({"bd": {"status": "partnered", "deals": [deal]}})
    md = memo_for(tmp_path, case)[1]
    line = next(x for x in md.splitlines() if x.startswith("- Deal: Eli Lilly"))
    assert "(up to USD 1,025m: upfront + milestones, derived)" in line
    stated = {**deal, "total_value_usd_m": 1025}
    md = memo_for(tmp_path, make_case({"bd": {"status": "partnered", "deals": [stated]}}))[1]
    assert "derived" not in next(x for x in md.splitlines() if x.startswith("- Deal: Eli"))


def test_a_us_approval_stated_in_the_development_block_reads_as_approved(tmp_path: Path) -> None:
    """`development: {us: {stage: approved}}` with no `regulatory.approvals` entry: the rule
    (`fda.approved`) scored 5 while the memo read 'a credible FDA path' from the IND and
    listed no FDA approval; the memo reads the US stage as the rule does."""
    dev = {"china": {"stage": "approved"}, "us": {"stage": "approved"}}
    case = make_case({"stage": DELETE, "development": dev, "regulatory": {"fda_ind": "none"}})
    md = memo_for(tmp_path, case)[1]
    assert "FDA approval opens the US market" in md
    assert "- FDA-approved" in md
    assert "A credible FDA path" not in md and "No FDA IND yet and none planned" not in md
