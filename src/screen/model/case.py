"""The case file: a candidate company, its drug assets, and the sources behind its figures.

Every field is optional because real diligence starts with gaps: an absent field is *unknown*,
never false, and the engine turns it into a diligence question. Numbers that a memo will quote
are `Figure`s, which may carry provenance (which entry of `sources:` they come from, as-of date,
verified / company-reported / estimate), so a memo can cite each figure and flag estimates and
stale data. A bare number is accepted where a figure is expected and means "unsourced".

Case schema v2 (`schema_version: 2`, every v1 file still loads) adds what real deals state:
development by region (`development.py`), readouts against a comparator, safety and sourced
claims (`evidence.py`), full deal terms (`deals.py`) and month-precision dates (`dates.py`).
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from screen.model import vocab
from screen.model.base import (  # noqa: F401  (re-exported: the case model's public names)
    NCT_ID,
    Bounds,
    Figure,
    FractionFigure,
    Label,
    Model,
    NonNegativeFigure,
    RateFigure,
    RegionalStageField,
    RoleField,
    StageField,
)
from screen.model.dates import CaseDateField
from screen.model.deals import Bd, BdPlan, Deal  # noqa: F401
from screen.model.development import (
    REGIONAL_VIEWS,
    Development,
    RegionalStatus,  # noqa: F401
    regional_stages,
)
from screen.model.evidence import (  # noqa: F401
    Claim,
    Comparator,
    Differentiation,
    Provenance,
    Readout,
    Safety,
)


class Source(Model):
    id: Label = Field(description="short id that figures cite, e.g. 'cde-2024'")
    title: str
    url: str | None = None
    document: str | None = Field(None, description="document name when there is no URL")
    publisher: str | None = None
    date: CaseDateField | None = None

    @model_validator(mode="after")
    def _has_locator(self) -> Source:
        if not self.url and not self.document:
            raise ValueError("a source needs a 'url' or a 'document'")
        return self


class Trial(Model):
    nct_id: str | None = Field(None, description="ClinicalTrials.gov id, NCT + 8 digits")
    registry_id: Label | None = Field(None, description="other registry id, e.g. CTR20231234")
    phase: vocab.TrialPhase | None = None
    region: vocab.Region | None = None
    size: NonNegativeFigure | None = Field(None, description="enrolment (patients)")
    status: str | None = None
    why_stopped: str | None = Field(None, description="why a trial was suspended or terminated")
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


class StandardOfCare(Provenance):
    description: str | None = None
    treatments: list[str] | None = Field(None, description="today's treatments, by name")
    adequacy: vocab.SocAdequacy | None = Field(
        None, description="how well the standard of care serves patients"
    )


class UnmetNeed(Provenance):
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
    as_of: CaseDateField | None = Field(None, description="date the stage was last checked")
    source: str | None = Field(None, description="id of an entry in the case's sources list")


class Competition(Model):
    same_target_programs: list[CompetitorProgram] | None = Field(
        None, description="programs against the same target"
    )
    first_in_class: Claim | None = Field(
        None, description="whether the asset has first-in-class potential"
    )
    best_in_class: Claim | None = Field(
        None, description="whether the asset has best-in-class potential"
    )
    differentiation: Differentiation | None = None


class Approval(Model):
    agency: vocab.Agency
    date: CaseDateField | None = None
    indication: str | None = None


class Regulatory(Model):
    fda_ind: vocab.IndStatus | None = Field(None, description="status of the FDA IND")
    us_evidence_plan: vocab.UsEvidencePlan | None = Field(
        None,
        description="how a US filing will show the data apply to US patients (MRCT, bridging)",
    )
    designations: list[vocab.Designation] | None = None
    approvals: list[Approval] | None = None


def _derived(description: str) -> Any:
    """A field the loader derives (never written in a case file), marked read-only for editors."""
    return Field(None, description=description, json_schema_extra={"readOnly": True})


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
    stage: StageField | None = Field(None, description="development stage")  # most advanced
    development: Development | None = Field(
        None, description="stage by region (v2); regions left out are not in development there"
    )
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
    safety: Safety | None = None
    # Read-only facts derived when the case loads (rules read them; a case file never sets
    # them). Stages by region: development.py; efficacy: the best comparative readout.
    stage_china: RegionalStageField | None = _derived("stage in China")
    stage_us: RegionalStageField | None = _derived("stage in the US")
    stage_eu: RegionalStageField | None = _derived("stage in the EU")
    stage_japan: RegionalStageField | None = _derived("stage in Japan")
    stage_rest_of_world: RegionalStageField | None = _derived("stage in the rest of the world")
    stage_ex_china: RegionalStageField | None = _derived("most advanced stage outside China")
    efficacy_delta: float | None = _derived(
        "arm minus comparator (positive is better) of the readout with the largest relative gain"
    )
    efficacy_delta_relative: float | None = _derived(
        "that readout's gain relative to the comparator's value"
    )
    efficacy_endpoint: vocab.EndpointKind | None = _derived("endpoint kind of that readout")

    @model_validator(mode="before")
    @classmethod
    def _no_derived_input(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in DERIVED_ASSET_FIELDS:
                if key in data:
                    where = "development:" if key.startswith("stage_") else "trials[].readouts"
                    raise ValueError(f"'{key}' is derived from {where}; do not write it")
        return data

    @model_validator(mode="after")
    def _derive(self) -> Asset:
        dev = self.development
        if dev is not None:
            top = dev.most_advanced()
            if self.stage is None and top is not vocab.Stage.none:
                object.__setattr__(self, "stage", top)
            elif self.stage is not None and top is not vocab.Stage.none and self.stage != top:
                raise ValueError(
                    f"stage {self.stage.name} disagrees with development: the most advanced "
                    f"regional stage is {top.name}; leave 'stage' out (it is derived) or fix it"
                )
        for key, value in derived_values(self).items():
            object.__setattr__(self, key, value)
        return self


def derived_values(asset: Asset) -> dict[str, Any]:
    """The read-only fields of an asset, from what the case states (see `Asset`)."""
    approved_by = (
        {a.agency for a in (asset.regulatory.approvals or [])} if asset.regulatory else set()
    )
    values: dict[str, Any] = dict(regional_stages(asset.development, approved_by))
    best = max(
        (r for t in asset.trials or [] for r in t.readouts if r.delta_relative is not None),
        key=lambda r: r.delta_relative or 0.0,
        default=None,
    )
    values["efficacy_delta"] = best.delta if best else None
    values["efficacy_delta_relative"] = best.delta_relative if best else None
    values["efficacy_endpoint"] = best.kind if best else None
    dev = asset.development
    if dev is not None and dev.most_advanced() is not vocab.Stage.none:
        values["stage"] = dev.most_advanced()
    return values


def with_derived(asset: Asset) -> Asset:
    """`asset` with its read-only fields recomputed: for a copy whose stated facts were changed
    without validation (a why-not counterfactual), so derived facts follow the change."""
    return asset.model_copy(update=derived_values(asset))


DERIVED_ASSET_FIELDS = (
    *REGIONAL_VIEWS,
    "efficacy_delta",
    "efficacy_delta_relative",
    "efficacy_endpoint",
)


# Where each derived fact comes from (for `graph --impact asset.trials.readouts` and the like):
# a rule that reads `asset.stage_us` depends on what the case says under `development`.
_STAGE_ORIGINS = ("asset.development", "asset.regulatory.approvals")
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "asset.stage": ("asset.development",),
    **{f"asset.{name}": _STAGE_ORIGINS for name in REGIONAL_VIEWS},
    "asset.efficacy_delta": ("asset.trials.readouts",),
    "asset.efficacy_delta_relative": ("asset.trials.readouts",),
    "asset.efficacy_endpoint": ("asset.trials.readouts",),
    "asset.trials.readouts.delta": (
        "asset.trials.readouts.value",
        "asset.trials.readouts.comparator",
    ),
    "asset.trials.readouts.delta_relative": (
        "asset.trials.readouts.value",
        "asset.trials.readouts.comparator",
    ),
}


class Company(Model):
    name: Label
    hq: str | None = Field(None, description="headquarters (city, country)")
    financing_stage: vocab.FinancingStage | None = None
    cash_runway_months: NonNegativeFigure | None = Field(None, description="cash runway in months")
    overseas_capability: vocab.OverseasCapability | None = Field(
        None, description="overseas commercial capability: own, partner or none"
    )
    cash_usd_m: NonNegativeFigure | None = Field(None, description="cash and equivalents (USD m)")
    annual_burn_usd_m: NonNegativeFigure | None = Field(
        None, description="net cash used per year (USD m)"
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
    """One screening case file (case schema v2; every v1 file is valid)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="dealscreen case file, schema v2")

    schema_version: Literal[1, 2] | None = Field(
        None, description="case schema version; 1 when absent (every v1 file is valid v2)"
    )
    id: Label | None = Field(None, description="case id; defaults to the file name")
    as_of: dt.date | None = Field(None, description="date the case data refer to")
    analyst: str | None = None
    company: Company
    assets: list[Asset] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    notes: str | None = None
    revisit: Revisit | None = Field(None, description="watch list: when to screen again")


