"""The case file: a candidate company, its drug assets, and the sources behind its figures.

Every field is optional because real diligence starts with gaps: an absent field is *unknown*,
never false, and the engine turns it into a diligence question. Numbers that a memo will quote
are `Figure`s, which may carry provenance (which entry of `sources:` they come from, as-of date,
verified / company-reported / estimate), so a memo can cite each figure and flag estimates and
stale data. A bare number is accepted where a figure is expected and means "unsourced".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from screen.model import vocab

NCT_ID = re.compile(r"NCT[0-9]{8}")  # fullmatch: ASCII digits only, no trailing newline
# Bidirectional-text controls reorder what a reader sees ("evil\u202egnp.exe"); an id or a
# name never needs them (CVE-2021-42574, "Trojan Source"). Other control characters (ESC) are
# shown, not obeyed, by every text view (report/safety.py), so they need no refusal here.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _plain_label(value: str) -> str:
    bad = _BIDI_CONTROLS.search(value)
    if bad:
        raise ValueError(
            f"contains the bidirectional control character U+{ord(bad.group()):04X}; ids and "
            "names must not reorder text (an override can disguise what a reader sees)"
        )
    return value


Label = Annotated[str, AfterValidator(_plain_label)]  # ids and names: no bidi controls


class Model(BaseModel):
    """Base for every case-file model: unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


def _stage(value: Any) -> vocab.Stage:
    return vocab.parse_stage(value)


StageField = Annotated[
    vocab.Stage,
    BeforeValidator(_stage),
    PlainSerializer(lambda s: s.name, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(vocab.Stage.__members__),
            "description": "development stage, in clinical order",
        }
    ),
]


def _role(value: Any) -> Any:
    return value.replace("-", "_") if isinstance(value, str) else value


RoleField = Annotated[
    vocab.Role,
    BeforeValidator(_role),
    WithJsonSchema({"type": "string", "enum": ["core", "non_core", "non-core"]}),
]


def _figure_json_schema(schema: dict[str, Any]) -> None:
    """A figure may be written as a bare number too; say so to editors."""
    mapping = dict(schema)
    schema.clear()
    schema.update({"title": "Figure", "anyOf": [{"type": "number"}, mapping]})


class Figure(Model):
    """A number with provenance. `source` is the id of an entry in the case's `sources:` list."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_figure_json_schema)

    value: float = Field(
        strict=True, allow_inf_nan=False, description="the number (quoted text is refused)"
    )
    unit: str | None = None
    source: str | None = Field(None, description="id of an entry in the case's sources list")
    as_of: dt.date | None = Field(None, description="date the figure refers to")
    status: vocab.FigureStatus | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a figure mapping, got true/false")
        if isinstance(data, int | float):
            return {"value": data}
        if not isinstance(data, dict):
            raise ValueError(
                "expected a number or a mapping with 'value:' (and source, as_of, status)"
            )
        return data


def _non_negative(fig: Figure | None) -> Figure | None:
    if fig is not None and fig.value < 0:
        raise ValueError(f"must not be negative, got {fig.value:g}")
    return fig


@dataclass(frozen=True)
class Bounds:
    """The range a figure's number always lies in; the engine bounds an absent one by it."""

    low: float
    high: float


NonNegativeFigure = Annotated[Figure, AfterValidator(_non_negative), Bounds(0.0, math.inf)]


def _fraction(fig: Figure | None) -> Figure | None:
    if fig is not None and abs(fig.value) > 5:
        raise ValueError(
            f"{fig.value:g} looks like a percentage; growth is a fraction (write 0.42 for 42%)"
        )
    return fig


FractionFigure = Annotated[Figure, AfterValidator(_fraction), Bounds(-5.0, 5.0)]


class Source(Model):
    id: Label = Field(description="short id that figures cite, e.g. 'cde-2024'")
    title: str
    url: str | None = None
    document: str | None = Field(None, description="document name when there is no URL")
    publisher: str | None = None
    date: dt.date | None = None

    @model_validator(mode="after")
    def _has_locator(self) -> Source:
        if not self.url and not self.document:
            raise ValueError("a source needs a 'url' or a 'document'")
        return self


