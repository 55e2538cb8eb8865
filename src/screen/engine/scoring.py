"""The score, its reachable range and the decisions, from criterion and gate outcomes.

One function for every place that turns per-criterion outcomes into an asset's total: the full
evaluation (`assemble.assemble`) and the factored enumerations (`factored.py`), which put
together criterion outcomes from several partial evaluations. Sharing it is what makes their
scores the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from screen.engine.compiler import CompiledRuleSet
from screen.engine.outcome import CriterionOutcome, GateOutcome, reachable_decisions


def weighted(parts: list[tuple[float, float, float]], scale: float) -> float:
    """Weighted mean of (score, max, weight) triples, on the rule set's scale.

    Written exactly as the generated fast path computes it, so both give the same bits."""
    total_w = math.fsum(w for _, _, w in parts)
    if total_w == 0:
        return 0.0
    return math.fsum([s * (w / m) for s, m, w in parts]) / total_w * scale


def summarize(
    rs: CompiledRuleSet, criteria: Sequence[CriterionOutcome], gates: Sequence[GateOutcome]
) -> tuple[float, float, float, frozenset[str]]:
    """(policy score, lowest and highest reachable score, reachable decisions) of one pass.

    Unknown criteria count at their policy score in the total and span their possible scores
    in the range (the range always contains the total); an unknown gate may still decline.
    `weighted` of the policy, low and high parts, unrolled: each term is `s * (w / m)` and each
    sum an `fsum` in criterion order, so the bits are `weighted`'s (the enumerations call this
    ~30 times per asset)."""
    policy_terms: list[float] = []
    policy_weights: list[float] = []
    low_terms: list[float] = []
    high_terms: list[float] = []
    weights: list[float] = []
    same = True  # every criterion scored at its policy score: no range to compute
    for c in criteria:
        w = c.weight
        per = w / c.max
        policy = c.policy_score
        if policy is not None:
            policy_terms.append(policy * per)
            policy_weights.append(w)
        score = c.score
        if score is not None:
            low_terms.append(score * per)
            high_terms.append(score * per)
            same = same and policy == score
        else:
            low_terms.append(min(c.possible) * per)
            high_terms.append(max(c.possible) * per)
            same = False
        weights.append(w)
    scale = rs.scale
    total = math.fsum(policy_weights)
    score = 0.0 if total == 0 else math.fsum(policy_terms) / total * scale
    if same:
        lo = hi = score
    else:
        total = math.fsum(weights)
        if total == 0:
            lo = hi = 0.0
        else:
            lo = math.fsum(low_terms) / total * scale
            hi = math.fsum(high_terms) / total * scale
        lo, hi = min(lo, score), max(hi, score)
    decisions = reachable_decisions(
        lo,
        hi,
        gate_failed=any(g.outcome == "fail" for g in gates),
        gate_unknown=any(g.outcome == "unknown" for g in gates),
        advance=rs.decision.advance,
        watch=rs.decision.watch,
    )
    return score, lo, hi, decisions
