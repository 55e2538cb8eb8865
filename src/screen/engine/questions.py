"""Diligence questions: what to ask about each unknown fact, and which answers matter most.

Every unknown outcome names the case facts behind it; each becomes a question (the rule set's
own wording from `questions:`, a rule's `question:`, or a default). `rank_questions` then
measures each question by what its answers can change with the other unknowns held at their
priors: the decisions they can reach (`could_reach`) and the largest score change (`swing`);
`decided_by` is the smallest set of questions whose answers settle the decision. A question
whose answers move nothing is kept, last, "for completeness".
"""

from __future__ import annotations

from screen.engine.compiler import CompiledRuleSet, DerivedNode
from screen.engine.outcome import Unknown
from screen.model.case import Asset


def unknown_questions(
    rs: CompiledRuleSet,
    needed_by: dict[str, list[str]],
    errors: dict[str, str],
    asset: Asset,
) -> list[Unknown]:
    """One diligence question per unknown fact (or failed rule) behind an unknown outcome.

    Ordered by what the fact can affect (gates first, then criterion weight) until the
    question ranking (`rank_questions`) reorders them by what their answers can change."""
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
        question = _question_for(rs.questions, fact)
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


def _question_for(questions: dict[str, str], fact: str) -> str | None:
    """The author's question for a fact, or for the nearest enclosing group of fields."""
    parts = fact.split(".")
    for end in range(len(parts), 1, -1):
        q = questions.get(".".join(parts[:end]))
        if q is not None:
            return q
    return None


def _default_question(rs: CompiledRuleSet, fact: str, asset: Asset) -> str:
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
