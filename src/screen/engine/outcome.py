"""What an evaluation concludes: outcomes per rule, criterion, gate, asset and company.

Plain dataclasses, shared by the evaluator, the reachability search, the question ranking and
the result document; and the decision rule itself (`reachable_decisions`, `decide`), shared with
weight-sensitivity analysis so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from screen.lang.unknown import UNKNOWN
from screen.model.case import Asset, Case, Company
from screen.model.vocab import Role

ADVANCE, WATCH, DECLINE, INSUFFICIENT = "advance", "watch", "decline", "insufficient_information"
DECISION_RANK = {ADVANCE: 3, WATCH: 2, INSUFFICIENT: 1, DECLINE: 0}
DECISIONS = (ADVANCE, WATCH, DECLINE)  # what an answer to every question can give
DECISION_ORDER = (ADVANCE, WATCH, INSUFFICIENT, DECLINE)


@dataclass
class TraceEntry:
    """One rule evaluation. Inputs are read from the asset's final fact table on demand: a
    fact is written once and never changes, so recording the keys is enough (and cheap)."""

    rule: str
    kind: str
    reads: tuple[str, ...]
    facts: dict[str, Any] = field(repr=False)
    outcome: Any
    rationale: str | None = None
    contribution: float | None = None
    note: str | None = None

    @property
    def inputs(self) -> dict[str, Any]:
        return {r: self.facts.get(r, UNKNOWN) for r in self.reads}


@dataclass
class CriterionOutcome:
    id: str
    name: str
    score: float | None  # None when unknown
    policy_score: float | None  # what counts in the total (None if excluded)
    possible: tuple[float, ...]
    max: float
    weight: float
    status: str  # scored | unknown | error
    fired: str | None
    because: str
    contribution: float


@dataclass
class GateOutcome:
    id: str
    name: str
    outcome: str  # pass | fail | unknown
    because: str


@dataclass
class Unknown:
    """An open question: a fact the decision needs, and what its answer could change."""

    fact: str
    question: str
    rules: list[str]
    could_reach: tuple[str, ...] = ()  # decisions its possible answers give, others at priors
    swing: float = 0.0  # largest change of the score its possible answers make
    settles: bool = False  # part of the smallest set of answers that settles the decision

    @property
    def for_completeness(self) -> bool:
        """No answer changes the score or the decision: asked last, for completeness."""
        return self.swing == 0 and len(self.could_reach) <= 1 and not self.settles


@dataclass
class Provisional:
    """The call if every unknown fact took its expected value (the rule set's `priors:`)."""

    decision: str
    score: float
    basis: list[str]  # what was assumed, one line per fact or gate


@dataclass
class AssetOutcome:
    asset: Asset
    company: Company
    decision: str
    score: float
    score_range: tuple[float, float]
    criteria: list[CriterionOutcome]
    gates: list[GateOutcome]
    unknowns: list[Unknown]
    trace: list[TraceEntry]
    fired: list[str]
    facts: dict[str, Any] = field(repr=False, default_factory=dict)
    decisions: frozenset[str] = frozenset()  # every decision some answer to the unknowns gives
    approximate: bool = False  # too many unknown combinations to enumerate: sound bounds only
    provisional: Provisional | None = None
    decided_by: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # rule -> located run-time error
    thresholds: tuple[float, float] = (0.0, 0.0)  # the rule set's (advance, watch)


@dataclass
class CaseOutcome:
    case: Case
    decision: str
    score: float
    score_range: tuple[float, float]
    lead: AssetOutcome
    core: list[AssetOutcome]
    assets: list[AssetOutcome]
    unknowns: list[tuple[str, Unknown]]  # (asset id, unknown)
    notes: list[str]
    decisions: frozenset[str] = frozenset()
    approximate: bool = False
    provisional: Provisional | None = None
    decided_by: list[tuple[str, str]] = field(default_factory=list)  # (asset id, fact)


def threshold_decision(score: float, advance: float, watch: float) -> str:
    """The decision a score earns on its own: advance, watch or decline."""
    if score >= advance:
        return ADVANCE
    if score >= watch:
        return WATCH
    return DECLINE


def core_candidates(roles: list[Any]) -> tuple[tuple[int, ...], bool, str | None]:
    """(indexes of the assets the company is judged on, whether to ask which is core, note).

    T1, product-centric: the assets marked core. With none: a single asset is judged on; else
    the assets whose role is not stated are the candidates, and one candidate is the core
    asset; several candidates, or every asset marked non-core, leave the company waiting for
    which asset is core. Adding a non-core asset therefore never changes the candidates.
    Shared by the engine and the pipeline so they always pick the same assets."""
    core = tuple(i for i, r in enumerate(roles) if r is Role.core)
    if core:
        return core, False, None
    if len(roles) == 1 and roles[0] is None:
        return (0,), False, "the only asset is not marked core; the company is judged on it"
    unstated = tuple(i for i, r in enumerate(roles) if r is None)
    if len(unstated) == 1:
        return unstated, False, "no asset is marked core; the one not marked non-core is judged"
    candidates = unstated or tuple(range(len(roles)))
    return candidates, True, "no asset is marked core; the decision waits for which asset is core"


def pick_lead(
    core: Sequence[int], rank_of: Callable[[int], Any], *, worst: bool, roles: Sequence[Any]
) -> int:
    """The deciding asset the company follows: the best (with `company: worst`, the worst) by
    `rank_of` (decision rank, score); with every asset marked non-core, the first listed, so
    adding another non-core asset changes nothing. Shared by the engine, rank and sensitivity."""
    if len(roles) > 1 and all(r is Role.non_core for r in roles):
        return core[0]
    return (min if worst else max)(core, key=rank_of)


def reachable_decisions(
    low: float, high: float, *, gate_failed: bool, gate_unknown: bool, advance: float, watch: float
) -> frozenset[str]:
    """Every decision a score in [low, high] and the gates can give (a failed gate declines)."""
    if gate_failed:
        return frozenset({DECLINE})
    out = {threshold_decision(low, advance, watch), threshold_decision(high, advance, watch)}
    if low < advance <= high or low < watch <= high:
        out |= {threshold_decision(s, advance, watch) for s in (watch, advance) if low <= s <= high}
    if gate_unknown:
        out.add(DECLINE)
    return frozenset(out)


def settle(decisions: frozenset[str]) -> str:
    """One reachable decision is the decision; several are insufficient information."""
    return next(iter(decisions)) if len(decisions) == 1 else INSUFFICIENT


def decide(
    low: float, high: float, *, gate_failed: bool, gate_unknown: bool, advance: float, watch: float
) -> str:
    """The decision given the reachable score range and the gates.

    Insufficient information exactly when the unknowns could change the decision: the range
    spans a threshold, or an unknown gate could still decline an asset that would otherwise
    not be declined. Shared by the engine and by weight-sensitivity analysis."""
    return settle(
        reachable_decisions(
            low, high, gate_failed=gate_failed, gate_unknown=gate_unknown,
            advance=advance, watch=watch,
        )
    )  # fmt: skip
