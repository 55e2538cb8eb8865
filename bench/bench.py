"""Engine benchmark: per-asset evaluation cost, and the engine against hand-written Python.

    .venv/bin/python bench/bench.py [--n 2000] [--seed 7] [--reps 5] [--json [PATH]] [--profile]

What it does (see bench/README.md):

1. builds N synthetic `Case` objects in memory (seeded, varied, ~10% of fields absent);
2. times `evaluate_asset` with the bundled thesis, with and without trace;
3. compiles a small fixed rule set (SMALL_RULES below) and checks that the engine agrees with
   `hand_screen`, a plain-Python transcription of the same rules, on every asset that leaves
   no field those rules read absent (the transcription reads an absent field the simple way);
4. times hand-written vs engine (no trace, trace) on the small rule set, best of --reps runs,
   and prints the ratios next to the targets (no-trace within 3x, trace within 6x);
5. for context, writes 500 case files to a temp dir and times `screen.engine.loader.load_case`.

Nothing here asserts on time; the only assertions are correctness checks.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import gc
import io
import json
import platform
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import yaml

from screen.engine import evaluate as engine_mod
from screen.engine.compiler import compile_ruleset
from screen.engine.evaluate import evaluate_asset
from screen.engine.loader import load_case, load_ruleset
from screen.engine.plan import CompiledRuleSet
from screen.lang.unknown import has_unknown
from screen.model.case import Asset, Case, Company
from screen.model.ruleset import RuleSetFile
from screen.model.validation import validate_doc
from screen.model.vocab import (
    ASSET_STAGES,
    FinancingStage,
    IndStatus,
    MarketScope,
    OverseasCapability,
    Role,
    Severity,
    SocAdequacy,
    Stage,
)
from screen.model.yamlsource import parse_yaml

TARGET_NO_TRACE = 3.0  # engine (no trace) / hand-written
TARGET_TRACE = 6.0  # engine (trace) / hand-written
SCORE_DIGITS = 6

# --------------------------------------------------------------------------- the small rule set
# 3 gates, 6 weighted criteria (5 scored by bands, 1 by the stage x role table), 1 derived fact,
# 1 decision table with hit policy `unique`, decision thresholds.

SMALL_RULES = """\
ruleset:
  name: bench-small
  version: "1.0"
  description: Small fixed rule set for the engine-vs-hand-written benchmark.
  scale: 5

parameters:
  large_population: {value: 500000, unit: patients, source: "bench: convention"}
  niche_population: {value: 50000, unit: patients, source: "bench: convention"}
  large_china_population: {value: 300000, unit: patients in China, source: "bench: convention"}
  min_runway: {value: 12, unit: months, source: "bench: convention"}
  max_late_competitors: {value: 2, unit: programs at phase 3+, source: "bench: convention"}

derived:
  global_patients:
    expr: >-
      asset.epidemiology.us + asset.epidemiology.eu + asset.epidemiology.china
      + coalesce(asset.epidemiology.rest_of_world, 0)

tables:
  stage_role:
    hit_policy: unique
    inputs: [asset.role, asset.stage]
    rows:
      - {id: sr.noncore_early, when: [non_core, "<= phase1_2"], output: 4,
         rationale: "T5: non-core assets trade early"}
      - {id: sr.noncore_late, when: [non_core, ">= phase2"], output: 5,
         rationale: "T5/T6: later non-core asset is BD-ready"}
      - {id: sr.core_preclinical, when: [core, "<= ind_enabling"], output: 1,
         rationale: "T5: core asset needs clinical data first"}
      - {id: sr.core_early, when: [core, [phase1, phase1_2]], output: 2,
         rationale: "T5/T6: early core asset"}
      - {id: sr.core_phase2, when: [core, phase2], output: 3.5,
         rationale: "T5/T6: phase 2 data support a deal"}
      - {id: sr.core_late, when: [core, ">= phase3"], output: 5,
         rationale: "T6: late core asset, low termination risk"}

gates:
  - id: g.unmet_need
    require: asset.unmet_need.addressed == true
    rationale: "T1: must address an unmet need"
  - id: g.soc_gap
    require: asset.standard_of_care.adequacy != 'adequate'
    rationale: "T1/T2: standard of care leaves a gap"
  - id: g.runway
    require: >-
      company.cash_runway_months >= params.min_runway or company.financing_stage == 'public'
    rationale: "bench: enough cash to reach the next readout, unless listed"

criteria:
  - id: need_size
    weight: 0.25
    bands:
      - id: need.large_severe
        when: >-
          derived.global_patients >= params.large_population
          and asset.unmet_need.severity in ['life_threatening', 'severe']
        score: 5
        rationale: "T2: large and severe"
      - id: need.large
        when: derived.global_patients >= params.large_population
        score: 4
        rationale: "T2: large"
      - id: need.moderate
        when: derived.global_patients >= params.niche_population
        score: 2.5
        rationale: "T2: mid-sized"
      - {id: need.niche, when: "true", score: 1, rationale: "T2: niche"}
  - id: competitiveness
    weight: 0.2
    bands:
      - id: comp.crowded
        when: >-
          count_at_least(asset.competition.same_target_programs.stage, 'phase3')
          > params.max_late_competitors and not asset.competition.first_in_class
        score: 1
        rationale: "T3: crowded target"
      - {id: comp.fic, when: asset.competition.first_in_class, score: 5, rationale: "T3: FIC"}
      - {id: comp.bic, when: asset.competition.best_in_class, score: 3.5, rationale: "T3: BIC"}
      - {id: comp.follower, when: "true", score: 1.5, rationale: "T3: follower"}
  - id: us_path
    weight: 0.2
    bands:
      - id: us.designated
        when: >-
          asset.regulatory.fda_ind == 'cleared'
          and len(coalesce(asset.regulatory.designations, [])) > 0
        score: 5
        rationale: "T8: IND cleared with a designation"
      - id: us.cleared
        when: asset.regulatory.fda_ind == 'cleared'
        score: 4
        rationale: "T8: IND cleared"
      - id: us.planned
        when: asset.regulatory.fda_ind in ['planned', 'submitted']
        score: 2
        rationale: "T8: IND planned"
      - {id: us.none, when: "true", score: 0.5, rationale: "T8: no FDA path"}
  - id: market_scope
    weight: 0.1
    bands:
      - id: mkt.global
        when: asset.bd.plan.market_scope == 'global'
        score: 5
        rationale: "T4: global plan"
      - id: mkt.large_china
        when: asset.epidemiology.china >= params.large_china_population
        score: 3
        rationale: "T4: large domestic indication"
      - {id: mkt.domestic, when: "true", score: 1, rationale: "T4: niche domestic"}
  - id: bd_readiness
    weight: 0.15
    table: stage_role
  - id: overseas
    weight: 0.1
    bands:
      - id: os.own
        when: company.overseas_capability == 'own'
        score: 5
        rationale: "T12(a): own overseas capability"
      - id: os.partner
        when: company.overseas_capability == 'partner'
        score: 4
        rationale: "T12(a): with partners"
      - {id: os.none, when: "true", score: 2, rationale: "T12: domestic only"}

