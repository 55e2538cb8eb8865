"""The engine: a pure function from (compiled rule set, case) to an explained result.

Each asset is evaluated on its own fact table (its fields, the company's, the parameters), in
the dependency order the compiler fixed. Every rule records what it read and what it concluded.
Unknown inputs give unknown outcomes, never false ones; a criterion with unknown inputs gets the
range of scores it could still reach, and the policy score its rule set chose. The company's
decision comes from its core asset(s) (T1, product-centric); non-core assets are BD options.

A decision is `insufficient_information` exactly when the unknowns could change it: when the
lowest and highest reachable scores fall under different thresholds, or when an unknown gate
could still fail an asset that would otherwise not be declined.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

from screen.engine.assemble import (
    MAX_SUMMARIES,
    assemble,
    assemble_lean,
    failed_rule,
    lean_criterion,
    lean_gate,
)
from screen.engine.factored import FactoredEvaluator
from screen.engine.fastpath import Fallback, fast_path
from screen.engine.incremental import BaseJournal, JournalRun
from screen.engine.livereads import live_sinks
from screen.engine.outcome import (
    DECISION_RANK,
    DECLINE,
    INSUFFICIENT,
    AssetOutcome,
    CaseOutcome,
    Provisional,
    Unknown,
    core_candidates,
    pick_lead,
    settle,
)
from screen.engine.plan import CompiledRuleSet
from screen.engine.questions import provisional, rank_questions
from screen.engine.reach import Evaluate, refine
from screen.engine.run import AssetRun
from screen.lang.runtime import EvalError
from screen.lang.unknown import UnknownValue
from screen.model.case import Asset, Case
from screen.model.ruleset import CompanyAggregation
from screen.model.vocab import Role

FAST_PATH_GIVES_WAY = (Fallback, UnknownValue, ArithmeticError, TypeError, ValueError, EvalError)


def evaluate_asset(
    rs: CompiledRuleSet, case: Case, asset: Asset, *, trace: bool = True
) -> AssetOutcome:
    """Evaluate one asset: gates, criteria, score range and decision, with its trace."""
    facts = extract_facts(rs, case, asset)
    return evaluate_with_facts(rs, case, asset, facts, trace, try_fast_path(rs, facts))


def extract_facts(rs: CompiledRuleSet, case: Case, asset: Asset) -> dict[str, Any]:
    """The asset's fact table: parameters plus every case field the rule set reads."""
    facts = dict(rs.base_facts)
    rs.extract(asset, case.company, case, facts)
    return facts


def try_fast_path(rs: CompiledRuleSet, facts: dict[str, Any]) -> bool:
    """Run the generated fast path on `facts`; False when it gives way (see fastpath.py).

    On give-way the facts it wrote are rule results that the interpretive pass recomputes
    before anything reads them, so the extracted case facts are reused, not re-read."""
    try:
        fast_path(rs)(facts)
    except FAST_PATH_GIVES_WAY:
        return False
    return True


def evaluate_with_facts(
    rs: CompiledRuleSet,
    case: Case,
    asset: Asset,
    facts: dict[str, Any],
    trace: bool,
    fast_done: bool,
    *,
    exact: bool = True,
    lean: bool = False,
) -> AssetOutcome:
    """Evaluate from an extracted fact table; `fast_done` when `try_fast_path` succeeded on it.

    With unknown facts, one three-valued pass gives a sound answer; `exact` then refines it by
    trying every combination of the unknown finite-domain facts (see `reach.py`), so a reported
    reachable score or decision is one that some answer to the open questions really gives.

    `lean` (the enumerations' own evaluations, see `plain_evaluator`): no `because` texts and no
    unknowns with their questions, which nothing reads there (~20% of each evaluation)."""
    outcome, rank = evaluate_open(rs, case, asset, facts, trace, fast_done, exact=exact, lean=lean)
    if rank is not None:
        rank()
    return outcome


