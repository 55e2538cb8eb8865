"""Drafted prose: the executive summary of a memo (risks: `risks`; questions: `diligence`)."""

from __future__ import annotations

from typing import Any

from screen.memo.deals import bd_phrase
from screen.memo.wording import (
    STRONG_SHARE,
    WEAK_SHARE,
    count_is,
    join_and,
    number,
    quoted,
    stage_noun,
)
from screen.model.numbers import display


def _judged_on(ctx: dict[str, Any]) -> str:
    """The summary's first sentence: which asset(s) the company's decision rests on."""
    r, lead = ctx["result"], ctx["lead"]
    company = ctx["company"]["name"]
    n = len(ctx["assets"])
    screened = f"{company} is screened on {n} asset{'s' if n != 1 else ''}"
    where = stage_noun(lead["stage_key"]) + (
        f" in {lead['indication']}" if lead["indication"] else ""
    )
    if any(a["role_key"] == "core" for a in ctx["assets"]):
        if len(r["core_assets"]) > 1:
            return f"{screened}; the decision follows the lead core asset {lead['name']}, {where}."
        return f"{screened}; the decision follows the core asset {lead['name']}, {where}."
    by_id = {a["id"]: a for a in ctx["assets"]}
    judged = [by_id[i]["name"] for i in r["core_assets"] if i in by_id]
    if len(judged) <= 1:
        return (
            f"{screened}. No asset is marked core, so the decision was judged on "
            f"{lead['name']}, {where}."
        )
    return (
        f"{screened}. No asset is marked core, so the decision was judged on "
        f"{join_and(judged)}; it follows {lead['name']}, {where}."
    )


def summary(ctx: dict[str, Any]) -> list[str]:
    """The executive summary: drafted sentences a partner reads first."""
    r = ctx["result"]
    lead = ctx["lead"]
    th = r["thresholds"]
    score, (lo, hi) = r["score"], r["score_range"]
    out = [_judged_on(ctx)]
    failed = [g["name"] for g in r["gates"] if g["outcome"] == "fail"]
    open_gates = [g["name"] for g in r["gates"] if g["outcome"] == "unknown"]
    d = r["decision"]
    s = f"{display(score)} / {number(r['scale'])}"
    if d == "advance":
        out.append(
            f"Recommendation: advance. Weighted score {s}, at or above the advance "
            f"threshold of {number(th['advance'])}, and every gate passes."
        )
    elif d == "watch":
        out.append(
            f"Recommendation: watch. Weighted score {s}: above the watch threshold of "
            f"{number(th['watch'])} but under advance ({number(th['advance'])})."
        )
    elif d == "decline" and failed:
        gates = "gate" if len(failed) == 1 else "gates"
        out.append(f"Recommendation: decline. It fails the knock-out {gates} {quoted(failed)}.")
    elif d == "decline":
        out.append(
            f"Recommendation: decline. Weighted score {s}, under the watch threshold "
            f"of {number(th['watch'])}."
        )
    else:
        why = []
        if lo != hi:
            spanned = [f"{k} threshold {number(v)}" for k, v in th.items() if lo < v <= hi]
            why.append(
                f"the score could lie anywhere from {display(lo)} to {display(hi)}, "
                f"which spans the {' and the '.join(spanned) or 'decision thresholds'}"
            )
        if open_gates:
            gates = "gate" if len(open_gates) == 1 else "gates"
            why.append(f"the {gates} {quoted(open_gates)} cannot be checked yet")
        out.append(
            "Recommendation: insufficient information to decide; "
            + (", and ".join(why) or "key facts are missing")
            + "."
        )
    strong = sorted(
        (c for c in lead["criteria"] if c["share"] is not None and c["share"] >= STRONG_SHARE),
        key=lambda c: -c["contribution"],
    )[:3]
    weak = [c for c in lead["criteria"] if c["share"] is not None and c["share"] <= WEAK_SHARE]
    if strong:
        out.append(
            "Strengths: " + ", ".join(f"{c['name']} ({c['score_text']})" for c in strong) + "."
        )
    if weak:
        out.append(
            "Weaknesses: " + ", ".join(f"{c['name']} ({c['score_text']})" for c in weak) + "."
        )
    unknown = [c for c in lead["criteria"] if c["score"] is None]
    if unknown:
        out.append(
            "Not yet scorable: "
            + ", ".join(f"{c['name']} ({c['score_text']})" for c in unknown)
            + "."
        )
    options = [a for a in ctx["assets"] if not a["is_core"]]
    if options:
        items = []
        for a in options:
            item = (
                f"{a['name']}: {a['stage'] or 'stage unknown'}, scored {display(a['score'])} "
                f"({a['decision_label'].lower()})"
            )
            where = bd_phrase(a)
            items.append(item + (f", {where}" if where else ""))
        out.append("Non-core assets (BD options, T5): " + "; ".join(items) + ".")
    q = ctx["data_quality"]
    if q["total"]:
        parts = [f"{q['sourced']} of {q['total']} figures in this memo cite a source"]
        if q["estimates"]:
            parts.append(count_is(q["estimates"], "is an estimate", "are estimates"))
        if q["stale"]:
            parts.append(
                count_is(q["stale"], "is", "are") + f" older than {ctx['stale_months']} months"
            )
        out.append("Data quality: " + ", ".join(parts) + ".")
    if ctx["questions"]:
        first = ctx["questions"][0]
        about = f" ({first['tag']})" if first["asset"] else ""
        out.append(f"First diligence request{about}: {first['question']}")
    return out
