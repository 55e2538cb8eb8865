"""Diligence questions, in the order a partner would ask them.

1. `decisive`: the engine's questions whose answers can change the decision, in the engine's
   order (`engine.questions.rank_questions`: the settling set first, then by score swing), for
   the assets the decision rests on (a non-core asset's unknowns cannot move it);
2. `product`: questions about the product, drafted from the facts: durability of response,
   safety, differentiation against the standard of care and same-target rivals, the US plan /
   FDA path, and financing when the runway is short;
3. `score`: the engine's questions whose answers move the score but not the decision (all of
   them once the decision is settled), then `completeness`: answers that move nothing, or only
   a BD option's score;
4. `provenance`: sources to request, grouped per asset.

A figure the case does not actually state gets no source question: a zero with a note (a
pre-revenue company's sales growth of 0, "none") records an absence, not a number someone
could cite, and a figure marked as a prior or default is an assumption.
"""

from __future__ import annotations

from typing import Any

from screen.memo.citations import Citation
from screen.memo.wording import STAGE_RANK, join_and
from screen.report.asked import asked_once

ENGINE_KINDS = ("decisive", "score", "completeness")  # what an engine question's answer can move

# The case facts each product question is drawn from (listed in the appendix, for audit).
TOPIC_FACTS = {
    "durability": ("asset.trials.readouts",),
    "data": ("asset.trials",),
    "safety": ("asset.safety",),
    "differentiation": ("asset.competition.differentiation", "asset.standard_of_care"),
    "competitors": ("asset.competition.same_target_programs",),
    "us_plan": ("asset.data_origin", "asset.regulatory.fda_ind", "asset.bd.plan"),
}
RESPONSE_WORDS = ("orr", "response", "cr rate", "complete response", "pcr")
DURABILITY_WORDS = ("dor", "duration_of_response")  # PFS alone does not say how long responses last


def needs_source(c: Citation) -> bool:
    """Whether an unsourced figure should be sourced (see the module docstring)."""
    return c.needs_source


