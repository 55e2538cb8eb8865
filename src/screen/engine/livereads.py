"""Which facts can still reach each criterion and gate, for one asset's enumerations.

The factored enumeration (`factored.py`) splits an asset's open facts by the criteria and
gates they reach, read off the rule set once (`stepmemo.sinks_of`). A conditional reads both
its branches there: `stage_us if derived.us_only_plan else stage_ex_china` ties the US stage
to BD readiness even for an asset whose plan is known to be ex-China, and the enumeration then
tries the US stage's values where they change nothing.

For one asset, a condition that reads no open fact (nor a derived fact downstream of one) has
the same value in every trial of its enumerations. The branch it does not take is read by no
trial, so its reads are dropped from that step's inputs, and the sinks are computed from what
is left. Nothing else changes: the trials are evaluated in full, so this only stops the
factoring from joining what cannot interact (the exactness properties in
tests/test_unknowns_properties.py check it against brute force).
"""

from __future__ import annotations

import ast
from typing import Any

from screen.engine.plan import CompiledRuleSet, node_expressions
from screen.engine.stepmemo import Sinks, sinks_over, step_inputs
from screen.lang.expressions import Expression
from screen.lang.kleene import evaluate_kleene
from screen.lang.reads import fact_reads, read_key
from screen.lang.runtime import EvalError
from screen.lang.unknown import has_unknown

MAX_CACHED = 256  # distinct pruning patterns kept per rule set


def live_sinks(
    rs: CompiledRuleSet, facts: dict[str, Any], base: dict[str, Any]
) -> dict[str, Sinks] | None:
    """Fact key -> the criteria and gates it can reach for this asset, or None when no
    conditional is fixed (the rule set's own `sinks_of` stands). `facts` are the base run's
    values (derived ones included), `base` the case facts whose unknown ones are open."""
    branches = _conditionals(rs)
    if not branches:
        return None
    tainted = {k for k, v in base.items() if has_unknown(v)}
    if not tainted:
        return None
    for node in rs.steps:
        if not tainted.isdisjoint(step_inputs(node)):
            tainted.add(node.key)
    dead: dict[int, set[str]] = {}
    for step, test, test_reads, namespace, only_body, only_else in branches:
        if not tainted.isdisjoint(test_reads):
            continue
        try:
            value = evaluate_kleene(test, facts, namespace, None)
        except EvalError:
            continue
        drop = only_else if value is True else only_body if value is False else None
        if drop:
            dead.setdefault(step, set()).update(drop)
    if not dead:
        return None
    pruned = {i: step_inputs(rs.steps[i]) - keys for i, keys in dead.items()}
    key = frozenset(pruned.items())
    cache: dict[frozenset[Any], dict[str, Sinks]] = rs.__dict__.setdefault("_live_sinks", {})
    hit = cache.get(key)
    if hit is None:
        hit = sinks_over(rs, pruned)
        if len(cache) < MAX_CACHED:
            cache[key] = hit
    return hit


Conditional = tuple[int, ast.expr, frozenset[str], dict[str, Any], frozenset[str], frozenset[str]]


def _conditionals(rs: CompiledRuleSet) -> list[Conditional]:
    """Every `a if test else b` of the rule set: (step index, test, the test's reads, its
    namespace, the reads only its body has in that step, those only its other branch has);
    cached per rule set. A read found anywhere else in the step is never dropped."""
    cached = rs.__dict__.get("_conditionals")
    if cached is not None:
        return cached
    out: list[Conditional] = []
    for i, node in enumerate(rs.steps):
        exprs = node_expressions(node)
        for e in exprs:
            for cond in (n for n in ast.walk(e.tree) if isinstance(n, ast.IfExp)):
                body, other = set(fact_reads(cond.body)), set(fact_reads(cond.orelse))
                rest = _reads_outside(exprs, cond) | set(fact_reads(cond.test))
                out.append(
                    (
                        i,
                        cond.test,
                        frozenset(fact_reads(cond.test)),
                        e.namespace,
                        frozenset(body - other - rest),
                        frozenset(other - body - rest),
                    )
                )
    rs.__dict__["_conditionals"] = out
    return out


def _reads_outside(exprs: list[Expression], cond: ast.IfExp) -> set[str]:
    """The fact reads of a step's expressions outside one conditional."""
    inside = {id(n) for n in ast.walk(cond)}
    return {
        key
        for e in exprs
        for n in ast.walk(e.tree)
        if id(n) not in inside and (key := read_key(n)) is not None
    }
