"""A batch's memo of criterion and gate outcomes, keyed by the case facts they depend on.

A criterion's (or gate's) lean outcome is a function of the rule set and the values of the case
facts upstream of it (the facts it and every step before it read; parameters belong to the rule
set), nothing else: the enumerations of one asset ask for it on many trials, and the assets of a
batch put the same few stages, plans and claims into the same criteria. So the factored
enumerations (`IncrementalEvaluator.sink_outcomes`) look each sink up here first, keyed by the
sink and the `value_token` of every such fact, and evaluate only the sinks they miss; on 1,000
generated partial cases ~60% of the sinks asked for are found. An entry is what evaluating the
sink gives, so a result never depends on which asset filled it (tests/test_factored.py).
"""

from __future__ import annotations

from typing import Any

from screen.engine.compiler import CompiledRuleSet
from screen.engine.stepmemo import step_inputs, upstream_of, value_token
from screen.lang.unknown import UNKNOWN

MAX_SHARED_SINKS = 20_000  # sink outcomes by fact values per rule set (~4 MB), then emptied

_MISS = object()


def sink_facts(rs: CompiledRuleSet) -> list[tuple[str, ...]]:
    """Per sink (criterion i, then gate len(criteria) + j), the case facts its outcome depends
    on, in a fixed order; cached per rule set."""
    cached = rs.__dict__.get("_sink_facts")
    if cached is None:
        index = {n.key: i for i, n in enumerate(rs.steps)}
        up = upstream_of(rs)
        cached = []
        for node in [*rs.criteria, *rs.gates]:
            i = index[node.key]
            reads: set[str] = set()
            for j in up[i] | {i}:
                reads |= step_inputs(rs.steps[j])
            cached.append(tuple(sorted(r for r in reads if r in rs.fields)))
        rs.__dict__["_sink_facts"] = cached
    return cached


def shared_sinks(rs: CompiledRuleSet) -> dict[tuple[Any, ...], Any]:
    """The rule set's sink outcomes by key (`SinkKeys.key`), shared by every asset of a batch;
    emptied when it reaches MAX_SHARED_SINKS, so memory stays flat in the batch size."""
    memo = rs.__dict__.get("_shared_sink_memo")
    if memo is None or len(memo) >= MAX_SHARED_SINKS:
        memo = {}
        rs.__dict__["_shared_sink_memo"] = memo
    return memo


class SinkKeys:
    """One asset's keys into `shared_sinks`: the base facts' tokens are made once per asset."""

    def __init__(self, rs: CompiledRuleSet, base: dict[str, Any]):
        self.facts = sink_facts(rs)
        self.base = base
        self._tokens: dict[str, Any] = {}

    def key(self, sink: int, changed: dict[str, Any]) -> tuple[Any, ...] | None:
        """The key of `sink` on the base facts with `changed` set; None when a value cannot be
        hashed (the sink is then evaluated, not kept)."""
        parts: list[Any] = [sink]
        tokens = self._tokens
        try:
            for f in self.facts[sink]:
                v = changed.get(f, _MISS)
                if v is not _MISS:
                    parts.append(value_token(v))
                    continue
                t = tokens.get(f, _MISS)
                if t is _MISS:
                    t = tokens[f] = value_token(self.base.get(f, UNKNOWN))
                parts.append(t)
        except TypeError:
            return None
        return tuple(parts)
