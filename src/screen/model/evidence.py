"""Evidence in a case file: trial readouts against a comparator, safety facts, sourced claims.

A thesis that reads evidence (T1, T3) needs more than labels: a 47% and a 5% response rate must
not score the same, and "best in class" stated by the company is not the same as "best in class"
shown by a randomised readout. So a readout names its comparator and the comparator's value, a
safety summary carries the numbers, and a judgement (a claim) may carry the source and status a
figure carries. The v1 spellings (a comparator as text, a claim as true/false) still load.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, model_validator

from screen.model import vocab
from screen.model.base import (
    Figure,
    Model,
    NonNegativeFigure,
    PatientsFigure,
    RateFigure,
    short_form,
)
from screen.model.dates import CaseDateField


class Provenance(Model):
    """Where a judgement comes from, like a figure's: a source id, its status and a note."""

    source: str | None = Field(None, description="id of an entry in the case's sources list")
    status: vocab.FigureStatus | None = None
    as_of: CaseDateField | None = None
    note: str | None = None


class Claim(Provenance):
    """A true/false judgement with its evidence. Rules read it as true/false (like a figure's
    number); `.source` and `.status` say whether anything supports it."""

    model_config = ConfigDict(json_schema_extra=short_form("boolean"))

    value: StrictBool = Field(description="the claim itself")

    @model_validator(mode="before")
    @classmethod
    def _bare_bool(cls, data: Any) -> Any:
        if isinstance(data, bool):
            return {"value": data}
        if not isinstance(data, dict):
            raise ValueError(
                f"expected a boolean (true/false) or a mapping with 'value:' (and source, "
                f"status), got {data!r}"
            )
        return data


class Differentiation(Provenance):
    """How the asset differs from today's care and from rivals, in words, with its evidence."""

    model_config = ConfigDict(json_schema_extra=short_form("string"))

    claim: str = Field(description="the differentiation claim")

    @model_validator(mode="before")
    @classmethod
    def _bare_text(cls, data: Any) -> Any:
        return {"claim": data} if isinstance(data, str) else data


class Comparator(Model):
    """What a readout is compared with, and the comparator's own result on the same endpoint."""

    model_config = ConfigDict(json_schema_extra=short_form("string"))

    kind: vocab.ComparatorKind | None = None
    description: str | None = None
    value: Figure | None = Field(None, description="the comparator's result on the endpoint")
    n: PatientsFigure | None = Field(None, description="patients in the comparator arm")

    @model_validator(mode="before")
    @classmethod
    def _bare_text(cls, data: Any) -> Any:
        return {"description": data} if isinstance(data, str) else data


