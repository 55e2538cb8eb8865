"""How much does the ranking depend on the weights? Perturb them, re-rank, count the flips.

Each case is evaluated once (`pipeline.score_case`): per asset we keep what every criterion
counts under its unknown policy, its lowest and highest reachable score, and the gate outcomes.
None of that depends on the weights or thresholds, so a sample only recomputes the weighted
totals, the decisions and the ranking, with the engine's own formulas (`engine.scoring.weighted`,
`engine.evaluate_asset`): the score over the criteria its policy includes, the range over all,
`insufficient_information` when the range straddles a threshold or a gate is unknown, a failed
gate declines, and the company follows its best (or worst) core asset. With zero spread every
sample reproduces the engine's decisions exactly, so there are no flips.

Sampling: each weight is multiplied by a factor drawn uniformly from [1 - spread, 1 + spread];
with `thresholds`, so are the advance and watch thresholds (watch is capped at advance). Draws
come from `random.Random(seed)` in a fixed order, so a seed gives the same report anywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from operator import mul
from typing import Any

from screen.engine.outcome import DECISION_RANK, INSUFFICIENT, decide, pick_lead
from screen.engine.plan import CompiledRuleSet
from screen.model.ruleset import CompanyAggregation
from screen.pipeline.rank import DIGITS, CaseScores
from screen.report.console import DECISION_ORDER

MAX_SPREAD = 0.95  # weights must stay positive
MAX_SAMPLES = 1_000_000


@dataclass(frozen=True)
class Scenario:
    """One draw: criterion weights and decision thresholds."""

    weights: tuple[float, ...]
    advance: float
    watch: float


@dataclass
class CompanySensitivity:
    """One company's robustness over all samples."""

    path: str
    case_id: str
    company: str
    decision: str  # with the rule set's own weights
    score: float
    rank: int
    margin: float | None  # score minus the nearest threshold (negative: below); None if gated
    threshold: str | None = None  # that threshold: "advance" or "watch" (None if gated)
    gated: bool = False  # declined by a failed gate, whatever the weights and thresholds
    gate_unknown: bool = False  # a gate of the lead asset is unknown (decision open or decline)
    flips: int = 0  # samples in which the decision differs from `decision`
    decisions: dict[str, int] | None = None
    rank_min: int = 0  # over the baseline and every sample
    rank_max: int = 0
    score_min: float = 0.0
    score_max: float = 0.0

    def flip_share(self, samples: int) -> float:
        return self.flips / samples if samples else 0.0


@dataclass
class SensitivityReport:
    spread: float
    samples: int
    seed: int
    thresholds: bool
    companies: list[CompanySensitivity]  # in baseline rank order


class _Asset:
    """An asset's weight-independent inputs, laid out for fast per-sample arithmetic."""

    __slots__ = ("complete", "gate_fail", "gate_unknown", "highs", "lows", "policy")

    def __init__(self, a: Any):
        self.policy = a.policy
        self.lows = a.lows
        self.highs = a.highs
        self.gate_fail = bool(a.failed_gates)
        self.gate_unknown = bool(a.unknown_gates)
        self.complete = all(p is not None for p in a.policy) and a.lows == a.highs == a.policy


def _weighted(
    values: Sequence[float | None], factors: Sequence[float], weights: Sequence[float], scale: float
) -> float:
    """`scoring.weighted` over the criteria whose value is not None, with per-sample weights."""
    parts = [(v, f, w) for v, f, w in zip(values, factors, weights, strict=True) if v is not None]
    total = math.fsum(w for _, _, w in parts)
    if total == 0:
        return 0.0
    return math.fsum([v * f for v, f, _ in parts]) / total * scale


def _evaluate_asset(
    a: _Asset, sc: Scenario, factors: Sequence[float], total: float, scale: float
) -> tuple[str, float]:
    if a.complete:
        score = math.fsum(list(map(mul, a.policy, factors))) / total * scale if total else 0.0
        lo = hi = score
    else:
        score = _weighted(a.policy, factors, sc.weights, scale)
        lo = min(_weighted(a.lows, factors, sc.weights, scale), score)
        hi = max(_weighted(a.highs, factors, sc.weights, scale), score)
    decision = decide(
        lo,
        hi,
        gate_failed=a.gate_fail,
        gate_unknown=a.gate_unknown,
        advance=sc.advance,
        watch=sc.watch,
    )
    return decision, score


def _rank_scenario(
    rs: CompiledRuleSet,
    cases: Sequence[CaseScores],
    assets: Sequence[Sequence[_Asset]],
    sc: Scenario,
) -> list[tuple[str, float]]:
    """(decision, score) per case under one scenario."""
    factors = [w / c.max for w, c in zip(sc.weights, rs.criteria, strict=True)]
    total = math.fsum(sc.weights)
    worst = rs.decision.company is CompanyAggregation.worst
    out = []
    for cs, case_assets in zip(cases, assets, strict=True):
        results = {
            i: _evaluate_asset(case_assets[i], sc, factors, total, rs.scale) for i in cs.core
        }
        roles = [a.role for a in cs.assets]
        lead = pick_lead(
            cs.core,
            lambda i: (DECISION_RANK[results[i][0]], results[i][1]),  # noqa: B023
            worst=worst,
            roles=roles,
        )
        out.append(results[lead])
    return out


