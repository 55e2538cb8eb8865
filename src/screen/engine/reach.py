"""Exact reachable outcomes: what some answer to the open questions can really produce.

One three-valued pass over an asset is sound but loose: it treats each unknown outcome on its
own, so a band list whose every band reads `data_origin` looks able to fall through to its
fallback even when each of `china | global | mixed` fires a high band, and two criteria that
read the same unknown fact are combined as if independent. So after that pass, the unknown
case facts behind an unknown outcome that have finite domains in the case schema (enums,
stages, true/false) are enumerated jointly: every combination is evaluated (on the generated
fast path when it completes the facts), and the reachable scores, gate outcomes, score range
and decisions are the union of what the combinations give. Correlations are kept because each
combination is one consistent case.

Unknown numbers are not enumerated: they stay unknown within their schema bounds (interval
arithmetic, `lang/intervals.py`) inside each combination. Above `MAX_COMBINATIONS` the single
pass's sound answer is kept and the result is marked `approximate`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from screen.engine.domains import distinct_values
from screen.engine.fallbacks import optional_facts
from screen.engine.joint import stage_group
from screen.engine.outcome import AssetOutcome
from screen.engine.plan import CompiledRuleSet
from screen.engine.tables import domain_values
from screen.lang.unknown import UNKNOWN
from screen.model.case import Asset

MAX_COMBINATIONS = 512  # joint values of the unknown finite-domain facts tried per asset

# evaluates one asset on a complete-as-possible fact table, without refinement or trace
Evaluate = Callable[[dict[str, Any]], AssetOutcome]


@dataclass
class Refinement:
    """What the combinations of the unknown finite-domain facts jointly reach."""

    criteria: list[set[float]]  # per criterion (rule-set order): reachable scores
    gates: list[set[str]]  # per gate: reachable outcomes (pass / fail / unknown)
    low: float
    high: float
    decisions: frozenset[str]


def finite_domain(rs: CompiledRuleSet, fact: str) -> list[Any] | None:
    """The values of a case fact worth trying, when its schema type has finitely many: one per
    class of values the rules can tell apart (`domains.py`)."""
    fp = rs.fields.get(fact)
    if fp is None or fp.type.kind == "list":
        return None
    domain = domain_values(fp.type)
    return distinct_values(rs, fact, domain) if domain else domain


Group = tuple[tuple[str, ...], list[tuple[Any, ...]]]  # facts enumerated together, their values


def enumerable(
    rs: CompiledRuleSet,
    facts: list[str],
    base: dict[str, Any] | None = None,
    asset: Asset | None = None,
) -> list[Group]:
    """The facts among `facts` with finite domains, as groups enumerated together, in a stable
    order: one fact per group, except the regional stages, whose consistent joint values come
    from `joint.stage_group` (given the asset and its known facts). An optional fact (read only
    as a fallback chain's earlier figure, see fallbacks.py) may also stay unstated."""
    out: list[Group] = []
    optional = optional_facts(rs)
    joint = stage_group(facts, base, asset) if base is not None and asset is not None else None
    grouped = set(joint[0]) if joint else set()
    for fact in sorted(facts):
        if fact in grouped:
            continue
        domain = finite_domain(rs, fact)
        if domain:
            if fact in optional:
                domain = [*domain, UNKNOWN]
            out.append(((fact,), [(v,) for v in domain]))
    if joint and joint[1]:
        out.append(joint)
    return out


def refine(
    rs: CompiledRuleSet,
    base: dict[str, Any],
    needed_by: dict[str, list[str]],
    evaluate: Evaluate,
    asset: Asset | None = None,
) -> tuple[Refinement | None, bool]:
    """(refinement, approximate): the joint enumeration, or None when nothing is enumerable.

    `approximate` is True when the combinations exceed MAX_COMBINATIONS (the sound single-pass
    answer stands). An evaluator that enumerates by components (`factored.py`) does the
    combining itself, within the same budget of evaluations."""
    facts = enumerable(rs, [f for f in needed_by if not f.startswith("rule:")], base, asset)
    if not facts:
        return None, False
    return _combined(rs, base, facts, evaluate)


def refine_with(
    rs: CompiledRuleSet,
    base: dict[str, Any],
    fixed: dict[str, Any],
    facts: list[str],
    evaluate: Evaluate,
    asset: Asset | None = None,
) -> tuple[Refinement | None, bool]:
    """`refine` of `base` with the facts in `fixed` answered and the rest of `facts` open:
    the settling-set search asks whether an answer leaves one decision, exactly (a single
    pass over-approximates when one open fact feeds several criteria). The answers are
    enumerated as one-value groups, so a factored evaluator keeps its own base. The regional
    stages follow an answered `asset.stage` (`joint.stage_group` reads it from the trial)."""
    trial = {**base, **fixed}
    groups = enumerable(rs, [f for f in facts if f not in fixed], trial, asset)
    groups += [((fact,), [(value,)]) for fact, value in fixed.items()]
    return _combined(rs, base, groups, evaluate)


def _combined(
    rs: CompiledRuleSet, base: dict[str, Any], facts: list[Group], evaluate: Evaluate
) -> tuple[Refinement | None, bool]:
    by_components = getattr(evaluate, "combine", None)  # factored.FactoredEvaluator
    if by_components is not None:
        return by_components(facts)
    if math.prod(len(d) for _, d in facts) > MAX_COMBINATIONS:
        return None, True
    return combine(rs, base, facts, evaluate), False


def combine(
    rs: CompiledRuleSet,
    base: dict[str, Any],
    facts: list[Group],
    evaluate: Evaluate,
) -> Refinement:
    """Evaluate every combination of `facts` (groups of facts and their joint values) over
    `base` and join the outcomes."""
    criteria: list[set[float]] = [set() for _ in rs.criteria]
    gates: list[set[str]] = [set() for _ in rs.gates]
    low, high = math.inf, -math.inf
    decisions: set[str] = set()
    keys = [k for group, _ in facts for k in group]
    for combo in itertools.product(*(d for _, d in facts)):
        trial = dict(base)
        trial.update(zip(keys, itertools.chain.from_iterable(combo), strict=True))
        sub = evaluate(trial)
        for i, c in enumerate(sub.criteria):
            criteria[i].update([c.score] if c.score is not None else c.possible)
        for j, g in enumerate(sub.gates):
            gates[j].add(g.outcome)
        low, high = min(low, sub.score_range[0]), max(high, sub.score_range[1])
        decisions |= sub.decisions
    return Refinement(criteria, gates, low, high, frozenset(decisions))
