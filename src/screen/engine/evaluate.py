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
from typing import Any

from screen.engine.compiler import (
    CompiledRuleSet,
    CriterionNode,
    DerivedNode,
    GateNode,
    Node,
    TableNode,
)
from screen.engine.fastpath import Fallback, fast_path
from screen.engine.outcome import (
    DECISION_RANK,
    AssetOutcome,
    CaseOutcome,
    CriterionOutcome,
    GateOutcome,
    TraceEntry,
    Unknown,
    decide,
)
from screen.engine.tables import domain_values
from screen.lang.expressions import EvalError, Expression
from screen.lang.unknown import UNKNOWN, UnknownValue
from screen.model.case import Asset, Case
from screen.model.ruleset import CompanyAggregation, UnknownPolicy
from screen.model.vocab import Role

FAST_PATH_GIVES_WAY = (Fallback, UnknownValue, ArithmeticError, TypeError, ValueError, EvalError)


class _AssetRun:
    """Evaluation state for one asset; kept out of the public API."""

    def __init__(self, rs: CompiledRuleSet, asset: Asset, facts: dict[str, Any], trace: bool):
        self.rs = rs
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

    def run_expr(self, expr: Expression, rule: str) -> Any:
        try:
            return expr.evaluate(self.F)
        except EvalError as exc:
            self.errors[rule] = str(exc)
            return UNKNOWN

    def note_unknown(self, key: str, rule: str, reads: tuple[str, ...]) -> None:
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
        value = self.run_expr(node.expr, node.key)
        self.F[node.key] = value
        if value is UNKNOWN:
            self.note_unknown(node.key, node.key, node.blame)
        self.record(node.key, "derived", node.reads, value, note=self.errors.get(node.key))

    def first_hit(
        self, candidates: list[tuple[str, Any, Any, str, tuple[str, ...], tuple[str, ...]]]
    ) -> tuple[Any, tuple[Any, ...], str | None, bool]:
        """Kleene first-hit over (id, outcome-thunk, output, rationale, reads, blame).

        Returns (output or UNKNOWN, outputs still possible, id that fired, whether a row
        certainly matched). An unknown row before the first true one leaves the result
        unknown: that row might have matched first."""
        possible: list[Any] = []
        for rule_id, thunk, output, rationale, reads, blame in candidates:
            outcome = thunk()
            self.record(rule_id, "row", reads, outcome, rationale, note=self.errors.get(rule_id))
            if outcome is UNKNOWN:
                possible.append(output)
                self.note_unknown(rule_id, rule_id, blame)
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
                (row.id, row_thunk(row.cells), row.output, row.rationale, reads, node.blame)
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
            self.note_unknown(node.key, node.key, node.blame)
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
            self.note_unknown(node.key, node.key, node.blame)
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
            self.note_unknown(node.key, node.key, node.blame)

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