def reference_problems(
    case: Case, sourced: Paths | None = None
) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """Repeated asset ids and unknown source ids, with the path of each: (path, message, hint).
    `sourced`: `iter_sourced(case)`, when the caller has it (`walk_case`).

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
    return problems + deal_asset_problems(case, set(seen)) + unknown_sources(case, sourced)


def deal_asset_problems(
    case: Case, ids: set[str]
) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """A deal or plan covering assets names other assets of this case, by id."""
    from screen.model.errors import did_you_mean

    problems: list[tuple[tuple[str | int, ...], str, str | None]] = []
    for i, asset in enumerate(case.assets):
        bd = asset.bd
        if bd is None:
            continue
        holders: list[tuple[tuple[str | int, ...], Any]] = [(("bd", "plan"), bd.plan)]
        holders += [(("bd", "deals", k), d) for k, d in enumerate(bd.deals or [])]
        for where, holder in holders:
            for j, other in enumerate(getattr(holder, "assets", None) or []):
                path = ("assets", i, *where, "assets", j)
                if other == asset.id:
                    problems.append((path, f"'{other}' is this asset itself", "list the others"))
                elif other not in ids:
                    hint = did_you_mean(other, ids) or f"asset ids: {', '.join(sorted(ids))}"
                    problems.append((path, f"no asset with id '{other}' in this case", hint))
    return problems


Paths = list[tuple[tuple[str | int, ...], Any]]


def unknown_sources(
    case: Case, sourced: Paths | None = None
) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """Figures and judgements citing a source id not in `sources:`: (path, message, hint).
    `sourced`: `iter_sourced(case)`, when the caller has it (`walk_case`).

    Checked after validation, so the loader can point at the exact `source:` line."""
    from screen.model.errors import did_you_mean

    known = {s.id for s in case.sources}
    problems = []
    for path, fig in iter_sourced(case) if sourced is None else sourced:
        if fig.source is not None and fig.source not in known:
            hint = did_you_mean(fig.source, known) or (
                f"sources: {', '.join(sorted(known))}" if known else "add a sources: list"
            )
            problems.append(
                ((*path, "source"), f"source '{fig.source}' is not in the sources list", hint)
            )
    return problems


# Dates that are meant to lie after the case's as_of: the case's own, and when to look again.
_FUTURE_DATES = {("as_of",), ("revisit", "on")}


def later_than_as_of(
    case: Case, dates: Paths | None = None
) -> list[tuple[tuple[str | int, ...], str]]:
    """Dates after the case's `as_of` (an approval dated 2999): (path, message). `dates`: every
    date with its path, when the caller has them (`walk_case`).

    Not errors, since an expected date may be planned, but worth a warning: data that refer to
    `as_of` cannot record what happened after it, so such a date is most often a typo."""
    if case.as_of is None:
        return []
    if dates is None:
        dates = walk_case(case)[1]
    return [
        (path, f"date {value} is after the case's as_of ({case.as_of})")
        for path, value in dates
        if value > case.as_of and path not in _FUTURE_DATES
    ]


def walk_case(case: Case) -> tuple[Paths, Paths]:
    """(`iter_sourced(case)`, every date with its path) in one walk of the case: the loader
    checks both for every file, and one walk costs about half of two."""
    sourced: Paths = []
    dates: Paths = []

    def walk(value: Any, path: tuple[str | int, ...], sourcing: bool) -> None:
        # `sourcing`: a node `iter_sourced` visits (models, and models in a list of a field)
        if isinstance(value, BaseModel):
            cls = type(value)
            if sourcing and path and "source" in cls.model_fields:
                sourced.append((path, value))
            for name in _fields_holding(cls, dt.date):
                walk(getattr(value, name), (*path, name), sourcing)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i), sourcing and not isinstance(item, list))
        elif isinstance(value, dt.date):
            dates.append((path, value))

    walk(case, (), True)
    return sourced, dates


def iter_sourced(
    model: BaseModel, prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every part of a case that may cite a source (figures, claims, evidence, regional
    status), with its path, in field order."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    if "source" in type(model).model_fields and prefix:
        found.append((prefix, model))
    for name in _fields_holding(type(model)):
        value = getattr(model, name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            if isinstance(item, BaseModel):
                path = (*prefix, name) if i is None else (*prefix, name, i)
                found.extend(iter_sourced(item, path))
    return found


@functools.cache
def _fields_holding(cls: type[BaseModel], leaf: type | None = None) -> tuple[str, ...]:
    """The fields of a model class whose values may hold another model, or a `leaf` value,
    directly or in a list (from their annotations: a case walk then reads ~1 field in 6, and a
    screen pays two walks per case). A field typed `Any` may hold anything."""

    def may_hold(annotation: Any) -> bool:
        if annotation is Any or annotation is object:
            return True
        if isinstance(annotation, type) and (
            issubclass(annotation, BaseModel) or (leaf is not None and issubclass(annotation, leaf))
        ):
            return True
        return any(may_hold(arg) for arg in typing.get_args(annotation))

    return tuple(name for name, f in cls.model_fields.items() if may_hold(f.annotation))


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
