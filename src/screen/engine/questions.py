"""Diligence questions: what to ask about each unknown fact, and which answers matter most.

Every unknown outcome names the case facts behind it; each becomes a question (the rule set's
own wording from `questions:`, a rule's `question:`, or a default). `rank_questions` then
measures each question by what its answers can change with the other unknowns held at their
priors: the decisions they can reach (`could_reach`) and the largest score change (`swing`);
`decided_by` is the smallest set of questions whose answers settle the decision. A question
whose answers move nothing is kept, last, "for completeness".
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

from screen.engine.fallbacks import preferred_over
from screen.engine.joint import GROUP as JOINT_FACTS
from screen.engine.joint import stage_group
from screen.engine.outcome import (
    DECISIONS,
    DECLINE,
    AssetOutcome,
    Provisional,
    Unknown,
    threshold_decision,
)
from screen.engine.plan import CompiledRuleSet, DerivedNode
from screen.engine.reach import Evaluate, enumerable, finite_domain, refine_with
from screen.engine.scoring import summarize
from screen.engine.stepmemo import sinks_of
from screen.model.case import ASKED_TOGETHER, Asset


def unknown_questions(
    rs: CompiledRuleSet,
    needed_by: dict[str, list[str]],
    errors: dict[str, str],
    asset: Asset,
) -> list[Unknown]:
    """One diligence question per unknown fact (or failed rule) behind an unknown outcome.

    Ordered by what the fact can affect (gates first, then criterion weight) until the
    question ranking (`rank_questions`) reorders them by what their answers can change."""
    if not needed_by:
        return []
    gate_questions = {g.key: g.question for g in rs.gates if g.question}
    derived_questions = {
        n.key: n.question for n in rs.steps if isinstance(n, DerivedNode) and n.question
    }
    crit_questions = {c.key: c.question for c in rs.criteria if c.question}
    rule_questions = {**derived_questions, **crit_questions, **gate_questions}
    out = []
    for fact in sorted(needed_by):
        rules = sorted(set(needed_by[fact]))
        if fact.startswith("rule:"):
            rule = fact.removeprefix("rule:")
            out.append(
                Unknown(
                    rule,
                    f"Rule '{rule}' could not be evaluated "
                    f"({errors.get(rule, 'error')}); check the data it reads.",
                    rules,
                )
            )
            continue
        question = question_for(rs.questions, fact) or _shared_question(rs.questions, fact)
        if question is None:
            question = next((rule_questions[r] for r in rules if r in rule_questions), None)
        if question is None:
            question = _default_question(rs, fact, asset)
        out.append(Unknown(fact, question.replace("{asset}", asset.name), rules))
    if not out:
        return out
    weight = _importance(rs)
    out.sort(key=lambda u: (-max((weight.get(r, 0.0) for r in u.rules), default=0.0), u.fact))
    return out


def question_for(questions: dict[str, str], fact: str) -> str | None:
    """The author's question for a fact, or for the nearest enclosing group of fields."""
    parts = fact.split(".")
    for end in range(len(parts), 1, -1):
        q = questions.get(".".join(parts[:end]))
        if q is not None:
            return q
    return None


def _shared_question(questions: dict[str, str], fact: str) -> str | None:
    """The author's question for a fact filled in by the same answer (`ASKED_TOGETHER`: the
    best readout's figures), so the memo and explain ask it once, in the author's words."""
    group = next((g for g in ASKED_TOGETHER if fact in g), ())
    return next((questions[f] for f in group if f in questions), None)


_REGION_NAMES = {
    "china": "China",
    "us": "the US",
    "eu": "the EU",
    "japan": "Japan",
    "rest_of_world": "the rest of the world",
}


