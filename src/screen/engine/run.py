"""One asset's three-valued pass: every rule in dependency order, what it read and concluded.

`AssetRun` steps through the compiled rules on the asset's fact table: derived facts (with the
bounds of unknown numbers), decision tables (first hit, with exact reachable outputs over
finite input domains), gates and criteria (Kleene first-hit over bands), recording the trace and,
for every unknown outcome, the case facts behind it. `evaluate.py` assembles the outcome.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from screen.engine.outcome import (
    TraceEntry,
)
from screen.engine.plan import (
    CompiledRuleSet,
    CriterionNode,
    DerivedNode,
    GateNode,
    Node,
    TableNode,
)
from screen.engine.tables import domain_values
from screen.lang.expressions import Expression
from screen.lang.intervals import Interval
from screen.lang.runtime import EvalError
from screen.lang.unknown import UNKNOWN
from screen.model.case import Asset


def field_bounds(rs: CompiledRuleSet) -> dict[str, tuple[float, float]]:
    """Case field -> the range its number always lies in (schema `Bounds`), cached per rule set."""
    cached = rs.__dict__.get("_field_bounds")
    if cached is None:
        cached = {k: fp.bounds for k, fp in rs.fields.items() if fp.bounds is not None}
        rs.__dict__["_field_bounds"] = cached
    return cached


def _inner_steps(rs: CompiledRuleSet) -> dict[str, Node]:
    """The derived facts and tables by key: steps whose outcome is not a criterion's or a
    gate's; cached per rule set."""
    cached = rs.__dict__.get("_inner_steps")
    if cached is None:
        cached = {n.key: n for n in rs.steps if isinstance(n, DerivedNode | TableNode)}
        rs.__dict__["_inner_steps"] = cached
    return cached


