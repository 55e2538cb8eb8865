"""Two candidates side by side: criterion by criterion, the facts that differ, and the rules
that turn those differences into different scores (partners compare a new deal with one the
firm already did).

Both cases are evaluated in full (with trace) on the same compiled rule set; the comparison is
between their lead assets, the ones each company decision follows. A criterion's facts are the
case fields it reads directly or through derived facts and tables (the compiler's dependency
graph), so "why does need_magnitude differ" is answered in case fields, not in derived names.

Numbers: the text shows scores and points with 2 decimals (as `score` and `rank` do); a
difference is computed from the unrounded values, then rounded the same way. JSON keeps 4
decimals, as the result JSON does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from screen.engine.evaluate import AssetOutcome, CaseOutcome, evaluate_case
from screen.engine.loader import LoadedCase
from screen.engine.plan import CompiledRuleSet
from screen.engine.result import plain
from screen.model.numbers import display, display_signed
from screen.report.console import DECISION_LABEL

SCHEMA_VERSION = 1


@dataclass
class Side:
    """One candidate's headline."""

    path: str
    case_id: str
    company: str
    decision: str
    score: float
    score_range: tuple[float, float]
    lead_asset: str
    lead_name: str
    stage: str | None


@dataclass
class CriterionDiff:
    id: str
    name: str
    weight: float
    max: float
    a_score: float | None
    b_score: float | None
    a_points: float  # contribution to the total
    b_points: float
    a_fired: str | None
    b_fired: str | None
    a_because: str
    b_because: str
    a_rationale: str | None
    b_rationale: str | None
    facts: list[str]  # differing case facts this criterion depends on
    points_delta: float = 0.0  # a_points - b_points, from the unrounded contributions

    @property
    def differs(self) -> bool:
        """The scores differ (the same score by another band or row does not count)."""
        return self.a_score != self.b_score

    @property
    def rule_differs(self) -> bool:
        return self.a_fired != self.b_fired


@dataclass
class GateDiff:
    id: str
    name: str
    a: str
    b: str
    facts: list[str]


@dataclass
class FactDiff:
    fact: str
    a: Any
    b: Any
    rules: list[str]  # criteria and gates that depend on it


@dataclass
class Comparison:
    a: Side
    b: Side
    criteria: list[CriterionDiff]  # every criterion, rule-set order
    gates: list[GateDiff]  # every gate
    facts: list[FactDiff]  # only those that differ
    score_delta: float = 0.0  # A's score minus B's, from the unrounded scores

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema"] = SCHEMA_VERSION
        d["score_delta"] = plain(self.score_delta)
        for c, out in zip(self.criteria, d["criteria"], strict=True):
            out["points_delta"] = plain(c.points_delta)
            out["differs"] = c.differs
        return d


def _side(loaded: LoadedCase, outcome: CaseOutcome) -> Side:
    lead = outcome.lead
    return Side(
        loaded.path,
        loaded.case_id,
        outcome.case.company.name,
        outcome.decision,
        plain(outcome.score),
        (plain(outcome.score_range[0]), plain(outcome.score_range[1])),
        lead.asset.id,
        lead.asset.name,
        plain(lead.asset.stage),
    )


def fact_dependencies(rs: CompiledRuleSet) -> dict[str, set[str]]:
    """Rule key -> the case fields it reads, directly or through derived facts and tables."""
    reads = {n.key: n.reads for n in rs.steps}
    memo: dict[str, set[str]] = {}

    def fields(key: str) -> set[str]:
        if key in memo:
            return memo[key]
        memo[key] = set()  # the compiler refuses cycles; this only guards the recursion
        out: set[str] = set()
        for r in reads.get(key, ()):
            if r in rs.fields:
                out.add(r)
            elif r in reads:
                out |= fields(r)
        memo[key] = out
        return out

    return {key: fields(key) for key in reads}


def _rationales(rs: CompiledRuleSet) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for c in rs.criteria:
        for band in c.bands or []:
            out[band.id] = band.rationale
    for t in rs.tables.values():
        for row in t.rows:
            out[row.id] = row.rationale
    return out


def compare_outcomes(
    rs: CompiledRuleSet, a: tuple[LoadedCase, CaseOutcome], b: tuple[LoadedCase, CaseOutcome]
) -> Comparison:
    la, lb = a[1].lead, b[1].lead
    deps = fact_dependencies(rs)
    facts_a, facts_b = _field_values(rs, la), _field_values(rs, lb)
    differing = [f for f in rs.fields if facts_a[f] != facts_b[f]]
    rationale = _rationales(rs)
    criteria = []
    for ca, cb, node in zip(la.criteria, lb.criteria, rs.criteria, strict=True):
        criteria.append(
            CriterionDiff(
                ca.id,
                ca.name,
                ca.weight,
                ca.max,
                ca.score,
                cb.score,
                plain(ca.contribution),
                plain(cb.contribution),
                ca.fired,
                cb.fired,
                ca.because,
                cb.because,
                rationale.get(ca.fired or ""),
                rationale.get(cb.fired or ""),
                [f for f in differing if f in deps.get(node.key, ())],
                ca.contribution - cb.contribution,
            )
        )
    gates = [
        GateDiff(ga.id, ga.name, ga.outcome, gb.outcome, [f for f in differing if f in deps[g.key]])
        for ga, gb, g in zip(la.gates, lb.gates, rs.gates, strict=True)
    ]
    users: dict[str, list[str]] = {}
    for node in [*rs.gates, *rs.criteria]:
        for f in deps.get(node.key, ()):
            users.setdefault(f, []).append(node.key)
    facts = [FactDiff(f, facts_a[f], facts_b[f], users.get(f, [])) for f in differing]
    delta = a[1].score - b[1].score
    return Comparison(_side(*a), _side(*b), criteria, gates, facts, delta)