def _derived_question(fact: str, subject: str) -> str | None:
    """Questions for facts derived when a case loads: ask for what they are derived from."""
    name = fact.removeprefix("asset.")
    if name == "stage_ex_china":
        return (
            f"{subject}: where does development stand outside China (US, EU, Japan, rest of "
            "world)? (case field development, one stage per region; 'none' where there is none)"
        )
    if name.startswith("stage_") and name[6:] in _REGION_NAMES:
        region = name[6:]
        return (
            f"{subject}: what is the development stage in {_REGION_NAMES[region]}? "
            f"(case field development.{region}.stage; 'none' if not in development there)"
        )
    if name.startswith("efficacy_"):
        return (
            f"{subject}: how does its efficacy compare with the standard of care: endpoint, the "
            "arm's result and the comparator's on the same endpoint? (case fields "
            "trials[].readouts[].value and .comparator.value)"
        )
    return None


def _default_question(rs: CompiledRuleSet, fact: str, asset: Asset) -> str:
    derived = _derived_question(fact, asset.name)
    if derived is not None:
        return derived
    fp = rs.fields.get(fact)
    what = fp.description if fp and fp.description else fact.split(".", 1)[-1].replace("_", " ")
    subject = asset.name if fact.startswith("asset.") else "Company"
    if fp is not None and fp.type.kind == "bool":
        return f"{subject}: establish {what}."
    return f"{subject}: provide {what}, with its source (case field {fact})."


def _importance(rs: CompiledRuleSet) -> dict[str, float]:
    """Rule id -> how much an unknown behind it matters: gates first, then by criterion weight."""
    cached = rs.__dict__.get("_importance")
    if cached is not None:
        return cached
    weights: dict[str, float] = {}
    for c in rs.criteria:
        weights[c.key] = c.weight
        for band in c.bands or []:
            weights[band.id] = c.weight
        if c.table and c.table in rs.tables:
            for row in rs.tables[c.table].rows:
                weights[row.id] = c.weight
            weights[f"table.{c.table}"] = c.weight
    for g in rs.gates:
        weights[g.key] = 10.0
    rs.__dict__["_importance"] = weights
    return weights


# --------------------------------------------------------------------------- ranking

MAX_SETTLE_EVALUATIONS = 2000  # evaluations spent looking for the smallest settling set
MAX_SETTLE_SIZE = 3
MAX_SETTLE_REFINES = 6  # exact checks of a single question's answers, per asset


def provisional_decision(o: AssetOutcome) -> str:
    """The call on an outcome whose remaining unknowns count by policy and whose unknown gates
    are assumed to pass: a failed gate declines, else the score's threshold decides."""
    if any(g.outcome == "fail" for g in o.gates):
        return DECLINE
    return threshold_decision(o.score, *o.thresholds)


def open_facts(o: AssetOutcome) -> list[str]:
    """The case facts an outcome's unknowns name (failed rules are not questions of fact)."""
    return [u.fact for u in o.unknowns if "." in u.fact and not u.fact.startswith("rule:")]


