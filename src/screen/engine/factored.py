"""Factored enumerations: unknown facts that reach disjoint criteria and gates are tried apart.

The exact-reachability search, the question ranking and the settling-set search evaluate an
asset on many trials, each its case facts with a few open facts set. A criterion or gate (a
*sink*) reads only the facts upstream of it, so its outcome in a trial depends only on the
changed facts that reach it. `FactoredEvaluator` splits a trial's changed facts into blocks
whose sinks are disjoint (facts that share a sink, directly or through another fact, are one
block), evaluates each block on its own (the base facts with that block set), memoised by the
block's values, and puts the sinks' outcomes together; the total, its range and the decisions
come from `scoring.summarize`, the function a full evaluation uses, so they are the same bits.

For the reachability search this changes the count, not just the cost: `combine` enumerates
each component of the enumerated fact groups on its own (the sum of their combinations, not
the product), keeps each component's distinct sink outcomes, and only joins those, so an asset
with 5 stages x 4 plans x 3 origins x 2 claims in separate criteria costs 14 evaluations, not
120, and far more assets stay within the budget (`MAX_COMBINATIONS` evaluations) and exact.
Within a component, the sinks reached by the same keys are evaluated together on the distinct
values of those keys only (`_cluster_sinks`): a joint regional-stage value read only through
its US stage by the US-path criterion costs that criterion one evaluation per US stage.

The asset's first exact search (`reach.refine`'s, made before its questions are ranked) is kept
(`KeptSearch`) with which distinct outcome each combination gave, so the settling-set search's
check of an answer or a combination of answers (`decisions_given`) is that search restricted
to the combinations with those answers, not a new evaluation.

The outcomes it returns are lean summaries: criteria, gates, score, range and decisions, as the
enumerations read them (no trace, facts, rows fired or errors; a criterion's `contribution` is
the one of the block it came from).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from screen.engine.keptsearch import KeptSearch, Outcomes, Searched, tokens_of
from screen.engine.outcome import AssetOutcome, CriterionOutcome, GateOutcome, settle
from screen.engine.plan import CompiledRuleSet
from screen.engine.reach import MAX_COMBINATIONS, Group, Refinement
from screen.engine.scoring import summarize
from screen.engine.stepmemo import Sinks, sinks_of, value_token
from screen.model.case import Asset, Company

MAX_JOINED = 4096  # combinations of the components' distinct outcomes joined per asset
MAX_BLOCKS = 20_000  # block outcomes memoised per asset


def blocks(keys: Sequence[Sequence[str]], sinks: dict[str, Sinks]) -> list[tuple[list[int], Sinks]]:
    """Connected components of `keys` (groups of fact keys) by shared sinks: (indexes into
    `keys`, their sinks), in order of first member. Groups that reach no sink are left out."""
    out: list[tuple[list[int], Sinks]] = []
    for i, group in enumerate(keys):
        reach: Sinks = frozenset().union(*(sinks.get(k, frozenset()) for k in group))
        if not reach:
            continue
        members = [i]
        for block in [b for b in out if b[1] & reach]:
            out.remove(block)
            members = block[0] + members
            reach = reach | block[1]
        out.append((sorted(members), reach))
    out.sort(key=lambda b: b[0][0])
    return out


class SinkEvaluator(Protocol):
    """What the factored evaluator needs of a whole-trial evaluator (evaluate.py's
    `IncrementalEvaluator`): a trial's lean outcome, and some sinks' outcomes only."""

    def __call__(self, facts: dict[str, Any]) -> AssetOutcome: ...

    def sink_outcomes(
        self, keys: tuple[str, ...], values: tuple[Any, ...], sinks: tuple[int, ...]
    ) -> Outcomes: ...


class FactoredEvaluator:
    """An `Evaluate` for one asset's enumerations that evaluates blocks of changed facts apart
    (see the module docstring); `inner` evaluates a full trial (the incremental evaluator)."""

    def __init__(
        self,
        rs: CompiledRuleSet,
        asset: Asset,
        company: Company,
        base: dict[str, Any],
        inner: SinkEvaluator,
        sinks: dict[str, Sinks] | None = None,
    ):
        self.rs, self.asset, self.company = rs, asset, company
        self.base = base
        self.inner = inner
        # what each fact can reach for this asset (livereads.py), else the rule set's own
        self.sinks = sinks if sinks is not None else sinks_of(rs)
        self.n_criteria = len(rs.criteria)
        self._base_outcomes: list[Any] | None = None
        self._memo: dict[tuple[Any, ...], Outcomes] = {}
        self._scores: dict[tuple[int, ...], tuple[float, float, float, frozenset[str]]] = {}
        self._blocks: dict[frozenset[str], list[tuple[tuple[str, ...], tuple[int, ...]]]] = {}
        self._kept: KeptSearch | None = None  # the first exact search (see module docstring)

    # -- one trial
    def __call__(self, facts: dict[str, Any]) -> AssetOutcome:
        base = self.base
        if len(facts) != len(base):
            return self.inner(facts)  # a fact left out (or added): no decomposition
        try:
            changed = frozenset(k for k, v in facts.items() if base[k] is not v)
        except KeyError:
            return self.inner(facts)
        outcomes = list(self.base_outcomes())
        for keys, sinks in self._split(changed):
            got = self.block(keys, tuple(facts[k] for k in keys), sinks)
            if got is None:
                return self.inner(facts)  # values that cannot be keyed: evaluate it whole
            for s, o in zip(sinks, got, strict=True):
                outcomes[s] = o
        return self.summary(outcomes)

    def base_outcomes(self) -> list[Any]:
        if self._base_outcomes is None:
            o = self.inner(dict(self.base))
            self._base_outcomes = [*o.criteria, *o.gates]
        return self._base_outcomes

    def _split(self, changed: frozenset[str]) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
        hit = self._blocks.get(changed)
        if hit is None:
            keys = sorted(changed)
            hit = [
                (tuple(keys[i] for i in members), tuple(sorted(reach)))
                for members, reach in blocks([[k] for k in keys], self.sinks)
            ]
            if len(self._blocks) < 1024:
                self._blocks[changed] = hit
        return hit

    def block(
        self, keys: tuple[str, ...], values: tuple[Any, ...], sinks: tuple[int, ...]
    ) -> Outcomes | None:
        """The outcomes of `sinks` with the facts `keys` set to `values` and the rest at base;
        None when a value cannot be keyed (the caller evaluates the trial whole)."""
        try:
            memo_key = (keys, sinks, tuple(value_token(v) for v in values))
        except TypeError:
            return None
        hit = self._memo.get(memo_key)
        if hit is None:
            hit = self.inner.sink_outcomes(keys, values, sinks)
            if len(self._memo) < MAX_BLOCKS:
                self._memo[memo_key] = hit
        return hit

    def _clusters(
        self, keys: tuple[str, ...], sinks: tuple[int, ...]
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        return _cluster_sinks(keys, sinks, self.sinks)

    def scores(self, outcomes: list[Any]) -> tuple[float, float, float, frozenset[str]]:
        """`scoring.summarize` of every sink's outcome, memoised by the outcome objects: they
        come from the memo of blocks and are shared, so the same objects mean the same total.
        While that memo keeps every block result it made (it is not full), every object
        named in a key is alive, so an identity in a key is never reused by a newer one."""
        if len(self._memo) >= MAX_BLOCKS:
            return summarize(self.rs, outcomes[: self.n_criteria], outcomes[self.n_criteria :])
        key = tuple(map(id, outcomes))
        hit = self._scores.get(key)
        if hit is None:
            hit = summarize(self.rs, outcomes[: self.n_criteria], outcomes[self.n_criteria :])
            if len(self._scores) < MAX_BLOCKS:
                self._scores[key] = hit
        return hit

    def summary(self, outcomes: list[Any]) -> AssetOutcome:
        """A lean outcome from every sink's outcome (criteria, then gates)."""
        criteria: list[CriterionOutcome] = outcomes[: self.n_criteria]
        gates: list[GateOutcome] = outcomes[self.n_criteria :]
        score, lo, hi, decisions = self.scores(outcomes)
        return AssetOutcome(
            self.asset,
            self.company,
            settle(decisions),
            score,
            (lo, hi),
            criteria,
            gates,
            [],
            [],
            [],
            decisions=decisions,
            thresholds=(self.rs.decision.advance, self.rs.decision.watch),
        )

    # -- the exact reachability search
    def combine(self, groups: list[Group]) -> tuple[Refinement | None, bool]:
        """`reach.combine` by components: (refinement, approximate), None when nothing is
        enumerated; approximate when the evaluations (summed over components) exceed
        MAX_COMBINATIONS or the joined distinct outcomes exceed MAX_JOINED. The first exact
        search is kept (`kept_search`)."""
        components = blocks([g for g, _ in groups], self.sinks)
        if not components:
            return None, False
        cost = sum(math.prod(len(groups[i][1]) for i in members) for members, _ in components)
        if cost > MAX_COMBINATIONS:
            return None, True
        searched: list[Searched] = []
        for members, reach in components:
            got = self._component(groups, members, tuple(sorted(reach)))
            if got is None:
                return None, True  # cannot happen for finite domains; stay sound
            searched.append(got)
        refinement = self.join([(c.sinks, c.distinct) for c in searched])
        if refinement is not None and self._kept is None:
            self._kept = KeptSearch(groups, searched)
        return refinement, refinement is None

    def kept_search(self, groups: list[Group]) -> KeptSearch | None:
        """The kept exact search, when it was made of these very groups and values."""
        kept = self._kept
        return kept if kept is not None and kept.tokens == tokens_of(groups) else None

    def decisions_given(self, kept: KeptSearch, answered: dict[str, Any]) -> frozenset[str] | None:
        """The decisions `join(kept.given(answered))` reaches, or the first two of them when
        it reaches more than one (the settling-set search asks only whether an answer leaves
        one); None when the search cannot answer (`KeptSearch.given`)."""
        parts = kept.given(answered)
        if parts is None or math.prod(len(d) for _, d in parts) > MAX_JOINED:
            return None
        decisions: set[str] = set()
        for outcomes in self._each_joined(parts):
            decisions |= self.scores(outcomes)[3]
            if len(decisions) > 1:
                break
        return frozenset(decisions)

    def _component(
        self, groups: list[Group], members: list[int], sinks: tuple[int, ...]
    ) -> Searched | None:
        """Every combination of one component's groups: its distinct sink outcomes, and which
        of them each combination gives; None when a block cannot be keyed."""
        keys = tuple(k for i in members for k in groups[i][0])
        clusters = self._clusters(keys, sinks)
        where = {
            s: (c, clusters[c][1].index(s))
            for c in range(len(clusters))
            for s in sinks
            if s in clusters[c][1]
        }
        found: list[dict[tuple[Any, ...], Outcomes]] = [{} for _ in clusters]
        seen: dict[tuple[Any, ...], int] = {}
        distinct: list[Outcomes] = []
        combos: list[tuple[tuple[tuple[Any, ...], ...], int]] = []
        for combo in itertools.product(*(groups[i][1] for i in members)):
            values = tuple(itertools.chain.from_iterable(combo))
            parts = []
            for (at, cluster_sinks), cache in zip(clusters, found, strict=True):
                projected = tuple(values[j] for j in at)
                got = cache.get(projected)
                if got is None:
                    got = self.block(tuple(keys[j] for j in at), projected, cluster_sinks)
                    if got is None:
                        return None
                    cache[projected] = got
                parts.append(got)
            full = tuple(parts[where[s][0]][where[s][1]] for s in sinks)
            signature = tuple(_signature(o) for o in full)
            index = seen.get(signature)
            if index is None:
                index = seen[signature] = len(distinct)
                distinct.append(full)
            combos.append((combo, index))
        return Searched(tuple(members), sinks, distinct, combos)

    def join(self, distinct: list[tuple[tuple[int, ...], list[Outcomes]]]) -> Refinement | None:
        """Put the components' distinct outcomes together (every combination of them, with
        the sinks no component reaches at base); None above MAX_JOINED combinations."""
        if math.prod(len(d) for _, d in distinct) > MAX_JOINED:
            return None
        rs, n = self.rs, self.n_criteria
        criteria: list[set[float]] = [set() for _ in rs.criteria]
        gates: list[set[str]] = [set() for _ in rs.gates]
        enumerated = {s for sinks, _ in distinct for s in sinks}
        for s, o in enumerate(self.base_outcomes()):  # sinks no enumerated fact reaches
            if s not in enumerated:
                _collect(criteria, gates, n, s, o)
        for sinks, outs in distinct:
            for got in outs:
                for s, o in zip(sinks, got, strict=True):
                    _collect(criteria, gates, n, s, o)
        low, high = math.inf, -math.inf
        decisions: set[str] = set()
        for outcomes in self._each_joined(distinct):
            _, lo, hi, reached = self.scores(outcomes)
            low, high = min(low, lo), max(high, hi)
            decisions |= reached
        return Refinement(criteria, gates, low, high, frozenset(decisions))

    def _each_joined(
        self, parts: list[tuple[tuple[int, ...], list[Outcomes]]]
    ) -> Iterator[list[Any]]:
        """Every combination of the components' distinct outcomes, as every sink's outcome
        (the sinks no component reaches at base): one list, rewritten for each."""
        outcomes = list(self.base_outcomes())
        for joined in itertools.product(*(d for _, d in parts)):
            for (sinks, _), got in zip(parts, joined, strict=True):
                for s, o in zip(sinks, got, strict=True):
                    outcomes[s] = o
            yield outcomes


