"""Plain-text views of results: the ranked screening table and the `explain` tree.

Both read the result document (the same JSON `--format json` prints), so what a person reads
and what other tools read can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from screen.model.numbers import display, display_signed
from screen.report.asked import asked_once
from screen.report.safety import terminal_cell, terminal_text

DECISION_ORDER = {"advance": 0, "watch": 1, "insufficient_information": 2, "decline": 3}
DECISION_LABEL = {
    "advance": "ADVANCE",
    "watch": "WATCH",
    "decline": "DECLINE",
    "insufficient_information": "INSUFFICIENT INFO",
}
GATE_MARK = {"pass": "ok  ", "fail": "FAIL", "unknown": "??  "}


_REGION_LABEL = {"china": "China", "us": "US", "eu": "EU", "japan": "Japan", "rest_of_world": "RoW"}


def ranking_score(r: dict[str, Any]) -> float:
    """The score a result ranks by: its provisional score while its decision is open.

    Undecided cases are ranked by what they would likely be, not by how well they are
    documented (the policy score of an undocumented case is its lowest reachable one)."""
    provisional = r.get("provisional")
    if r["decision"] == "insufficient_information" and provisional:
        return provisional["score"]
    return r["score"]


def rank(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decision first (advance ... decline), then score (provisional for undecided cases),
    then company name: deterministic."""
    return sorted(
        results,
        key=lambda r: (
            DECISION_ORDER[r["decision"]],
            -ranking_score(r),
            r["case"]["company"],
            r["case"]["path"],
        ),
    )


def provisional_text(r: dict[str, Any], labels: dict[str, str] = DECISION_LABEL) -> str | None:
    """'provisionally WATCH (3.10, range 2.60-3.60)' for an undecided result, else None.

    `labels` names the decisions (the memo writes 'Watch'); scores round like every other
    human output (`model.numbers.display`)."""
    p = r.get("provisional")
    if r["decision"] != "insufficient_information" or not p:
        return None
    lo, hi = r["score_range"]
    return (
        f"provisionally {labels[p['decision']]} ({display(p['score'])}, "
        f"range {display(lo)}-{display(hi)})"
    )


def _fmt(x: Any) -> str:
    if x is None:
        return "?"
    return display(x) if isinstance(x, float) else str(x)


TABLE_HEAD = (
    "#",
    "company",
    "decision",
    "score",
    "range",
    "lead asset",
    "stage",
    "unknowns",
    "gates",
    "file",
)


def table(results: list[dict[str, Any]]) -> str:
    """The ranked screening: one row per case."""
    return render_table([table_row(r)[1] for r in rank(results)])


