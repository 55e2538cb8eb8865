"""Outcomes from a finished run: criteria, gates, score, range and decision of one asset.

`assemble` turns an `AssetRun` (and the exact-reachability refinement, when there is one) into
the `AssetOutcome` a result reports, with its worded reasons and diligence questions; the lean
forms (`assemble_lean`, `lean_criterion`, `lean_gate`) are what the enumerations read of their
many trials, memoised per asset. Split from evaluate.py (which decides what to run) as its own
job; the numbers come from `scoring.summarize`, shared with the factored enumerations.
"""

from __future__ import annotations

import math
from typing import Any

from screen.engine.fallbacks import reopened_by
from screen.engine.outcome import AssetOutcome, CriterionOutcome, GateOutcome, settle
from screen.engine.plan import CompiledRuleSet
from screen.engine.questions import unknown_questions
from screen.engine.reach import Refinement
from screen.engine.run import AssetRun
from screen.engine.scoring import summarize
from screen.lang.unknown import UNKNOWN
from screen.model.case import Asset, Case
from screen.model.ruleset import UnknownPolicy


def lean_criterion(
    rs: CompiledRuleSet, c: Any, state: tuple[Any, ...], failed: str | None
) -> CriterionOutcome:
    """One criterion's lean outcome from its run state, as `assemble(lean=True)` makes it
    without a refinement (its contribution before any renormalisation of weights)."""
    output, possible, fired, matched = state
    reachable = [float(p) for p in possible if isinstance(p, int | float)]
    if not matched or not reachable:
        reachable.append(0.0)  # no band might match at all
    if output is not UNKNOWN:
        status, score, policy = "scored", float(output), float(output)
    else:
        status = "error" if failed else "unknown"
        score = None
        policy = {
            UnknownPolicy.lowest: min(reachable),
            UnknownPolicy.zero: 0.0,
            UnknownPolicy.exclude: None,
        }[c.policy]
    contribution = 0.0
    if policy is not None:
        contribution = policy / c.max * c.weight / rs.total_weight * rs.scale
    return CriterionOutcome(
        c.id,
        c.name,
        score,
        policy,
        tuple(reachable),
        c.max,
        c.weight,
        status,
        fired,
        "",
        contribution,
    )


def lean_gate(g: Any, v: Any) -> GateOutcome:
    return GateOutcome(g.id, g.name, "unknown" if v is UNKNOWN else ("pass" if v else "fail"), "")


MAX_SUMMARIES = 4096  # lean outcomes kept per asset, by criterion states and gate values


def assemble_lean(
    rs: CompiledRuleSet,
    case: Case,
    asset: Asset,
    run: AssetRun,
    summaries: dict[tuple[Any, ...], AssetOutcome],
) -> AssetOutcome:
    """`assemble(..., lean=True)`, memoised per asset: a lean outcome is a function of the
    criteria states, the gate values and which rules failed, which the enumerations' trials
    repeat far more often than they differ. The run's own values, rows fired and errors are
    put on the outcome each time."""
    try:
        key = (
            tuple(run.crit_state[c.id] for c in rs.criteria),
            tuple(run.F[g.key] for g in rs.gates),
            tuple(run.errors),
        )
        hit = summaries.get(key)
    except TypeError:  # an unhashable table output: assemble, do not keep
        key, hit = None, None
    if hit is None:
        outcome = assemble(rs, case, asset, run, None, lean=True)
        if key is not None and len(summaries) < MAX_SUMMARIES:
            summaries[key] = outcome
        return outcome
    return AssetOutcome(
        asset,
        case.company,
        hit.decision,
        hit.score,
        hit.score_range,
        hit.criteria,
        hit.gates,
        [],
        [],
        run.fired,
        run.F,
        decisions=hit.decisions,
        errors=dict(run.errors),
        thresholds=hit.thresholds,
    )


def failed_rule(rs: CompiledRuleSet, c: Any, errors: dict[str, str]) -> str | None:
    """The criterion's own rule, band or table row that failed at run time, if any."""
    if not errors:
        return None
    own = [c.key, *(b.id for b in c.bands or [])]
    if c.table and c.table in rs.tables:
        own += [f"table.{c.table}", *(row.id for row in rs.tables[c.table].rows)]
    return next((r for r in own if r in errors), None)