decision:
  advance: 3.5
  watch: 2.5
  company: best
  weights_sum: 1.0
"""


def compile_small() -> CompiledRuleSet:
    doc = parse_yaml(SMALL_RULES, "bench/small.yaml")
    model = validate_doc(RuleSetFile, doc)
    return compile_ruleset([(doc, model)], "bench")


# --------------------------------------------------------------------------- hand-written twin
# The same rules in plain Python on the same pydantic objects. An absent field (None) makes the
# comparison it appears in false, which is one of the values an unknown could take; wherever the
# engine's three-valued logic still reaches a known result, that result holds for every value of
# the unknown, so it agrees with this one.

_LARGE_POP, _NICHE_POP, _LARGE_CHINA = 500_000, 50_000, 300_000
_MIN_RUNWAY, _MAX_LATE = 12, 2
_SEVERE = (Severity.life_threatening, Severity.severe)
_IND_PLANNED = (IndStatus.planned, IndStatus.submitted)


def _claim(claim: Any) -> bool | None:
    """A first/best-in-class claim as rules read it: its true/false value (the model object
    itself is always truthy)."""
    return None if claim is None else claim.value


def hand_screen(company: Company, asset: Asset) -> tuple[str, float]:
    """(decision, weighted score 0..5) for one asset under SMALL_RULES."""
    un = asset.unmet_need
    soc = asset.standard_of_care
    epi = asset.epidemiology
    comp = asset.competition
    reg = asset.regulatory

    # gates
    adequacy = soc.adequacy if soc is not None else None
    runway = company.cash_runway_months
    gates_pass = (
        un is not None
        and un.addressed is True
        and adequacy is not None
        and adequacy != SocAdequacy.adequate
        and (
            (runway is not None and runway.value >= _MIN_RUNWAY)
            or company.financing_stage == FinancingStage.public
        )
    )

    # need_size (derived.global_patients)
    gp = None
    if epi is not None and epi.us is not None and epi.eu is not None and epi.china is not None:
        row = epi.rest_of_world.value if epi.rest_of_world is not None else 0
        gp = epi.us.value + epi.eu.value + epi.china.value + row
    if gp is not None and gp >= _LARGE_POP:
        need = 5.0 if un is not None and un.severity in _SEVERE else 4.0
    elif gp is not None and gp >= _NICHE_POP:
        need = 2.5
    else:
        need = 1.0

    # competitiveness
    fic = _claim(comp.first_in_class) if comp is not None else None
    bic = _claim(comp.best_in_class) if comp is not None else None
    progs = comp.same_target_programs if comp is not None else None
    late = None
    if progs is not None:
        stages = [p.stage for p in progs]
        if None not in stages:
            late = sum(1 for s in stages if s >= Stage.phase3)
    if late is not None and late > _MAX_LATE and not fic:
        competitive = 1.0
    elif fic:
        competitive = 5.0
    elif bic:
        competitive = 3.5
    else:
        competitive = 1.5

    # us_path
    ind = reg.fda_ind if reg is not None else None
    if ind == IndStatus.cleared:
        designated = reg is not None and reg.designations is not None and len(reg.designations) > 0
        us = 5.0 if designated else 4.0
    elif ind in _IND_PLANNED:
        us = 2.0
    else:
        us = 0.5

    # market_scope
    bd = asset.bd
    plan = bd.plan if bd is not None else None
    if plan is not None and plan.market_scope == MarketScope.global_:
        market = 5.0
    elif epi is not None and epi.china is not None and epi.china.value >= _LARGE_CHINA:
        market = 3.0
    else:
        market = 1.0

    # bd_readiness (table stage_role, hit policy unique)
    role, stage = asset.role, asset.stage
    if role is None or stage is None:
        readiness = 0.0
    elif role == Role.non_core:
        readiness = 4.0 if stage <= Stage.phase1_2 else 5.0
    elif stage <= Stage.ind_enabling:
        readiness = 1.0
    elif stage <= Stage.phase1_2:
        readiness = 2.0
    elif stage == Stage.phase2:
        readiness = 3.5
    else:
        readiness = 5.0

    # overseas
    oc = company.overseas_capability
    if oc == OverseasCapability.own:
        overseas = 5.0
    elif oc == OverseasCapability.partner:
        overseas = 4.0
    else:
        overseas = 2.0

    score = (
        need * 0.25
        + competitive * 0.2
        + us * 0.2
        + market * 0.1
        + readiness * 0.15
        + overseas * 0.1
    )
    if not gates_pass:
        return "decline", score
    if score >= 3.5:
        return "advance", score
    if score >= 2.5:
        return "watch", score
    return "decline", score


# --------------------------------------------------------------------------- synthetic cases

AREAS: dict[str, tuple[list[str], tuple[float, float]]] = {
    # area: (indications, log10 range of US addressable patients)
    "oncology": (
        [
            "NSCLC",
            "HER2+ breast cancer",
            "HCC",
            "gastric cancer",
            "colorectal cancer",
            "pancreatic cancer",
            "ovarian cancer",
        ],
        (4.0, 5.4),
    ),
    # non-malignant blood disease, as BIO/Informa's 'hematology' (blood cancers are oncology:
    # the loader warns about a lymphoma filed here, which costs a located re-read per file)
    "hematology": (
        ["beta-thalassaemia", "sickle cell disease", "haemophilia A", "immune thrombocytopenia"],
        (3.7, 4.9),
    ),
    "metabolic": (["obesity", "MASH", "type 2 diabetes", "hypertriglyceridaemia"], (5.5, 7.2)),
    "autoimmune": (
        ["SLE", "psoriasis", "rheumatoid arthritis", "IgA nephropathy", "ulcerative colitis"],
        (4.7, 6.3),
    ),
    "neurology": (["ALS", "Alzheimer's disease", "migraine"], (4.2, 6.5)),
    "ophthalmology": (["wet AMD", "diabetic macular oedema"], (5.0, 6.2)),
    "infectious_disease": (["chronic hepatitis B", "RSV"], (5.0, 6.3)),
    "cardiovascular": (["obstructive HCM", "resistant hypertension"], (4.5, 6.8)),
    "respiratory": (["IPF", "COPD", "severe asthma"], (4.8, 6.8)),
    "rare_disease": (["Fabry disease", "DMD", "PNH"], (3.0, 4.2)),
    "allergy": (["atopic dermatitis", "food allergy"], (5.5, 6.9)),
}
AREA_WEIGHTS = [30, 10, 12, 14, 6, 4, 5, 5, 5, 6, 3]
TARGETS = [
    "EGFR",
    "HER2",
    "Claudin18.2",
    "TROP2",
    "PD-1",
    "PD-L1xVEGF",
    "GLP-1R",
    "GIP/GLP-1R",
    "KRAS G12C",
    "CD19",
    "BCMA",
    "FXR",
    "TSLP",
    "IL-17A",
    "JAK1",
    "APOC3",
    "PCSK9",
    "FcRn",
    "C5",
    "TL1A",
    "B7-H3",
    "CDH17",
    "GPRC5D",
    "Lp(a)",
    "IL-4Ra",
]
MODALITIES = [
    "small_molecule",
    "monoclonal_antibody",
    "bispecific_antibody",
    "adc",
    "car_t",
    "cell_therapy",
    "gene_therapy",
    "sirna_rnai",
    "antisense",
    "protein",
    "peptide",
    "radioligand",
    "other",
]
STAGES = [s.name for s in ASSET_STAGES]
STAGE_WEIGHTS = [12, 10, 20, 12, 20, 14, 6, 6]
RIVALS = [
    "Hengrui",
    "Innovent",
    "BeiGene",
    "Akeso",
    "Kelun",
    "Hansoh",
    "AstraZeneca",
    "Merck",
    "Pfizer",
    "Roche",
    "Lilly",
    "Novo Nordisk",
    "Amgen",
    "Daiichi Sankyo",
    "Zai Lab",
]
CITIES = [
    "Shanghai, China",
    "Suzhou, China",
    "Beijing, China",
    "Hangzhou, China",
    "Guangzhou, China",
    "Shenzhen, China",
    "Chengdu, China",
    "Hong Kong",
]
SYLLABLES = [
    "Ad",
    "Bio",
    "Cel",
    "Gen",
    "Hua",
    "Jin",
    "Kang",
    "Lu",
    "Ming",
    "Nova",
    "Qi",
    "Rui",
    "Sino",
    "Tai",
    "Xin",
    "Yao",
    "Zhi",
]
SUFFIXES = ["Biopharma", "Therapeutics", "Biotech", "Pharmaceuticals", "Biosciences"]
SOURCES = [
    {
        "id": "co-deck",
        "title": "Company investor presentation",
        "document": "deck-2024Q3.pdf",
        "publisher": "company",
    },
    {
        "id": "globocan-2022",
        "title": "GLOBOCAN 2022",
        "url": "https://gco.iarc.who.int/",
        "publisher": "IARC",
        "date": "2023-12-01",  # before every generated as_of (2024 on)
    },
    {
        "id": "cde-2024",
        "title": "CDE clinical trial registry",
        "url": "https://www.chinadrugtrials.org.cn/",
    },
]
SOURCE_IDS = [s["id"] for s in SOURCES]
ENDPOINT_KINDS = {
    "ORR": "orr",
    "PFS": "pfs",
    "HbA1c change": "hba1c_change",
    "weight loss": "weight_change",
    "PASI 75": "response_rate",
    "EASI 75": "response_rate",
}


class CaseFactory:
    """Seeded generator of case-file dicts (YAML-shaped: enum values and stages as text)."""

    def __init__(self, seed: int, absent: float = 0.1):
        self.rng = random.Random(seed)
        self.absent = absent
        self.as_of: dt.date | None = None  # of the case being made

    # -- helpers
    def put(self, d: dict[str, Any], key: str, value: Any) -> None:
        """Set an optional field, leaving it absent with probability `absent`."""
        if value is not None and self.rng.random() >= self.absent:
            d[key] = value

    def pick(self, items: list[Any], weights: list[float] | None = None) -> Any:
        return self.rng.choices(items, weights)[0]

    def date(self, start: int = 2019, end: int = 2025) -> str:
        """A date in [start, end), and not after the case's `as_of` (a later one is a load
        warning, which real case files seldom carry and which costs the locating reader)."""
        day = dt.date(start, 1, 1) + dt.timedelta(days=self.rng.randrange((end - start) * 365))
        if self.as_of is not None and day > self.as_of:
            day = self.as_of - dt.timedelta(days=self.rng.randrange(1, 400))
        return day.isoformat()

    def figure(self, value: float, unit: str | None = None) -> Any:
        """A bare number half the time, else a sourced figure mapping."""
        if self.rng.random() < 0.5:
            return value
        fig: dict[str, Any] = {"value": value}
        self.put(fig, "unit", unit)
        self.put(fig, "source", self.pick(SOURCE_IDS))
        self.put(fig, "as_of", self.date(2021, 2025))
        self.put(fig, "status", self.pick(["verified", "company-reported", "estimate"]))
        return fig

    # -- parts
    def company(self) -> dict[str, Any]:
        r = self.rng
        c: dict[str, Any] = {
            "name": f"{self.pick(SYLLABLES)}{self.pick(SYLLABLES).lower()} {self.pick(SUFFIXES)}"
        }
        self.put(c, "hq", self.pick(CITIES))
        fin = self.pick(
            [
                "seed",
                "angel",
                "series_a",
                "series_b",
                "series_c",
                "series_d_plus",
                "pre_ipo",
                "public",
            ],
            [3, 3, 15, 20, 15, 8, 10, 26],
        )
        self.put(c, "financing_stage", fin)
        self.put(c, "cash_runway_months", self.figure(r.randrange(4, 61), "months"))
        self.put(c, "overseas_capability", self.pick(["own", "partner", "none"], [2, 3, 5]))
        self.put(
            c,
            "domestic_sales_growth",
            self.figure(round(r.uniform(-0.1, 0.9), 3), "fraction") if r.random() < 0.4 else 0,
        )
        self.put(c, "description", "China-origin biotech with a clinical-stage pipeline")
        burn = r.randrange(10, 200)
        self.put(c, "annual_burn_usd_m", self.figure(burn, "USD m"))
        self.put(c, "cash_usd_m", self.figure(round(burn * r.uniform(0.3, 4.0)), "USD m"))
        return c

    def trial(self, area_regions: list[str], data: bool = False) -> dict[str, Any]:
        """A trial; `data`: it has read out against a comparator (an asset from phase 2 on)."""
        r = self.rng
        t: dict[str, Any] = {}
        if r.random() < 0.7:
            self.put(t, "nct_id", f"NCT{r.randrange(10**8):08d}")
        else:
            self.put(t, "registry_id", f"CTR{r.randrange(2019, 2025)}{r.randrange(10**4):04d}")
        self.put(t, "phase", self.pick(["PHASE1", "PHASE1/PHASE2", "PHASE2", "PHASE3"]))
        self.put(t, "region", self.pick(area_regions))
        self.put(t, "size", self.figure(r.randrange(12, 900), "patients"))
        self.put(t, "status", self.pick(["RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED"]))
        if data or r.random() < 0.4:
            ro: dict[str, Any] = {
                "endpoint": self.pick(
                    ["ORR", "PFS", "HbA1c change", "weight loss", "PASI 75", "EASI 75"]
                )
            }
            self.put(ro, "result", self.pick(["positive", "met primary endpoint", "mixed"]))
            kind = ENDPOINT_KINDS[ro["endpoint"]]
            self.put(ro, "kind", kind)
            if kind == "hba1c_change":  # lower is better: a larger fall, in HbA1c points
                value = -round(r.uniform(0.3, 2.5), 1)
                versus = round(value * r.uniform(0.0, 1.1), 1)
            elif kind == "weight_change":  # percent of baseline; above 1, so never ambiguous
                value = -round(r.uniform(1.5, 20), 1)
                versus = round(value * r.uniform(0.0, 1.1), 1)
            else:
                value = round(r.uniform(5, 70), 1)
                versus = round(value * r.uniform(0.4, 1.1), 1)
            self.put(ro, "value", self.figure(value, "%"))
            if data or r.random() < 0.7:
                comparator: dict[str, Any] = {}
                self.put(
                    comparator,
                    "kind",
                    self.pick(["standard_of_care", "placebo", "active", "historical_control"]),
                )
                self.put(comparator, "value", self.figure(versus, "%"))
                self.put(ro, "comparator", comparator)
            self.put(ro, "date", self.date(2022, 2025))
            t["readouts"] = [ro]
        return t

    def asset(self, i: int, core: bool) -> dict[str, Any]:
        r = self.rng
        area = self.pick(list(AREAS), AREA_WEIGHTS)
        indications, (lo, hi) = AREAS[area]
        stage = self.pick(STAGES, STAGE_WEIGHTS)
        rank = Stage[stage]
        a: dict[str, Any] = {
            "id": f"A{i + 1}",
            "name": f"{self.pick(SYLLABLES).upper()}-{r.randrange(100, 999)}",
        }
        self.put(a, "role", ("core" if core else self.pick(["non-core", "non_core"])))
        self.put(a, "modality", self.pick(MODALITIES))
        self.put(a, "target", self.pick(TARGETS))
        self.put(a, "mechanism", "inhibitor" if r.random() < 0.5 else "agonist")
        self.put(a, "indication", self.pick(indications))
        self.put(a, "therapeutic_area", area)
        self.put(
            a,
            "line_of_therapy",
            self.pick(
                ["first_line", "second_line", "third_line_plus", "maintenance", "not_applicable"]
            ),
        )
        self.put(a, "stage", stage)
        if rank >= Stage.phase1:
            self.put(
                a,
                "trials",
                [
                    self.trial(["china", "us", "multiregional"], k == 0 and rank >= Stage.phase2)
                    for k in range(r.randrange(1, 3))
                ],
            )
        soc: dict[str, Any] = {}
        self.put(soc, "description", "chemotherapy or approved biologics")
        self.put(
            soc, "adequacy", self.pick(["no_option", "poor", "partial", "adequate"], [2, 4, 5, 1])
        )
        self.put(a, "standard_of_care", soc)
        un: dict[str, Any] = {}
        self.put(un, "addressed", r.random() < 0.88)
        self.put(
            un,
            "severity",
            self.pick(
                ["life_threatening", "severe", "moderate", "mild"],
                [4 if area == "oncology" else 1, 3, 3, 1],
            ),
        )
        self.put(un, "evidence", "phase 2 data vs standard of care")
        self.put(a, "unmet_need", un)
        us = round(10 ** r.uniform(lo, hi))
        epi: dict[str, Any] = {}
        self.put(epi, "us", self.figure(us, "patients"))
        self.put(epi, "eu", self.figure(round(us * r.uniform(0.7, 1.4)), "patients"))
        self.put(epi, "china", self.figure(round(us * r.uniform(0.8, 4.0)), "patients"))
        self.put(epi, "rest_of_world", self.figure(round(us * r.uniform(0.5, 3.0)), "patients"))
        self.put(epi, "basis", "prevalence, diagnosed")
        self.put(a, "epidemiology", epi)
        comp: dict[str, Any] = {}
        progs = []
        for k in range(self.pick([0, 1, 2, 3, 4, 5, 6], [10, 15, 20, 20, 15, 10, 10])):
            p: dict[str, Any] = {"name": f"{self.pick(RIVALS)[:3].upper()}-{r.randrange(10, 999)}"}
            self.put(p, "company", self.pick(RIVALS))
            self.put(p, "stage", self.pick(STAGES, [5, 5, 20, 10, 25, 20, 8, 7]))
            self.put(p, "region", self.pick(["china", "us", "eu", "multiregional"]))
            progs.append(p)
            del k
        self.put(comp, "same_target_programs", progs)
        self.put(comp, "first_in_class", self.claim(r.random() < 0.2))
        self.put(comp, "best_in_class", self.claim(r.random() < 0.35))
        self.put(comp, "differentiation", "better selectivity")
        self.put(a, "competition", comp)
        reg: dict[str, Any] = {}
        self.put(
            reg, "fda_ind", self.pick(["none", "planned", "submitted", "cleared"], [25, 20, 10, 45])
        )
        designations = r.sample(
            [
                "breakthrough_therapy",
                "fast_track",
                "orphan_drug",
                "nmpa_breakthrough",
                "priority_review",
            ],
            self.pick([0, 0, 1, 2]),
        )
        self.put(reg, "designations", designations)
        if rank >= Stage.approved:
            approvals = [{"agency": "nmpa", "date": self.date(2021, 2025)}]
            if r.random() < 0.3:
                approvals.append({"agency": "fda", "date": self.date(2022, 2025)})
            self.put(reg, "approvals", approvals)
        self.put(reg, "us_evidence_plan", self.pick(["mrct", "mrct_planned", "bridging", "none"]))
        self.put(a, "regulatory", reg)
        agencies = {x["agency"] for x in reg.get("approvals", [])}
        self.put(a, "development", self.development(stage, agencies))
        if a.get("development", {}).get("us", {}).get("stage") == "filed":
            # the FDA's answer to the US filing so far (thesis 1.7): mostly none yet
            letters = [[], [], [], [{"reason": "cmc"}], [{"reason": "clinical"}]]
            self.put(reg, "complete_response_letters", self.pick(letters))
        self.put(a, "data_origin", self.pick(["china", "global", "mixed"], [6, 2, 2]))
        bd: dict[str, Any] = {}
        self.put(
            bd,
            "status",
            self.pick(
                ["none", "preparing", "in_discussion", "term_sheet", "partnered"], [4, 3, 2, 1, 1]
            ),
        )
        plan: dict[str, Any] = {}
        self.put(
            plan,
            "deal_model",
            self.pick(
                ["out_license", "co_development", "newco", "m_and_a", "self_commercialise"],
                [6, 2, 2, 1, 2],
            ),
        )
        self.put(plan, "territory", self.pick(["global", "ex_china", "us", "china"]))
        self.put(plan, "target_stage", self.pick(["phase1", "phase2", "phase3"]))
        self.put(plan, "market_scope", self.pick(["domestic", "global"], [4, 6]))
        self.put(bd, "plan", plan)
        if bd.get("status") == "partnered":
            deal: dict[str, Any] = {"partner": self.pick(RIVALS[6:])}
            self.put(deal, "deal_model", "out_license")
            self.put(deal, "territory", "ex_china")
            self.put(deal, "date", self.date(2022, 2025))
            self.put(deal, "upfront_usd_m", self.figure(r.randrange(10, 300), "USD m"))
            self.put(deal, "total_value_usd_m", self.figure(r.randrange(300, 3000), "USD m"))
            bd["deals"] = [deal]
        self.put(a, "bd", bd)
        self.put(a, "peak_sales_usd_m", self.figure(r.randrange(50, 3000), "USD m"))
        return a

    def claim(self, value: bool) -> Any:
        """A first/best-in-class claim: bare half the time, else with its source and status."""
        if self.rng.random() < 0.5:
            return value
        out: dict[str, Any] = {"value": value}
        self.put(out, "source", self.pick(SOURCE_IDS))
        self.put(out, "status", self.pick(["verified", "company-reported", "estimate"]))
        return out

    def development(self, stage: str, agencies: set[str]) -> dict[str, Any]:
        """Stages in China and the US (schema v2), consistent with the asset's most advanced
        `stage` and its approvals: the lead region holds that stage, the other one it or less
        (or none); an approved stage only where an agency's approval says so."""
        rank = Stage[stage]
        lead = self.pick(["china", "us", "both"], [6, 2, 2])
        below = [s for s in STAGES if Stage[s] < min(rank, Stage.approved)] + ["none"]
        regions = {
            "china": stage if lead != "us" else self.pick(below),
            "us": stage if lead != "china" else self.pick(below),
        }
        if rank >= Stage.approved:
            regions["china"] = "approved" if "nmpa" in agencies else self.pick(below)
            regions["us"] = "approved" if "fda" in agencies else self.pick(below)
            if "approved" not in regions.values():
                regions["china"] = "approved"
        out: dict[str, Any] = {}
        for region, value in regions.items():
            if value != "none" or self.rng.random() < 0.5:
                out[region] = {"stage": value}
        return out

    def case(self, i: int) -> dict[str, Any]:
        n_assets = self.pick([1, 2, 3], [45, 35, 20])
        d: dict[str, Any] = {"id": f"bench-{i:05d}"}
        self.as_of = None
        self.put(d, "as_of", self.date(2024, 2025))
        self.as_of = dt.date.fromisoformat(d["as_of"]) if "as_of" in d else None
        self.put(d, "analyst", self.pick(["lw", "zh", "mk"]))
        d["company"] = self.company()
        d["assets"] = [
            self.asset(k, core=k == 0 or self.rng.random() < 0.1) for k in range(n_assets)
        ]
        d["sources"] = SOURCES
        return d