def table_row(r: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """(sort key, cells) of one result's table row, without its rank number: all the table
    needs of a result (a batch keeps these, or spools them, not the results)."""
    lead = next(a for a in r["assets"] if a["id"] == r["lead_asset"])
    lo, hi = r["score_range"]
    rng = "" if lo == hi else f"{_fmt(float(lo))}-{_fmt(float(hi))}"
    core_unknowns = sum(1 for u in r["unknowns"] if u["asset"] in r["core_assets"])
    gates = ", ".join(f"{g['id']} {g['outcome']}" for g in r["gates"] if g["outcome"] != "pass")
    cells = (
        r["case"]["company"],
        DECISION_LABEL[r["decision"]],
        display(r["score"]),
        rng,
        lead["id"],
        lead["stage"] or "?",
        str(core_unknowns),
        gates or "pass",
        r["case"]["path"],
    )
    key = (
        DECISION_ORDER[r["decision"]],
        -ranking_score(r),
        r["case"]["company"],
        r["case"]["path"],
    )
    return key, cells


def render_table(rows: Iterable[tuple[str, ...]]) -> str:
    """The table from its rows' cells in rank order (`table_row`)."""
    return "".join(table_chunks(rows))


def table_chunks(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """`render_table`'s text a few lines at a time. `rows` is read twice (a list, or a spool
    that reads them again): column widths, then the lines."""
    head = tuple(terminal_cell(cell) for cell in TABLE_HEAD)
    widths = [len(cell) for cell in head]
    for i, cells in enumerate(rows, 1):
        for c, cell in enumerate((str(i), *cells)):
            n = len(terminal_cell(cell))
            if n > widths[c]:
                widths[c] = n

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()

    lines = [line(head), "  ".join("-" * w for w in widths)]
    for i, cells in enumerate(rows, 1):
        lines.append(line(tuple(terminal_cell(cell) for cell in (str(i), *cells))))
        if len(lines) >= 256:
            yield "\n".join(lines) + "\n"
            lines = []
    yield "\n".join(lines) + "\n" if lines else ""


def _value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v).lower() if isinstance(v, bool) else str(v)


def _asset_kind(a: dict[str, Any], core: list[str]) -> str:
    """What the asset is to the decision: 'core asset', a 'candidate core asset' (no asset is
    marked core, several could be), or a 'non-core asset' (judged as core only when every
    asset is marked non-core), else a BD option."""
    if a["id"] not in core:
        return "non-core asset (BD option)"
    if a.get("role") == "non_core":
        return "non-core asset (judged as core: no asset is marked core)"
    if a.get("role") is None and len(core) > 1:
        return "candidate core asset"
    return "core asset"


def explain(result: dict[str, Any]) -> str:
    """decision <- criteria <- rules <- facts, as an indented tree."""
    r = result
    out: list[str] = []
    lo, hi = r["score_range"]
    rng = "" if lo == hi else f" (could be {display(lo)}-{display(hi)} once unknowns are known)"
    out.append(f"{r['case']['company']}  [{r['case']['path']}]")
    out.append(
        f"decision: {DECISION_LABEL[r['decision']]}   "
        f"score {display(r['score'])} / {r['scale']}{rng}"
    )
    provisional = provisional_text(r)
    if provisional:
        out.append(f"{provisional}, if each unknown fact took its expected value:")
        out.extend(f"  assumes {line}" for line in r["provisional"]["basis"])
    if r.get("decided_by"):
        settle = ", ".join(
            f"[{d['asset']}] {d['fact']}" if d["asset"] else d["fact"] for d in r["decided_by"]
        )
        out.append(f"decided by: {settle} (the fewest answers that settle the decision)")
    if r.get("approximate"):
        out.append("note: too many unknown combinations to enumerate; ranges are sound bounds")
    out.append(
        f"thresholds: advance >= {r['thresholds']['advance']}, watch >= {r['thresholds']['watch']}"
    )
    rs = r["ruleset"]
    out.append(f"rule set: {rs['name']} {rs['version']} (sha256 {rs['sha256'][:12]})")
    lead = next((a for a in r["assets"] if a["id"] == r["lead_asset"]), None)
    kind = _asset_kind(lead, r["core_assets"]) if lead is not None else "core asset"
    follows = {"candidate core asset": "the strongest candidate for core asset,"}.get(kind, kind)
    out.append(f"company decision follows {follows} {r['lead_asset']} (T1: product-centric)")
    for note in r["notes"]:
        out.append(f"note: {note}")
    trace_by_asset: dict[str, list[dict[str, Any]]] = {}
    for t in r["trace"]:
        trace_by_asset.setdefault(t["asset"], []).append(t)
    for a in r["assets"]:
        kind = _asset_kind(a, r["core_assets"])
        out.append("")
        stage = a["stage"] or "stage unknown"
        if a.get("stages"):
            where = ", ".join(
                f"{_REGION_LABEL.get(k, k)} {v}" for k, v in a["stages"].items() if k != "ex_china"
            )
            stage = f"{stage} ({where}; ex-China {a['stages']['ex_china']})"
        out.append(f"{kind} {_asset_label(a)} - {stage}, {a['indication'] or 'indication unknown'}")
        out.append(f"  decision {DECISION_LABEL[a['decision']]}, score {display(a['score'])}")
        entries = {t["rule"]: t for t in trace_by_asset.get(a["id"], [])}
        out.append("  gates")
        for g in a["gates"]:
            out.append(f"    [{GATE_MARK[g['outcome']]}] {g['id']}: {g['because']}")
            t = entries.get(g["id"])
            if t:
                out.append(f"           {t.get('rationale', '')}")
                out.extend(_inputs(t, "           "))
        out.append("  criteria")
        total = math.fsum(float(c["weight"]) for c in a["criteria"])
        # weights that miss their declared sum are shares of their total (the load warns)
        share = "" if math.isclose(total, 1.0, rel_tol=1e-9) else f" of {total:g}"
        for c in a["criteria"]:
            score = _unknown_counted(c, a, r) if c["score"] is None else f"{c['score']}/{c['max']}"
            out.append(
                f"    {c['id']}: {score} x weight {c['weight']}{share} -> "
                f"{display_signed(c['contribution'])}"
                f"   ({c['because']})"
            )
            fired = entries.get(c["fired"]) if c["fired"] else None
            if fired:
                out.append(f"      rule {fired['rule']}: {fired.get('rationale', '')}")
            crit = entries.get(c["id"])
            if crit:  # every fact the criterion's bands read, not only the winning band's
                out.extend(_inputs(crit, "        "))
            elif c["status"] != "scored" and c["possible"]:
                out.append(f"      could score any of {c['possible']} once the facts are known")
        if a["unknowns"]:
            out.append("  unknowns")
            for u in a["unknowns"]:
                out.append(f"    ? {u['fact']}: {u['question']}")
    if r["unknowns"]:
        out.append("")
        out.append("diligence questions")
        asked = _asked_once(r)
        completeness = [(w, u) for w, u, _ in asked if u.get("for_completeness")]
        main = [(w, u, own) for w, u, own in asked if not u.get("for_completeness")]
        for i, (who, u, own) in enumerate(main):
            out.append(f"  {i + 1}. {who}{u['question']}{_impact(u, own)}")
        if completeness:
            out.append("  for completeness (no answer changes the score or the decision):")
            for who, u in completeness:
                out.append(f"     - {who}{u['question']}")
    return terminal_text("\n".join(out) + "\n")


def _asked_once(r: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """The case's questions as (who, unknown, whether only a BD option asks it), one per
    question (`asked.asked_once`): a company fact is the company's, with what its answer can
    move for any core asset; a BD option's answers move only that asset's own call."""
    core = set(r["core_assets"])
    out: list[tuple[str, dict[str, Any], bool]] = []
    for group in asked_once(r["unknowns"]):
        u = dict(group[0])
        if not u["asset"]:
            out.append(("", u, False))
            continue
        company = u["fact"].startswith("company.")
        for other in group[1:]:
            if not company or other["asset"] in core:
                _merge_impact(u, other)
        option = u["asset"] not in core  # core assets come first: a BD option alone asks it
        tail = ", BD option" if option else ""
        if company:
            who = f"[company, for {u['asset']}{tail}] " if option else "[company] "
        else:
            who = f"[{u['asset']}{tail}] "
        out.append((who, u, option))
    return out


def _merge_impact(into: dict[str, Any], u: dict[str, Any]) -> None:
    """One question asked for several facts or assets: what any of its answers can move."""
    if not u.get("for_completeness"):
        into["for_completeness"] = False  # for completeness only if it is so every time
    into["settles"] = bool(into.get("settles") or u.get("settles"))
    into["swing"] = max(float(into.get("swing") or 0), float(u.get("swing") or 0))
    reach = {*into.get("could_reach", ()), *u.get("could_reach", ())}
    into["could_reach"] = [d for d in DECISION_LABEL if d in reach]


def _impact(u: dict[str, Any], option: bool = False) -> str:
    """'  [settles it; could reach advance or watch; moves the score by up to 0.50]'; for a BD
    option, whose answers never move the company's decision, 'settles its own call'."""
    parts = []
    if u.get("settles"):
        parts.append("settles its own call" if option else "settles it")
    reach = [DECISION_LABEL[d].lower() for d in u.get("could_reach", [])]
    if len(reach) > 1:
        parts.append("could reach " + " or ".join(reach))
    if u.get("swing"):
        parts.append(f"moves the score by up to {float(u['swing']):.2f}")
    return f"  [{'; '.join(parts)}]" if parts else ""


def _asset_label(asset: dict[str, Any]) -> str:
    """`KST-201 (Claudin18.2 ADC)`, not `KST-201 KST-201 (...)` when the name starts with the id."""
    name, aid = asset["name"] or "", asset["id"]
    return name if name.split(" ")[0] == aid else f"{aid} {name}".rstrip()


def _unknown_counted(c: dict[str, Any], asset: dict[str, Any], r: dict[str, Any]) -> str:
    """What an unknown criterion counts for in the score, naming the rule set's unknown policy.

    The result keeps the contribution, the reachable scores and the weights, so the policy is
    read back from them (stored results print the same): `lowest` counts the lowest score still
    reachable, `zero` counts 0, `exclude` leaves the criterion out and renormalises the weights.
    """
    reachable = [float(p) for p in c.get("possible") or []]
    lowest = min(reachable, default=0.0)
    if float(c["contribution"]) > 0:  # only `lowest` lets an unknown add points
        return (
            f"unknown, counted as its lowest reachable score {lowest:g}/{c['max']} (policy lowest)"
        )
    # `exclude` renormalises the other weights: a scored criterion then adds more than its
    # score at its plain weight would (beyond the 4-decimal rounding of the result)
    total_weight = sum(float(x["weight"]) for x in asset["criteria"])
    for x in asset["criteria"]:
        if x["score"] is not None and float(x["score"]) > 0:
            plain = float(x["score"]) / float(x["max"]) * float(x["weight"]) / total_weight
            if float(x["contribution"]) > plain * float(r["scale"]) + 1e-3:
                return (
                    "unknown, left out of the score "
                    "(policy exclude: the other weights are renormalised)"
                )
            break
    if lowest == 0:
        return f"unknown, counted as its lowest reachable score 0/{c['max']}"
    return f"unknown, counted as 0/{c['max']} (policy zero: no score while unknown)"


def _inputs(entry: dict[str, Any], indent: str) -> list[str]:
    return [f"{indent}{k} = {_value(v)}" for k, v in entry["inputs"].items()]