def assemble(
    rs: CompiledRuleSet,
    case: Case,
    asset: Asset,
    run: AssetRun,
    refined: Refinement | None,
    lean: bool = False,
    needed_by: dict[str, list[str]] | None = None,
) -> AssetOutcome:
    """Criteria, gates, score, range and decision from a finished run (and its refinement);
    `lean`: without the `because` texts and the unknowns (see `evaluate_with_facts`);
    `needed_by`: the run's `live_needed_by()` when the caller has it already."""
    criteria: list[CriterionOutcome] = []
    for i, c in enumerate(rs.criteria):
        state = run.crit_state[c.id]
        output, _, fired, _ = state
        failed = failed_rule(rs, c, run.errors)
        because = ""
        if output is UNKNOWN and refined is not None and not failed:
            reached = sorted(refined.criteria[i])  # what some answer really gives
            if len(reached) == 1:
                facts = ", ".join(sorted(m for m in run.missing.get(c.key, ()) if "." in m))
                because = f"score {reached[0]:g} whatever the answer to {facts or 'the open facts'}"
            state = (reached[0] if len(reached) == 1 else UNKNOWN, tuple(reached), fired, True)
        elif refined is not None and not failed and len(refined.criteria[i]) > 1:
            # read through a fallback while a figure it prefers is asked for another rule:
            # answering that question changes this one too (fallbacks.py)
            because = _reopened(rs, i, needed_by or run.live_needed_by())
            state = (UNKNOWN, tuple(sorted(refined.criteria[i])), None, True)
        outcome = lean_criterion(rs, c, state, failed)
        if not lean and not because:
            if outcome.score is not None:
                score_text = f"{outcome.score:g}"
                because = f"{fired}: score {score_text}" if fired else "no band matched: score 0"
            else:
                missing = sorted(m.removeprefix("rule:") for m in run.missing.get(c.key, ()))
                because = "unknown: needs " + ", ".join(missing) if missing else "unknown"
                if failed:
                    because = f"error in {failed}: {run.errors[failed]}"
        outcome.because = because
        criteria.append(outcome)
        score, contribution = outcome.score, outcome.contribution
        if run.keep_trace:  # (record is a no-op without trace; the rounding is not free)
            run.record(
                c.id,
                "criterion",
                c.reads,
                score if score is not None else UNKNOWN,
                c.rationale,
                note=run.errors.get(c.key),
                contribution=round(contribution, 6),
            )

    included = math.fsum(c.weight for c in criteria if c.policy_score is not None)
    if included and included != rs.total_weight:  # excluded criteria: weights renormalised
        for c in criteria:
            if c.policy_score is not None:
                c.contribution = c.policy_score / c.max * c.weight / included * rs.scale

    gates = []
    for j, g in enumerate(rs.gates):
        v = run.F[g.key]
        outcome = "unknown" if v is UNKNOWN else ("pass" if v else "fail")
        reopened = outcome != "unknown" and refined is not None and len(refined.gates[j]) > 1
        if reopened:
            outcome = "unknown"  # as a criterion read through a fallback, above
        if lean:
            because = ""
        elif reopened:
            because = _reopened(rs, len(rs.criteria) + j, needed_by or run.live_needed_by())
        elif outcome == "unknown":
            missing = sorted(m.removeprefix("rule:") for m in run.missing.get(g.key, ()))
            because = "unknown: needs " + ", ".join(missing) if missing else "unknown"
            if refined is not None and len(refined.gates[j]) == 1 and g.key not in run.errors:
                outcome = next(iter(refined.gates[j]))
                verb = "passes" if outcome == "pass" else "fails"
                because = f"{verb} whatever the answer to {', '.join(missing)}"
            if g.key in run.errors:
                because = f"error: {run.errors[g.key]}"
        else:
            because = f"{g.require.source if g.require else ''} is {str(bool(v)).lower()}"
        gates.append(GateOutcome(g.id, g.name, outcome, because))

    score, lo, hi, decisions = summarize(rs, criteria, gates)
    if refined is not None:
        # the range is what answers can give; the policy score (each unknown criterion at its
        # own lowest) may lie below it when no single answer makes every criterion lowest
        lo, hi = refined.low, refined.high
        decisions = refined.decisions
    return AssetOutcome(
        asset,
        case.company,
        settle(decisions),
        score,
        (lo, hi),
        criteria,
        gates,
        []
        if lean
        else unknown_questions(
            rs, run.live_needed_by() if needed_by is None else needed_by, run.errors, asset
        ),
        run.trace,
        run.fired,
        run.F,
        decisions=decisions,
        errors=dict(run.errors),
        thresholds=(rs.decision.advance, rs.decision.watch),
    )


def _reopened(rs: CompiledRuleSet, sink: int, needed_by: dict[str, list[str]]) -> str:
    """Why a criterion or gate known through a fallback is open: the figure it prefers is
    asked for another rule, and once answered it is what this one reads."""
    return f"unknown: reads {', '.join(reopened_by(rs, sink, needed_by))} first once answered"