def _cluster_sinks(
    keys: tuple[str, ...], sinks: tuple[int, ...], sinks_of_key: dict[str, Sinks]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The sinks of a component grouped by the keys (indexes into `keys`) that reach them:
    a sink's outcome depends on those keys alone, so each group is evaluated on the distinct
    values of its own keys (the US stage alone for the US-path criterion), not on every
    combination of the component's."""
    by_keys: dict[tuple[int, ...], list[int]] = {}
    for s in sinks:
        at = tuple(
            sorted(
                (j for j, k in enumerate(keys) if s in sinks_of_key.get(k, frozenset())),
                key=keys.__getitem__,
            )
        )
        by_keys.setdefault(at, []).append(s)
    return [(at, tuple(group)) for at, group in by_keys.items()]


def _collect(criteria: list[set[float]], gates: list[set[str]], n: int, sink: int, o: Any) -> None:
    """Add a sink's outcome to what its criterion (scores) or gate (results) can reach."""
    if sink < n:
        criteria[sink].update([o.score] if o.score is not None else o.possible)
    else:
        gates[sink - n].add(o.outcome)


def _signature(o: Any) -> tuple[Any, ...]:
    """What of a sink's outcome the joined results read (its score or range, or gate result)."""
    if isinstance(o, CriterionOutcome):
        return (o.score, o.policy_score, o.possible)
    return (o.outcome,)