class Readout(Model):
    """One efficacy result of a trial arm, against a comparator when there is one."""

    endpoint: str
    kind: vocab.EndpointKind | None = Field(None, description="endpoint kind (sets the direction)")
    higher_is_better: StrictBool | None = Field(
        None, description="direction of benefit; defaults from kind (e.g. HbA1c change: lower)"
    )
    result: str | None = None
    value: Figure | None = Field(None, description="the arm's result on the endpoint")
    comparator: Comparator | None = None
    n: PatientsFigure | None = Field(None, description="patients evaluated in the arm")
    hazard_ratio: Figure | None = Field(
        None,
        description=(
            "hazard ratio against the comparator on a time-to-event endpoint (below 1 favours "
            "the arm); its relative gain is 1 - HR"
        ),
    )
    primary: StrictBool | None = Field(
        None,
        description=(
            "true: the trial's primary endpoint; false: secondary, exploratory or a subgroup. "
            "The asset's efficacy facts come from primary readouts when any is marked"
        ),
    )
    population: str | None = Field(None, description="population or biomarker subgroup")
    line_of_therapy: vocab.LineOfTherapy | None = None
    data_cut: CaseDateField | None = Field(None, description="data cut-off date")
    date: CaseDateField | None = Field(None, description="date the readout was presented")
    # Derived when the case loads (never written in a case file): arm vs comparator.
    delta: float | None = Field(
        None,
        description=(
            "arm minus comparator, signed so that positive is better; for a change from "
            "baseline, delta_points (none when a unit is off the endpoint's scale) (derived)"
        ),
        json_schema_extra={"readOnly": True},
    )
    delta_relative: float | None = Field(
        None,
        description=(
            "delta divided by the comparator's value, or 1 - hazard ratio; none for a change "
            "from baseline (derived)"
        ),
        json_schema_extra={"readOnly": True},
    )
    delta_points: float | None = Field(
        None,
        description=(
            "for a change from baseline (HbA1c, body weight, LDL-C): delta on the endpoint's "
            "own scale, HbA1c in percentage points, weight and LDL-C in percent of baseline "
            "(derived)"
        ),
        json_schema_extra={"readOnly": True},
    )

    @model_validator(mode="before")
    @classmethod
    def _no_derived_input(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("delta", "delta_relative", "delta_points"):
                if key in data:
                    raise ValueError(
                        f"'{key}' is computed from value and comparator.value; do not write it"
                    )
        return data

    @model_validator(mode="after")
    def _derive(self) -> Readout:
        arm = self.value.value if self.value is not None else None
        comp = self.comparator.value.value if self.comparator and self.comparator.value else None
        if self.kind in vocab.RATE_ENDPOINTS:
            _same_rate_units(arm, comp)
        hr = self.hazard_ratio.value if self.hazard_ratio is not None else None
        if hr is not None:
            _check_hazard_ratio(hr, self.kind)
        better = self.direction()
        if better is not None and arm is not None and comp is not None:
            delta = (arm - comp) if better else (comp - arm)
            change = self.kind in vocab.CHANGE_ENDPOINTS
            relative = delta / abs(comp) if comp != 0 and not change else None
            if not math.isfinite(delta) or (relative is not None and not math.isfinite(relative)):
                raise ValueError(
                    f"value {arm:g} and comparator value {comp:g} are too far apart to compare "
                    "(check the units: both are results on the same endpoint)"
                )
            if relative is not None:
                object.__setattr__(self, "delta_relative", relative)
            if change:
                assert self.value is not None and self.comparator and self.comparator.value
                delta = change_points(self, self.value, self.comparator.value)
                object.__setattr__(self, "delta_points", delta)  # delta is on that scale too
            object.__setattr__(self, "delta", delta)
        if hr is not None:
            # The randomised estimate of the whole curve, not the ratio of two medians: a 0.8
            # HR is a fifth less risk of the event at any time (what `meaningful` reads).
            object.__setattr__(self, "delta_relative", 1.0 - hr)
        return self

    def direction(self) -> bool | None:
        """True when a higher value is better; None when neither the flag nor the kind says."""
        if self.higher_is_better is not None:
            return self.higher_is_better
        if self.kind is None or self.kind is vocab.EndpointKind.other:
            return None
        return self.kind not in vocab.LOWER_IS_BETTER


# HbA1c: IFCC mmol/mol to NGSP percentage points, for differences (the NGSP master equation
# %= 0.09148 x mmol/mol + 2.152, Hoelzel et al., Clin Chem 2004; its intercept cancels).
_HBA1C_POINTS_PER_MMOL_MOL = 0.09148
_MAX_HBA1C_CHANGE_POINTS = 5.0  # a fall of more than 5 points from any real baseline is not %


def change_points(readout: Readout, arm: Figure, comp: Figure) -> float | None:
    """A change-from-baseline readout's gain over its comparator on the endpoint's own scale:
    HbA1c in percentage points, body weight and LDL-C in percent of baseline (what the
    guidance thresholds are written in). From each figure's `unit` (a bare number takes the
    other's): a fraction counts x100, mmol/mol of HbA1c x0.09148; a unit off that scale (kg,
    mg/dL) gives None, which leaves the gain unknown. With no unit on either, HbA1c is read
    in percentage points, and weight or LDL-C as percent unless both values are at most 1,
    which could be fractions or percentages and is refused. A change no patient can have
    (HbA1c by more than 5 points, weight or LDL-C by more than 100% of baseline) is refused
    whatever the unit: it is a unit written wrong."""
    kind = readout.kind
    assert kind is not None
    units = [_unit_scale(kind, f.unit) for f in (arm, comp)]
    if units[0] is _NO_UNIT:
        units[0] = units[1]
    if units[1] is _NO_UNIT:
        units[1] = units[0]
    if units[0] is _NO_UNIT:
        if (
            kind is not vocab.EndpointKind.hba1c_change
            and max(abs(arm.value), abs(comp.value)) <= 1
        ):
            raise ValueError(
                f"{kind.value} values {arm.value:g} and {comp.value:g} could be fractions or "
                "percentages: give the unit on both figures, e.g. "
                "'value: {value: -0.089, unit: fraction}' for -8.9%, or "
                "'value: {value: -8.9, unit: \"%\"}'"
            )
        units = [1.0, 1.0]
    if units[0] is None or units[1] is None:
        return None
    a, c = arm.value * units[0], comp.value * units[1]
    for name, figure, scaled in (("value", arm, a), ("comparator value", comp, c)):
        _plausible_change(kind, name, figure, scaled)
    # rounded so that a gain written to the threshold's precision meets it (0.7 - 0.4 is
    # 0.29999999999999993 in binary floating point, and 0.3 points is a threshold)
    return round((a - c) if readout.direction() else (c - a), 9)


_NO_UNIT: Any = object()
_MAX_PERCENT_CHANGE = 100.0  # weight or LDL-C cannot fall by more than all of it


def _plausible_change(kind: vocab.EndpointKind, name: str, figure: Figure, scaled: float) -> None:
    hba1c = kind is vocab.EndpointKind.hba1c_change
    limit = _MAX_HBA1C_CHANGE_POINTS if hba1c else _MAX_PERCENT_CHANGE
    if abs(scaled) <= limit:
        return
    what = f"{figure.value:g}" + (f" {figure.unit}" if figure.unit else "")
    if hba1c:
        hint = (
            "check the value"
            if _unit_scale(kind, figure.unit) == _HBA1C_POINTS_PER_MMOL_MOL
            else "check the unit ('unit: mmol/mol' for IFCC units)"
        )
        raise ValueError(
            f"{name} {what} is an HbA1c change of {scaled:g} percentage points, which is not "
            f"possible: {hint}"
        )
    raise ValueError(
        f"{name} {what} is a {kind.value} of {scaled:g}% of baseline, which is not possible: "
        "check the unit (a bare number takes the other figure's unit; 'unit: fraction' "
        "counts x100)"
    )


_PERCENT_UNIT = re.compile(
    r"^(?:pct|pp|points?|per ?cent(?:age)?(?: points?)?|percentage points?)(?:\b.*)?$"
)


def _unit_scale(kind: vocab.EndpointKind, unit: str | None) -> Any:
    """The factor that puts a figure in `unit` on the endpoint's scale; _NO_UNIT when no unit
    is given; None for a unit off the scale (kg of weight, mg/dL of LDL-C)."""
    if unit is None or not unit.strip():
        return _NO_UNIT
    u = " ".join(unit.lower().replace("-", " ").split())
    if "%" in u or _PERCENT_UNIT.match(u):
        return 1.0
    if u in ("fraction", "proportion", "share"):
        return 100.0
    if kind is vocab.EndpointKind.hba1c_change and u in ("mmol/mol", "mmol per mol"):
        return _HBA1C_POINTS_PER_MMOL_MOL
    return None


def _same_rate_units(arm: float | None, comp: float | None) -> None:
    """A response rate is a share of patients: 0 to 1 as a fraction, 0 to 100 as a
    percentage. An arm and a comparator written the two ways (0.45 against 30) would compare
    45% with 3,000%, so they are refused rather than read as a loss."""
    for name, v in (("value", arm), ("comparator value", comp)):
        if v is not None and not 0 <= v <= 100:
            raise ValueError(
                f"{name} {v:g} is not a rate: a share of patients is 0 to 1 (fraction) or "
                "0 to 100 (percentage)"
            )
    if arm is not None and comp is not None and (arm <= 1) != (comp <= 1) and max(arm, comp) > 1:
        raise ValueError(
            f"value {arm:g} and comparator value {comp:g} look like a fraction and a "
            "percentage: write both the same way (0.45 and 0.30, or 45 and 30; a rate under 1% "
            "as a fraction, 0.008 for 0.8%)"
        )


def _check_hazard_ratio(hr: float, kind: vocab.EndpointKind | None) -> None:
    if not 0 < hr < 100:
        raise ValueError(f"hazard_ratio {hr:g} is not a hazard ratio (a positive ratio, e.g. 0.72)")
    if (
        kind is not None
        and kind is not vocab.EndpointKind.other
        and (kind not in vocab.TIME_TO_EVENT_ENDPOINTS)
    ):
        raise ValueError(
            f"hazard_ratio given for a {kind.value} endpoint: a hazard ratio compares "
            "time-to-event endpoints (pfs, os, dfs, efs, duration_of_response)"
        )


class Safety(Provenance):
    """The asset's safety picture in numbers: what a partner's diligence asks first."""

    grade3_ae_rate: RateFigure | None = Field(
        None, description="share of patients with a grade >= 3 adverse event (fraction)"
    )
    comparator_grade3_ae_rate: RateFigure | None = Field(
        None, description="the same rate in the comparator arm or on standard of care"
    )
    discontinuation_rate: RateFigure | None = Field(
        None, description="share of patients stopping treatment for adverse events (fraction)"
    )
    treatment_related_deaths: NonNegativeFigure | None = Field(
        None, description="deaths attributed to treatment (patients)"
    )
    stopped_for_safety: StrictBool | None = Field(
        None,
        description="a trial suspended or terminated, or a clinical hold, for safety reasons",
    )
