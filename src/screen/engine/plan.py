"""The compiled plan: what the compiler hands the engine, checked once, run per asset.

Steps in dependency order (derived facts, decision tables, gates, criteria), each with the fact
keys it reads and the location in its rule file; the rule set's parameters, decision
thresholds, questions, priors and field paths. Everything downstream of the compiler (the
evaluation, the fast path, the enumerations, the reports) reads only this, never the rule
files, so a plan from `compile_ruleset` needs no further checks.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from screen.engine.facts import FieldPath
from screen.engine.priors import CompiledPrior
from screen.engine.tables import Cell
from screen.lang.expressions import Expression
from screen.lang.types import ANY, Type
from screen.model.errors import Location
from screen.model.ruleset import Decision, HitPolicy, Parameter, UnknownPolicy


@dataclass
class Node:
    """Something the engine evaluates per asset and stores in the fact table under `key`."""

    kind: str
    id: str
    key: str
    location: Location
    reads: tuple[str, ...] = ()
    blame: tuple[str, ...] = ()  # reads whose absence can make this node unknown
    # its expressions with fallback chains (`Expression.fallback_blame`), set on first use
    _fallbacks: tuple[Expression, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def fallbacks(self) -> tuple[Expression, ...]:
        if self._fallbacks is None:
            self._fallbacks = tuple(e for e in node_expressions(self) if e.chains)
        return self._fallbacks


@dataclass
class DerivedNode(Node):
    expr: Expression | None = None
    description: str | None = None
    question: str | None = None


@dataclass
class Row:
    id: str
    cells: list[Cell]
    output: Any
    rationale: str
    location: Location


@dataclass
class TableNode(Node):
    hit_policy: HitPolicy = HitPolicy.first
    inputs: list[Expression] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    output_type: Type = ANY
    reachable_cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)


@dataclass
class Band:
    id: str
    when: Expression
    score: float
    rationale: str
    location: Location


@dataclass
class CriterionNode(Node):
    name: str = ""
    weight: float = 1.0
    max: float = 5.0
    policy: UnknownPolicy = UnknownPolicy.lowest
    rationale: str | None = None
    bands: list[Band] | None = None
    table: str | None = None
    question: str | None = None


@dataclass
class GateNode(Node):
    name: str = ""
    require: Expression | None = None
    rationale: str = ""
    question: str | None = None


def node_expressions(node: Node) -> list[Expression]:
    """A step's expressions: its value or condition, table inputs, band conditions."""
    exprs = [e for attr in ("expr", "require") if (e := getattr(node, attr, None)) is not None]
    exprs.extend(getattr(node, "inputs", None) or [])
    exprs.extend(b.when for b in getattr(node, "bands", None) or [])
    return exprs


@dataclass
class CompiledRuleSet:
    """Everything the engine needs, in evaluation order. Built once, used for every case."""

    name: str
    version: str
    sha256: str
    description: str | None
    scale: float
    files: list[str]
    parameters: dict[str, Parameter]
    steps: list[Node]
    criteria: list[CriterionNode]
    gates: list[GateNode]
    tables: dict[str, TableNode]
    decision: Decision
    questions: dict[str, str]
    fields: dict[str, FieldPath]
    fixed: list[str]
    priors: dict[str, CompiledPrior]
    reasons: dict[str, str]
    extract: Callable[..., dict[str, Any]]
    edges: list[tuple[str, str]]
    base_facts: dict[str, Any]
    # The generated straight-line evaluator, cached here by `fastpath.fast_path(rs)` on first
    # use. The compiler never builds it: the fast path reads what the compiler produced.
    _fast: Callable[..., dict[str, Any]] | None = field(default=None, repr=False)
    actionable: list[str] = field(default_factory=list)  # why-not changes only these, if any
    # `file:line:col: warning: ...` found while compiling, for commands that score to show
    warnings: tuple[str, ...] = ()

    @functools.cached_property
    def total_weight(self) -> float:
        return math.fsum(c.weight for c in self.criteria)

    def weights_mismatch(self) -> float | None:
        """The criteria's total weight when it is not the declared `decision.weights_sum`:
        scores divide by the total, so a mistyped weight moves every criterion's share."""
        declared = self.decision.weights_sum
        total = self.total_weight
        if declared is None or math.isclose(total, declared, rel_tol=1e-9, abs_tol=1e-9):
            return None
        return total
