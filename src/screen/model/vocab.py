"""Controlled vocabularies shared by case files, rule sets and reports.

Development stage is an *ordered* enum: `'preclinical' >= 'phase2'` is True as strings in every
expression engine, which is exactly the bug we must not have. Rules compare stages by rank; the
compiler turns stage literals in expressions into `Stage` members, so the order is the clinical
one. A trial's phase uses ClinicalTrials.gov's names and is kept separate from the asset's stage.
"""

from __future__ import annotations

import functools
from enum import Enum, IntEnum, StrEnum


class Stage(IntEnum):
    """Development stage of an asset, in clinical order (the value is the rank).

    `none` ("not in development there") exists for a region's stage only (case schema v2,
    `development.us.stage: none`); an asset's own stage, a competitor's or a BD target stage
    is never `none`, so `ASSET_STAGES` is the domain of those fields."""

    none = -1
    preclinical = 0
    ind_enabling = 1
    phase1 = 2
    phase1_2 = 3
    phase2 = 4
    phase3 = 5
    filed = 6
    approved = 7

    def __str__(self) -> str:
        return self.name


ASSET_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s is not Stage.none)

STAGE_ALIASES: dict[str, Stage] = {
    "ind-enabling": Stage.ind_enabling,
    "phase1/2": Stage.phase1_2,
    "phase1/phase2": Stage.phase1_2,
    "phase_1": Stage.phase1,
    "phase_2": Stage.phase2,
    "phase_3": Stage.phase3,
    "nda": Stage.filed,
    "bla": Stage.filed,
}


def parse_stage(value: object, *, regional: bool = True) -> Stage:
    """Accept a stage name (case-insensitive, a few common spellings) or a Stage.

    `regional=False` refuses `none`, which only a region's stage may be."""
    if isinstance(value, Stage):
        if value is Stage.none and not regional:
            raise ValueError(_NONE_ONLY_REGIONAL)
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        if key == "none" and not regional:
            raise ValueError(_NONE_ONLY_REGIONAL)
        if key in Stage.__members__:
            return Stage[key]
        if key in STAGE_ALIASES:
            return STAGE_ALIASES[key]
    from screen.model.errors import did_you_mean

    allowed = [s.name for s in (Stage if regional else ASSET_STAGES)]
    names = ", ".join(allowed)
    hint = did_you_mean(str(value), allowed)
    tail = f" ({hint})" if hint else ""
    raise ValueError(f"unknown stage {value!r}; expected one of: {names}{tail}")


_NONE_ONLY_REGIONAL = (
    "'none' (not in development) is a region's stage only (development.<region>.stage); "
    "leave the field out when the stage is not known"
)


class TrialPhase(StrEnum):
    """Trial phase as ClinicalTrials.gov names it (API v2 `phases` values)."""

    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE1_PHASE2 = "PHASE1/PHASE2"
    PHASE2 = "PHASE2"
    PHASE2_PHASE3 = "PHASE2/PHASE3"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"
    NA = "NA"


class Role(StrEnum):
    core = "core"
    non_core = "non_core"


class Modality(StrEnum):
    small_molecule = "small_molecule"
    monoclonal_antibody = "monoclonal_antibody"
    bispecific_antibody = "bispecific_antibody"
    adc = "adc"
    car_t = "car_t"
    cell_therapy = "cell_therapy"
    gene_therapy = "gene_therapy"
    sirna_rnai = "sirna_rnai"
    antisense = "antisense"
    protein = "protein"
    peptide = "peptide"
    vaccine = "vaccine"
    radioligand = "radioligand"
    # added in case schema v2 (see MODALITY_SOURCES for where each name comes from)
    bispecific_adc = "bispecific_adc"
    trispecific_antibody = "trispecific_antibody"
    fusion_protein = "fusion_protein"
    mrna = "mrna"
    oncolytic_virus = "oncolytic_virus"
    car_nk = "car_nk"
    tcr_t = "tcr_t"
    til = "til"
    gene_editing = "gene_editing"
    protein_degrader = "protein_degrader"
    oligonucleotide = "oligonucleotide"
    microbiome = "microbiome"
    other = "other"


