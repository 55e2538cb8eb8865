"""Checks and walks of a validated case: references, dates, the parts that cite a source.

A case validates field by field (case.py); what needs the whole case comes after: repeated
asset ids and trials, deals naming assets the case does not have, source ids not in
`sources:`, dates after `as_of` (warnings), and the walks those checks and the memo's citations
need. Split from case.py (the model) as its own job; the loader calls `walk_case` once per
file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing
from typing import Any

from pydantic import BaseModel

from screen.model.base import Figure
from screen.model.case import Case
from screen.model.dates import last_day
from screen.model.deals import GREATER_CHINA, NO_US_RIGHTS, US_LICENSED
from screen.model.vocab import TherapeuticArea


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
        problems += _repeated_trials(asset, i)
    return problems + deal_asset_problems(case, set(seen)) + unknown_sources(case, sourced)


def _repeated_trials(asset: Any, i: int) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """A registry id listed twice under one asset: its readouts would count twice (a record
    imported twice, a trial pasted again)."""
    problems: list[tuple[tuple[str | int, ...], str, str | None]] = []
    first: dict[str, int] = {}
    for j, trial in enumerate(asset.trials or []):
        for key in ("nct_id", "registry_id"):
            ident = getattr(trial, key, None)
            if not ident:
                continue
            if (key, ident) in first:
                problems.append(
                    (
                        ("assets", i, "trials", j, key),
                        f"trial {ident} is listed twice for asset '{asset.id}'",
                        f"first at trials[{first[(key, ident)]}]; merge the two entries",
                    )
                )
            first.setdefault((key, ident), j)
    return problems


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
    latest = last_day(case.as_of)
    return [
        (path, f"date {value} is after the case's as_of ({case.as_of})")
        for path, value in dates
        if value > latest and path not in _FUTURE_DATES
    ]


# Blood cancers named in an indication: BIO/Informa's 'hematology' is non-malignant blood
# disease (LOA from phase 1 23.9%); its hematologic cancers are part of oncology (7.5%).
_BLOOD_CANCER = re.compile(
    r"(?i:lymphoma|leuka?emia|myeloma|myelodysplast|myelofibrosis|macroglobulina?emia"
    r"|polycytha?emia vera|myeloproliferative)"
    r"|白血病|淋巴瘤|骨髓瘤|骨髓增生异常|骨髓纤维化"  # Chinese indications (NMPA labels)
    # capitals only ('all'), not before a lower-case word part ('ALL-comers'; 'AML-M3' is one),
    # nor ALL before another capitalised word ('ALL GENOTYPES')
    r"|\b(?:AML|CLL|CML|MDS|DLBCL|MCL|NHL|ALL(?!\s+[A-Z]{2}))\b(?!-[a-z])"
)
# What follows these names the patients, not the disease treated: 'anaemia in patients with
# lymphoma' is an anaemia (a supportive-care indication, non-malignant hematology).
_PATIENTS_WITH = re.compile(
    r"\s(?:in|among|for)\s+(?:adult\s+|paediatric\s+|pediatric\s+)?patients\s+with\s"
    r"|\s(?:associated\s+with|secondary\s+to|caused\s+by|due\s+to)\s|-(?:induced|related)\s",
    re.I,
)


def misread_areas(case: Case) -> list[tuple[tuple[str | int, ...], str]]:
    """Assets filed under `hematology` whose indication names a blood cancer: (path, message).

    A warning, not an error (the indication is free text): the thesis reads the area's
    likelihood of approval, and filing a lymphoma under hematology reads a rate three times
    that of the cancers it belongs with (BIO/Informa 2011-2020)."""
    out = []
    for i, asset in enumerate(case.assets):
        if asset.therapeutic_area is TherapeuticArea.hematology and asset.indication:
            disease = _PATIENTS_WITH.split(asset.indication, maxsplit=1)[0]
            found = _BLOOD_CANCER.search(disease)
            if found:
                out.append(
                    (
                        ("assets", i, "therapeutic_area"),
                        f"'{found.group(0)}' is a blood cancer, which BIO/Informa's success "
                        "rates count under oncology (hematologic cancers: 7.5% from phase 1); "
                        "'hematology' is non-malignant blood disease (23.9%): write "
                        "therapeutic_area: oncology",
                    )
                )
    return out


def territory_conflicts(case: Case) -> list[tuple[tuple[str | int, ...], str]]:
    """Deals and plans whose `territory` and `countries` disagree: (path, message).

    A warning: the territory is what the rules read (`deals.licensed_territory`), so a
    `territory: china` deal that lists `US` is read as China-only while the list says the US
    is licensed. Only the territories whose countries are certain are checked: `china` (within
    Greater China), `us` (the US alone) and `ex_china` (none of Greater China)."""
    out = []
    for i, asset in enumerate(case.assets):
        bd = asset.bd
        if bd is None:
            continue
        held, out_licensed = asset.rights_territory, asset.licensed_territory
        if held in NO_US_RIGHTS and out_licensed in US_LICENSED:
            out.append(
                (
                    ("assets", i, "bd", "deals"),
                    f"the deals license the asset out in '{out_licensed.value}' but the "
                    f"company holds rights in '{held.value}' only (its in-licences); check "
                    "each deal's direction",
                )
            )
        holders: list[tuple[tuple[str | int, ...], Any]] = [(("bd", "plan"), bd.plan)]
        holders += [(("bd", "deals", k), d) for k, d in enumerate(bd.deals or [])]
        for where, holder in holders:
            territory = getattr(holder, "territory", None)
            countries = set(getattr(holder, "countries", None) or ())
            if territory is None or not countries:
                continue
            outside = _outside(territory.value, countries)
            if outside:
                out.append(
                    (
                        ("assets", i, *where, "countries"),
                        f"countries {', '.join(outside)} are outside territory "
                        f"'{territory.value}', which is what the rules read; fix one of them, "
                        "or leave the territory out to have the countries read",
                    )
                )
    return out


def _outside(territory: str, countries: set[str]) -> list[str]:
    if territory == "china":
        return sorted(countries - GREATER_CHINA)
    if territory == "us":
        return sorted(countries - {"US"})
    if territory == "ex_china":
        return sorted(countries & GREATER_CHINA)
    return []


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
