"""Risks and red flags, drawn from the facts: the competitive, clinical, regulatory and
financing risks a partner asks about first, then what the thesis scored low, then data quality.

What counts as a risk, and the thresholds used:
- competitive: an approved, filed or phase 3 program against the same target (named, with its
  company, stage and region); a crowded target (more late-stage rivals than the thesis's
  `params.max_late_competitors`);
- clinical: China-only data (`data_origin: china`) for a plan that reaches the US (global,
  ex-China or US territory, US countries, or an FDA IND under way); a readout that does not beat
  its comparator; v2 safety facts (a trial stopped for safety, a grade >= 3 adverse-event rate
  above the comparator's, treatment-related deaths, discontinuations of 20% or more);
- regulatory: no FDA IND and none planned; a US stage behind the China stage (v2);
- financing: cash runway under the rule set's `params.min_cash_runway_months` when the rule
  set reads one, else under the memo's default of RUNWAY_MONTHS; under RUNWAY_RED_MONTHS is red.
"""

from __future__ import annotations

from typing import Any

from screen.memo.diligence import needs_source
from screen.memo.evidence import cash_runway
from screen.memo.wording import (
    CRL_ASKS,
    STAGE_RANK,
    WEAK_SHARE,
    join_and,
    label,
    number,
    sentence,
)
from screen.model import vocab

# Memo defaults, used when the rule set states no runway parameter: a biotech usually needs
# 12-18 months to close its next round, so under 18 months financing is a live risk and under
# 12 it is urgent (firm convention for the memo, not a thesis score).
RUNWAY_MONTHS = 18
RUNWAY_RED_MONTHS = 12
HIGH_DISCONTINUATION = 0.2  # memo default: one patient in five stopping treatment is a signal
US_REACH = {"global", "ex_china", "us"}
# Criteria of the bundled thesis whose weak score a fact-based risk already explains.
CRITERION_KIND = {"global_competitiveness": "competitive", "us_path": "regulatory"}
EVIDENCE_PLAN = {  # regulatory.us_evidence_plan (v2) -> what the company says it will do
    "mrct": "a multiregional trial with US sites is running or has read out",
    "mrct_planned": "a multiregional trial with US sites is planned",
    "bridging": "a bridging study (ICH E5) is running or planned",
}
LOWER_IS_BETTER = frozenset(kind.value for kind in vocab.LOWER_IS_BETTER)  # as memo dicts hold them


def param(ctx: dict[str, Any], name: str) -> Any:
    """A rule-set parameter's value as the rules read it (from the trace), or None."""
    key = f"params.{name}"
    for t in ctx["result"]["trace"]:
        if key in t["inputs"]:
            return t["inputs"][key]
    return None


def _question_refs(ctx: dict[str, Any], asset_id: str, rule: str) -> str:
    """'; see diligence question 2': the questions that would decide `rule` for the asset."""
    nums = [
        str(i)
        for i, q in enumerate(ctx["questions"], 1)
        if rule in q["rules"] and q["asset"] in (asset_id, None)
    ]
    if not nums:
        return ""
    return f"; see diligence question{'s' if len(nums) > 1 else ''} {join_and(nums)}"


def _program(c: dict[str, Any], stage: bool = True) -> str:
    """'LX-1802 (CLDN18.2 ADC) from Lingxi Pharma, phase 3 (China)'."""
    who = f" from {c['company']}" if c["company"] else ""
    where = c["region"] or ""
    if stage:
        return f"{c['name']}{who}, {c['stage']}" + (f" ({where})" if where else "")
    return f"{c['name']}{who}" + (f", approved ({where})" if where else "")


