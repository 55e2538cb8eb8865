"""The rule set's `priors:` checked and compiled: what each unknown fact usually is.

Priors never decide: a case with unknowns that could change its decision stays
`insufficient_information`. They give the *provisional* call beside it (the decision if every
unknown fact took its expected value) and hold the other unknowns still while one question's
answers are weighed (`questions.rank_questions`). Checked at load like everything else: the
path must be a case field, distribution values must be values of that field, probabilities must
lie in [0, 1] and sum to 1, numbers must be finite and within the field's bounds.

Expected value: for a distribution, its most probable value (the first listed on a tie); for a
number, `typical`, or the middle of `range`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from screen.engine.facts import FieldPath, resolve_field
from screen.lang.expressions import NameProblem
from screen.model.errors import did_you_mean
from screen.model.ruleset import Prior
from screen.model.vocab import Stage, parse_stage

TOLERANCE = 1e-6


@dataclass(frozen=True)
class CompiledPrior:
    fact: str
    expected: Any  # typed like the fact (Stage, enum member, bool, float)
    distribution: tuple[tuple[Any, float], ...]  # empty for numbers
    source: str

    def describe(self) -> str:
        """'asset.data_origin = china (p 0.55; source ...)' for a provisional call's basis."""
        if isinstance(self.expected, Stage):
            value: Any = self.expected.name  # `none`, `phase2`: the case file's words, not ranks
        else:
            value = self.expected.value if isinstance(self.expected, Enum) else self.expected
        if isinstance(value, bool):
            value = str(value).lower()
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        p = next((p for v, p in self.distribution if v == self.expected), None)
        chance = f"p {p:g}; " if p is not None else ""
        return f"{self.fact} = {shown} ({chance}{self.source})"


def compile_priors(priors: dict[str, Prior], fail: Any, where: Any) -> dict[str, CompiledPrior]:
    """Check every prior; `fail(message, location, hint)` collects errors, `where(fact, *path)`
    locates a key of the `priors:` section."""
    out: dict[str, CompiledPrior] = {}
    for fact, prior in priors.items():
        parts = tuple(fact.split("."))
        if parts[0] not in ("asset", "company", "case"):
            fail(f"priors: '{fact}' is not a case field path", where(fact),
                 "paths start with asset., company. or case.")  # fmt: skip
            continue
        try:
            fp = resolve_field(parts)
        except NameProblem as exc:
            fail(f"priors: {exc.message}", where(fact), exc.hint)
            continue
        compiled = _compile(fact, prior, fp, fail, where)
        if compiled is not None:
            out[fact] = compiled
    return out


def _compile(fact: str, prior: Prior, fp: FieldPath, fail: Any, where: Any) -> CompiledPrior | None:
    kind = fp.type.kind
    if kind in ("enum", "stage", "bool"):
        if prior.distribution is None or prior.typical is not None or prior.range is not None:
            fail(f"priors: '{fact}' takes a distribution over its values", where(fact),
                 "e.g. distribution: {china: 0.6, global: 0.4}")  # fmt: skip
            return None
        values = []
        total = 0.0
        for raw, p in prior.distribution.items():
            value = _value(raw, fp)
            if value is None:
                allowed = _allowed(fp)
                hint = did_you_mean(str(raw), allowed) or f"expected one of: {', '.join(allowed)}"
                fail(f"priors: {raw!r} is not a value of {fact}",
                     where(fact, "distribution", raw), hint)  # fmt: skip
                return None
            if not (math.isfinite(p) and 0 <= p <= 1):
                fail(f"priors: probability {p!r} of {raw!r} is not between 0 and 1",
                     where(fact, "distribution", raw))  # fmt: skip
                return None
            values.append((value, float(p)))
            total += p
        if abs(total - 1) > TOLERANCE:
            fail(f"priors: probabilities of {fact} sum to {total:g}, not 1",
                 where(fact, "distribution"))  # fmt: skip
            return None
        best = max(p for _, p in values)
        expected = next(v for v, p in values if p == best)
        return CompiledPrior(fact, expected, tuple(values), prior.source)
    if kind == "num":
        if prior.distribution is not None or (prior.typical is None) == (prior.range is None):
            fail(f"priors: '{fact}' is a number: give `typical` or `range` (one of them)",
                 where(fact))  # fmt: skip
            return None
        if prior.typical is not None:
            expected = float(prior.typical)
        else:
            low, high = prior.range  # type: ignore[misc]
            if not low <= high:
                fail(f"priors: range of {fact} runs backwards", where(fact, "range"))
                return None
            expected = (low + high) / 2
        low_b, high_b = fp.bounds or (-math.inf, math.inf)
        if not (math.isfinite(expected) and low_b <= expected <= high_b):
            fail(f"priors: {expected:g} is not a possible value of {fact}", where(fact))
            return None
        return CompiledPrior(fact, expected, (), prior.source)
    fail(f"priors: {fact} is {fp.type}; priors are for enum, stage, true/false and number facts",
         where(fact))  # fmt: skip
    return None


def _allowed(fp: FieldPath) -> list[str]:
    if fp.type.kind == "bool":
        return ["true", "false"]
    if fp.type.kind == "stage":
        from screen.lang.types import stage_domain

        return [s.name for s in stage_domain(fp.type)]
    assert fp.type.enum is not None
    return [str(m.value) for m in fp.type.enum]


def _value(raw: Any, fp: FieldPath) -> Any:
    kind = fp.type.kind
    if kind == "bool":  # keys are text in YAML mappings: "true" / "false"
        if isinstance(raw, bool):
            return raw
        return {"true": True, "false": False}.get(str(raw).strip().lower())
    if kind == "stage":
        try:
            return parse_stage(raw)
        except (ValueError, KeyError, TypeError):
            return None
    assert fp.type.enum is not None
    try:
        return fp.type.enum(raw)
    except ValueError:
        return None