def _asset_questions(a: dict[str, Any], ctx: dict[str, Any]) -> list[tuple[str, str]]:
    """(topic, question) about one asset's product, from what the case states and lacks."""
    name = a["tag"]
    out: list[tuple[str, str]] = []
    readouts = [ro for t in a["trials"] for ro in t["readouts"]]
    text = " ".join(f"{ro['endpoint']} {ro.get('kind') or ''}".lower() for ro in readouts)
    responses = [ro for ro in readouts if any(w in ro["endpoint"].lower() for w in RESPONSE_WORDS)]
    has_durability = any(w in text.split() for w in DURABILITY_WORDS) or "duration" in text
    rank = STAGE_RANK.get(a["stage_key"] or "", -1)
    if responses and not has_durability:
        ro = responses[0]
        endpoint = ro["endpoint"].split(" (")[0]
        seen = f" behind the {ro['cite'].text} {endpoint}" if ro["cite"] else ""
        out.append(
            (
                "durability",
                f"How durable are the responses{seen} for {name}: median duration of "
                "response, follow-up time, and how many responders remain on treatment?",
            )
        )
    elif not readouts and rank >= STAGE_RANK["phase1"]:
        out.append(
            (
                "data",
                f"What clinical data does {name} have so far (endpoint, patients, data cut), "
                "and when is the next readout?",
            )
        )
    s = a.get("safety")
    if rank >= STAGE_RANK["phase1"] and (
        not s or (s["grade3_ae_rate"] is None and s["stopped_for_safety"] is None)
    ):
        out.append(
            (
                "safety",
                f"What is the safety profile of {name} at the recommended dose: grade 3 or "
                "worse adverse events, discontinuations and dose reductions, and how do they "
                "compare with the standard of care?",
            )
        )
    elif s and (s["grade3_ae_rate"] or 0) > (s["comparator_grade3_ae_rate"] or 1):
        out.append(
            (
                "safety",
                f"Grade 3 or worse adverse events are more frequent with {name} than "
                "with the comparator: which events, are they manageable, and does a "
                "lower dose keep the efficacy?",
            )
        )
    soc = a["soc"]["description"]
    rivals = [c for c in a["competitors"] if c["late"]]
    no_comparator = not any(ro.get("comparator") for ro in readouts)
    if a["differentiation"] and a.get("differentiation_verified"):
        pass  # a verified, sourced claim: nothing to ask
    elif a["differentiation"]:
        against = f" against {rivals[0]['name']}" if rivals else ""
        out.append(
            (
                "differentiation",
                f"What data support the differentiation claimed for {name}{against} "
                f'("{a["differentiation"].rstrip(".")}"): head-to-head, or cross-trial in the '
                "same line and biomarker population?",
            )
        )
    elif soc or no_comparator:
        named = a["soc"].get("treatments") or []
        vs = join_and(named) if named else "the standard of care"
        vs += " in this line" if a["line_of_therapy"] else ""
        out.append(
            (
                "differentiation",
                f"How does {name} compare with {vs}, in a randomised or matched population, "
                "and what would make a prescriber switch?",
            )
        )
    approved = [c for c in a["competitors"] if c["stage_key"] == "approved"]
    late = [c for c in rivals if c["stage_key"] != "approved"]
    if approved or late:
        first = approved[0] if approved else late[0]
        out.append(
            (
                "competitors",
                f"How will {name} position against {first['name']}"
                + (f" ({first['company']}, {first['stage']})" if first["company"] else "")
                + (
                    f", and when {'does' if len(late) == 1 else 'do'} "
                    f"{join_and([c['name'] for c in late])} read out"
                    if approved and late
                    else ""
                )
                + "?",
            )
        )
    origin, ind = a["data_origin_key"], a["fda_ind_key"]
    scope = (a["bd_plan"] or {}).get("market_scope_key")
    if scope != "domestic" and ind is not None:
        plan = a.get("us_evidence_plan_key")
        if origin == "china" and plan in ("mrct", "mrct_planned", "bridging"):
            study = "bridging study" if plan == "bridging" else "multiregional trial"
            out.append(
                (
                    "us_plan",
                    f"What has FDA agreed for the {study} of {name} (design, US patients, "
                    "endpoints), and when does it read out?",
                )
            )
        elif origin == "china":
            out.append(
                (
                    "us_plan",
                    f"What is the US plan for {name}: will FDA accept the China data, or is a "
                    "multiregional or bridging trial planned, and what did any pre-IND or "
                    "end-of-phase meeting conclude?",
                )
            )
        elif ind == "none":
            out.append(("us_plan", f"Is a US IND planned for {name}, on what timeline and budget?"))
        elif ind in ("planned", "submitted"):
            out.append(
                (
                    "us_plan",
                    f"When does the FDA IND for {name} clear, and which US trial follows it?",
                )
            )
        elif ind == "cleared":
            read_out = any(
                t["pivotal"] and t["readouts"] and t["region_key"] in ("us", "multiregional")
                for t in a["trials"]
            )
            question = _us_stage_question(name, _us_rank(a, rank), read_out)
            if question is not None:
                out.append(("us_plan", question))
    return out


def _us_rank(a: dict[str, Any], rank: int) -> int:
    """The asset's US stage as a rank (a v2 case states it; a v1 case only its stage)."""
    us = (a.get("regions") or {}).get("us")
    return STAGE_RANK.get(us["stage"], -1) if us else rank


def _us_stage_question(name: str, us_rank: int, read_out: bool) -> str | None:
    """What to ask about the US path at the US stage the case states: the FDA decision for a
    filing, the filing for a US or multiregional pivotal trial that has read out (`read_out`),
    the pivotal readout for a US phase 3, the registrational design before it."""
    if us_rank >= STAGE_RANK["approved"]:
        return None
    if us_rank >= STAGE_RANK["filed"]:
        return (
            f"When does FDA decide on {name} (action date), and what did the pre-approval "
            "inspections and any advisory committee raise?"
        )
    if us_rank >= STAGE_RANK["phase3"] and read_out:
        return (
            f"The pivotal trial of {name} with US patients has read out: when is the US filing, "
            "and what did the pre-submission meeting with FDA conclude?"
        )
    if us_rank >= STAGE_RANK["phase3"]:
        return (
            f"When does the US pivotal trial of {name} read out, and what did FDA agree on its "
            "design, comparator and US enrolment?"
        )
    if us_rank >= STAGE_RANK["phase2"]:
        return (
            f"What has FDA agreed for the registrational trial of {name} (design, "
            "comparator, US enrolment)?"
        )
    return None