def evaluate_open(
    rs: CompiledRuleSet,
    case: Case,
    asset: Asset,
    facts: dict[str, Any],
    trace: bool,
    fast_done: bool,
    *,
    exact: bool = True,
    lean: bool = False,
) -> tuple[AssetOutcome, Callable[[], None] | None]:
    """`evaluate_with_facts`, with its last step left to the caller: (outcome, rank), where
    `rank()` fills the outcome's provisional call and `decided_by` and orders its unknowns as
    `evaluate_with_facts` does (None: nothing to rank). The pipeline ranks the lead asset's
    questions only: an asset the row does not show needs its decision, not their order."""
    base = None if fast_done or not exact or lean else case_facts(rs, facts)
    # the enumerations' base run, made once (and traced, when the trace is wanted)
    run = (
        JournalRun(rs, asset, facts, trace)
        if base is not None
        else AssetRun(rs, asset, facts, trace)
    )
    if fast_done:
        run.replay()
    elif isinstance(run, JournalRun):
        run.run_all()
    else:
        for node in rs.steps:
            run.step(node)
    refined = None
    approximate = False
    evaluate = None
    if base is not None:
        inner = incremental_evaluator(
            rs, case, asset, base, run if isinstance(run, JournalRun) else None
        )
        live = live_sinks(rs, run.F, base)
        evaluate = FactoredEvaluator(rs, asset, case.company, base, inner, live)
    needed_by = run.live_needed_by() if base is not None else None
    if base is not None and evaluate is not None and needed_by:
        refined, approximate = refine(rs, base, needed_by, evaluate, asset)
    outcome = assemble(rs, case, asset, run, refined, lean, needed_by)
    outcome.approximate = approximate
    if (
        base is None
        or evaluate is None
        or not outcome.unknowns
        or not (trace or outcome.decision == INSUFFICIENT)
    ):
        return outcome, None
    known, ranking = base, evaluate  # narrowed here, for the closure

    def rank() -> None:
        if outcome.decision == INSUFFICIENT:
            outcome.provisional = provisional(rs, outcome, known, ranking, asset)
        outcome.decided_by = rank_questions(rs, outcome, known, ranking, asset)

    return outcome, rank


def plain_evaluator(rs: CompiledRuleSet, case: Case, asset: Asset) -> Evaluate:
    """Evaluate the asset on a given fact table: fast path if it completes, no refinement.

    For the enumerations (reach.combine, provisional, rank_questions), which read only the
    criteria scores, gate outcomes, score, range and decisions: lean outcomes."""

    def evaluate(facts: dict[str, Any]) -> AssetOutcome:
        return evaluate_with_facts(
            rs, case, asset, facts, False, try_fast_path(rs, facts), exact=False, lean=True
        )

    return evaluate


def incremental_evaluator(
    rs: CompiledRuleSet,
    case: Case,
    asset: Asset,
    base: dict[str, Any],
    base_run: JournalRun | None = None,
) -> IncrementalEvaluator:
    """`plain_evaluator`'s outcomes, computed incrementally from one base run on `base`.

    The enumerations evaluate copies of `base` with a few facts set; the steps that do not
    depend on those facts are copied from the base run (see incremental.py), ~80% of them on
    the bundled thesis. The base run is `base_run` (the evaluation's own first pass, when it
    was journalled), else made on the first evaluation (many assets need none)."""
    return IncrementalEvaluator(rs, case, asset, base, base_run)