def build_cases(n: int, seed: int, absent: float) -> tuple[list[dict[str, Any]], list[Case]]:
    factory = CaseFactory(seed, absent)
    dicts = [factory.case(i) for i in range(n)]
    return dicts, [Case.model_validate(d) for d in dicts]


# --------------------------------------------------------------------------- timing


def best_of(fns: dict[str, Callable[[], Any]], reps: int) -> dict[str, float]:
    """Best wall time (s) of `reps` runs of each fn, the runs interleaved (a, b, c, a, b, c...)
    so that background load hits every contender alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(reps):
        for name, fn in fns.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def run_engine(
    rs: CompiledRuleSet, pairs: list[tuple[Case, Asset]], trace: bool, keep: bool = False
) -> Callable[[], Any]:
    """Evaluate every asset. By default each result is dropped once made (streaming, like the
    CLI, which turns each outcome into a result dict); keep=True holds all outcomes in a list."""
    if keep:

        def go_keep() -> list[Any]:
            return [evaluate_asset(rs, case, asset, trace=trace) for case, asset in pairs]

        return go_keep

    def go() -> None:
        for case, asset in pairs:
            evaluate_asset(rs, case, asset, trace=trace)

    return go


def run_score(rs: CompiledRuleSet, pairs: list[tuple[Case, Asset]]) -> Callable[[], Any] | None:
    """engine.score_asset (decision and score only), if this version of the engine has it."""
    score_asset = getattr(engine_mod, "score_asset", None)
    if score_asset is None:
        return None

    def go() -> None:
        for case, asset in pairs:
            score_asset(rs, case, asset)

    return go


def run_hand(pairs: list[tuple[Case, Asset]]) -> Callable[[], Any]:
    def go() -> None:
        for case, asset in pairs:
            hand_screen(case.company, asset)

    return go


def takes_fast_path(rs: CompiledRuleSet, case: Case, asset: Asset) -> bool | None:
    """Whether the generated fast path decides this asset (None if the engine has no fast path).

    As the engine asks it: the generated function takes the asset's fact table (one argument,
    filled by `extract_facts`) and gives way by raising; `try_fast_path` does both."""
    extract = getattr(engine_mod, "extract_facts", None)
    attempt = getattr(engine_mod, "try_fast_path", None)
    if extract is None or attempt is None:
        return None
    return bool(attempt(rs, extract(rs, case, asset)))


def interpreter_only(rs: CompiledRuleSet) -> CompiledRuleSet | None:
    """A copy of `rs` whose fast path always steps aside (as tests/test_fastpath.py does)."""
    if not hasattr(rs, "_fast"):
        return None
    from screen.engine.fastpath import Fallback

    def never_fast(*_: Any) -> dict[str, Any]:
        raise Fallback

    return dataclasses.replace(rs, _fast=never_fast)


def check_agreement(rs: CompiledRuleSet, pairs: list[tuple[Case, Asset]]) -> dict[str, Any]:
    """Engine vs hand-written on every asset that leaves no field the rules read absent.

    Not "every asset whose engine result has no unknowns": the engine knows an unknown count
    is at least 0, so US patients absent beside 949,000 elsewhere still make the population
    large, while `hand_screen` reads the sum as absent (and since the engine stopped asking
    about facts no unknown rule waits on, such assets report no unknowns)."""
    compared = agreed = via_fast = 0
    decisions: Counter[str] = Counter()
    mismatches: list[str] = []
    for case, asset in pairs:
        out = evaluate_asset(rs, case, asset, trace=False)
        decisions[out.decision] += 1
        facts = engine_mod.extract_facts(rs, case, asset)
        if out.unknowns or any(has_unknown(facts[k]) for k in rs.fields):
            continue
        compared += 1
        via_fast += bool(takes_fast_path(rs, case, asset))
        want_decision, want_score = hand_screen(case.company, asset)
        if out.decision == want_decision and round(out.score, SCORE_DIGITS) == round(
            want_score, SCORE_DIGITS
        ):
            agreed += 1
        elif len(mismatches) < 10:
            mismatches.append(
                f"{case.id}/{asset.id}: engine {out.decision} {out.score:.6f}, "
                f"hand-written {want_decision} {want_score:.6f}"
            )
    return {
        "assets": len(pairs),
        "compared": compared,
        "agreed": agreed,
        "via_fast_path": via_fast,
        "decisions": dict(sorted(decisions.items())),
        "mismatches": mismatches,
    }


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_load_throughput(dicts: list[dict[str, Any]], cases: list[Case]) -> dict[str, Any]:
    """Write the case dicts as YAML files, time load_case over them (best of 3)."""
    with tempfile.TemporaryDirectory(prefix="dealscreen-bench-") as tmp:
        paths = []
        total_bytes = 0
        for d in dicts:
            p = Path(tmp) / f"{d['id']}.yaml"
            text = yaml.dump(d, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
            p.write_text(text, encoding="utf-8")
            total_bytes += len(text.encode())
            paths.append(p)
        loaded = [load_case(p) for p in paths]  # warm-up, and a round-trip check
        for lc, case in zip(loaded, cases, strict=True):
            assert lc.case == case, f"{lc.path}: YAML round trip changed the case"
        secs = best_of({"load": lambda: [load_case(p) for p in paths]}, 3)["load"]
    return {
        "files": len(paths),
        "mean_bytes": total_bytes / len(paths),
        "seconds": secs,
        "files_per_s": len(paths) / secs,
        "us_per_file": secs / len(paths) * 1e6,
    }


def profile_engine(
    rs: CompiledRuleSet, pairs: list[tuple[Case, Asset]], trace: bool, top: int = 15
) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for case, asset in pairs:
        evaluate_asset(rs, case, asset, trace=trace)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- main


def git_head() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" (src/ modified)" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=2000, help="synthetic cases (default 2000)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ap.add_argument(
        "--reps", type=int, default=5, help="timing repetitions, best is kept (default 5)"
    )
    ap.add_argument(
        "--absent",
        type=float,
        default=0.1,
        help="probability that an optional field is left out (default 0.1)",
    )
    ap.add_argument("--files", type=int, default=500, help="case files for the YAML load test")
    ap.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="also emit the numbers as JSON: to PATH, or after the report on stdout",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="append cProfile top-15 (tottime) of evaluate_asset on the small rule set",
    )
    args = ap.parse_args(argv)

    def say(line: str = "") -> None:
        print(line, flush=True)

    def ratio_line(label: str, secs: float, hand: float, target: float | None = None) -> str:
        text = f"    {label:<27}: {secs * per:8.2f} us/asset   ratio {secs / hand:6.1f}x"
        if target is not None:
            text += f"  (target <= {target:g}x: {'met' if secs / hand <= target else 'NOT met'})"
        return text

    t_start = time.perf_counter()
    say(
        f"dealscreen bench  n={args.n} seed={args.seed} reps={args.reps} absent={args.absent}  "
        f"code {git_head()}"
    )
    say(
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"pydantic {pydantic.VERSION}, {platform.machine()} {platform.system()}"
    )

    t0 = time.perf_counter()
    dicts, cases = build_cases(args.n, args.seed, args.absent)
    t_build = time.perf_counter() - t0
    pairs = [(c, a) for c in cases for a in c.assets]
    per = 1e6 / len(pairs)
    # the same generator with nothing left out: every asset is complete
    _, full_cases = build_cases(args.n, args.seed, 0.0)
    full_pairs = [(c, a) for c in full_cases for a in c.assets]
    say(
        f"cases: {len(cases)} built in {t_build:.2f} s ({t_build / len(cases) * 1e6:.0f} us/case "
        f"incl. generation and pydantic validation), {len(pairs)} assets; "
        f"complete-data variant: {len(full_pairs)} assets"
    )

    thesis = load_ruleset()
    small = compile_small()
    small_interp = interpreter_only(compile_small())
    for rs in (thesis, small):  # warm-up (also builds the fast path)
        run_engine(rs, pairs[:200], False)()
        run_engine(rs, pairs[:200], True)()
    # The cases and rule sets live for the whole run: move them out of the cyclic GC's sight, so
    # that timings measure the evaluators' own garbage, not rescans of the fixtures.
    gc.collect()
    gc.freeze()
    fast_share = {
        name: sum(bool(takes_fast_path(rs, c, a)) for c, a in pairs) / len(pairs)
        for name, rs in (("thesis", thesis), ("small", small))
    }

    # 1. bundled thesis
    th = best_of(
        {"plain": run_engine(thesis, pairs, False), "trace": run_engine(thesis, pairs, True)},
        args.reps,
    )
    th_decisions = Counter(o.decision for o in run_engine(thesis, pairs, False, keep=True)())
    say()
    say(
        f"[1] bundled thesis {thesis.name} {thesis.version}: {len(thesis.steps)} steps "
        f"({len(thesis.gates)} gates, {len(thesis.criteria)} criteria, "
        f"{len(thesis.tables)} tables), "
        f"{len(thesis.fields)} case fields; {fast_share['thesis']:.0%} of assets take the fast path"
    )
    say(
        f"    evaluate_asset, no trace   : {th['plain'] * per:8.1f} us/asset   "
        f"(best of {args.reps})"
    )
    say(f"    evaluate_asset, trace      : {th['trace'] * per:8.1f} us/asset")
    say(f"    decisions: {dict(sorted(th_decisions.items()))}")

    # 2. agreement on the small rule set
    agree = check_agreement(small, pairs)
    agree_full = check_agreement(small, full_pairs)
    agree_interp = check_agreement(small_interp, full_pairs) if small_interp else None
    say()
    say(
        f"[2] small rule set {small.name}: {len(small.gates)} gates, "
        f"{len(small.criteria)} criteria, "
        f"{len(small.tables)} table (unique), {len(small.steps)} steps"
    )
    say(f"    decisions: {agree['decisions']}")
    say(
        f"    engine == hand-written (decision, score to {SCORE_DIGITS} dp) on assets with no "
        f"field absent: {agree['agreed']}/{agree['compared']}  "
        f"({agree['compared'] / len(pairs):.0%} of {len(pairs)} assets have none absent; "
        f"{agree['via_fast_path']} of the compared took the fast path)"
    )
    say(
        f"    same on complete data (same generator, --absent 0): "
        f"{agree_full['agreed']}/{agree_full['compared']}  (decisions {agree_full['decisions']})"
    )
    if agree_interp:
        say(
            f"    same on complete data, fast path disabled: "
            f"{agree_interp['agreed']}/{agree_interp['compared']}"
        )
    checks = [agree, agree_full] + ([agree_interp] if agree_interp else [])
    for a in checks:
        for m in a["mismatches"]:
            say(f"    MISMATCH {m}")
    assert agree["compared"] > 0, "no asset without unknowns: lower --absent"
    for a in checks:
        assert a["agreed"] == a["compared"], "engine and hand-written disagree (see above)"

    # 3. timing: hand-written vs engine, on both populations
    def contenders(
        rs: CompiledRuleSet, ps: list[tuple[Case, Asset]], interp: CompiledRuleSet | None = None
    ) -> dict[str, Callable[[], Any]]:
        fns = {
            "hand": run_hand(ps),
            "plain": run_engine(rs, ps, False),
            "trace": run_engine(rs, ps, True),
        }
        score = run_score(rs, ps)
        if score is not None:
            fns["score_asset"] = score
        if interp is not None:
            fns["interp"] = run_engine(interp, ps, False)
        return fns

    t = best_of(contenders(small, pairs), args.reps)
    say()
    say(f"[3] small rule set timing, best of {args.reps}, interleaved")
    say(
        f"    {len(pairs)} assets with ~{args.absent:.0%} of fields absent "
        f"({fast_share['small']:.0%} take the fast path):"
    )
    say(f"    {'hand-written':<27}: {t['hand'] * per:8.2f} us/asset")
    say(ratio_line("engine, no trace", t["plain"], t["hand"], TARGET_NO_TRACE))
    say(ratio_line("engine, trace", t["trace"], t["hand"], TARGET_TRACE))
    if "score_asset" in t:
        say(ratio_line("score_asset (decision only)", t["score_asset"], t["hand"]))
    per_full = 1e6 / len(full_pairs)
    tf = best_of(contenders(small, full_pairs, small_interp), args.reps)
    say(f"    {len(full_pairs)} assets with complete data (the fast path's case):")
    say(f"    {'hand-written':<27}: {tf['hand'] * per_full:8.2f} us/asset")
    per_saved, per = per, per_full
    say(ratio_line("engine, no trace", tf["plain"], tf["hand"], TARGET_NO_TRACE))
    say(ratio_line("engine, trace", tf["trace"], tf["hand"], TARGET_TRACE))
    if "score_asset" in tf:
        say(ratio_line("score_asset (decision only)", tf["score_asset"], tf["hand"]))
    if "interp" in tf:
        say(ratio_line("engine, fast path disabled", tf["interp"], tf["hand"]))
    per = per_saved
    # holding every outcome in memory: the cyclic GC then rescans them all, again and again
    kept = best_of(
        {
            "small_plain": run_engine(small, pairs, False, keep=True),
            "small_trace": run_engine(small, pairs, True, keep=True),
            "thesis_plain": run_engine(thesis, pairs, False, keep=True),
            "thesis_trace": run_engine(thesis, pairs, True, keep=True),
        },
        3,
    )
    say(
        f"    keeping all {len(pairs)} outcomes in a list instead of dropping each (best of 3; "
        "no trace / trace):"
    )
    say(
        f"      small {kept['small_plain'] * per:.1f} / {kept['small_trace'] * per:.1f} us/asset, "
        f"thesis {kept['thesis_plain'] * per:.1f} / {kept['thesis_trace'] * per:.1f} us/asset"
    )

    # 4. YAML load throughput
    n_files = min(args.files, len(dicts))
    load = yaml_load_throughput(dicts[:n_files], cases[:n_files])
    say()
    say(
        f"[4] YAML case files: load_case on {load['files']} files "
        f"(mean {load['mean_bytes'] / 1024:.1f} KiB), best of 3"
    )
    say(f"    {load['files_per_s']:9.0f} files/s   ({load['us_per_file']:.0f} us/file)")
    say()
    say(f"total wall time {time.perf_counter() - t_start:.1f} s")

    if args.profile:
        for label, ps in (("~10% absent", pairs), ("complete data", full_pairs)):
            for trace in (False, True):
                say()
                say(
                    f"[profile] evaluate_asset, small rule set, {label}, trace={trace}, "
                    f"{len(ps)} assets, top 15 by tottime"
                )
                say(profile_engine(small, ps, trace).rstrip())

    if args.json:

        def us(d: dict[str, float], scale: float) -> dict[str, float]:
            return {k: v * scale for k, v in d.items()}

        numbers = {
            "code": git_head(),
            "python": platform.python_version(),
            "n_cases": len(cases),
            "n_assets": len(pairs),
            "n_assets_complete": len(full_pairs),
            "seed": args.seed,
            "reps": args.reps,
            "absent": args.absent,
            "case_build_us_per_case": t_build / len(cases) * 1e6,
            "fast_path_share": fast_share,
            "thesis": {
                "name": thesis.name,
                "version": thesis.version,
                "us_per_asset_no_trace": th["plain"] * per,
                "us_per_asset_trace": th["trace"] * per,
                "decisions": dict(sorted(th_decisions.items())),
            },
            "small": {
                "agreement": {
                    k: agree[k] for k in ("assets", "compared", "agreed", "via_fast_path")
                },
                "agreement_complete_data": {
                    k: agree_full[k] for k in ("assets", "compared", "agreed")
                },
                "agreement_complete_data_interpreter": (
                    {k: agree_interp[k] for k in ("assets", "compared", "agreed")}
                    if agree_interp
                    else None
                ),
                "decisions": agree["decisions"],
                "us_per_asset": us(t, per),
                "ratio_no_trace": t["plain"] / t["hand"],
                "ratio_trace": t["trace"] / t["hand"],
                "complete_data_us_per_asset": us(tf, per_full),
                "complete_data_ratio_no_trace": tf["plain"] / tf["hand"],
                "complete_data_ratio_trace": tf["trace"] / tf["hand"],
                "target_ratio_no_trace": TARGET_NO_TRACE,
                "target_ratio_trace": TARGET_TRACE,
            },
            "outcomes_kept_us_per_asset": us(kept, per),
            "yaml_load": load,
        }
        text = json.dumps(numbers, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