_BIO_2021 = (
    "BIO/Informa/QLS, Clinical Development Success Rates 2011-2020 (Feb 2021), modality "
    "categories (shared/data/success_rates.yaml: by_modality)"
)
_CBER_GT = (
    "FDA CBER, What is Gene Therapy? (fda.gov, Cellular & Gene Therapy Products): gene editing, "
    "viral vectors, patient-derived cellular gene therapy products"
)
_JBS_2024 = "J Biomed Sci 2024;31:89, Fig. 1 (PMC11389359): new FDA-approved modality categories"
_EVALUATE_2024 = "Evaluate, Biotech sponsors dominate 2024 FDA approvals (2024)"
_BCG_2024 = "BCG, New Drug Modalities 2024"

# Where each modality name comes from. No single published taxonomy covers them all; the
# parent category of the BIO/Informa report (which its success rates use) is named for each
# newer one, so a rule can map it onto a rate. Names marked "firm convention" have no category
# in any source found.
MODALITY_SOURCES: dict[str, str] = {
    **{
        m: _BIO_2021
        for m in (
            "small_molecule",
            "monoclonal_antibody",
            "adc",
            "car_t",
            "sirna_rnai",
            "antisense",
            "gene_therapy",
            "protein",
            "peptide",
            "vaccine",
        )
    },
    "bispecific_antibody": f"{_BCG_2024}; {_JBS_2024} (BIO parent: monoclonal_antibody)",
    "trispecific_antibody": "firm convention: a multispecific antibody (BIO parent: "
    "monoclonal_antibody)",
    "bispecific_adc": f"{_EVALUATE_2024}: bispecific antibodies increasingly as ADCs "
    "(BIO parent: adc)",
    "radioligand": f"{_EVALUATE_2024}: radioligand therapies (Lutathera, Pluvicto)",
    "gene_editing": f"{_CBER_GT}; {_JBS_2024} (CRISPR; BIO parent: gene_therapy)",
    "mrna": f"{_BCG_2024}; {_JBS_2024}",
    "car_nk": f"{_CBER_GT} (BIO parent: car_t)",
    "tcr_t": f"{_CBER_GT} (BIO parent: car_t)",
    "til": f"{_BCG_2024} (cell therapy; BIO parent: car_t)",
    "cell_therapy": f"{_BCG_2024} (cell therapy; BIO parent: car_t)",
    "oncolytic_virus": f"{_CBER_GT} (viral vectors; BIO parent: gene_therapy)",
    "oligonucleotide": f"{_EVALUATE_2024}: oligo-based drugs (BIO parent: antisense)",
    "fusion_protein": "firm convention: a recombinant protein subtype (BIO parent: protein)",
    "protein_degrader": "firm convention: PROTAC and molecular-glue degraders, a literature term "
    "with no regulator category (BIO parent: small_molecule)",
    "microbiome": f"{_BCG_2024} (live biotherapeutic products)",
    "other": "any modality not listed",
}


class TherapeuticArea(StrEnum):
    oncology = "oncology"
    hematology = "hematology"
    metabolic = "metabolic"
    autoimmune = "autoimmune"
    infectious_disease = "infectious_disease"
    neurology = "neurology"
    ophthalmology = "ophthalmology"
    cardiovascular = "cardiovascular"
    respiratory = "respiratory"
    psychiatry = "psychiatry"
    endocrine = "endocrine"
    gastroenterology = "gastroenterology"
    urology = "urology"
    allergy = "allergy"
    rare_disease = "rare_disease"
    other = "other"


class LineOfTherapy(StrEnum):
    first_line = "first_line"
    second_line = "second_line"
    third_line_plus = "third_line_plus"
    maintenance = "maintenance"
    adjuvant = "adjuvant"
    neoadjuvant = "neoadjuvant"
    not_applicable = "not_applicable"


class Region(StrEnum):
    china = "china"
    us = "us"
    eu = "eu"
    japan = "japan"
    multiregional = "multiregional"
    rest_of_world = "rest_of_world"


