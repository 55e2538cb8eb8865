"""Thesis readings per asset (T4 need, T5/T6/T10 BD, T7/T8 FDA path) drafted from the trace."""

from __future__ import annotations

from typing import Any

from screen.memo.deals import deal_model
from screen.memo.facts import because, needs_text
from screen.memo.wording import (
    BD_STATUS_TEXT,
    CRL_FOUND,
    DEAL_NOUN,
    NO_US_RIGHTS_KEYS,
    REGION_TEXT,
    TERRITORY_AFTER,
    TERRITORY_BEFORE,
    TERRITORY_REGIONS,
    at_stage,
    country_region,
    join_and,
    label,
    number,
    with_article,
)
from screen.model.numbers import display


def rule_needs(res: dict[str, Any], rule: str) -> list[str]:
    """The missing facts that keep `rule` (e.g. 'gates.unmet_need') from being decided."""
    return [u["fact"] for u in res["unknowns"] if rule in u["rules"]]


def fda_path(a: dict[str, Any]) -> str:
    """The asset's FDA status as a plain sentence (facts only; the T8 reading follows)."""
    ind = a["fda_ind_key"]
    fda = [ap for ap in a["approvals"] if ap["agency"] == "FDA"]
    others = [
        ap["agency"] + (f" ({ap['date']})" if ap["date"] else "")
        for ap in a["approvals"]
        if ap["agency"] != "FDA"
    ]
    if ind is None and not a["approvals"] and not a["designations"] and not a["us_approved"]:
        return "FDA path unknown: no FDA status in the case file."
    if a["us_approved"]:
        whose = "the licensor's, " if a.get("rights_key") in NO_US_RIGHTS_KEYS else ""
        when = f"{whose}{fda[0]['date'] if fda and fda[0]['date'] else ''}".rstrip(", ")
        text = "FDA-approved" + (f" ({when})" if when else "")
    else:
        text = {
            "none": "No FDA IND yet",
            "planned": "FDA IND planned, not yet submitted",
            "submitted": "FDA IND submitted, not yet cleared",
            "cleared": "FDA IND cleared",
        }.get(ind or "", "No FDA IND status in the case file")
    if a["designations"]:
        n = len(a["designations"])
        text += f"; FDA designation{'s' if n > 1 else ''}: {join_and(a['designations'])}"
    elif ind == "cleared" and not a["us_approved"]:
        text += "; no FDA designation yet"
    if others:
        text += "; approved by " + join_and(others)
    letters = a["crl_letters"]
    if letters:
        text += (
            "; "
            + (
                "FDA complete response letter: "
                if len(letters) == 1
                else "FDA complete response letters: "
            )
            + join_and([_letter_text(x) for x in letters])
        )
    return text + "."


def _letter_text(x: dict[str, Any]) -> str:
    """'2022-05 (manufacturing or inspection findings; resubmitted 2022-10)'."""
    parts = [CRL_FOUND[x["reason_key"]]]
    if x["resubmitted"]:
        parts.append(f"resubmitted {x['resubmitted']}")
    if x.get("source"):
        parts.append(f"source: {x['source']}")
    return f"{x['date'] or 'undated'} ({'; '.join(parts)})"


def _territory_regions(key: str | None) -> frozenset[str] | None:
    return TERRITORY_REGIONS.get(key) if key else None