def _field_values(rs: CompiledRuleSet, o: AssetOutcome) -> dict[str, Any]:
    return {f: plain(o.facts.get(f)) for f in rs.fields}


def compare(rs: CompiledRuleSet, a: LoadedCase, b: LoadedCase) -> Comparison:
    """Evaluate both cases and compare their lead assets."""
    return compare_outcomes(
        rs, (a, evaluate_case(rs, a.case, trace=False)), (b, evaluate_case(rs, b.case, trace=False))
    )


def _v(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_v(x) for x in value) + "]"
    return str(value)


def _score(s: float | None, m: float) -> str:
    return "?" if s is None else f"{s:g}/{m:g}"


def _delta(x: float) -> str:
    """A difference of unrounded values, rounded like the values (2 decimals), with its sign."""
    return display_signed(x)  # half away from zero, no "-0.00"


def to_text(cmp: Comparison, *, all_criteria: bool = True) -> str:
    a, b = cmp.a, cmp.b
    rows = [
        ("", f"A: {a.company}", f"B: {b.company}"),
        ("file", a.path, b.path),
        ("decision", DECISION_LABEL[a.decision], DECISION_LABEL[b.decision]),
        ("score", _total(a), _total(b)),
        ("lead asset", f"{a.lead_asset} ({a.stage or '?'})", f"{b.lead_asset} ({b.stage or '?'})"),
    ]
    out = _columns(rows)
    out.append("")
    shown = [c for c in cmp.criteria if all_criteria or c.differs]
    if shown:
        crit_rows = [("criterion (weight)", "A", "B", "points A-B")]
        for c in shown:
            same = not c.differs and round(c.points_delta, 2) == 0
            crit_rows.append(
                (
                    f"{c.id} ({c.weight:g})",
                    f"{_score(c.a_score, c.max)} {c.a_fired or ''}".rstrip(),
                    f"{_score(c.b_score, c.max)} {c.b_fired or ''}".rstrip(),
                    "=" if same else _delta(c.points_delta),
                )
            )
        if all_criteria:
            crit_rows.append(("total", _total(a), _total(b), _delta(cmp.score_delta)))
        out.extend(_columns(crit_rows, underline=True))
    else:
        out.append("no criterion scores differ")
    same_score = [c for c in cmp.criteria if not c.differs and c.rule_differs]
    if same_score and all_criteria:
        out.append("same score by different rules: " + ", ".join(c.id for c in same_score))
    gate_diffs = [g for g in cmp.gates if g.a != g.b]
    if gate_diffs:
        out.append("")
        out.append("gates that differ")
        for g in gate_diffs:
            why = f"  (facts: {', '.join(g.facts)})" if g.facts else ""
            out.append(f"  {g.id}: A {g.a}, B {g.b}{why}")
    differing = [c for c in cmp.criteria if c.differs]
    if differing:
        out.append("")
        out.append("rules that make the difference")
        for c in differing:
            out.append(f"  {c.id}: {c.name}")
            out.append(f"    A {c.a_because}" + (f" - {c.a_rationale}" if c.a_rationale else ""))
            out.append(f"    B {c.b_because}" + (f" - {c.b_rationale}" if c.b_rationale else ""))
            if c.facts:
                out.append(f"    because of: {', '.join(c.facts)}")
    out.append("")
    if cmp.facts:
        out.append("facts that differ")
        out.extend(
            _columns(
                [("fact", "A", "B", "used by")]
                + [
                    (f.fact, _v(f.a), _v(f.b), ", ".join(r.split(".", 1)[-1] for r in f.rules))
                    for f in cmp.facts
                ],
                underline=True,
                indent="  ",
            )
        )
    else:
        out.append("the facts the rules read are the same in both cases")
    return "\n".join(out) + "\n"


def _total(s: Side) -> str:
    lo, hi = s.score_range
    return display(s.score) + ("" if lo == hi else f" (could be {display(lo)}-{display(hi)})")


def _columns(
    rows: list[tuple[str, ...]], *, underline: bool = False, indent: str = ""
) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]
    if underline:
        lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return lines


def to_json(cmp: Comparison) -> str:
    return json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