def _ranking_score(cs: CaseScores, outcome: tuple[str, float]) -> float:
    """As `PipelineRow.sort_key`: an undecided case ranks by its lead's provisional score."""
    provisional = cs.assets[cs.lead].provisional
    if outcome[0] == INSUFFICIENT and provisional is not None:
        return provisional
    return outcome[1]


def _ranks(cases: Sequence[CaseScores], outcomes: Sequence[tuple[str, float]]) -> list[int]:
    """1-based rank of each case, by the pipeline's order (`PipelineRow.sort_key`)."""
    order = sorted(
        range(len(cases)),
        key=lambda i: (
            DECISION_ORDER[outcomes[i][0]],
            -round(_ranking_score(cases[i], outcomes[i]), DIGITS),
            cases[i].company,
            cases[i].path,
        ),
    )
    ranks = [0] * len(cases)
    for r, i in enumerate(order, 1):
        ranks[i] = r
    return ranks


def gate_declines(rs: CompiledRuleSet, cs: CaseScores) -> bool:
    """Whether failed gates decline the company under any weights and thresholds: every core
    asset fails a gate (company: best), or any does (company: worst)."""
    failed = [bool(cs.assets[i].failed_gates) for i in cs.core]
    if rs.decision.company is CompanyAggregation.worst:
        return any(failed)
    return all(failed)


def scenarios(
    rs: CompiledRuleSet, *, spread: float, samples: int, seed: int, thresholds: bool
) -> list[Scenario]:
    """The seeded draws, in a fixed order (weights, then thresholds, per sample)."""
    rng = random.Random(seed)
    out = []
    base = [c.weight for c in rs.criteria]
    for _ in range(samples):
        weights = tuple(w * (1.0 + spread * rng.uniform(-1.0, 1.0)) for w in base)
        advance, watch = rs.decision.advance, rs.decision.watch
        if thresholds:
            advance *= 1.0 + spread * rng.uniform(-1.0, 1.0)
            watch = min(watch * (1.0 + spread * rng.uniform(-1.0, 1.0)), advance)
        out.append(Scenario(weights, advance, watch))
    return out


def analyse(
    rs: CompiledRuleSet,
    cases: Sequence[CaseScores],
    *,
    spread: float = 0.2,
    samples: int = 1000,
    seed: int = 0,
    thresholds: bool = False,
) -> SensitivityReport:
    """Perturb weights (and thresholds) `samples` times; per company, flips and rank range."""
    if not 0.0 <= spread <= MAX_SPREAD:
        raise ValueError(f"spread must be between 0 and {MAX_SPREAD}")
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be between 1 and {MAX_SAMPLES}")
    assets = [[_Asset(a) for a in cs.assets] for cs in cases]
    base = Scenario(tuple(c.weight for c in rs.criteria), rs.decision.advance, rs.decision.watch)
    base_outcomes = _rank_scenario(rs, cases, assets, base)
    base_ranks = _ranks(cases, base_outcomes)
    companies = []
    for cs, (decision, score), rank in zip(cases, base_outcomes, base_ranks, strict=True):
        gated = gate_declines(rs, cs)
        adv, watch = rs.decision.advance, rs.decision.watch
        name = "advance" if abs(score - adv) <= abs(score - watch) else "watch"
        nearest = adv if name == "advance" else watch
        companies.append(
            CompanySensitivity(
                cs.path,
                cs.case_id,
                cs.company,
                decision,
                round(score, DIGITS),
                rank,
                None if gated else round(score - nearest, DIGITS),
                None if gated else name,
                gated,
                bool(cs.assets[cs.lead].unknown_gates),
                decisions={},
                rank_min=rank,
                rank_max=rank,
                score_min=score,
                score_max=score,
            )
        )
    for sc in scenarios(rs, spread=spread, samples=samples, seed=seed, thresholds=thresholds):
        outcomes = _rank_scenario(rs, cases, assets, sc)
        for c, (decision, score), rank in zip(
            companies, outcomes, _ranks(cases, outcomes), strict=True
        ):
            assert c.decisions is not None
            c.decisions[decision] = c.decisions.get(decision, 0) + 1
            if decision != c.decision:
                c.flips += 1
            c.rank_min = min(c.rank_min, rank)
            c.rank_max = max(c.rank_max, rank)
            c.score_min = min(c.score_min, score)
            c.score_max = max(c.score_max, score)
    for c in companies:
        c.score_min = round(c.score_min, DIGITS)
        c.score_max = round(c.score_max, DIGITS)
    companies.sort(key=lambda c: c.rank)
    return SensitivityReport(spread, samples, seed, thresholds, companies)