class IncrementalEvaluator:
    """See `incremental_evaluator`; `sink_outcomes` is the factored enumerations' cheaper
    question: only some criteria and gates, for a trial given by the facts it sets."""

    def __init__(
        self,
        rs: CompiledRuleSet,
        case: Case,
        asset: Asset,
        base: dict[str, Any],
        base_run: JournalRun | None,
    ):
        self.rs, self.case, self.asset, self.base = rs, case, asset, base
        self._base_run = base_run
        self._journal: BaseJournal | None = None
        self._summaries: dict[tuple[Any, ...], AssetOutcome] = {}
        self._sinks: dict[tuple[Any, ...], Any] = {}
        self._sink_steps: dict[tuple[int, ...], frozenset[int]] = {}

    @property
    def journal(self) -> BaseJournal:
        if self._journal is None:
            self._journal = BaseJournal(self.rs, self.asset, self.base, self._base_run)
            self._base_run = None
        return self._journal

    def __call__(self, facts: dict[str, Any]) -> AssetOutcome:
        rs, journal = self.rs, self.journal
        changed = journal.changed(facts)  # before the fast path writes rule results in
        if journal.worth_fast_path(changed) and try_fast_path(rs, facts):
            return evaluate_with_facts(
                rs, self.case, self.asset, facts, False, True, exact=False, lean=True
            )
        run = journal.run(facts, changed)
        return assemble_lean(rs, self.case, self.asset, run, self._summaries)

    def sink_outcomes(
        self, keys: tuple[str, ...], values: tuple[Any, ...], sinks: tuple[int, ...]
    ) -> tuple[Any, ...]:
        """The outcomes of `sinks` (criterion i, then gate len(criteria) + j) with the facts
        `keys` set to `values` and the rest at base: what `self(trial)` gives for them."""
        rs, journal = self.rs, self.journal
        trial = dict(self.base)
        trial.update(zip(keys, values, strict=True))
        base = journal.base
        changed = frozenset(k for k, v in zip(keys, values, strict=True) if base[k] is not v)
        if journal.worth_fast_path(changed) and try_fast_path(rs, trial):
            o = evaluate_with_facts(
                rs, self.case, self.asset, trial, False, True, exact=False, lean=True
            )
            every = [*o.criteria, *o.gates]
            return tuple(every[s] for s in sinks)
        run = journal.run(trial, changed, self._steps_of(sinks))
        n = len(rs.criteria)
        out = []
        for s in sinks:
            if s < n:
                c = rs.criteria[s]
                state = run.crit_state[c.id]
                failed = failed_rule(rs, c, run.errors)
                out.append(self._memo((s, state, failed), lean_criterion, rs, c, state, failed))
            else:
                g = rs.gates[s - n]
                v = run.F[g.key]
                out.append(self._memo((s, v), lean_gate, g, v))
        return tuple(out)

    def _steps_of(self, sinks: tuple[int, ...]) -> frozenset[int]:
        """The step indexes of sinks (criterion i, then gate len(criteria) + j)."""
        hit = self._sink_steps.get(sinks)
        if hit is None:
            rs = self.rs
            index = {node.key: i for i, node in enumerate(rs.steps)}
            nodes = [*rs.criteria, *rs.gates]
            hit = self._sink_steps[sinks] = frozenset(index[nodes[s].key] for s in sinks)
        return hit

    def _memo(self, key: tuple[Any, ...], make: Any, *args: Any) -> Any:
        try:
            hit = self._sinks.get(key)
        except TypeError:  # an unhashable table output: make it, do not keep
            return make(*args)
        if hit is None:
            hit = make(*args)
            if len(self._sinks) < MAX_SUMMARIES:
                self._sinks[key] = hit
        return hit


def case_facts(rs: CompiledRuleSet, facts: dict[str, Any]) -> dict[str, Any]:
    """The parameters and case fields of a fact table, without any rule's result."""
    base = dict(rs.base_facts)
    for key in rs.fields:
        base[key] = facts[key]
    return base


def score_asset(rs: CompiledRuleSet, case: Case, asset: Asset) -> tuple[str, float]:
    """(decision, score) only: the fast path, for ranking many cases and for benchmarks."""
    facts = extract_facts(rs, case, asset)
    if try_fast_path(rs, facts):
        return facts["#decision"], facts["#score"]
    outcome = evaluate_with_facts(rs, case, asset, facts, False, False)
    return outcome.decision, outcome.score