def _weighted(parts: list[tuple[float, float, float]], scale: float) -> float:
    """Weighted mean of (score, max, weight) triples, on the rule set's scale.

    Written exactly as the generated fast path computes it, so both give the same bits."""
    total_w = math.fsum(w for _, _, w in parts)
    if total_w == 0:
        return 0.0
    return math.fsum([s * (w / m) for s, m, w in parts]) / total_w * scale


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
) -> AssetOutcome:
    """Evaluate from an extracted fact table; `fast_done` when `try_fast_path` succeeded on it."""
    run = _AssetRun(rs, asset, facts, trace)
    if fast_done:
        run.replay()
    else:
        for node in rs.steps:
            run.step(node)
    crit_state = run.crit_state

    criteria: list[CriterionOutcome] = []
    policy_parts: list[tuple[float, float]] = []
    low_parts: list[tuple[float, float]] = []
    high_parts: list[tuple[float, float]] = []
    for c in rs.criteria:
        output, possible, fired, matched = crit_state[c.id]
        reachable = [float(p) for p in possible if isinstance(p, int | float)]
        if not matched or not reachable:
            reachable.append(0.0)  # no band might match at all
        if output is not UNKNOWN:
            status, score, policy = "scored", float(output), float(output)
            lo = hi = float(output)
            because = f"{fired}: score {output:g}" if fired else "no band matched: score 0"
        else:
            status = "error" if c.key in run.errors else "unknown"
            score = None
            lo, hi = min(reachable), max(reachable)
            policy = {
                UnknownPolicy.lowest: lo,
                UnknownPolicy.zero: 0.0,
                UnknownPolicy.exclude: None,
            }[c.policy]
            missing = sorted(m.removeprefix("rule:") for m in run.missing.get(c.key, ()))
            because = "unknown: needs " + ", ".join(missing) if missing else "unknown"
            if c.key in run.errors:
                because = f"error: {run.errors[c.key]}"
        scores = reachable
        contribution = 0.0
        if policy is not None:
            policy_parts.append((policy, c.max, c.weight))
            contribution = policy / c.max * c.weight / rs.total_weight * rs.scale
        low_parts.append((lo, c.max, c.weight))
        high_parts.append((hi, c.max, c.weight))
        criteria.append(
            CriterionOutcome(
                c.id,
                c.name,
                score,
                policy,
                tuple(scores),
                c.max,
                c.weight,
                status,
                fired,
                because,
                contribution,
            )
        )
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
    for g in rs.gates:
        v = run.F[g.key]
        outcome = "unknown" if v is UNKNOWN else ("pass" if v else "fail")
        if outcome == "unknown":
            missing = sorted(m.removeprefix("rule:") for m in run.missing.get(g.key, ()))
            because = "unknown: needs " + ", ".join(missing) if missing else "unknown"
        else:
            because = f"{g.require.source if g.require else ''} is {str(bool(v)).lower()}"
        gates.append(GateOutcome(g.id, g.name, outcome, because))

    score = _weighted(policy_parts, rs.scale)
    if low_parts == policy_parts == high_parts:  # everything scored: no range to compute
        lo = hi = score
    else:
        lo, hi = _weighted(low_parts, rs.scale), _weighted(high_parts, rs.scale)
        lo, hi = min(lo, score), max(hi, score)
    decision = decide(
        lo,
        hi,
        gate_failed=any(g.outcome == "fail" for g in gates),
        gate_unknown=any(g.outcome == "unknown" for g in gates),
        advance=rs.decision.advance,
        watch=rs.decision.watch,
    )

    unknowns = _unknowns(rs, run, asset)
    return AssetOutcome(
        asset,
        case.company,
        decision,
        score,
        (lo, hi),
        criteria,
        gates,
        unknowns,
        run.trace,
        run.fired,
        run.F,
    )


def _unknowns(rs: CompiledRuleSet, run: _AssetRun, asset: Asset) -> list[Unknown]:
    gate_questions = {g.key: g.question for g in rs.gates if g.question}
    derived_questions = {
        n.key: n.question for n in rs.steps if isinstance(n, DerivedNode) and n.question
    }
    crit_questions = {c.key: c.question for c in rs.criteria if c.question}
    rule_questions = {**derived_questions, **crit_questions, **gate_questions}
    out = []
    for fact in sorted(run.needed_by):
        rules = sorted(set(run.needed_by[fact]))
        if fact.startswith("rule:"):
            rule = fact.removeprefix("rule:")
            out.append(
                Unknown(
                    rule,
                    f"Rule '{rule}' could not be evaluated "
                    f"({run.errors.get(rule, 'error')}); check the data it reads.",
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


def score_asset(rs: CompiledRuleSet, case: Case, asset: Asset) -> tuple[str, float]:
    """(decision, score) only: the fast path, for ranking many cases and for benchmarks."""
    facts = extract_facts(rs, case, asset)
    if try_fast_path(rs, facts):
        return facts["#decision"], facts["#score"]
    outcome = evaluate_with_facts(rs, case, asset, facts, False, False)
    return outcome.decision, outcome.score


def evaluate_case(rs: CompiledRuleSet, case: Case, *, trace: bool = True) -> CaseOutcome:
    """Evaluate every asset, then derive the company's decision from its core asset(s)."""
    assets = [evaluate_asset(rs, case, a, trace=trace) for a in case.assets]
    notes: list[str] = []
    core = [o for o in assets if o.asset.role is Role.core]
    if not core:
        unknown_role = [o for o in assets if o.asset.role is None]
        core = unknown_role or assets
        notes.append(
            "no asset is marked core; the company is judged on "
            + ", ".join(o.asset.id for o in core)
        )
    if rs.decision.company is CompanyAggregation.worst:
        lead = min(core, key=lambda o: (DECISION_RANK[o.decision], o.score))
    else:
        lead = max(core, key=lambda o: (DECISION_RANK[o.decision], o.score))
    ordered = [lead] + [o for o in core if o is not lead] + [o for o in assets if o not in core]
    unknowns = [(o.asset.id, u) for o in ordered for u in o.unknowns]
    if not any(o.asset.role is Role.core for o in assets) and any(
        o.asset.role is None for o in assets
    ):
        unknowns.insert(
            0,
            (
                "",
                Unknown(
                    "asset.role", "Which asset is the company's core asset?", ["company.core_asset"]
                ),
            ),
        )
    return CaseOutcome(
        case, lead.decision, lead.score, lead.score_range, lead, core, assets, unknowns, notes
    )
