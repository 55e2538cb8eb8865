"""Incremental re-evaluation of one asset: only the steps downstream of the facts that changed.

The exact-reachability search (`reach.combine`), the question ranking (`rank_questions`,
`_settling_set`) and the provisional call evaluate the same asset dozens of times, each time on
the asset's case facts with a few of them set (a combination of answers, a prior). A step whose
reads do not depend, directly or through earlier steps, on any changed fact reads exactly what
it read on the base facts, so it concludes exactly the same: an incremental run starts from
the base run's final state (values, bounds, table and criterion states) and evaluates only the
downstream steps, in compile order; errors and rows fired are gathered from every step's
effects in order at the end, so the outcome is the full run's.

Which facts changed is decided by identity (`trial[k] is not base[k]`): the callers build each
trial as a copy of the base facts with some keys set, so an untouched key holds the very same
object, and a changed key is never mistaken for an unchanged one. The steps downstream of a
set of keys are the union of each key's (`downstream_of`, per rule set), cached per set.

A step that is downstream is still often asked the same question again: a combination that
changes the US stage re-runs every reader of the regional stages, though most of them read the
same values as in an earlier combination. So a downstream step is looked up first in the
asset's `StepMemo` (keyed by the identity of the upstream effects it reads and the values of
the case facts it reads), then in the rule set's shared memo (`shared_memo`, keyed by value
only, so any asset of the batch may have filled it: `value_token` keeps `True` apart from `1`,
`-0.0` from `0.0`, a month date from the first of the month), and evaluated only on a miss.
An entry is what evaluating the step gives, so a result never depends on what came before.
The lean runs note no unknown facts (nothing reads them there); the base runs share a memo of
their own (`JournalRun.run_all`), whose notes are re-derived for the asset at hand, since the
facts behind an unknown upstream value differ between assets.

Incremental runs are lean evaluations without trace (what `plain_evaluator` gives the
enumerations); the outcome is the one a full evaluation gives (tests/test_incremental.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from screen.engine.outcome import TraceEntry
from screen.engine.plan import CompiledRuleSet, CriterionNode, Node, TableNode
from screen.engine.run import AssetRun
from screen.engine.stepmemo import (
    StepEffect,
    StepMemo,
    downstream_of,
    shared_memo,
    step_input_lists,
    upstream_of,
    value_key,
)
from screen.lang.unknown import UNKNOWN, has_unknown
from screen.model.case import Asset

MAX_CACHED_KEY_SETS = 256  # downstream step sets kept per asset (a few dozen are typical)
MAX_MEMO_STEPS = 20_000  # memoised step effects kept per asset (a few hundred are typical)


class CapturingRun(AssetRun):
    """An `AssetRun` that can say what one step did to it (see `StepEffect`)."""

    def __init__(
        self, rs: CompiledRuleSet, asset: Asset, facts: dict[str, Any], trace: bool = False
    ):
        super().__init__(rs, asset, facts, trace=trace)
        self._notes: list[tuple[str, str, tuple[str, ...], frozenset[str]]] = []

    def noted(self, key: str, rule: str, reads: tuple[str, ...]) -> None:
        super().noted(key, rule, reads)
        self._notes.append((key, rule, reads, self.missing[key]))

    def shared_step(
        self,
        node: Node,
        shared: dict[tuple[Any, ...], StepEffect],
        key: tuple[Any, ...] | None,
        redo: Callable[[Node, StepEffect], None],
    ) -> StepEffect:
        """The step's effect found in `shared` under `key` (done again on this run by `redo`),
        else evaluated and kept there; `key` None: evaluated, not kept."""
        hit = shared.get(key) if key is not None else None
        if hit is None:
            hit = self.captured_step(node)
            if key is not None:
                shared[key] = hit
        else:
            redo(node, hit)
        return hit

    def captured_step(self, node: Node) -> StepEffect:
        """Evaluate `node` and return its effects."""
        errors_before = dict(self.errors) if self.errors else None
        fired_before = len(self.fired)
        traced_before = len(self.trace)
        bounds_before = self.bounds.get(node.key)
        self._notes = []
        self.step(node)
        bound = self.bounds.get(node.key)
        return StepEffect(
            self.F[node.key],
            bound if bound is not bounds_before else None,
            tuple(self._notes),
            tuple(
                (k, v)
                for k, v in self.errors.items()
                if errors_before is None or k not in errors_before or errors_before[k] is not v
            ),
            tuple(self.fired[fired_before:]),
            _state_of(self, node),
            tuple(
                (t.rule, t.kind, t.reads, t.outcome, t.rationale, t.contribution, t.note)
                for t in self.trace[traced_before:]
            )
            if self.keep_trace
            else (),
        )


class JournalRun(CapturingRun):
    """A run that keeps, per step, the effects it had (the base run). With `trace` it is also
    the evaluation's traced pass: recording the trace changes no effect, so one pass serves
    both (before, a traced evaluation with unknowns ran the base steps a second time)."""

    def __init__(
        self, rs: CompiledRuleSet, asset: Asset, facts: dict[str, Any], trace: bool = False
    ):
        super().__init__(rs, asset, facts, trace)
        self.effects: list[StepEffect] = []

    def run_all(self) -> None:
        """Every step, each found in the rule set's shared memo of full runs when its inputs
        were seen before (by value: see `value_key`), else evaluated and kept there; a traced
        run has a memo of its own, whose effects carry their trace entries."""
        shared = shared_memo(self.rs, "traced" if self.keep_trace else "journal")
        inputs = step_input_lists(self.rs)[0]
        for i, node in enumerate(self.rs.steps):
            key = value_key(inputs[i], self, i)
            self.effects.append(self.shared_step(node, shared, key, self.reapply))

    def reapply(self, node: Node, e: StepEffect) -> None:
        """Do what `e` records again, in this run; its notes of unknown facts are derived
        afresh (their roots are this asset's: an unknown upstream value may have others)."""
        self.F[node.key] = e.value
        if e.bound is not None:
            if not self.own_bounds:
                self.bounds, self.own_bounds = dict(self.bounds), True
            self.bounds[node.key] = e.bound
        for k, v in e.errors:
            self.errors[k] = v
        for key, rule, reads, _ in e.notes:
            self.noted(key, rule, reads)
        if self.keep_trace:
            self.trace.extend(
                TraceEntry(r, k, reads, self.F, *rest) for r, k, reads, *rest in e.trace
            )
        self.fired.extend(e.fired)
        if e.state is not None:
            if isinstance(node, TableNode):
                self.tables_state[node.key] = e.state
            else:
                self.crit_state[node.id] = e.state


def _state_of(run: AssetRun, node: Node) -> tuple[Any, tuple[Any, ...], str | None, bool] | None:
    if isinstance(node, TableNode):
        return run.tables_state[node.key]
    if isinstance(node, CriterionNode):
        return run.crit_state[node.id]
    return None


class IncrementalRun(CapturingRun):
    """A lean run (no trace, no notes of unknown facts: the enumerations read neither) that
    starts from the base run's final state and evaluates only the steps in `downstream`, in
    compile order, or finds them in the memo; its criteria, gates, values, errors and rows
    fired are the full run's (tests/test_incremental.py)."""

    def note_unknown(
        self, key: str, rule: str, reads: tuple[str, ...], fallbacks: tuple[Any, ...] = ()
    ) -> None:
        pass  # lean: the questions come from the base run

    def run_from(self, journal: BaseJournal, downstream: Downstream) -> None:
        steps, memo = self.rs.steps, journal.memo
        self.F.update(journal.values)  # every step's base value; downstream ones are redone
        self.crit_state = dict(journal.crit_state)
        self.tables_state = dict(journal.tables_state)
        bounds = dict(journal.bounds)
        for key in downstream.keys:
            bounds.pop(key, None)  # a bound the base run gave a value this run recomputes
        self.bounds, self.own_bounds = bounds, True
        effects = list(journal.effects)
        for i in downstream.order:
            node = steps[i]
            full = len(memo.alive) >= MAX_MEMO_STEPS  # then nothing new is keyed or kept
            key = None if full else memo.key(self, i, effects)
            hit = memo.effects.get(key) if key is not None else None
            if hit is None:
                hit = self.shared_step(
                    node, shared_memo(self.rs), memo.value_key(self, i), self.apply
                )
                if not full:
                    memo.alive.append(hit)  # a later key may name it (see StepMemo)
                if key is not None:
                    memo.effects[key] = hit
            else:
                self.apply(node, hit)
            effects[i] = hit
        self.errors = {k: v for e in effects for k, v in e.errors}
        self.fired = [f for e in effects for f in e.fired]

    def apply(self, node: Node, e: StepEffect) -> None:
        """Do what a memoised step did (its value, bound and state; errors and rows fired are
        gathered in step order at the end of the run)."""
        self.F[node.key] = e.value
        if e.bound is not None:
            self.bounds[node.key] = e.bound
        if e.state is not None:
            if isinstance(node, TableNode):
                self.tables_state[node.key] = e.state
            else:
                self.crit_state[node.id] = e.state


@dataclass(frozen=True)
class Downstream:
    """The steps a set of changed facts reaches: indexes in compile order, and their keys."""

    order: tuple[int, ...]
    keys: tuple[str, ...]


class BaseJournal:
    """One asset's base run (on its case facts), the downstream steps per set of changed keys,
    and the asset's step memo."""

    def __init__(
        self,
        rs: CompiledRuleSet,
        asset: Asset,
        base: dict[str, Any],
        run: JournalRun | None = None,
    ):
        """`run`: a finished journalled run on these case facts (the evaluation's own first
        pass, which then need not be made twice); else one is made here."""
        self.rs = rs
        self.asset = asset
        self.base = base
        if run is None:
            run = JournalRun(rs, asset, dict(base))
            run.run_all()
        self.effects = run.effects
        self.values = {n.key: run.F[n.key] for n in rs.steps}
        self.crit_state = run.crit_state
        self.tables_state = run.tables_state
        self.bounds = run.bounds
        self.unknown = frozenset(k for k in rs.fields if has_unknown(base.get(k, UNKNOWN)))
        self._downstream: dict[tuple[frozenset[str], frozenset[int] | None], Downstream] = {}
        self._downstream_of = downstream_of(rs)
        self.memo = StepMemo(rs, base)

    def changed(self, facts: dict[str, Any]) -> frozenset[str]:
        """The keys of `facts` that do not hold the base's very object (see module docstring)."""
        base = self.base
        missing = object()
        changed = frozenset(k for k, v in facts.items() if base.get(k, missing) is not v)
        if not facts.keys() >= base.keys():
            changed |= base.keys() - facts.keys()  # a base fact left out is a change too
        return changed

    def downstream(
        self, changed: frozenset[str], targets: frozenset[int] | None = None
    ) -> Downstream:
        """The steps that depend, transitively, on any of `changed`; with `targets` (step
        indexes), only those the targets depend on (or are): the rest cannot change them."""
        hit = self._downstream.get((changed, targets))
        if hit is None:
            of = self._downstream_of
            out = frozenset().union(*(of.get(k, frozenset()) for k in changed))
            if targets is not None:
                up = upstream_of(self.rs)
                out = out & frozenset().union(targets, *(up[t] for t in targets))
            order = sorted(out)
            hit = Downstream(tuple(order), tuple(self.rs.steps[i].key for i in order))
            if len(self._downstream) < MAX_CACHED_KEY_SETS:
                self._downstream[(changed, targets)] = hit
        return hit

    def run(
        self, facts: dict[str, Any], changed: frozenset[str], targets: frozenset[int] | None = None
    ) -> AssetRun:
        """A finished lean run on `facts` (a copy of the base with the keys `changed` set, as
        `changed` found them before anything else wrote into `facts`), incrementally. With
        `targets` (step indexes) only their states are right: steps they do not depend on are
        left at the base run's (the factored enumerations ask for some criteria only)."""
        run = IncrementalRun(self.rs, self.asset, facts)
        run.run_from(self, self.downstream(changed, targets))
        return run

    def worth_fast_path(self, changed: frozenset[str]) -> bool:
        """Whether to try the generated fast path on a trial: not while a case fact that is
        unknown in the base stays unchanged, since it gives way on nearly every such trial
        (both paths give the same outcome, so this only saves the failed attempt)."""
        return self.unknown <= changed
