"""The case file: a candidate company, its drug assets, and the sources behind its figures.

Every field is optional because real diligence starts with gaps: an absent field is *unknown*,
never false, and the engine turns it into a diligence question. Numbers that a memo will quote
are `Figure`s, which may carry provenance (which entry of `sources:` they come from, as-of date,
verified / company-reported / estimate), so a memo can cite each figure and flag estimates and
stale data. A bare number is accepted where a figure is expected and means "unsourced".

Case schema v2 (`schema_version: 2`, every v1 file still loads) adds what real deals state:
development by region (`development.py`), readouts against a comparator, safety and sourced
claims (`evidence.py`), full deal terms (`deals.py`), FDA status and complete response letters
(`regulatory.py`) and month-precision dates (`dates.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from screen.model import vocab
from screen.model.base import (  # noqa: F401  (re-exported: the case model's public names)
    NCT_ID,
    Bounds,
    Figure,
    FractionFigure,
    Label,
    Model,
    NonNegativeFigure,
    PatientsFigure,
    RateFigure,
    RegionalStageField,
    RoleField,
    StageField,
    UsdMillionsFigure,
)
from screen.model.dates import CaseDateField
from screen.model.deals import (  # noqa: F401
    Bd,
    BdPlan,
    Deal,
    deal_views,
    licensed_territory,
    rights_territory,
    shared_deals,
)
from screen.model.development import (
    REGIONAL_VIEWS,
    Development,
    RegionalStatus,  # noqa: F401
    highest,
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
from screen.model.regulatory import (  # noqa: F401
    Approval,
    CompleteResponseLetter,
    Regulatory,
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
    size: PatientsFigure | None = Field(None, description="enrolment (patients)")
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

    us: PatientsFigure | None = Field(None, description="addressable patients in the US")
    eu: PatientsFigure | None = Field(None, description="addressable patients in the EU")
    china: PatientsFigure | None = Field(None, description="addressable patients in China")
    rest_of_world: PatientsFigure | None = Field(None, description="addressable patients elsewhere")
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


# How the error refusing a derived field names what to write instead (DERIVED_FROM's first origin)
_WRITTEN_AS = {"development": "development:", "trials.readouts": "trials[].readouts"}


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
    peak_sales_usd_m: UsdMillionsFigure | None = Field(
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
        "that readout's gain relative to the comparator's value (none for a change from baseline)"
    )
    efficacy_delta_points: float | None = _derived(
        "for a change from baseline, that readout's gain on the endpoint's own scale (HbA1c "
        "percentage points; weight, LDL-C percent of baseline)"
    )
    efficacy_endpoint: vocab.EndpointKind | None = _derived("endpoint kind of that readout")
    efficacy_comparator: vocab.ComparatorKind | None = _derived(
        "what that readout is compared with (a randomised arm, or a historical control)"
    )
    efficacy_hazard_ratio: float | None = _derived(
        "that readout's hazard ratio, when it states one (a comparison of concurrent arms)"
    )
    efficacy_active_delta_relative: float | None = _derived(
        "relative gain of the readout chosen the same way among those against an active drug "
        "or the standard of care (a best-in-class claim needs one: 1.5)"
    )
    efficacy_active_delta_points: float | None = _derived(
        "that readout's gain on the endpoint's own scale, for a change from baseline"
    )
    efficacy_active_endpoint: vocab.EndpointKind | None = _derived("endpoint kind of that readout")
    licensed_territory: vocab.LicensedTerritory | None = _derived(
        "the territory the deals in force license (not terminated or returned); none: no deal "
        "in force"
    )
    rights_territory: vocab.LicensedTerritory | None = _derived(
        "the territory where the company holds the asset's rights: global unless bd.deals "
        "records an in-licence (direction: in), else what the in-licences in force grant"
    )
    fda_complete_response: vocab.FdaResponse | None = _derived(
        "the deficiency named by the FDA's latest complete response letter "
        "(regulatory.complete_response_letters); none: no letter"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_derived_input(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in DERIVED_ASSET_FIELDS:
                if key in data:
                    origin = DERIVED_FROM[f"asset.{key}"][0].removeprefix("asset.")
                    where = _WRITTEN_AS.get(origin, origin)
                    raise ValueError(f"'{key}' is derived from {where}; do not write it")
        return data

    @model_validator(mode="after")
    def _derive(self) -> Asset:
        values = derived_values(self)
        if self.development is not None and self.stage is not None:
            regions = [values[f"stage_{r.value}"] for r in vocab.DevelopmentRegion]
            top = highest(regions)  # None: a region's stage is unknown
            floor = max((s for s in regions if s is not None), default=vocab.Stage.none)
            if self.stage < floor or top not in (None, vocab.Stage.none, self.stage):
                raise ValueError(
                    f"stage {self.stage.name} disagrees with development: the most advanced "
                    f"regional stage is {(top or floor).name}; leave 'stage' out (it is "
                    "derived) or fix it"
                )
        for key, value in values.items():
            object.__setattr__(self, key, value)
        return self


def derived_values(asset: Asset) -> dict[str, Any]:
    """The read-only fields of an asset, from what the case states (see `Asset`)."""
    approved_by = _approved_by(asset)
    values: dict[str, Any] = dict(regional_stages(asset.development, approved_by))
    best = efficacy_readout(asset)
    values["efficacy_delta"] = best.delta if best else None
    values["efficacy_delta_relative"] = best.delta_relative if best else None
    values["efficacy_delta_points"] = best.delta_points if best else None
    values["efficacy_endpoint"] = best.kind if best else None
    values["efficacy_comparator"] = (
        best.comparator.kind if best is not None and best.comparator is not None else None
    )
    values["efficacy_hazard_ratio"] = (
        best.hazard_ratio.value if best is not None and best.hazard_ratio is not None else None
    )
    active = efficacy_readout(asset, ACTIVE_COMPARATORS)
    values["efficacy_active_delta_relative"] = active.delta_relative if active else None
    values["efficacy_active_delta_points"] = active.delta_points if active else None
    values["efficacy_active_endpoint"] = active.kind if active else None
    values.update(deal_views(asset.bd))
    reg = asset.regulatory
    values["fda_complete_response"] = reg.latest_fda_response() if reg is not None else None
    dev = asset.development
    top = highest(values[f"stage_{r.value}"] for r in vocab.DevelopmentRegion) if dev else None
    if top is not None and top is not vocab.Stage.none:
        values["stage"] = top
    elif asset.stage is None and dev is None and approved_by:
        # an approval anywhere is the most advanced stage, as the regional views read it
        values["stage"] = vocab.Stage.approved
    return values


def _approved_by(asset: Asset) -> set[vocab.Agency]:
    """The agencies of `regulatory.approvals`."""
    reg = asset.regulatory
    return {a.agency for a in (reg.approvals or [])} if reg is not None else set()


ACTIVE_COMPARATORS = frozenset({vocab.ComparatorKind.active, vocab.ComparatorKind.standard_of_care})


def efficacy_readout(asset: Asset, against: frozenset[Any] | None = None) -> Any:
    """The comparative readout the asset's efficacy facts come from, among the readouts marked
    primary (none when the primary ones state no comparison: the facts stay unknown), else
    among those not marked secondary (`primary: false`), else among all. For a metabolic,
    endocrine or cardiovascular asset a change from baseline in HbA1c, body weight or LDL-C
    with a usable gain comes first: it is the registration endpoint there (a responder rate
    beside it is secondary); of the first such kind listed, the largest gain (HbA1c points and
    percent of weight do not compare). Elsewhere (a weight change in an oncology trial is a
    safety or supportive reading) the largest relative gain comes first, then such a change.
    Last, a change whose gain is not on its scale (its unit), which leaves the gain unknown.
    A subgroup or exploratory endpoint with a larger gain never stands in for a primary
    endpoint that the case states."""
    readouts = [r for t in asset.trials or [] for r in t.readouts]
    if against is not None:  # only readouts against these comparator kinds
        readouts = [r for r in readouts if getattr(r.comparator, "kind", None) in against]
    compared = [r for r in readouts if r.delta_relative is not None or _compared_change(r)]
    if any(r.primary for r in readouts):  # a stated primary endpoint without a comparison
        pool = [r for r in compared if r.primary]  # leaves the efficacy facts unknown
    else:
        pool = [r for r in compared if r.primary is None] or compared
    changes = [r for r in pool if r.kind in vocab.CHANGE_ENDPOINTS and r.delta_points is not None]
    relative = [r for r in pool if r.delta_relative is not None]
    if relative and not (changes and asset.therapeutic_area in vocab.CHANGE_ENDPOINT_AREAS):
        return max(relative, key=lambda r: r.delta_relative)
    if changes:
        first = changes[0].kind
        return max((r for r in changes if r.kind is first), key=lambda r: r.delta_points)
    return pool[0] if pool else None


def _compared_change(r: Any) -> bool:
    """A change from baseline stated for the arm and the comparator, in a known direction."""
    return (
        r.kind in vocab.CHANGE_ENDPOINTS
        and r.value is not None
        and r.comparator is not None
        and r.comparator.value is not None
        and r.direction() is not None
    )


def with_derived(asset: Asset, shared: Sequence[Deal] = ()) -> Asset:
    """`asset` with its read-only fields recomputed: for a copy whose stated facts were changed
    without validation (a why-not counterfactual), so derived facts follow the change.
    `shared`: as for `deal_views` (an asset alone cannot see its siblings' deals)."""
    values = derived_values(asset)
    if shared:
        values.update(deal_views(asset.bd, shared))
    return asset.model_copy(update=values)


DERIVED_ASSET_FIELDS = (
    *REGIONAL_VIEWS,
    "efficacy_delta",
    "efficacy_delta_relative",
    "efficacy_delta_points",
    "efficacy_endpoint",
    "efficacy_comparator",
    "efficacy_hazard_ratio",
    "efficacy_active_delta_relative",
    "efficacy_active_delta_points",
    "efficacy_active_endpoint",
    "licensed_territory",
    "rights_territory",
    "fda_complete_response",
)


# Where each derived fact comes from (for `graph --impact asset.trials.readouts` and the like):
# a rule that reads `asset.stage_us` depends on what the case says under `development`.
_STAGE_ORIGINS = ("asset.development", "asset.regulatory.approvals")
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "asset.stage": ("asset.development",),
    **{f"asset.{name}": _STAGE_ORIGINS for name in REGIONAL_VIEWS},
    "asset.efficacy_delta": ("asset.trials.readouts",),
    "asset.efficacy_delta_relative": ("asset.trials.readouts",),
    "asset.efficacy_delta_points": ("asset.trials.readouts",),
    "asset.efficacy_endpoint": ("asset.trials.readouts",),
    "asset.efficacy_comparator": ("asset.trials.readouts",),
    "asset.efficacy_hazard_ratio": ("asset.trials.readouts",),
    "asset.efficacy_active_delta_relative": ("asset.trials.readouts",),
    "asset.efficacy_active_delta_points": ("asset.trials.readouts",),
    "asset.efficacy_active_endpoint": ("asset.trials.readouts",),
    "asset.licensed_territory": ("asset.bd.deals", "asset.bd.status"),
    "asset.rights_territory": ("asset.bd.deals",),
    "asset.fda_complete_response": ("asset.regulatory.complete_response_letters",),
    "asset.trials.readouts.delta": (
        "asset.trials.readouts.value",
        "asset.trials.readouts.comparator",
    ),
    "asset.trials.readouts.delta_relative": (
        "asset.trials.readouts.value",
        "asset.trials.readouts.comparator",
    ),
    "asset.trials.readouts.delta_points": (
        "asset.trials.readouts.value",
        "asset.trials.readouts.comparator",
    ),
}

