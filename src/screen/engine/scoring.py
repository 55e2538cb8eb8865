"""The score, its reachable range and the decisions, from criterion and gate outcomes.

One function for every place that turns per-criterion outcomes into an asset's total: the full
evaluation (`assemble.assemble`) and the factored enumerations (`factored.py`), which put
together criterion outcomes from several partial evaluations. Sharing it is what makes their
scores the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from screen.engine.outcome import CriterionOutcome, GateOutcome, reachable_decisions
from screen.engine.plan import CompiledRuleSet


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
    in the range (the range always contains the total); an unknown gate may still decline."""
    policy_parts: list[tuple[float, float, float]] = []
    low_parts: list[tuple[float, float, float]] = []
    high_parts: list[tuple[float, float, float]] = []
    for c in criteria:
        if c.policy_score is not None:
            policy_parts.append((c.policy_score, c.max, c.weight))
        if c.score is not None:
            lo = hi = c.score
        else:
            lo, hi = min(c.possible), max(c.possible)
        low_parts.append((lo, c.max, c.weight))
        high_parts.append((hi, c.max, c.weight))
    score = weighted(policy_parts, rs.scale)
    if low_parts == policy_parts == high_parts:  # everything scored: no range to compute
        lo = hi = score
    else:
        lo, hi = weighted(low_parts, rs.scale), weighted(high_parts, rs.scale)
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
