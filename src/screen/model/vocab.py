"""Controlled vocabularies shared by case files, rule sets and reports.

Development stage is an *ordered* enum: `'preclinical' >= 'phase2'` is True as strings in every
expression engine, which is exactly the bug we must not have. Rules compare stages by rank; the
compiler turns stage literals in expressions into `Stage` members, so the order is the clinical
one. A trial's phase uses ClinicalTrials.gov's names and is kept separate from the asset's stage.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Stage(IntEnum):
    """Development stage of an asset, in clinical order (the value is the rank)."""

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


def parse_stage(value: object) -> Stage:
    """Accept a stage name (case-insensitive, a few common spellings) or a Stage."""
    if isinstance(value, Stage):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        if key in Stage.__members__:
            return Stage[key]
        if key in STAGE_ALIASES:
            return STAGE_ALIASES[key]
    from screen.model.errors import did_you_mean

    names = ", ".join(Stage.__members__)
    hint = did_you_mean(str(value), Stage.__members__)
    tail = f" ({hint})" if hint else ""
    raise ValueError(f"unknown stage {value!r}; expected one of: {names}{tail}")


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
    other = "other"


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
    """BD deal structures named in T10."""

    out_license = "out_license"
    co_development = "co_development"
    newco = "newco"
    m_and_a = "m_and_a"
    self_commercialise = "self_commercialise"


class Territory(StrEnum):
    global_ = "global"
    ex_china = "ex_china"
    us = "us"
    china = "china"
    asia = "asia"
    other = "other"


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
