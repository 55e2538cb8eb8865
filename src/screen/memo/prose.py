"""Drafted prose: the executive summary, the risks and the diligence questions of a memo."""

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
    sentence,
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


def risks(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """Red flags: failed or unknown gates, weak or unscorable criteria, doubtful figures."""
    out: list[dict[str, str]] = []
    company_done: set[str] = set()

    def add(level: str, a: dict[str, Any] | None, text: str) -> None:
        out.append(
            {
                "level": level,
                "asset": a["id"] if a else "",
                "tag": a["tag"] if a else "Company",
                "text": text,
            }
        )

    if not any(a["role_key"] == "core" for a in ctx["assets"]):
        by_id = {a["id"]: a for a in ctx["assets"]}
        judged = [by_id[i]["tag"] for i in ctx["result"]["core_assets"] if i in by_id]
        add(
            "amber",
            None,
            f"No asset is marked core; the decision was judged on {join_and(judged)}. "
            "Confirm which asset the company's value rests on.",
        )
    for a in ctx["assets"]:
        for g in a["gates"]:
            if g["outcome"] == "fail":
                why = f" ({g['rationale']})" if g["rationale"] else ""
                add("red", a, f'Fails the knock-out gate "{g["name"]}"{why}.')
            elif g["outcome"] == "unknown":
                refs = _question_refs(ctx, a["id"], f"gates.{g['id']}")
                add("amber", a, f'The gate "{g["name"]}" cannot be checked yet{refs}.')
        for c in a["criteria"]:
            who: dict[str, Any] | None = a
            if c["company_level"]:  # the same for every asset: once, as a company risk
                if c["id"] in company_done:
                    continue
                who = None
                company_done.add(c["id"])
            if c["share"] is not None and c["share"] <= WEAK_SHARE:
                add(
                    "amber",
                    who,
                    f"Weak: {c['name']}, {c['score_text']}"
                    + (f"; {c['fired_rationale']}" if c["fired_rationale"] else "")
                    + ".",
                )
            elif c["score"] is None:
                refs = _question_refs(ctx, a["id"], f"criteria.{c['id']}")
                possible = c.get("possible") or []
                could = (
                    f" (could be {number(min(possible))}-{number(max(possible))} / "
                    f"{number(c['max'])})"
                    if possible
                    else ""
                )
                add("amber", who, f"{c['name']} cannot be scored yet{could}{refs}.")
        if a["bd_status_key"] == "returned":
            add(
                "amber",
                a,
                "Rights were returned by a partner: a normal risk, not a scandal (T6), "
                "but ask why.",
            )
    by_id = {a["id"]: a for a in ctx["assets"]}
    for c in ctx["citations"]:
        if c.flags and (not c.sourced or c.stale):
            item = c.item[:1].upper() + c.item[1:]
            text = f"{item} ({c.text}): {'; '.join(c.flags)}."
            if c.owner == "company":
                add("amber", None, text)
            elif c.owner in by_id:
                add("amber", by_id[c.owner], text)
            else:
                out.append({"level": "amber", "asset": "", "tag": "", "text": text})
    for note in ctx["result"]["notes"]:
        if note.startswith("no asset is marked core"):
            continue  # said above, with asset names
        out.append({"level": "amber", "asset": "", "tag": "", "text": sentence(note)})
    return out


def questions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Open diligence questions: the engine's unknowns, then requests to source figures.

    Questions about company facts (`company.*`, or no asset) are tagged as company questions and
    asked once, however many assets read the fact."""
    tags = {a["id"]: a["tag"] for a in ctx["assets"]}
    out: list[dict[str, Any]] = []
    company: dict[str, dict[str, Any]] = {}
    for u in ctx["result"]["unknowns"]:
        if u["asset"] is None or u["fact"].startswith("company."):
            key = f"{u['fact']}\n{u['question'] if u['asset'] is None else ''}"
            if key in company:
                company[key]["rules"] = sorted({*company[key]["rules"], *u["rules"]})
                continue
            company[key] = {
                "asset": None,
                "tag": "Company",
                "question": u["question"],
                "fact": u["fact"],
                "rules": list(u["rules"]),
            }
            out.append(company[key])
            continue
        out.append(
            {
                "asset": u["asset"],
                "tag": tags.get(u["asset"], u["asset"]),
                "question": u["question"],
                "fact": u["fact"],
                "rules": u["rules"],
            }
        )
    for c in ctx["citations"]:
        if not c.sourced:
            if c.owner == "company":
                question = f"What is the source for the company's {c.item} ({c.text})?"
                tag = "Company"
            else:
                question = f"What is the source for {c.item} ({c.text})?"
                tag = c.subject or ""
            out.append(
                {
                    "asset": c.owner if c.owner != "company" else None,
                    "tag": tag,
                    "question": question,
                    "fact": c.path,
                    "rules": [],
                }
            )
    return out