# Derived facts that one answer fills in: the best readout's figures (its result against its
# comparator, and the endpoint they are on) come from one question to the company, so they
# share one diligence question. The comparator's kind is asked on its own.
ASKED_TOGETHER: tuple[tuple[str, ...], ...] = (
    (
        "asset.efficacy_delta_relative",
        "asset.efficacy_delta_points",
        "asset.efficacy_delta",
        "asset.efficacy_hazard_ratio",
        "asset.efficacy_endpoint",
    ),
)


class Company(Model):
    name: Label
    hq: str | None = Field(None, description="headquarters (city, country)")
    financing_stage: vocab.FinancingStage | None = None
    cash_runway_months: NonNegativeFigure | None = Field(None, description="cash runway in months")
    overseas_capability: vocab.OverseasCapability | None = Field(
        None, description="overseas commercial capability: own, partner or none"
    )
    cash_usd_m: UsdMillionsFigure | None = Field(None, description="cash and equivalents (USD m)")
    annual_burn_usd_m: UsdMillionsFigure | None = Field(
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


# A screen's questions cost a few milliseconds per sparse asset; the largest pharma pipelines
# list about 100-200 programmes. A case of thousands is an export to split, not one company,
# and would tie the screen up for minutes.
MAX_ASSETS = 500


class Case(Model):
    """One screening case file (case schema v2; every v1 file is valid)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="dealscreen case file, schema v2")

    schema_version: Literal[1, 2] | None = Field(
        None, description="case schema version; 1 when absent (every v1 file is valid v2)"
    )
    id: Label | None = Field(None, description="case id; defaults to the file name")
    as_of: CaseDateField | None = Field(
        None, description="date the case data refer to; YYYY-MM when only the month is known"
    )
    analyst: str | None = None
    company: Company
    assets: list[Asset] = Field(
        min_length=1,
        max_length=MAX_ASSETS,
        description=f"the company's drug assets (at most {MAX_ASSETS})",
    )
    sources: list[Source] = Field(default_factory=list)
    notes: str | None = None
    revisit: Revisit | None = Field(None, description="watch list: when to screen again")

    @model_validator(mode="after")
    def _shared_deals(self) -> Case:
        """A deal recorded once, on one asset, for several (`assets: [B]`) licenses B too:
        B's licensed territory (or, for a licence taken in, its rights) reads it (an asset
        alone cannot see its siblings' deals)."""
        for asset in self.assets:
            shared = shared_deals(self.assets, asset)
            if shared:
                for key, value in deal_views(asset.bd, shared).items():
                    object.__setattr__(asset, key, value)
        return self