class AssetRun:
    """Evaluation state for one asset; kept out of the public API."""

    def __init__(self, rs: CompiledRuleSet, asset: Asset, facts: dict[str, Any], trace: bool):
        self.rs = rs
        self.bounds: dict[str, tuple[float, float]] = field_bounds(rs)
        self.own_bounds = False
        self.asset = asset
        self.keep_trace = trace
        self.F = facts
        self.missing: dict[str, frozenset[str]] = {}
        self.errors: dict[str, str] = {}
        self.trace: list[TraceEntry] = []
        self.fired: list[str] = []
        self.needed_by: dict[str, list[str]] = {}
        self.tables_state: dict[str, tuple[Any, tuple[Any, ...], str | None, bool]] = {}
        self.crit_state: dict[str, tuple[Any, tuple[Any, ...], str | None, bool]] = {}

    # -- helpers
    def live_needed_by(self) -> dict[str, list[str]]:
        """`needed_by` without the facts only dead inner steps wait on: an unknown derived fact
        or table that no unknown criterion or gate reads, directly or through other unknown
        inner steps (an earlier band fired, or its reader is known), changes nothing, so it is
        neither asked about nor enumerated. Reads are the rules' own, guarded ones included: a
        `coalesce` whose every argument is unknown waits on all of them. A failed rule and a
        fact a criterion or gate itself names are always kept."""
        inner = _inner_steps(self.rs)
        live = self._live_inner(inner)
        return {
            fact: rules
            for fact, rules in self.needed_by.items()
            if fact.startswith("rule:") or any(r not in inner or r in live for r in rules)
        }

    def _live_inner(self, inner: dict[str, Node]) -> set[str]:
        """The unknown inner steps some unknown criterion or gate reads, transitively."""
        missing, F = self.missing, self.F
        todo = [
            r
            for n in (*self.rs.criteria, *self.rs.gates)
            if F.get(n.key, UNKNOWN) is UNKNOWN
            for r in n.reads
        ]
        live: set[str] = set()
        while todo:
            key = todo.pop()
            if key in inner and key in missing and key not in live:
                live.add(key)
                todo.extend(inner[key].reads)
        return live

    def roots(self, reads: tuple[str, ...]) -> frozenset[str]:
        """The case facts (or failed rules) behind the unknown values among `reads`."""
        out: set[str] = set()
        for r in reads:
            v = self.F.get(r, UNKNOWN)
            if r in self.rs.fields:
                if v is UNKNOWN or (isinstance(v, list) and any(x is UNKNOWN for x in v)):
                    out.add(r)
            elif v is UNKNOWN:
                out |= self.missing.get(r, frozenset())
        return frozenset(out)

    def run_expr(self, expr: Expression, rule: str, bounds_of: str | None = None) -> Any:
        """The expression's value; an unknown number's bounds are kept under `bounds_of`.

        A run-time failure (division by zero, a wrong type reaching a function) makes the rule's
        outcome unknown and is kept as a located error, so one bad rule never aborts a batch."""
        try:
            value = expr.evaluate_bounded(self.F, self.bounds)
        except EvalError as exc:
            where = f"{expr.location}: " if expr.location else ""
            self.errors[rule] = f"{where}{exc}"
            return UNKNOWN
        if type(value) is Interval:
            if bounds_of is not None:
                if not self.own_bounds:
                    self.bounds, self.own_bounds = dict(self.bounds), True
                self.bounds[bounds_of] = (value.lo, value.hi)
            return UNKNOWN
        return value

    def note_unknown(
        self, key: str, rule: str, reads: tuple[str, ...], fallbacks: tuple[Expression, ...] = ()
    ) -> None:
        """Record that `key` (rule `rule`) is unknown because of the unknown facts among
        `reads`, and among the earlier arguments of those of `fallbacks`' chains that are
        unknown (a stated figure and the figures it can be computed from are all asked)."""
        for e in fallbacks:
            extra = e.fallback_blame(self.F, self.bounds)
            if extra:
                reads = (*reads, *extra)
        self.noted(key, rule, reads)

    def noted(self, key: str, rule: str, reads: tuple[str, ...]) -> None:
        """`note_unknown` with the reads to blame settled."""
        roots = self.roots(reads)
        if rule in self.errors:
            roots = roots | {f"rule:{rule}"}
        self.missing[key] = roots
        for r in roots:
            self.needed_by.setdefault(r, []).append(rule)

    def record(
        self,
        rule: str,
        kind: str,
        reads: tuple[str, ...],
        outcome: Any,
        rationale: str | None = None,
        note: str | None = None,
        contribution: float | None = None,
    ) -> None:
        if self.keep_trace:
            self.trace.append(
                TraceEntry(rule, kind, reads, self.F, outcome, rationale, contribution, note)
            )

    def replay(self) -> None:
        """Fill outcomes and trace from a fact table the fast path completed (no unknowns).

        Mirrors what `step` records, entry for entry, so both paths give the same result."""
        F = self.F
        for node in self.rs.steps:
            if isinstance(node, DerivedNode):
                self.record(node.key, "derived", node.reads, F[node.key])
            elif isinstance(node, TableNode):
                index = F["#" + node.key]
                for row in node.rows[: index + 1]:
                    self.record(row.id, "row", node.reads, row is node.rows[index], row.rationale)
                self.fired.append(node.rows[index].id)
                output = F[node.key]
                self.tables_state[node.key] = (output, (output,), node.rows[index].id, True)
                self.record(node.key, "table", node.reads, output)
            elif isinstance(node, GateNode):
                value = F[node.key]
                if value:
                    self.fired.append(node.id)
                self.record(
                    node.id, "gate", node.reads, "pass" if value else "fail", node.rationale
                )
            elif isinstance(node, CriterionNode):
                output = F[node.key]
                index = F["#" + node.key]
                if node.bands is not None:
                    tried = node.bands if index < 0 else node.bands[: index + 1]
                    for band in tried:
                        self.record(
                            band.id,
                            "row",
                            band.when.reads,
                            index >= 0 and band is node.bands[index],
                            band.rationale,
                        )
                    fired = node.bands[index].id if index >= 0 else None
                    if fired:
                        self.fired.append(fired)
                    state = (output, (output,), fired, index >= 0)
                    if index < 0:
                        state = (output, (), None, False)
                else:
                    state = self.tables_state[f"table.{node.table}"]
                self.crit_state[node.id] = state

    # -- nodes
    def step(self, node: Node) -> None:
        if isinstance(node, DerivedNode):
            self.derived(node)
        elif isinstance(node, TableNode):
            self.table(node)
        elif isinstance(node, GateNode):
            self.gate(node)
        elif isinstance(node, CriterionNode):
            self.criterion(node)

    def derived(self, node: DerivedNode) -> None:
        assert node.expr is not None
        value = self.run_expr(node.expr, node.key, bounds_of=node.key)
        self.F[node.key] = value
        if value is UNKNOWN:
            self.note_unknown(node.key, node.key, node.blame, node.fallbacks)
        self.record(node.key, "derived", node.reads, value, note=self.errors.get(node.key))

    def first_hit(
        self, candidates: list[tuple[str, Any, Any, str, tuple[str, ...], tuple[str, ...], Any]]
    ) -> tuple[Any, tuple[Any, ...], str | None, bool]:
        """Kleene first-hit over (id, outcome-thunk, output, rationale, reads, blame,
        fallbacks).

        Returns (output or UNKNOWN, outputs still possible, id that fired, whether a row
        certainly matched). An unknown row before the first true one leaves the result
        unknown: that row might have matched first."""
        possible: list[Any] = []
        for rule_id, thunk, output, rationale, reads, blame, fallbacks in candidates:
            outcome = thunk()
            self.record(rule_id, "row", reads, outcome, rationale, note=self.errors.get(rule_id))
            if outcome is UNKNOWN:
                possible.append(output)
                self.note_unknown(rule_id, rule_id, blame, fallbacks)
                continue
            if outcome is True:
                if possible:
                    possible.append(output)
                    return UNKNOWN, tuple(possible), None, True
                self.fired.append(rule_id)
                return output, (output,), rule_id, True
        return UNKNOWN, tuple(possible), None, False

    def table(self, node: TableNode) -> None:
        values = [self.run_expr(e, node.key) for e in node.inputs]

        def row_thunk(cells: list[Any]) -> Any:
            def evaluate() -> Any:
                unknown = False
                for cell, value in zip(cells, values, strict=True):
                    try:
                        m = cell.matches(value)
                    except TypeError:
                        m = False
                    if m is UNKNOWN:
                        unknown = True
                    elif not m:
                        return False
                return UNKNOWN if unknown else True

            return evaluate

        reads = node.reads  # the union of the inputs' reads, computed once by the compiler
        output, possible, fired, matched = self.first_hit(
            [
                (
                    row.id,
                    row_thunk(row.cells),
                    row.output,
                    row.rationale,
                    reads,
                    node.blame,
                    node.fallbacks,
                )
                for row in node.rows
            ]
        )
        if output is UNKNOWN:
            exact = _reachable_outputs(node, values)
            if exact is not None:
                possible, matched = exact
        self.F[node.key] = output
        self.tables_state[node.key] = (output, possible, fired, matched)
        if output is UNKNOWN:
            self.note_unknown(node.key, node.key, node.blame, node.fallbacks)
        note = None if output is not UNKNOWN or possible else "no row matched"
        self.record(node.key, "table", reads, output, note=note)

    def gate(self, node: GateNode) -> None:
        assert node.require is not None
        value = self.run_expr(node.require, node.key)
        if value is not UNKNOWN and not isinstance(value, bool):
            self.errors[node.key] = f"expected true/false, got {value!r}"
            value = UNKNOWN
        self.F[node.key] = value
        if value is UNKNOWN:
            self.note_unknown(node.key, node.key, node.blame, node.fallbacks)
        elif value:
            self.fired.append(node.id)
        self.record(
            node.id,
            "gate",
            node.reads,
            "unknown" if value is UNKNOWN else ("pass" if value else "fail"),
            node.rationale,
            note=self.errors.get(node.key),
        )

    def criterion(self, node: CriterionNode) -> None:
        if node.bands is not None:
            output, possible, fired, matched = self.first_hit(
                [
                    (
                        b.id,
                        (lambda b=b: self.band_outcome(b)),
                        b.score,
                        b.rationale,
                        b.when.reads,
                        b.when.blamable,
                        (b.when,) if b.when.chains else (),
                    )
                    for b in node.bands
                ]
            )
        else:
            output, possible, fired, matched = self.tables_state[f"table.{node.table}"]
            if output is not UNKNOWN and not isinstance(output, int | float):
                self.errors[node.key] = f"table output {output!r} is not a number"
                output, possible = UNKNOWN, ()
        if output is UNKNOWN and not possible and node.key not in self.errors:
            output = 0.0  # nothing matched on known data: the criterion earns nothing
        self.F[node.key] = output
        self.crit_state[node.id] = (output, possible, fired, matched)
        if output is UNKNOWN:
            self.note_unknown(node.key, node.key, node.blame, node.fallbacks)

    def band_outcome(self, band: Any) -> Any:
        value = self.run_expr(band.when, band.id)
        if value is not UNKNOWN and not isinstance(value, bool):
            self.errors[band.id] = f"expected true/false, got {value!r}"
            return UNKNOWN
        return value