class SocAdequacy(StrEnum):
    """How well the current standard of care serves patients (T2: how poorly it serves them)."""

    no_option = "no_option"
    poor = "poor"
    partial = "partial"
    adequate = "adequate"


class Severity(StrEnum):
    life_threatening = "life_threatening"
    severe = "severe"
    moderate = "moderate"
    mild = "mild"


class DataOrigin(StrEnum):
    china = "china"
    global_ = "global"
    mixed = "mixed"


class DealModel(StrEnum):
    """BD deal structures named in T10, plus an option deal and "no deal planned"."""

    out_license = "out_license"
    option = "option"  # option to license: an option fee now, the licence on exercise
    co_development = "co_development"
    newco = "newco"
    m_and_a = "m_and_a"
    self_commercialise = "self_commercialise"
    none = "none"  # no deal planned (the plan says so; absent means unknown)


class LicenseeKind(StrEnum):
    """Who takes the licence: terms and the odds of a return differ by kind (T6, T10)."""

    large_pharma = "large_pharma"
    mid_size_pharma = "mid_size_pharma"
    biotech = "biotech"
    newco = "newco"
    other = "other"


class DealStatus(StrEnum):
    """What became of a done deal; a plan is not a deal (bd.plan stays apart)."""

    signed = "signed"
    option_exercised = "option_exercised"
    terminated = "terminated"
    returned = "returned"


class DealDirection(StrEnum):
    """Who grants the rights in a deal. The thesis's BD is out-licensing (T5, T10), so a deal
    with no direction is one the company granted; `in` marks an asset the company licensed in
    from its originator, which holds the rest of the world (Greater China rights to a Western
    drug are common among China's biotechs)."""

    out = "out"  # the company grants the partner rights
    in_ = "in"  # the company received the rights from the partner, its licensor


class DevelopmentRegion(StrEnum):
    """Regions whose regulator sets a development stage: NMPA, FDA, EMA, PMDA, the rest."""

    china = "china"
    us = "us"
    eu = "eu"
    japan = "japan"
    rest_of_world = "rest_of_world"


class EndpointKind(StrEnum):
    """Kinds of trial endpoint; the kind says which direction is better."""

    orr = "orr"
    complete_response = "complete_response"
    pathologic_complete_response = "pathologic_complete_response"
    response_rate = "response_rate"
    pfs = "pfs"
    os = "os"
    dfs = "dfs"
    efs = "efs"
    duration_of_response = "duration_of_response"
    hba1c_change = "hba1c_change"
    weight_change = "weight_change"
    ldl_change = "ldl_change"
    other = "other"


# Endpoints where a lower number is the better result (a larger fall in HbA1c, weight, LDL).
LOWER_IS_BETTER = frozenset(
    {EndpointKind.hba1c_change, EndpointKind.weight_change, EndpointKind.ldl_change}
)
# Endpoints that are a change from the patient's own baseline: the comparator's value is a
# change too (a placebo's is often near 0), so a gain is read on the endpoint's own scale
# (percentage points of HbA1c; percent of baseline body weight or LDL-C), not relative to it.
CHANGE_ENDPOINTS = LOWER_IS_BETTER
# Where such a change is what a drug is approved on (the case's efficacy readout, case.py).
CHANGE_ENDPOINT_AREAS = frozenset(
    {TherapeuticArea.metabolic, TherapeuticArea.endocrine, TherapeuticArea.cardiovascular}
)
# Endpoints that are a share of patients: written as fractions (0.45) or percentages (45).
RATE_ENDPOINTS = frozenset(
    {
        EndpointKind.orr,
        EndpointKind.complete_response,
        EndpointKind.pathologic_complete_response,
        EndpointKind.response_rate,
    }
)
# Time-to-event endpoints, whose comparative effect is a hazard ratio.
TIME_TO_EVENT_ENDPOINTS = frozenset(
    {
        EndpointKind.pfs,
        EndpointKind.os,
        EndpointKind.dfs,
        EndpointKind.efs,
        EndpointKind.duration_of_response,
    }
)