def _clause(text: str) -> str:
    """A sentence continued after a colon: 'No FDA path' -> 'no FDA path' (not 'LOA')."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or text[1:2] == " " else text


def competitive(a: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """Approved and late-stage same-target programs, and a crowded target (T3)."""
    out = []
    approved = [c for c in a["competitors"] if c["stage_key"] == "approved"]
    late = [
        c
        for c in a["competitors"]
        if c["rank"] is not None and STAGE_RANK["phase3"] <= c["rank"] < STAGE_RANK["approved"]
    ]
    if approved:
        names = join_and([_program(c, stage=False) for c in approved])
        drug = "drug" if len(approved) == 1 else "drugs"
        out.append(
            f"Approved same-target {drug}: {names}. {a['tag']} has to show it does better "
            "than an approved drug on its own target, not only than the older standard of "
            "care (T3)."
        )
    if late:
        names = join_and([_program(c) for c in late])
        out.append(
            f"Late-stage rivals on the same target: {names}; they may reach the market first "
            "and set the bar for differentiation (T3)."
        )
    limit = param(ctx, "max_late_competitors")
    count = len(approved) + len(late)
    if isinstance(limit, int | float) and count > limit:
        out.append(
            f"Crowded target: {count} same-target programs at phase 3 or later, more than the "
            f"{number(limit)} the thesis accepts (T3)."
        )
    return out


def _reaches_us(a: dict[str, Any]) -> str | None:
    """Why the asset's plan needs US-acceptable data, in words (None if it does not)."""
    plan = a["bd_plan"] or {}
    if a["fda_ind_key"] in ("planned", "submitted", "cleared"):
        return {
            "planned": "an FDA IND is planned",
            "submitted": "an FDA IND is submitted",
            "cleared": "an FDA IND is cleared",
        }[a["fda_ind_key"]]
    if plan.get("territory_key") in US_REACH:
        return f"the plan covers {plan['territory'] if plan['territory_key'] != 'us' else 'the US'}"
    if "US" in a.get("plan_countries", []):
        return "the plan names the US"
    us = (a.get("regions") or {}).get("us")
    if us and us["rank"] is not None and us["rank"] >= 0:
        return f"the asset is in {label(us['stage'])} in the US"
    return None


def clinical(a: dict[str, Any]) -> list[tuple[str, str]]:
    """(level, text): China-only data for a US plan, readouts that lose, safety signals."""
    out: list[tuple[str, str]] = []
    why = _reaches_us(a)
    plan = a.get("us_evidence_plan_key")
    if a["data_origin_key"] == "china" and why:
        if plan in EVIDENCE_PLAN:
            text = (
                f"China-only clinical data while {why}; {EVIDENCE_PLAN[plan]}, which is what "
                "FDA will look for: its design, size and timing decide the US filing (T7/T8)."
            )
        elif plan == "none":
            text = (
                f"China-only clinical data while {why}, and no multiregional or bridging trial "
                "is planned: FDA expects evidence that applies to US patients and US standard "
                "of care, so a US filing on these data alone is unlikely to succeed (T7/T8)."
            )
        else:
            text = (
                f"China-only clinical data while {why}: FDA expects evidence that applies to "
                "US patients and US standard of care, so a multiregional or US bridging trial "
                "is likely before a US filing (T7/T8)."
            )
        out.append(("amber", text))
    for t in a["trials"]:
        for ro in t["readouts"]:
            arm = ro["cite"].value if ro["cite"] is not None else None
            comp = ro.get("comparator_value")
            if arm is None or comp is None:
                continue
            delta = ro.get("delta")
            if delta is None and ro.get("kind") in LOWER_IS_BETTER:
                continue  # a change from baseline in units that do not compare (kg vs %)
            if delta is None:
                higher = ro.get("higher_is_better")
                if higher is None:
                    higher = ro.get("kind") not in LOWER_IS_BETTER
                delta = (arm - comp) if higher else (comp - arm)
            if delta <= 0:
                out.append(
                    (
                        "amber",
                        f"{ro['endpoint']} does not beat its comparator ({number(arm)} vs "
                        f"{number(comp)} for {ro['comparator']}).",
                    )
                )
    s = a.get("safety")
    if s:
        if s["stopped_for_safety"]:
            out.append(
                (
                    "red",
                    "A trial was suspended or terminated, or put on clinical hold, for safety"
                    + (f" ({s['note']})" if s["note"] else "")
                    + ".",
                )
            )
        g3, g3c = s["grade3_ae_rate"], s["comparator_grade3_ae_rate"]
        if g3 is not None and g3c is not None and g3 > g3c:
            out.append(
                (
                    "amber",
                    f"Safety: grade 3 or worse adverse events in {_pct(g3)} of patients vs "
                    f"{_pct(g3c)} for the comparator.",
                )
            )
        deaths = s["treatment_related_deaths"]
        if deaths:
            out.append(("amber", f"Safety: {number(deaths)} treatment-related death(s)."))
        disc = s["discontinuation_rate"]
        if disc is not None and disc >= HIGH_DISCONTINUATION:
            out.append(
                (
                    "amber",
                    f"Safety: {_pct(disc)} of patients discontinued treatment (the memo flags "
                    f"{_pct(HIGH_DISCONTINUATION)} or more).",
                )
            )
    return out