MAX_ENUMERATION = 4096


def _reachable_outputs(node: TableNode, values: list[Any]) -> tuple[tuple[Any, ...], bool] | None:
    """Outputs the table can still give, by trying every value of its unknown inputs.

    Exact where the unknown inputs have finite domains (stages, enums, true/false), which is
    what tables are usually keyed on; None (keep the conservative answer) otherwise.
    Returns (reachable outputs, whether some row matches in every combination)."""
    try:
        key = tuple(values)
        cached = node.reachable_cache.get(key)
    except TypeError:  # list-valued inputs are not hashable: compute, do not cache
        key, cached = None, None
    if cached is not None:
        return cached
    found = _enumerate_outputs(node, values)
    if key is not None and found is not None and len(node.reachable_cache) < MAX_ENUMERATION:
        node.reachable_cache[key] = found
    return found


def _enumerate_outputs(node: TableNode, values: list[Any]) -> tuple[tuple[Any, ...], bool] | None:
    unknown = [i for i, v in enumerate(values) if v is UNKNOWN]
    domains = [domain_values(node.inputs[i].type) for i in unknown]
    if any(d is None for d in domains) or math.prod(len(d) for d in domains) > MAX_ENUMERATION:  # type: ignore[arg-type]
        return None
    reachable: list[Any] = []
    always = True
    for combo in itertools.product(*domains):  # type: ignore[misc]
        trial = list(values)
        for i, v in zip(unknown, combo, strict=True):
            trial[i] = v
        row = next(
            (
                r
                for r in node.rows
                if all(c.matches(x) is True for c, x in zip(r.cells, trial, strict=True))
            ),
            None,
        )
        if row is None:
            always = False
        elif row.output not in reachable:
            reachable.append(row.output)
    return tuple(reachable), always
