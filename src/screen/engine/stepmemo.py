"""Step effects and their memos: what one rule step did to a run, and when it is known already.

An incremental run (incremental.py) evaluates a step only when its inputs are new: the asset's
`StepMemo` keys a step by the identity of the upstream effects it reads and the values of the
case facts it reads; the rule set's shared memos (`shared_memo`) key it by value only, so any
asset of a batch may have filled them. `value_token` makes values that compare equal but are
not the same (`True` and `1`, `-0.0` and `0.0`, a month date and the first of that month) keys
apart. Static dependencies per rule set (`downstream_of`, `upstream_of`, `step_input_lists`)
live here too: both the incremental runs and the factored enumerations read them. Split from
incremental.py as its own job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screen.engine.plan import CompiledRuleSet, Node
from screen.engine.run import AssetRun
from screen.lang.unknown import UNKNOWN
from screen.model.dates import CaseDate

MAX_SHARED_STEPS = 5_000  # step effects by value per rule set and kind, across assets (~5 MB)


@dataclass(frozen=True)
class StepEffect:
    """Everything one step did to an `AssetRun`, so it can be done again without evaluating."""

    value: Any  # F[node.key]
    bound: tuple[float, float] | None  # bounds[node.key] set by this step (unknown numbers)
    notes: tuple[tuple[str, str, tuple[str, ...], frozenset[str]], ...]  # key, rule, reads, roots
    errors: tuple[tuple[str, str], ...]  # errors the step recorded, in order
    fired: tuple[str, ...]  # rows, bands or gates it fired, in order
    state: tuple[Any, tuple[Any, ...], str | None, bool] | None  # table / criterion state
    # the trace entries it recorded, without the run's fact table (a traced base run's only)
    trace: tuple[tuple[Any, ...], ...] = ()


def step_inputs(node: Node) -> frozenset[str]:
    """The fact keys a step's result can depend on: its reads and blame (the compiler puts
    band conditions' reads and a criterion's `table.X` among the criterion's own)."""
    return frozenset(node.reads) | frozenset(node.blame)


_ZERO = 0.0


def value_token(value: Any) -> Any:
    """A hashable stand-in for a fact value that equals another only for the same value of the
    same type: `True` is not `1`, `1` is not `1.0`, `-0.0` is not `0.0`, a month-precision date
    is not the first of that month (raises TypeError for values that cannot be hashed)."""
    t = type(value)
    if t is float and value == _ZERO:
        return (t, repr(value))
    if t is list or t is tuple:
        return (t, tuple(value_token(v) for v in value))
    if t is CaseDate:  # equal dates may be written to other precisions
        return (t, value, value.precision)
    hash(value)
    return (t, value)


class StepMemo:
    """One asset's memoised step effects, keyed by what each step reads (module docstring).

    A step's input that another step wrote is keyed by the identity of that step's effect in
    this run (the same effect object means the same value, bound and state); a case fact by
    `value_token` of its value, or a marker when it is the base's very object. Every effect made
    is kept alive with the memo, so no identity in a key can be reused by a newer object."""

    def __init__(self, rs: CompiledRuleSet, base: dict[str, Any]):
        self.base = base
        self.inputs, self.writer = step_input_lists(rs)
        self.effects: dict[tuple[Any, ...], StepEffect] = {}
        self.alive: list[StepEffect] = []

    def key(self, run: AssetRun, index: int, effects: list[StepEffect]) -> tuple[Any, ...] | None:
        """What the step's result depends on, or None when some of it cannot be hashed."""
        F, base, writer = run.F, self.base, self.writer
        parts: list[Any] = [index]
        try:
            for r in self.inputs[index]:
                j = writer.get(r)
                if j is not None:
                    parts.append(id(effects[j]))
                    continue
                v = F.get(r, UNKNOWN)
                if v is base.get(r, _ABSENT):
                    parts.append(_BASE)
                elif v is UNKNOWN:
                    parts.append((UNKNOWN, run.bounds.get(r)))
                else:
                    parts.append(value_token(v))
        except TypeError:
            return None
        return tuple(parts)

    def value_key(self, run: AssetRun, index: int) -> tuple[Any, ...] | None:
        """The key of the rule set's shared memo for this step (see `value_key`)."""
        return value_key(self.inputs[index], run, index)


def value_key(inputs: tuple[str, ...], run: AssetRun, index: int) -> tuple[Any, ...] | None:
    """What step `index`'s result depends on, by value only (every input's value token, an
    unknown's bounds, a table's state), so it means the same for any asset: the key of the
    rule set's shared memos. None when some of it cannot be hashed."""
    F, tables = run.F, run.tables_state
    parts: list[Any] = [index]
    try:
        for r in inputs:
            state = tables.get(r)
            if state is not None:
                parts.append(value_token(state))
                continue
            v = F.get(r, UNKNOWN)
            if v is UNKNOWN:
                parts.append((UNKNOWN, value_token(run.bounds.get(r))))
            else:
                parts.append(value_token(v))
    except TypeError:
        return None
    return tuple(parts)