def _deal_regions(d: dict[str, Any]) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(regions a deal covers in full, regions it covers in part). Named countries cover
    their regions in part only (the US alone is the whole of 'us'): a deal for the US, Canada,
    Japan and the big five EU markets leaves China retained, and neither Asia nor the rest of
    the world wholly retained nor wholly given."""
    countries = d.get("countries") or []
    if not countries:
        return _territory_regions(d["territory_key"]), frozenset()
    regions = {country_region(c) for c in countries}
    full = frozenset(r for r in regions if r == "us" or (r == "china" and "CN" in countries))
    return full, frozenset(regions) - full


def _deal_phrase(d: dict[str, Any]) -> str:
    """'Norvane Therapeutics (US) under an ex-China out-licence (2024-09-12)'; a deal that
    names countries says them ('... under an out-licence for US, CA and JP')."""
    noun = DEAL_NOUN.get(d["deal_model_key"] or "", "deal")
    countries = d.get("countries") or []
    where = None if countries else TERRITORY_BEFORE.get(d["territory_key"] or "")
    if d.get("licensed_in"):  # the partner is the licensor: the company holds what it was granted
        text = f"licensed in from {d['partner']}"
        if countries:
            text += " for " + join_and(countries)
        elif d["territory_key"]:
            text += " " + TERRITORY_AFTER.get(d["territory_key"], d["territory"])
    else:
        text = f"{d['partner']} under " + with_article(f"{where} {noun}" if where else noun)
        if countries:
            text += " for " + join_and(countries)
    on = d.get("recorded_on")
    notes = [x for x in (d["date"], on and f"recorded with {on}") if x]
    if d.get("status_key") in ("terminated", "returned"):
        notes.append(d["status_key"])
    if notes:
        text += f" ({'; '.join(notes)})"
    return text


def bd_deal(a: dict[str, Any]) -> dict[str, Any]:
    """Where the asset stands in BD, from bd.status and the deals recorded (T5, T6, T10).

    state: 'partnered' (status partnered, or deals that cover the plan's territory),
    'partly' (deals, but part of the planned territory is still open), 'returned',
    'in_discussion', 'term_sheet', 'preparing', 'none' or None (not recorded)."""
    status = a["bd_status_key"]
    deals = [d for d in a["deals"] if not d.get("licensed_in")]  # rights the company granted
    taken = [d for d in a["deals"] if d.get("licensed_in")]  # rights it was granted
    plan_regions = _territory_regions((a["bd_plan"] or {}).get("territory_key"))
    covered = [_deal_regions(d) for d in deals]
    known = [full for full, _ in covered]
    have = frozenset().union(*[r for r in known if r is not None])
    touched = have.union(*[part for _, part in covered])  # given away, in full or in part
    all_known = bool(deals) and None not in known
    out: dict[str, Any] = {
        "state": status,
        "deals": [_deal_phrase(d) for d in deals],
        "partners": [d["partner"] for d in deals],
        "open": [],
        "retained": [],
        "licensed_in": [_deal_phrase(d) for d in taken if d.get("in_force", True)],
        "licence_ended": [_deal_phrase(d) for d in taken if not d.get("in_force", True)],
    }
    if status == "returned":
        return out
    if status == "partnered" or deals:
        open_regions = plan_regions - have if plan_regions is not None and all_known else set()
        if status != "partnered" and open_regions:
            out["state"] = "partly"
            out["open"] = [REGION_TEXT[r] for r in REGION_TEXT if r in open_regions]
        else:
            out["state"] = "partnered"
            retained = TERRITORY_REGIONS["global"] - touched if all_known else set()
            out["retained"] = [REGION_TEXT[r] for r in REGION_TEXT if r in retained]
    return out


def _plan_text(plan: dict[str, Any] | None) -> str | None:
    """'co-development ex-China at phase 2' (None without a plan or a deal model)."""
    if not plan or not plan.get("deal_model"):
        return None
    if plan.get("deal_model_key") == "none":
        return "no deal planned"
    parts = [plan["deal_model"]]
    if plan.get("territory_key"):
        parts.append(TERRITORY_AFTER.get(plan["territory_key"], plan["territory"]))
    if plan.get("target_stage_key"):
        parts.append(at_stage(plan["target_stage_key"]))
    return " ".join(p for p in parts if p)


def bd_text(a: dict[str, Any]) -> str:
    """'BD status: in discussion. Plan (T10): co-development ex-China at phase 2; global market.'"""
    status = a["bd_status_key"]
    text = "BD status: " + (BD_STATUS_TEXT.get(status, label(status)) if status else "not recorded")
    if status == "returned" and a["rights_ended"]:  # an in-licence that ended
        text = "BD status: rights back with the licensor"
    plan = a["bd_plan"]
    if plan is None:
        return text + "; no BD plan recorded."
    what = _plan_text(plan) or "deal model not stated"
    text += f". Plan (T10): {what}"
    if plan.get("market_scope_key") == "domestic":
        text += "; domestic market only"
    elif plan.get("market_scope_key"):
        text += f"; {plan['market_scope']} market"
    return text + "."


def plan(plan: Any) -> dict[str, str | None] | None:
    if plan is None:
        return None
    return {
        "deal_model": label(plan.deal_model) if plan.deal_model else None,
        "deal_model_key": plan.deal_model.value if plan.deal_model else None,
        "territory": label(plan.territory) if plan.territory else None,
        "territory_key": plan.territory.value if plan.territory else None,
        "target_stage": label(plan.target_stage.name) if plan.target_stage is not None else None,
        "target_stage_key": plan.target_stage.name if plan.target_stage is not None else None,
        "market_scope": label(plan.market_scope) if plan.market_scope else None,
        "market_scope_key": plan.market_scope.value if plan.market_scope else None,
    }


def outcome(trace: dict[str, dict[str, Any]], rule: str) -> Any:
    t = trace.get(rule)
    if t is None or t["outcome"] == "unknown":
        return None
    return t["outcome"]


def adds_text(c: dict[str, Any]) -> str:
    """What a criterion adds to the weighted score; a range while it is not scorable."""
    possible = c.get("possible") or []
    if c["score"] is None and possible:
        lo, hi = (round(v * c["weight"], 6) for v in (min(possible), max(possible)))
        return display(lo) if lo == hi else f"{display(lo)}-{display(hi)}"
    return display(c["contribution"])


def result_text(c: dict[str, Any], fired_rationale: str | None, needs: list[str]) -> str:
    """How the criterion was scored, in words: the thesis reasoning behind the score, or what
    is missing (rule ids and fact paths are in the appendix)."""
    if c["score"] is None and needs:
        verb = "is" if len(needs) == 1 else "are"
        return f"Not scorable until {needs_text(needs)} {verb} known."
    if c["score"] is None and str(c.get("because", "")).startswith("error"):
        return "Not scorable: a rule failed on this case (Appendix B shows which)."
    if c["score"] is None:
        return "Not scorable yet."
    why = because(fired_rationale)
    if not c["fired"]:
        return f"No band of the thesis matched: score {number(c['score'])}."
    if not why:
        return f"Scores {number(c['score'])} / {number(c['max'])}."
    return f"Why: {why}."


def score_text(c: dict[str, Any]) -> str:
    if c["score"] is None:
        possible = c.get("possible") or []
        if possible:
            return f"unknown, could be {number(min(possible))}-{number(max(possible))}"
        return "unknown"
    return f"{number(c['score'])} / {number(c['max'])}"


# -- drafted prose -----------------------------------------------------------------------------


def readings(a: dict[str, Any], trace: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The thesis readings for one asset, as sentences (T4, T7/T8, T5/T6, T10)."""
    out: dict[str, str] = {}
    large = outcome(trace, "derived.large_indication")
    planned = (a["bd_plan"] or {}).get("market_scope_key")
    # 1.5+: a licence in force that covers the US makes the scope global whatever the plan
    scope = (
        outcome(trace, "derived.commercial_scope")
        if "derived.commercial_scope" in trace
        else planned
    )
    licensed = scope == "global" and planned != "global"
    no_us_rights = outcome(trace, "derived.us_rights") is False  # 1.6+: licensed in
    total = a["global_patients"]
    size = f" ({number(total)} addressable patients worldwide, derived)" if total else ""
    if scope == "domestic":  # 1.6+: a domestic plan is sized on China's patients (T4)
        china = next((r["cite"] for r in a["epidemiology"] if r["key"] == "china"), None)
        text = china.text if china is not None else ""
        text += "" if "patient" in text else " addressable patients"  # the unit may say it
        size = f" ({text} in China)" if china is not None else ""
    if large is True:
        out["t4"] = f"Large indication{size}: an acceptable return domestically or globally (T4)."
    elif large is False and scope == "global":
        how = "a licence in force that covers the US" if licensed else "a global plan"
        out["t4"] = (
            f"Niche indication{size} with {how}: acceptable, as niche indications pay "
            "off only with global markets, where prices are higher (T4)."
        )
    elif large is False and scope == "domestic":
        how = "rights licensed in that leave out the US" if no_us_rights else "a domestic-only plan"
        out["t4"] = (
            f"Niche indication{size} with {how}: weak; confined to China only "
            "large indications give an acceptable return (T4)."
        )
    elif large is False:
        out["t4"] = (
            f"Niche indication{size}; the plan's market scope (domestic or global), or a "
            "licence in force abroad, is not recorded, so the T4 reading is open."
        )
    else:
        out["t4"] = (
            "The T4 reading (global vs domestic return) is open: the regional patient numbers "
            "are incomplete."
        )

    origin = a["data_origin"]
    t7 = {
        "China": "The clinical data come from China; China data now carries significant weight "
        "in global deals (T7), but a US filing needs data applicable to US patients: a "
        "multiregional trial with US sites (a bridging study did not suffice for surufatinib, "
        "2022; 21 CFR 314.106).",
        "mixed": "The clinical data are mixed (China and other regions), which supports both a "
        "China-data deal (T7) and a US path (T8).",
        "global": "The clinical data come from global trials, the strongest basis for an FDA "
        "path (T8).",
    }.get(origin or "", "Where the clinical data come from is not recorded (T7).")
    rights_ended = a["rights_ended"]
    if rights_ended:
        t7 = (
            "Whatever the clinical data show, the company no longer holds rights to the "
            "asset: they support no filing of its own (T7)."
        )
    elif no_us_rights and origin in ("mixed", "global"):  # the US path is the licensor's
        where = "global trials" if origin == "global" else "China and other regions"
        t7 = (
            f"The clinical data come from {where} and support a filing in the company's "
            "licensed territory (T7); the US path is the licensor's."
        )
    approved = outcome(trace, "derived.fda_approved") or a["us_approved"]
    refused = outcome(trace, "derived.crl_new_trial")
    letters = a["crl_letters"]
    if refused and letters and letters[-1]["reason_key"] == "data_applicability":
        where = {
            "China": "The clinical data come from China, and the",
            "mixed": "The clinical data are mixed (China and other regions), but the",
            "global": "The clinical data come from global trials, but the",
        }.get(origin or "", "The")
        t7 = (
            f"{where} FDA's complete response letter found "
            + ("them" if where != "The" else "the clinical data")
            + " not shown to apply to US patients: a trial with US patients comes first "
            "(T7/T8)."
        )
    ind = a["fda_ind_key"]
    if rights_ended:
        t8 = (
            "The in-licence has ended: the FDA path and the US market, like the rest of the "
            "asset, are back with its licensor (T8)."
        )
    elif no_us_rights:  # 1.6+: licensed in without the US
        t8 = (
            "The company holds no US rights: the FDA path and the US market, about half the "
            "world's, are its licensor's (T8)."
        )
    elif approved:
        t8 = "FDA approval opens the US market, about half the world's (T8)."
    elif refused:
        t8 = (
            "The FDA answered the US filing with a complete response letter asking for new "
            "clinical evidence: the US path is a trial still to run, after a refusal (T7/T8)."
        )
    elif outcome(trace, "derived.crl_manufacturing"):
        resubmitted = letters[-1]["resubmitted"] if letters else None
        t8 = (
            "The FDA answered the US filing with a complete response letter on manufacturing, "
            "inspection or labelling, not the data: approvable once fixed"
            + (f" (resubmitted {resubmitted})" if resubmitted else " and resubmitted")
            + ", a delay of a year or more (T8)."
        )
    elif ind == "cleared" and outcome(trace, "derived.us_applicable_data") is False:
        t8 = (
            "An FDA IND is cleared, but the data come from China alone with no running or "
            "completed multiregional trial, so the FDA path is not credible yet (T7/T8)."
        )
    elif ind == "cleared":
        t8 = (
            "A credible FDA path"
            + (", with expedited designations" if a["designations"] else "")
            + ", which counts more than early presence elsewhere (T8)."
        )
    elif ind in ("planned", "submitted"):
        t8 = "The US path is under way but not open yet (T8)."
    elif ind == "none":
        t8 = "No US path today; early presence elsewhere counts for little (T8, T9)."
    else:
        t8 = "Without an FDA status the US path cannot be judged (T8)."
    out["t7"], out["t8"] = t7, t8

    loa = outcome(trace, "derived.likelihood_of_approval")
    deal_stage = outcome(trace, "derived.deal_stage")  # what the likelihood is read from (1.1+)
    deal_at = at_stage(deal_stage) if isinstance(deal_stage, str) else None
    if deal_stage == "none":
        start = "with no development yet in the planned deal's territory"
    elif deal_at:
        start = deal_at.replace("at ", "from ", 1) + " in the planned deal's territory"
    else:
        start = (at_stage(a["stage_key"]) or "at an unrecorded stage").replace("at ", "from ", 1)
    risk = (
        f" Likelihood of approval {start}: about {number(round(loa * 100, 1))}% "
        "(BIO/Informa/QLS 2011-2020; T6)."
        if isinstance(loa, int | float) and a["stage_key"] != "approved" and loa < 1
        else ""
    )
    out["t5"] = deal_model(a) + risk
    return out