class Readout(Model):
    endpoint: str
    result: str | None = None
    value: Figure | None = None
    comparator: str | None = None
    date: dt.date | None = None


class Trial(Model):
    nct_id: str | None = Field(None, description="ClinicalTrials.gov id, NCT + 8 digits")
    registry_id: Label | None = Field(None, description="other registry id, e.g. CTR20231234")
    phase: vocab.TrialPhase | None = None
    region: vocab.Region | None = None
    size: NonNegativeFigure | None = Field(None, description="enrolment (patients)")
    status: str | None = None
    readouts: list[Readout] = Field(default_factory=list)

    @field_validator("nct_id")
    @classmethod
    def _check_nct(cls, value: str | None) -> str | None:
        if value is not None and not NCT_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a ClinicalTrials.gov id ('NCT' followed by 8 digits)"
            )
        return value

    @field_validator("phase", mode="before")
    @classmethod
    def _phase_alias(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in {
            "PHASE1_PHASE2",
            "PHASE1/2",
            "PHASE1/PHASE2",
        }:
            return "PHASE1/PHASE2"
        return value


class StandardOfCare(Model):
    description: str | None = None
    adequacy: vocab.SocAdequacy | None = Field(
        None, description="how well the standard of care serves patients"
    )


class UnmetNeed(Model):
    addressed: StrictBool | None = Field(
        None, description="whether the product definitively addresses an unmet clinical need"
    )
    severity: vocab.Severity | None = Field(None, description="severity of the disease")
    evidence: str | None = None


class Epidemiology(Model):
    """Patients addressable in the lead indication, by region."""

    us: NonNegativeFigure | None = Field(None, description="addressable patients in the US")
    eu: NonNegativeFigure | None = Field(None, description="addressable patients in the EU")
    china: NonNegativeFigure | None = Field(None, description="addressable patients in China")
    rest_of_world: NonNegativeFigure | None = Field(
        None, description="addressable patients elsewhere"
    )
    basis: str | None = Field(None, description="prevalence or incidence, and how derived")


class CompetitorProgram(Model):
    name: Label
    company: Label | None = None
    stage: StageField | None = None
    region: vocab.Region | None = None


class Competition(Model):
    same_target_programs: list[CompetitorProgram] | None = Field(
        None, description="programs against the same target"
    )
    first_in_class: StrictBool | None = Field(
        None, description="whether the asset has first-in-class potential"
    )
    best_in_class: StrictBool | None = Field(
        None, description="whether the asset has best-in-class potential"
    )
    differentiation: str | None = None


class Approval(Model):
    agency: vocab.Agency
    date: dt.date | None = None
    indication: str | None = None


class Regulatory(Model):
    fda_ind: vocab.IndStatus | None = Field(None, description="status of the FDA IND")
    designations: list[vocab.Designation] | None = None
    approvals: list[Approval] | None = None


class BdPlan(Model):
    deal_model: vocab.DealModel | None = Field(None, description="the deal model the plan assumes")
    territory: vocab.Territory | None = None
    target_stage: StageField | None = Field(None, description="stage at which BD is planned")
    market_scope: vocab.MarketScope | None = Field(
        None, description="whether the commercial plan is domestic-only or global"
    )


class Deal(Model):
    partner: Label
    deal_model: vocab.DealModel | None = None
    territory: vocab.Territory | None = None
    date: dt.date | None = None
    upfront_usd_m: NonNegativeFigure | None = None
    total_value_usd_m: NonNegativeFigure | None = None


class Bd(Model):
    status: vocab.BdStatus | None = Field(None, description="business-development status")
    plan: BdPlan | None = None
    deals: list[Deal] | None = None


class Asset(Model):
    id: Label = Field(description="short id, unique within the case")
    name: Label
    role: RoleField | None = Field(None, description="core or non-core asset")
    modality: vocab.Modality | None = None
    target: str | None = None
    mechanism: str | None = None
    indication: str | None = None
    therapeutic_area: vocab.TherapeuticArea | None = None
    line_of_therapy: vocab.LineOfTherapy | None = None
    stage: StageField | None = Field(None, description="development stage")
    trials: list[Trial] | None = None
    standard_of_care: StandardOfCare | None = None
    unmet_need: UnmetNeed | None = None
    epidemiology: Epidemiology | None = None
    competition: Competition | None = None
    regulatory: Regulatory | None = None
    data_origin: vocab.DataOrigin | None = Field(
        None, description="where the clinical data come from"
    )
    bd: Bd | None = None
    peak_sales_usd_m: NonNegativeFigure | None = Field(
        None, description="peak sales estimate (USD m)"
    )


class Company(Model):
    name: Label
    hq: str | None = Field(None, description="headquarters (city, country)")
    financing_stage: vocab.FinancingStage | None = None
    cash_runway_months: NonNegativeFigure | None = Field(None, description="cash runway in months")
    overseas_capability: vocab.OverseasCapability | None = Field(
        None, description="overseas commercial capability: own, partner or none"
    )
    domestic_sales_growth: FractionFigure | None = Field(
        None, description="year-on-year growth of domestic product sales (fraction)"
    )
    description: str | None = None


class Revisit(Model):
    """When to look at the company again (the watch list): a date, and what to wait for."""

    on: dt.date = Field(description="date the case is due for another look")
    when: str | None = Field(None, description="what to wait for, e.g. 'after the phase 2 readout'")


class Case(Model):
    """One screening case file."""

    id: Label | None = Field(None, description="case id; defaults to the file name")
    as_of: dt.date | None = Field(None, description="date the case data refer to")
    analyst: str | None = None
    company: Company
    assets: list[Asset] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    notes: str | None = None
    revisit: Revisit | None = Field(None, description="watch list: when to screen again")


def reference_problems(case: Case) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """Repeated asset ids and unknown source ids, with the path of each: (path, message, hint).

    Checked after validation, so the loader can point at the exact line."""
    problems: list[tuple[tuple[str | int, ...], str, str | None]] = []
    seen: dict[str, int] = {}
    for i, asset in enumerate(case.assets):
        if asset.id in seen:
            problems.append(
                (
                    ("assets", i, "id"),
                    f"asset id '{asset.id}' is used twice",
                    f"first used by assets[{seen[asset.id]}]; asset ids must be unique",
                )
            )
        seen.setdefault(asset.id, i)
    return problems + unknown_sources(case)


def unknown_sources(case: Case) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """Figures citing a source id that is not in `sources:`: (path, message, hint).

    Checked after validation, so the loader can point at the exact `source:` line."""
    from screen.model.errors import did_you_mean

    known = {s.id for s in case.sources}
    problems = []
    for path, fig in iter_figures(case):
        if fig.source is not None and fig.source not in known:
            hint = did_you_mean(fig.source, known) or (
                f"sources: {', '.join(sorted(known))}" if known else "add a sources: list"
            )
            problems.append(
                ((*path, "source"), f"source '{fig.source}' is not in the sources list", hint)
            )
    return problems


def later_than_as_of(case: Case) -> list[tuple[tuple[str | int, ...], str]]:
    """Dates after the case's `as_of` (an approval dated 2999): (path, message).

    Not errors, since an expected date may be planned, but worth a warning: data that refer to
    `as_of` cannot record what happened after it, so such a date is most often a typo."""
    if case.as_of is None:
        return []
    found: list[tuple[tuple[str | int, ...], str]] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), (*path, name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
        elif isinstance(value, dt.date) and value > case.as_of and path != ("as_of",):
            found.append((path, f"date {value} is after the case's as_of ({case.as_of})"))

    walk(case, ())
    return found


def iter_figures(
    model: BaseModel, prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Figure]]:
    """Every Figure in a model with its path (as in the YAML), in field order (for citations)."""
    found: list[tuple[tuple[str | int, ...], Figure]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = (*prefix, name)
        if isinstance(value, Figure):
            found.append((path, value))
        elif isinstance(value, BaseModel):
            found.extend(iter_figures(value, path))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Figure):
                    found.append(((*path, i), item))
                elif isinstance(item, BaseModel):
                    found.extend(iter_figures(item, (*path, i)))
    return found
