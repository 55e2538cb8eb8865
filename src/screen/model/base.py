"""Building blocks of the case file: strict models, figures with provenance, stages, labels.

Shared by the case model (`case.py`) and its parts (`evidence.py`, `development.py`,
`deals.py`), which is why it is its own module: each part needs a `Figure` and a `Model`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from screen.model import vocab
from screen.model.dates import CaseDateField

NCT_ID = re.compile(r"NCT[0-9]{8}")  # fullmatch: ASCII digits only, no trailing newline
# Bidirectional-text controls reorder what a reader sees ("evil\u202egnp.exe"); an id or a
# name never needs them (CVE-2021-42574, "Trojan Source"). Other control characters (ESC) are
# shown, not obeyed, by every text view (report/safety.py), so they need no refusal here.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _plain_label(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; an id or a name needs at least one visible character")
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
    return vocab.parse_stage(value, regional=False)


def _regional_stage(value: Any) -> vocab.Stage:
    return vocab.parse_stage(value, regional=True)


StageField = Annotated[
    vocab.Stage,
    BeforeValidator(_stage),
    PlainSerializer(lambda s: s.name, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [s.name for s in vocab.ASSET_STAGES],
            "description": "development stage, in clinical order",
        }
    ),
]


@dataclass(frozen=True)
class RegionalStage:
    """Marks a stage field that may be `none` (a region's), so its domain includes `none`."""


RegionalStageField = Annotated[
    vocab.Stage,
    RegionalStage(),
    BeforeValidator(_regional_stage),
    PlainSerializer(lambda s: s.name, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(vocab.Stage.__members__),
            "description": "development stage in this region; 'none' = not in development here",
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


def short_form(json_type: str) -> Callable[[dict[str, Any]], None]:
    """A model's JSON schema that also takes its short form, as its validator does: a figure
    as a bare number, a claim as true/false, a comparator or a differentiation as text (an
    editor checking case files against `dealscreen schema case` must accept what loads)."""

    def schema_of(schema: dict[str, Any]) -> None:
        mapping = dict(schema)
        schema.clear()
        schema.update({"title": mapping.get("title"), "anyOf": [{"type": json_type}, mapping]})

    return schema_of


_figure_json_schema = short_form("number")


_LONG_NUMBER = re.compile(r"[-+]?[0-9_]{20,}(\.[0-9_]*)?([eE][-+]?[0-9]+)?")  # read as text


class Figure(Model):
    """A number with provenance. `source` is the id of an entry in the case's `sources:` list."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_figure_json_schema)

    value: float = Field(
        strict=True, allow_inf_nan=False, description="the number (quoted text is refused)"
    )
    unit: str | None = None
    source: str | None = Field(None, description="id of an entry in the case's sources list")
    as_of: CaseDateField | None = Field(None, description="date the figure refers to")
    status: vocab.FigureStatus | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a figure mapping, got true/false")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str) and _LONG_NUMBER.fullmatch(data.strip()):
            raise ValueError(
                f"a number of {len(data.strip())} characters is too long to be a figure "
                "(YAML numbers here have at most 64); check for a pasted run of digits"
            )
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

MAX_PATIENTS = 1e10  # more than the world's population (about 8.2 billion in 2025)
MAX_USD_M = 1e7  # USD 10 trillion: several times the world's yearly spending on medicines


def _patients(fig: Figure | None) -> Figure | None:
    if fig is not None and fig.value > MAX_PATIENTS:
        raise ValueError(
            f"{fig.value:g} patients is more than the world's population (about 8.2 billion)"
        )
    return _non_negative(fig)


def _usd_m(fig: Figure | None) -> Figure | None:
    if fig is not None and fig.value > MAX_USD_M:
        raise ValueError(
            f"USD {fig.value:g}m is USD 10 trillion or more: amounts are in USD millions "
            "(write 500 for USD 500m)"
        )
    return _non_negative(fig)


# Counts of patients and amounts of money: never negative, and never beyond what exists, so
# a typo of a few zeros is an error where it is written, and an unknown one is bounded too.
PatientsFigure = Annotated[Figure, AfterValidator(_patients), Bounds(0.0, MAX_PATIENTS)]
UsdMillionsFigure = Annotated[Figure, AfterValidator(_usd_m), Bounds(0.0, MAX_USD_M)]


def _fraction(fig: Figure | None) -> Figure | None:
    if fig is not None and abs(fig.value) > 5:
        raise ValueError(
            f"{fig.value:g} looks like a percentage; growth is a fraction (write 0.42 for 42%)"
        )
    return fig


FractionFigure = Annotated[Figure, AfterValidator(_fraction), Bounds(-5.0, 5.0)]


def _rate(fig: Figure | None) -> Figure | None:
    if fig is not None and not 0 <= fig.value <= 1:
        hint = " (write 0.42 for 42%)" if 1 < fig.value <= 100 else ""
        raise ValueError(f"a rate is a fraction between 0 and 1, got {fig.value:g}{hint}")
    return fig


RateFigure = Annotated[Figure, AfterValidator(_rate), Bounds(0.0, 1.0)]