MAX_COMPANY_COMBINATIONS = 4096


def company_decisions(
    per_asset: list[frozenset[str]], worst: bool, *, any_subset: bool
) -> frozenset[str]:
    """The decisions the company can reach from its deciding assets' reachable decisions.

    Every combination of one reachable decision per asset, aggregated by the best (or worst)
    (`any_subset`: the deciding assets are candidates, any one of which may be the core asset;
    then the reachable set is simply the union). Assets are combined as independent: facts
    they share (the company's) make this a sound superset, exact otherwise."""
    if any_subset or len(per_asset) == 1:
        return frozenset().union(*per_asset)
    if math.prod(len(d) for d in per_asset) > MAX_COMPANY_COMBINATIONS:
        return frozenset().union(*per_asset)
    pick = min if worst else max
    return frozenset(
        pick(combo, key=DECISION_RANK.__getitem__) for combo in itertools.product(*per_asset)
    )


def evaluate_case(rs: CompiledRuleSet, case: Case, *, trace: bool = True) -> CaseOutcome:
    """Evaluate every asset, then derive the company's decision from its core asset(s).

    Product-centric (T1): the company decision follows its core asset(s); non-core assets are
    BD options and never change it. With no asset marked core: a company with one asset is
    judged on it; else the assets whose role is not stated are the candidates (one candidate is
    the core asset); when several candidates could give different decisions, or every asset is
    marked non-core, the decision is `insufficient_information` until the case says which asset
    is core (the first question)."""
    assets = [evaluate_asset(rs, case, a, trace=trace) for a in case.assets]
    notes: list[str] = []
    indexes, ask_core, note = core_candidates([o.asset.role for o in assets])
    core = [assets[i] for i in indexes]
    if note:
        notes.append(note)
    worst = rs.decision.company is CompanyAggregation.worst
    roles = [o.asset.role for o in assets]
    all_non_core = ask_core and all(r is Role.non_core for r in roles)
    lead = assets[
        pick_lead(
            indexes,
            lambda i: (DECISION_RANK[assets[i].decision], assets[i].score),
            worst=worst,
            roles=roles,
        )
    ]
    is_core = {id(o) for o in core}  # identity: `in core` compares whole models (quadratic)
    ordered = [lead] + [o for o in core if o is not lead]
    ordered += [o for o in assets if id(o) not in is_core]
    unknowns = [(o.asset.id, u) for o in ordered for u in o.unknowns]
    # Several assets decide: the company reaches what the best (worst) of their reachable
    # decisions can be. Candidates of unstated role: any of them alone may be the core asset.
    decisions = company_decisions([o.decisions for o in core], worst, any_subset=ask_core)
    score_range = (min(o.score_range[0] for o in core), max(o.score_range[1] for o in core))
    decided_by = [(o.asset.id, f) for o in core for f in o.decided_by]
    if ask_core:
        if all_non_core:
            decisions = lead.decisions
        unknowns.insert(
            0,
            (
                "",
                Unknown(
                    "asset.role",
                    "Which asset is the company's core asset?",
                    ["company.core_asset"],
                    settles=True,
                ),
            ),
        )
        decided_by = [("", "asset.role")]
    decision = INSUFFICIENT if all_non_core else settle(decisions)
    provisional_call = lead.provisional
    if decision == INSUFFICIENT and provisional_call is None:
        provisional_call = Provisional(
            lead.decision if lead.decision != INSUFFICIENT else DECLINE,
            lead.score,
            [f"judged on {lead.asset.id}, the strongest candidate for core asset"],
        )
    if decision != INSUFFICIENT:
        provisional_call, decided_by = None, []
    return CaseOutcome(
        case,
        decision,
        lead.score,
        score_range,
        lead,
        core,
        assets,
        unknowns,
        notes,
        decisions=decisions,
        approximate=any(o.approximate for o in core),
        provisional=provisional_call,
        decided_by=decided_by,
    )
