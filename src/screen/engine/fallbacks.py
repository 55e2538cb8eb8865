"""Fallback chains: a figure stated in the case, else the figures it can be worked out from.

`coalesce(company.cash_runway_months, 12 * cash / burn ...)` reads the stated runway when the
case has one and computes it otherwise. When neither is known, every figure of the chain is a
diligence question (`Expression.fallback_blame`), and the earlier ones are optional: the case
may go on without them, and the rule then reads the next. Two things follow for the questions:

- what a later figure's answers can change is measured with the earlier ones left unstated
  (held at a prior, the stated runway would make cash and burn look irrelevant);
- a later figure settles nothing while an earlier one is still open, since that one, once
  answered, is what the rule reads.

And an optional fact with a finite domain is enumerated as each of its values or left
unstated, so the reachable outcomes count the chain's every reading (`reach.enumerable`).
"""

from __future__ import annotations

from screen.engine.plan import CompiledRuleSet, node_expressions
from screen.engine.stepmemo import sinks_of


def preferred_over(rs: CompiledRuleSet) -> dict[str, frozenset[str]]:
    """Case fact -> the case facts some chain reads before it (so a rule prefers them)."""
    cached = rs.__dict__.get("_preferred_over")
    if cached is None:
        out: dict[str, set[str]] = {}
        for node in rs.steps:
            for e in node_expressions(node):
                for _, earlier, last in e.chains:
                    first = _case_roots(rs, earlier)
                    for fact in _case_roots(rs, last) - first:
                        out.setdefault(fact, set()).update(first)
        cached = rs.__dict__["_preferred_over"] = {k: frozenset(v) for k, v in out.items()}
    return cached


def optional_facts(rs: CompiledRuleSet) -> frozenset[str]:
    """Case facts read only as the earlier figures of fallback chains: never a reason of their
    own for a rule to be unknown, so leaving them unstated is one of their readings."""
    cached = rs.__dict__.get("_optional_facts")
    if cached is None:
        earlier: set[str] = set()
        blamed: set[str] = set()
        for node in rs.steps:
            for e in node_expressions(node):
                blamed.update(e.blamable)
                for _, first, _ in e.chains:
                    earlier.update(first)
        cached = rs.__dict__["_optional_facts"] = frozenset(
            f for f in earlier - blamed if f in rs.fields
        )
    return cached


def reopened_by(rs: CompiledRuleSet, sink: int, needed_by: dict[str, list[str]]) -> list[str]:
    """The open optional facts a criterion (index `sink`, gates after the criteria) reads
    through a fallback: once one is answered, the rule reads it instead of the fallback."""
    sinks = sinks_of(rs)
    optional = optional_facts(rs)
    return sorted(f for f in needed_by if f in optional and sink in sinks.get(f, ()))


def _case_roots(rs: CompiledRuleSet, reads: list[str] | tuple[str, ...]) -> set[str]:
    """The case fields behind `reads`: themselves, or what the derived facts among them read."""
    steps = {n.key: n for n in rs.steps}
    out: set[str] = set()
    todo = list(reads)
    seen: set[str] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in rs.fields:
            out.add(key)
        elif key in steps:
            todo.extend(steps[key].reads)
    return out