def product_questions(ctx: dict[str, Any], runway_risk: bool) -> list[dict[str, Any]]:
    """Questions about the product: all of them for core assets, the two most telling for a
    non-core asset (it is a BD option, not the thesis)."""
    out = []
    assets = sorted(ctx["assets"], key=lambda a: (not a["is_lead"], not a["is_core"]))
    for a in assets:
        drafted = _asset_questions(a, ctx)
        if not a["is_core"]:  # a BD option: what a licensee will ask, unless partnered
            partnered = a["bd_deal"]["state"] == "partnered"
            keep = ("competitors",) if partnered else ("competitors", "us_plan")
            drafted = [q for q in drafted if q[0] in keep][:2]
        for topic, question in drafted:
            out.append(
                {
                    "asset": a["id"],
                    "tag": a["tag"],
                    "question": question,
                    "fact": TOPIC_FACTS.get(topic, ("",))[0],  # for templates showing one
                    "facts": list(TOPIC_FACTS.get(topic, ())),
                    "rules": [],
                    "kind": "product",
                    "topic": topic,
                }
            )
    if runway_risk:
        out.append(
            {
                "asset": None,
                "tag": "Company",
                "question": "How will the company fund itself to the next value inflection: "
                "cash, burn, the next round or deal, and what it assumes?",
                "fact": "company.cash_runway_months",
                "facts": ["company.cash_runway_months"],
                "rules": [],
                "kind": "product",
                "topic": "financing",
            }
        )
    return out


def _engine_questions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's unknowns as questions, in its ranked order, one per question put to the
    company (`report.asked`): company facts asked once, and an asset's facts that share one
    question (those derived from a readout) asked once, for the strongest reason any has."""
    tags = {a["id"]: a["tag"] for a in ctx["assets"]}
    core = set(ctx["result"]["core_assets"])
    out: list[dict[str, Any]] = []
    for group in asked_once(ctx["result"]["unknowns"]):
        u = group[0]
        company = u["asset"] is None or u["fact"].startswith("company.")
        out.append(
            {
                "asset": None if company else u["asset"],
                "tag": "Company" if company else tags.get(u["asset"], u["asset"]),
                "question": u["question"],
                "fact": u["fact"],
                "facts": list(dict.fromkeys(m["fact"] for m in group)),
                "rules": sorted({r for m in group for r in m["rules"]}),
                # asked for several assets or facts: the strongest reason
                "kind": min((_engine_kind(m, core) for m in group), key=ENGINE_KINDS.index),
            }
        )
    return out


def _engine_kind(u: dict[str, Any], core: set[str]) -> str:
    """What an unknown's answer can move: a BD option's move its own score, never the
    company's decision."""
    counts = u["asset"] is None or u["asset"] in core
    if counts and (u.get("settles") or len(u.get("could_reach", ())) > 1):
        return "decisive"
    if counts and not u.get("for_completeness", False):
        return "score"
    return "completeness"


def _source_questions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One request per owner (company, each asset) for the figures it states without a source."""
    groups: dict[str, list[Citation]] = {}
    for c in ctx["citations"]:
        if needs_source(c):
            groups.setdefault(c.owner or "", []).append(c)
    out = []
    for owner, cites in groups.items():
        items = [f"{c.item} ({c.text})" for c in cites]
        whose = "the company's " if owner == "company" else ""
        if len(items) == 1:
            question = f"What is the source for {whose}{items[0]}?"
        else:
            question = f"What are the sources for {whose}{join_and(items)}?"
        is_asset = owner not in ("company", "")
        out.append(
            {
                "asset": owner if is_asset else None,
                "tag": "Company" if owner == "company" else (cites[0].subject or ""),
                "question": question,
                "fact": cites[0].path,
                "facts": [c.path for c in cites],
                "rules": [],
                "kind": "provenance",
            }
        )
    return out


def questions(ctx: dict[str, Any], runway_risk: bool = False) -> list[dict[str, Any]]:
    """All diligence questions, in the order of the module docstring."""
    engine = _engine_questions(ctx)
    decisive = [q for q in engine if q["kind"] == "decisive"]
    rest = sorted(
        (q for q in engine if q["kind"] != "decisive"), key=lambda q: ENGINE_KINDS.index(q["kind"])
    )  # stable: the engine's order within each kind
    return decisive + product_questions(ctx, runway_risk) + rest + _source_questions(ctx)