class UsEvidencePlan(StrEnum):
    """How a US filing will show that the data apply to US patients and US practice (T7/T8;
    21 CFR 314.106, ICH E5 bridging, ICH E17 multiregional trials)."""

    mrct = "mrct"  # a multiregional trial with US sites is running or has read out
    mrct_planned = "mrct_planned"
    bridging = "bridging"  # a bridging study (ICH E5) is running or planned
    none = "none"  # a filing on ex-US data alone


class CrlReason(StrEnum):
    """What an FDA complete response letter (21 CFR 314.110, 601.3) asks for before the
    application can be approved: the deficiency that decides what comes next."""

    clinical = "clinical"  # efficacy or safety not shown: a new or larger trial
    data_applicability = "data_applicability"  # ex-US data not shown to apply to US patients
    cmc = "cmc"  # manufacturing, facility or inspection findings (quality, not the data)
    other = "other"  # labelling, REMS, administrative: no new trial and no inspection


class FdaResponse(StrEnum):
    """The FDA's latest answer to the US application, as the case records it: no complete
    response letter, or the deficiency the latest one names."""

    none = "none"
    clinical = "clinical"
    data_applicability = "data_applicability"
    cmc = "cmc"
    other = "other"


class ComparatorKind(StrEnum):
    """What a readout is compared with: a randomised arm, or a number from elsewhere."""

    standard_of_care = "standard_of_care"
    active = "active"
    placebo = "placebo"
    historical_control = "historical_control"


class Territory(StrEnum):
    global_ = "global"
    ex_china = "ex_china"
    us = "us"
    china = "china"
    asia = "asia"
    other = "other"


# What the deals in force license (derived, `deals.licensed_territory`): a `Territory`, or
# `none` when the case says no deal is in force. `asia` and `other` are partial territories
# outside China; several deals in force that cover different ones read as `other`.
LicensedTerritory = StrEnum(  # type: ignore[misc]  # the territories, one more value
    "LicensedTerritory",
    [*((t.name, t.value) for t in Territory), ("none", "none")],
    module=__name__,
)


class BdStatus(StrEnum):
    none = "none"
    preparing = "preparing"
    in_discussion = "in_discussion"
    term_sheet = "term_sheet"
    partnered = "partnered"
    returned = "returned"


class MarketScope(StrEnum):
    """Where the commercial plan sells the asset (T4)."""

    domestic = "domestic"
    global_ = "global"


class OverseasCapability(StrEnum):
    """T12: can the company commercialise overseas itself, with partners, or not at all."""

    own = "own"
    partner = "partner"
    none = "none"


class FinancingStage(StrEnum):
    seed = "seed"
    angel = "angel"
    series_a = "series_a"
    series_b = "series_b"
    series_c = "series_c"
    series_d_plus = "series_d_plus"
    pre_ipo = "pre_ipo"
    public = "public"


class IndStatus(StrEnum):
    none = "none"
    planned = "planned"
    submitted = "submitted"
    cleared = "cleared"


class Designation(StrEnum):
    breakthrough_therapy = "breakthrough_therapy"
    fast_track = "fast_track"
    orphan_drug = "orphan_drug"
    priority_review = "priority_review"
    rmat = "rmat"
    accelerated_approval = "accelerated_approval"
    rare_pediatric_disease = "rare_pediatric_disease"
    nmpa_breakthrough = "nmpa_breakthrough"
    prime = "prime"


class Agency(StrEnum):
    fda = "fda"
    ema = "ema"
    nmpa = "nmpa"
    pmda = "pmda"
    mhra = "mhra"
    hsa = "hsa"
    other = "other"


class FigureStatus(StrEnum):
    verified = "verified"
    company_reported = "company-reported"
    estimate = "estimate"


_BASES = (Enum, IntEnum, StrEnum)


@functools.cache
def vocabulary_words() -> frozenset[str]:
    """Every value of the case vocabulary (stages, territories, areas, ...): a rule that
    writes one bare (`asset.stage >= phase2`) is told to quote it."""
    words: set[str] = {s.name for s in Stage}
    for value in globals().values():
        if isinstance(value, type) and issubclass(value, Enum) and value not in _BASES:
            words.update(str(m.value) for m in value if isinstance(m.value, str))
    return frozenset(w for w in words if w.isidentifier())