def with_priors(
    rs: CompiledRuleSet,
    base: dict[str, Any],
    facts: list[str],
    skip: str | None = None,
    asset: Asset | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """`base` with every fact of `facts` that has a prior set to its expected value.

    A regional stage's prior is held to what the case allows: a US stage above the asset's
    most advanced stage is impossible, so the nearest consistent stage below it is assumed."""
    assumed = dict(base)
    basis = []
    # measuring `skip`: a figure a rule reads before it is left unstated (fallbacks.py)
    held_back = preferred_over(rs).get(skip, frozenset()) if skip is not None else frozenset()
    for fact in facts:
        prior = rs.priors.get(fact)
        if prior is not None and fact != skip and fact not in held_back:
            expected = prior.expected
            held = asset is not None and fact in JOINT_FACTS  # a regional stage
            answers = _answers(rs, fact, base, asset) if held else None
            if answers and expected not in answers:
                below = [a for a in answers if a <= expected]
                expected = max(below) if below else min(answers)
            assumed[fact] = expected
            basis.append(prior.describe())
    return assumed, basis


def provisional(
    rs: CompiledRuleSet,
    o: AssetOutcome,
    base: dict[str, Any],
    evaluate: Evaluate,
    asset: Asset | None = None,
) -> Provisional:
    """The decision if each unknown fact took its expected value (see priors.py).

    Facts without a prior stay unknown and their criteria count by the rule set's unknown
    policy (the lowest reachable score by default); an unknown gate is assumed to pass. The
    basis lists every assumption, so a reader sees what the call rests on."""
    facts = open_facts(o)
    assumed, basis = with_priors(rs, base, facts, asset=asset)
    p = evaluate(assumed)
    for fact in facts:
        if fact not in rs.priors:
            basis.append(f"{fact}: no prior; its criteria count at their lowest reachable score")
    basis += [f"gate {g.id} assumed to pass" for g in p.gates if g.outcome == "unknown"]
    return Provisional(provisional_decision(p), p.score, basis)


def rank_questions(
    rs: CompiledRuleSet,
    o: AssetOutcome,
    base: dict[str, Any],
    evaluate: Evaluate,
    asset: Asset | None = None,
) -> list[str]:
    """Fill each unknown's `could_reach` and `swing`, reorder them, return `decided_by`.

    A question's answers are tried with the other unknowns at their priors (the figures a rule
    reads before it left unstated, see fallbacks.py): every value of a
    finite-domain fact; a number stays unknown within its bounds (its swing is the width of the
    score range it leaves). Order: the questions that settle the decision, then by swing and
    by how many decisions they can reach; a question whose answers move nothing comes last."""
    facts = open_facts(o)
    by_fact = {u.fact: u for u in o.unknowns}
    for fact in facts:
        assumed, _ = with_priors(rs, base, facts, skip=fact, asset=asset)
        answers = _answers(rs, fact, base, asset)
        if answers:
            outs = [evaluate({**assumed, fact: v}) for v in answers]
            scores = [x.score for x in outs]
            reach = {provisional_decision(x) for x in outs}
            swing = max(scores) - min(scores)
        else:
            reach, swing = _number_reach(rs, evaluate(assumed), fact)
        u = by_fact[fact]
        u.could_reach = tuple(d for d in DECISIONS if d in reach)
        u.swing = swing
    decided_by = _settling_set(rs, o, base, facts, evaluate, asset) if len(o.decisions) > 1 else []
    # a question settles it when it belongs to a few that do; when only all the open questions
    # together are known to settle it (no set of MAX_SETTLE_SIZE found), none is flagged:
    # "settles it" on each of nine lines would say that any one of them does
    flagged = decided_by if len(decided_by) <= MAX_SETTLE_SIZE else []
    for fact in flagged:
        by_fact[fact].settles = True
    position = {id(u): i for i, u in enumerate(o.unknowns)}
    first, still_open = preferred_over(rs), set(facts)
    # Within the settling set, the rule set's own importance (gates first); after it, swing.
    o.unknowns.sort(
        key=lambda u: (
            not u.settles,
            u.for_completeness,
            0.0 if u.settles else -round(u.swing, 9),
            0 if u.settles else -len(u.could_reach),
            bool(first.get(u.fact, frozenset()) & still_open),  # the stated figure first
            position[id(u)],
        )
    )
    settling = set(decided_by)
    return [u.fact for u in o.unknowns if u.fact in settling]  # in the questions' order


def _number_reach(rs: CompiledRuleSet, x: AssetOutcome, fact: str) -> tuple[set[str], float]:
    """(decisions, swing) an unknown number can reach on its own, from `x` (the others at
    their priors): only the criteria and gates downstream of `fact` keep their span; every
    other unknown criterion counts at its policy score and every other unknown gate passes, as
    the provisional call has them. A number left without a prior elsewhere must not lend its
    span to this one (cash and burn both open: the burn's swing is the runway criterion's)."""
    reached = sinks_of(rs).get(fact, frozenset())
    n = len(rs.criteria)
    criteria = [
        c
        if i in reached or c.score is not None or c.policy_score is None
        else dataclasses.replace(c, score=c.policy_score, possible=(c.policy_score,))
        for i, c in enumerate(x.criteria)
    ]
    gates = [
        g if n + j in reached or g.outcome != "unknown" else dataclasses.replace(g, outcome="pass")
        for j, g in enumerate(x.gates)
    ]
    _, lo, hi, decisions = summarize(rs, criteria, gates)
    if len(decisions) > 1:
        return set(decisions), hi - lo
    return {provisional_decision(x)}, hi - lo


def _answers(
    rs: CompiledRuleSet, fact: str, base: dict[str, Any], asset: Asset | None
) -> list[Any] | None:
    """The answers a finite-domain fact can have for this asset: a regional stage only those
    consistent with what the case states (its most advanced stage, approvals)."""
    if asset is not None:
        group = stage_group([fact], base, asset)
        if group is not None:
            return [values[0] for values in group[1]]
    return finite_domain(rs, fact)


def _settling_set(
    rs: CompiledRuleSet,
    o: AssetOutcome,
    base: dict[str, Any],
    facts: list[str],
    evaluate: Evaluate,
    asset: Asset | None = None,
) -> list[str]:
    """The smallest set of open facts whose every combination of answers leaves one decision
    (each answer its own: answering them decides the call, whichever way it goes).

    Searched by size (1, 2, 3), most promising facts first, over finite-domain facts, every
    answer tried with the other open facts left unknown (numbers within their bounds), so a set
    found settles the decision whatever the rest turn out to be. A number is not tried as a
    member: a few probe values cannot show that every value of it settles (its thresholds may
    move with other facts). Within MAX_SETTLE_EVALUATIONS evaluations; when no smaller set is
    found, answering every open question is what settles it. A set holding a figure some
    rule reads only when an open, preferred one stays unstated (`fallbacks.py`: burn after
    the stated runway) must hold that one too: its answer would take over.

    When the asset's exact search of its open facts was made (`reach.refine` within budget),
    an answer, or a combination of answers, is read from that search restricted to it
    (`FactoredEvaluator.decisions_given`): exact, and no evaluation. Otherwise it is tried by
    one pass first; a pass that leaves several decisions may only over-approximate (an open
    fact read by several criteria counts as independent in each), so for single questions,
    the ones worth most, the rest are enumerated exactly (`reach.refine_with`), up to
    MAX_SETTLE_REFINES times per asset. A set the single pass finds always settles: its
    decisions include the exact ones."""
    probes: dict[str, list[Any]] = {}
    for fact in facts:
        values = _answers(rs, fact, base, asset)
        if values:
            probes[fact] = values
    order = sorted(probes, key=lambda f: (-_swing(o, f), f))
    first = preferred_over(rs)
    still_open = set(facts)
    spent = refines = 0
    given = getattr(evaluate, "decisions_given", None)  # factored.FactoredEvaluator
    search = getattr(evaluate, "kept_search", None)
    kept = search(enumerable(rs, facts, base, asset)) if search is not None else None
    for size in range(1, min(MAX_SETTLE_SIZE, len(order)) + 1):
        for subset in itertools.combinations(order, size):
            if any(still_open & first.get(f, frozenset()) - set(subset) for f in subset):
                continue  # a figure read only when an open, preferred one stays unstated
            combos = math.prod(len(probes[f]) for f in subset)
            if spent + combos > MAX_SETTLE_EVALUATIONS:
                return facts
            spent += combos
            settles = True
            for values in itertools.product(*(probes[f] for f in subset)):
                answered = dict(zip(subset, values, strict=True))
                got = given(kept, answered) if kept is not None else None
                if got is not None:  # the kept exact search, restricted to these answers
                    if len(got) > 1:
                        settles = False
                        break
                    continue
                got = evaluate({**base, **answered}).decisions
                if len(got) > 1 and size == 1 and refines < MAX_SETTLE_REFINES:
                    # a single pass over-approximates: an open fact read by several criteria
                    # counts as independent in each; enumerate the rest to know
                    refines += 1
                    exact, approximate = refine_with(rs, base, answered, facts, evaluate, asset)
                    if exact is not None and not approximate:
                        got = exact.decisions
                if len(got) > 1:  # this answer leaves the decision open
                    settles = False
                    break
            if settles:
                return list(subset)
    return facts


def _swing(o: AssetOutcome, fact: str) -> float:
    return next((u.swing for u in o.unknowns if u.fact == fact), 0.0)