def shared_memo(rs: CompiledRuleSet, kind: str = "lean") -> dict[tuple[Any, ...], StepEffect]:
    """The rule set's step effects by value key, shared by every asset of a batch: most
    assets put the same few values into a criterion that reads stages, plans and claims.
    `kind`: "lean" (the enumerations' runs, no notes), "journal" (full runs, with notes) or
    "traced" (full runs with their trace entries).
    Emptied when it reaches MAX_SHARED_STEPS, so memory stays flat in the batch size; an entry
    is what evaluating the step gives, so results never depend on what was evaluated before."""
    name = f"_shared_step_memo_{kind}"
    memo = rs.__dict__.get(name)
    if memo is None or len(memo) >= MAX_SHARED_STEPS:
        memo = {}
        rs.__dict__[name] = memo
    return memo


_BASE = ("base",)  # a case fact holding the base's very object
_ABSENT = object()


def step_input_lists(rs: CompiledRuleSet) -> tuple[list[tuple[str, ...]], dict[str, int]]:
    """Per step (compile order), its inputs in a fixed order, and which step writes each key;
    cached per rule set."""
    cached = rs.__dict__.get("_step_input_lists")
    if cached is None:
        cached = (
            [tuple(sorted(step_inputs(n))) for n in rs.steps],
            {n.key: i for i, n in enumerate(rs.steps)},
        )
        rs.__dict__["_step_input_lists"] = cached
    return cached


def downstream_of(rs: CompiledRuleSet) -> dict[str, frozenset[int]]:
    """Fact key -> indexes of the steps that depend on it, transitively; cached per rule set.
    The steps downstream of a set of keys are the union of theirs."""
    cached = rs.__dict__.get("_downstream_of")
    if cached is None:
        readers: dict[str, list[int]] = {}
        for i, n in enumerate(rs.steps):
            for r in step_inputs(n):
                readers.setdefault(r, []).append(i)
        cached = {}
        for i in reversed(range(len(rs.steps))):  # a step's dependents come after it
            node = rs.steps[i]
            below = set()
            for j in readers.get(node.key, ()):
                below |= {j} | cached.get(rs.steps[j].key, frozenset())
            cached[node.key] = frozenset(below)
        for key in readers:
            if key not in cached:
                out: set[int] = set()
                for j in readers[key]:
                    out |= {j} | cached[rs.steps[j].key]
                cached[key] = frozenset(out)
        rs.__dict__["_downstream_of"] = cached
    return cached


def upstream_of(rs: CompiledRuleSet) -> list[frozenset[int]]:
    """Per step (compile order), the indexes of the steps it depends on, transitively; cached
    per rule set."""
    cached = rs.__dict__.get("_upstream_of")
    if cached is None:
        writer = {n.key: i for i, n in enumerate(rs.steps)}
        cached = []
        for n in rs.steps:
            up: set[int] = set()
            for r in step_inputs(n):
                j = writer.get(r)
                if j is not None:
                    up |= {j} | cached[j]
            cached.append(frozenset(up))
        rs.__dict__["_upstream_of"] = cached
    return cached


Sinks = frozenset[int]  # criterion i is sink i; gate j is sink len(criteria) + j


def sinks_of(rs: CompiledRuleSet) -> dict[str, Sinks]:
    """Fact key -> the criteria and gates that depend on it; cached per rule set."""
    cached = rs.__dict__.get("_sinks_of")
    if cached is None:
        cached = rs.__dict__["_sinks_of"] = sinks_over(rs, {})
    return cached


def sinks_over(rs: CompiledRuleSet, inputs: dict[int, frozenset[str]]) -> dict[str, Sinks]:
    """Fact key (read by some step) -> the criteria and gates that depend on it, with the
    steps' inputs as given in `inputs` (by step index; `livereads` drops reads no trial can
    make) and `step_inputs` for the others."""
    index = {c.key: i for i, c in enumerate(rs.criteria)}
    index.update({g.key: len(rs.criteria) + j for j, g in enumerate(rs.gates)})
    readers: dict[str, list[int]] = {}
    for i, n in enumerate(rs.steps):
        for r in inputs.get(i, step_inputs(n)):
            readers.setdefault(r, []).append(i)
    reach: dict[str, frozenset[int]] = {}  # a step's key -> the sinks at or below it
    for i in reversed(range(len(rs.steps))):  # a step's dependents come after it
        node = rs.steps[i]
        below: set[int] = {index[node.key]} if node.key in index else set()
        for j in readers.get(node.key, ()):
            below |= reach.get(rs.steps[j].key, frozenset())
        reach[node.key] = frozenset(below)
    return {
        key: frozenset().union(*(reach.get(rs.steps[j].key, frozenset()) for j in steps))
        for key, steps in readers.items()
    }
