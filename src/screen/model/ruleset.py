"""The rule-set file format (the thesis as data), as pydantic models.

A rule set is named and versioned. Its sections, in the order they are evaluated:

- `parameters`: named constants, each with value, unit and source (sourced figures from
  `shared/data`: phase-transition probabilities, US share of the global market...);
- `priors`: what an unknown fact usually is (a distribution, or a typical number), sourced like
  parameters; used only for the provisional call of an undecided case, never for the decision;
- `derived`: facts computed by expressions over case fields, parameters and other derived facts;
- `tables`: decision tables with a hit policy (`first`, or `unique`, where overlapping rows are a
  load-time error), read from expressions with `lookup('name')` or used to score a criterion;
- `gates`: knock-out conditions; a failed gate declines the asset, an unknown one never passes;
- `criteria`: weighted scores from ordered bands (first match wins) or from a table;
- `decision`: advance / watch thresholds on the weighted score, and how the company decision is
  derived from its core assets (product-centric, T1).

Every gate, band and table row has an id and a `rationale` that cites a thesis point (T1–T13) or
a parameter's source, so that every outcome in a result can be traced to why the firm believes it.
The models only check shape; `compiler.py` checks meaning (references, types, cycles, overlaps).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Header(Model):
    name: str = Field(description="rule-set name, e.g. 'biotech-thesis'")
    version: str = Field(description="rule-set version; bump it on every change")
    description: str | None = None
    scale: float = Field(5.0, gt=0, description="the weighted score runs from 0 to this value")


class Parameter(Model):
    value: Any = Field(description="number, text, true/false, or a list of them")
    unit: str | None = None
    source: str = Field(description="where the figure comes from (publication, dataset, thesis)")
    note: str | None = None


class Prior(Model):
    """What an unknown fact usually is, for the provisional call of an undecided case.

    Either a `distribution` over the values of an enum, stage or true/false fact (value ->
    probability, summing to 1), or for a number a `typical` value (or a `range`, whose middle
    is used). Sourced like parameters: a published figure, or "firm convention" and why."""

    distribution: dict[Any, float] | None = Field(
        None, description="value -> probability, for enum, stage and true/false facts"
    )
    typical: float | None = Field(None, description="typical value, for numbers")
    range: tuple[float, float] | None = Field(None, description="typical range, for numbers")
    source: str = Field(description="where the prior comes from (publication, dataset, thesis)")
    note: str | None = None


class Derived(Model):
    expr: str = Field(description="expression over case fields, params, derived facts, tables")
    description: str | None = None
    question: str | None = Field(None, description="diligence question when this is unknown")


class HitPolicy(StrEnum):
    first = "first"
    unique = "unique"


class TableRow(Model):
    id: str
    when: list[Any] = Field(description="one cell per input: a value, a list, '>= x', or '-'")
    output: Any
    rationale: str


class Table(Model):
    hit_policy: HitPolicy
    inputs: list[str] = Field(min_length=1, description="expressions, one per column")
    rows: list[TableRow] = Field(min_length=1)
    description: str | None = None


class Gate(Model):
    id: str
    name: str | None = None
    require: str = Field(description="expression that must be true for the asset to pass")
    rationale: str
    question: str | None = Field(None, description="diligence question when the gate is unknown")


class Band(Model):
    id: str
    when: str = Field(description="condition; the first band whose condition holds scores")
    score: float
    rationale: str


class UnknownPolicy(StrEnum):
    """What score a criterion with unknown inputs contributes while the facts are missing."""

    lowest = "lowest"  # the lowest score it could still get (pessimistic, the default)
    zero = "zero"  # scores 0
    exclude = "exclude"  # left out of the weighted score, whose weights are renormalised


class Criterion(Model):
    id: str
    name: str | None = None
    weight: float = Field(gt=0)
    max: float = Field(5.0, gt=0, description="highest score a band can give")
    unknown_policy: UnknownPolicy = UnknownPolicy.lowest
    rationale: str | None = None
    bands: list[Band] | None = None
    table: str | None = Field(None, description="score with this table's output instead of bands")
    question: str | None = None


class CompanyAggregation(StrEnum):
    """Which core asset the company decision follows when there are several."""

    best = "best"
    worst = "worst"


class Decision(Model):
    advance: float = Field(description="minimum weighted score to advance")
    watch: float = Field(description="minimum weighted score to watch; below it, decline")
    company: CompanyAggregation = Field(
        CompanyAggregation.best, description="how core-asset results combine into the company's"
    )
    weights_sum: float | None = Field(1.0, description="declared sum of criterion weights")


class RuleSetFile(Model):
    """One YAML file of a rule set. A folder may split a rule set over several files."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    ruleset: Header | None = None
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    questions: dict[str, str] = Field(
        default_factory=dict, description="fact path -> diligence question when it is unknown"
    )
    fixed: list[str] = Field(
        default_factory=list,
        description="fact paths (or groups, e.g. asset.competition) that cannot change "
        "(why-not never proposes them)",
    )
    actionable: list[str] = Field(
        default_factory=list,
        description="fact paths (or groups) the company can change; when given, why-not "
        "proposes changes to these only",
    )
    priors: dict[str, Prior] = Field(
        default_factory=dict,
        description="fact path -> what it usually is, for the provisional call (see README)",
    )
    derived: dict[str, Derived] = Field(default_factory=dict)
    tables: dict[str, Table] = Field(default_factory=dict)
    gates: list[Gate] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    decision: Decision | None = None
    reasons: dict[str, str] = Field(
        default_factory=dict, description="reason codes for recorded human decisions"
    )