def regulatory(a: dict[str, Any]) -> list[str]:
    """No FDA path; an FDA complete response letter not yet answered by an approval; a US
    stage behind the China stage (v2 regional development)."""
    out = []
    fda_approved = a["us_approved"]
    scope = (a["bd_plan"] or {}).get("market_scope_key")
    if a["fda_ind_key"] == "none" and not fda_approved:
        plan = " although the plan is global" if scope == "global" else ""
        out.append(
            f"No FDA IND yet and none planned{plan}: no US path today, and early presence "
            "elsewhere counts for little (T8, T9)."
        )
    letters = a["crl_letters"]
    if letters and not fda_approved:
        last = letters[-1]
        asks = CRL_ASKS[last["reason_key"]]
        when = f" ({last['date']})" if last["date"] else ""
        again = f"; resubmitted {last['resubmitted']}" if last["resubmitted"] else ""
        out.append(
            f"The FDA's latest complete response letter{when} asks for {asks}{again}: the US "
            "application is not approvable as it stands (T8)."
        )
    regions = a.get("regions") or {}
    china, us = regions.get("china"), regions.get("us")
    if china and us and (china["rank"] or -1) > (us["rank"] if us["rank"] is not None else 99):
        us_text = "not in development" if us["rank"] < 0 else label(us["stage"])
        out.append(
            f"{label(china['stage']).capitalize()} in China but {us_text} in the US: a US "
            "or global deal prices the asset at its US stage, and US development risk is "
            "still ahead (T6, T8)."
        )
    return out


def financing(ctx: dict[str, Any], company: Any) -> tuple[str, str] | None:
    """(level, text) when the cash runway is short, against the rule set's threshold if it
    has one, else the memo default (said so in the text)."""
    months, how = cash_runway(company)
    if months is None:
        return None
    limit = param(ctx, "min_cash_runway_months")
    basis = "the thesis minimum"
    if not isinstance(limit, int | float):
        limit, basis = RUNWAY_MONTHS, "the memo's default threshold"
    if months >= limit:
        return None
    level = "red" if months < RUNWAY_RED_MONTHS else "amber"
    derived = "" if how == "stated" else f", {how}"
    return (
        level,
        f"Short cash runway: {number(months)} months{derived}, under {basis} of "
        f"{number(limit)} months; the company will need new money before the next value "
        "inflection, which weakens its hand in BD and raises dilution risk.",
    )


def _pct(x: float) -> str:
    return number(round(x * 100, 1)) + "%"


