"""Incremental re-evaluation of one asset: only the steps downstream of the facts that changed.

The exact-reachability search (`reach.combine`), the question ranking (`rank_questions`,
`_settling_set`) and the provisional call evaluate the same asset dozens of times, each time on
the asset's case facts with a few of them set (a combination of answers, a prior). A step whose
reads do not depend, directly or through earlier steps, on any changed fact reads exactly what
it read on the base facts, so it concludes exactly the same: its effects on the run (the value
it writes, the bounds of an unknown number, the unknowns it notes, errors, rows fired, its
table or criterion state) are copied from one journalled base run instead of recomputed.

Which facts changed is decided by identity (`trial[k] is not base[k]`): the callers build each
trial as a copy of the base facts with some keys set, so an untouched key holds the very same
object, and a changed key is never mistaken for an unchanged one. The downstream steps are
computed once per set of changed keys (one forward pass over the compile order) and cached.

Only for lean evaluations without trace (what `plain_evaluator` gives the enumerations); the
outcome is the one a full evaluation gives (tests/test_incremental.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screen.engine.compiler import CompiledRuleSet, CriterionNode, Node, TableNode
from screen.engine.run import AssetRun
from screen.model.case import Asset

MAX_CACHED_KEY_SETS = 256  # downstream step sets kept per asset (a few dozen are typical)


@dataclass(frozen=True)
class StepEffect:
    """Everything one step did to an `AssetRun`, so it can be done again without evaluating."""

    value: Any  # F[node.key]
    bound: tuple[float, float] | None  # bounds[node.key] set by this step (unknown numbers)
    notes: tuple[tuple[str, str, frozenset[str]], ...]  # note_unknown calls: key, rule, roots
    errors: tuple[tuple[str, str], ...]  # errors the step recorded, in order
    fired: tuple[str, ...]  # rows, bands or gates it fired, in order
    state: tuple[Any, tuple[Any, ...], str | None, bool] | None  # table / criterion state


def step_inputs(node: Node) -> frozenset[str]:
    """The fact keys a step's result can depend on: its reads and blame (the compiler puts
    band conditions' reads and a criterion's `table.X` among the criterion's own)."""
    return frozenset(node.reads) | frozenset(node.blame)


class JournalRun(AssetRun):
    """An `AssetRun` that keeps, per step, the effects it had (the base run)."""

    def __init__(self, rs: CompiledRuleSet, asset: Asset, facts: dict[str, Any]):
        super().__init__(rs, asset, facts, trace=False)
        self._notes: list[tuple[str, str, frozenset[str]]] = []
        self.effects: list[StepEffect] = []

    def note_unknown(self, key: str, rule: str, reads: tuple[str, ...]) -> None:
        super().note_unknown(key, rule, reads)
        self._notes.append((key, rule, self.missing[key]))

    def run_all(self) -> None:
        for node in self.rs.steps:
            errors_before = dict(self.errors)
            fired_before = len(self.fired)
            bounds_before = self.bounds.get(node.key)
            self._notes = []
            self.step(node)
            bound = self.bounds.get(node.key)
            self.effects.append(
                StepEffect(
                    self.F[node.key],
                    bound if bound is not bounds_before else None,
                    tuple(self._notes),
                    tuple(
                        (k, v)
                        for k, v in self.errors.items()
                        if k not in errors_before or errors_before[k] is not v
                    ),
                    tuple(self.fired[fired_before:]),
                    _state_of(self, node),
                )
            )


def _state_of(run: AssetRun, node: Node) -> tuple[Any, tuple[Any, ...], str | None, bool] | None:
    if isinstance(node, TableNode):
        return run.tables_state[node.key]
    if isinstance(node, CriterionNode):
        return run.crit_state[node.id]
    return None


class IncrementalRun(AssetRun):
    """An `AssetRun` that evaluates only the steps in `downstream` and copies the others'
    effects from the base run, in compile order, so its final state is the full run's."""

    def run_from(self, effects: list[StepEffect], downstream: frozenset[int]) -> None:
        for i, node in enumerate(self.rs.steps):
            if i in downstream:
                self.step(node)
            else:
                self.apply(node, effects[i])

    def apply(self, node: Node, e: StepEffect) -> None:
        self.F[node.key] = e.value
        if e.bound is not None:
            if not self.own_bounds:
                self.bounds, self.own_bounds = dict(self.bounds), True
            self.bounds[node.key] = e.bound
        for key, rule, roots in e.notes:
            self.missing[key] = roots
            for r in roots:
                self.needed_by.setdefault(r, []).append(rule)
        for k, v in e.errors:
            self.errors[k] = v
        self.fired.extend(e.fired)
        if e.state is not None:
            if isinstance(node, TableNode):
                self.tables_state[node.key] = e.state
            else:
                self.crit_state[node.id] = e.state


class BaseJournal:
    """One asset's base run (on its case facts) and the downstream step sets per changed keys."""

    def __init__(self, rs: CompiledRuleSet, asset: Asset, base: dict[str, Any]):
        self.rs = rs
        self.asset = asset
        self.base = base
        run = JournalRun(rs, asset, dict(base))
        run.run_all()
        self.effects = run.effects
        self._downstream: dict[frozenset[str], frozenset[int]] = {}

    def changed(self, facts: dict[str, Any]) -> frozenset[str]:
        """The keys of `facts` that do not hold the base's very object (see module docstring)."""
        base = self.base
        missing = object()
        changed = frozenset(k for k, v in facts.items() if base.get(k, missing) is not v)
        if not facts.keys() >= base.keys():
            changed |= base.keys() - facts.keys()  # a base fact left out is a change too
        return changed

    def downstream(self, changed: frozenset[str]) -> frozenset[int]:
        """Indexes of the steps that depend, transitively, on any of `changed`."""
        hit = self._downstream.get(changed)
        if hit is None:
            dirty = set(changed)
            out = []
            for i, node in enumerate(self.rs.steps):
                if not dirty.isdisjoint(step_inputs(node)):
                    out.append(i)
                    dirty.add(node.key)
            hit = frozenset(out)
            if len(self._downstream) < MAX_CACHED_KEY_SETS:
                self._downstream[changed] = hit
        return hit

    def run(self, facts: dict[str, Any], changed: frozenset[str]) -> AssetRun:
        """A finished run on `facts` (a copy of the base with the keys `changed` set, as
        `changed` found them before anything else wrote into `facts`), incrementally."""
        run = IncrementalRun(self.rs, self.asset, facts, trace=False)
        run.run_from(self.effects, self.downstream(changed))
        return run