def risks(ctx: dict[str, Any], company: Any = None) -> list[dict[str, str]]:
    """The memo's risk list: failed gates, then fact-based risks per asset (lead first), then
    financing, weak or unscorable criteria, and one line on data quality."""
    out: list[dict[str, str]] = []
    company_done: set[str] = set()

    def add(level: str, a: dict[str, Any] | None, text: str, kind: str) -> None:
        out.append(
            {
                "level": level,
                "asset": a["id"] if a else "",
                "tag": a["tag"] if a else "Company",
                "text": text,
                "kind": kind,
            }
        )

    assets = sorted(ctx["assets"], key=lambda a: (not a["is_lead"], not a["is_core"]))
    if not any(a["role_key"] == "core" for a in ctx["assets"]):
        by_id = {a["id"]: a for a in ctx["assets"]}
        judged = [by_id[i]["tag"] for i in ctx["result"]["core_assets"] if i in by_id]
        add(
            "amber",
            None,
            f"No asset is marked core; the decision was judged on {join_and(judged)}. "
            "Confirm which asset the company's value rests on.",
            "thesis",
        )
    for a in assets:
        for g in a["gates"]:
            if g["outcome"] == "fail":
                why = f" ({g['rationale']})" if g["rationale"] else ""
                add("red", a, f'Fails the knock-out gate "{g["name"]}"{why}.', "gate")
    covered: set[tuple[str, str]] = set()  # (asset, kind) a fact-based risk already names
    for a in assets:
        partnered = a["bd_deal"]["state"] == "partnered"  # the partner carries development
        found = [("amber", text, "competitive") for text in competitive(a, ctx)]
        # the evidence is the asset's whoever files it: China-only data for a US filing, a
        # losing readout or a safety signal put the partner's milestones at risk too
        found += [(level, text, "clinical") for level, text in clinical(a)]
        if not partnered:  # the US path's next steps are the partner's to take
            found += [("amber", text, "regulatory") for text in regulatory(a)]
        for level, text, kind in found:
            add(level, a, text, kind)
            covered.add((a["id"], kind))
    money = financing(ctx, company)
    if money:
        add(money[0], None, money[1], "financing")
    for a in assets:
        for g in a["gates"]:
            if g["outcome"] == "unknown":
                refs = _question_refs(ctx, a["id"], f"gates.{g['id']}")
                add("amber", a, f'The gate "{g["name"]}" cannot be checked yet{refs}.', "gate")
        for c in a["criteria"]:
            who: dict[str, Any] | None = a
            if c["company_level"]:  # the same for every asset: once, as a company risk
                if c["id"] in company_done:
                    continue
                who = None
                company_done.add(c["id"])
            if (a["id"], CRITERION_KIND.get(c["id"], "")) in covered:
                continue  # the risk is already named from the facts
            if c["share"] is not None and c["share"] <= WEAK_SHARE:
                why = f": {_clause(c['why'])}" if c["why"] else ""
                add("amber", who, f"Weak score on {c['name']}, {c['score_text']}{why}.", "thesis")
            elif c["score"] is None:
                refs = _question_refs(ctx, a["id"], f"criteria.{c['id']}")
                possible = c.get("possible") or []
                could = (
                    f" (could be {number(min(possible))}-{number(max(possible))} / "
                    f"{number(c['max'])})"
                    if possible
                    else ""
                )
                add("amber", who, f"{c['name']} cannot be scored yet{could}{refs}.", "thesis")
        if a["bd_status_key"] == "returned" and a["rights_ended"]:
            add(
                "amber",
                a,
                "The in-licence has ended and the rights are back with the licensor: ask why "
                "(the licensor's data, its strategy, or the company's execution), as the "
                "answer bears on the company's other licences (T6).",
                "bd",
            )
        elif a["bd_status_key"] == "returned":
            add(
                "amber",
                a,
                "Rights were returned by a partner: a normal risk, not a scandal (T6), "
                "but ask why.",
                "bd",
            )
    quality = data_quality(ctx)
    if quality:
        add("amber", None, quality, "data")
        out[-1]["tag"] = ""
    for note in ctx["result"]["notes"]:
        if note.startswith("no asset is marked core"):
            continue  # said above, with asset names
        out.append({"level": "amber", "asset": "", "tag": "", "text": sentence(note), "kind": ""})
    return out


def data_quality(ctx: dict[str, Any]) -> str | None:
    """One line for the figures to source or refresh (the appendix lists them one by one)."""
    cites = ctx["citations"]
    unsourced = [c for c in cites if needs_source(c)]
    stale = [c for c in cites if c.stale]
    parts = []
    if unsourced:
        n = len(unsourced)
        parts.append(f"{n} figure{'s' if n != 1 else ''} without a source")
    if stale:
        n = len(stale)
        parts.append(
            f"{n} figure{'s' if n != 1 else ''} older than {ctx['stale_months']} months "
            f"({join_and(sorted({c.what for c in stale}))})"
        )
    if not parts:
        return None
    return (
        "Evidence to firm up: "
        + " and ".join(parts)
        + "; the sources to request close the diligence questions, and Appendix A lists "
        "every figure."
    )
