"""Case-schema paths: what `asset.epidemiology.us` means, and fast code to read it from a case.

Expressions name case fields by dotted path. This module resolves a path against the pydantic
case models at load time (so a misspelt field is an error with a did-you-mean, never a silent
None), gives it a static type for the expression checker, and generates one extractor function
per rule set that reads every referenced field of an asset into the fact table in a single pass.

Conventions: a `Figure` reads as its number and a `Claim` as its true/false (`.value`), unless
the path continues into it (`asset.epidemiology.us.status`); a path through a list projects over it
(`asset.trials.region` is the list of trial regions); an absent field is UNKNOWN.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from screen.lang.expressions import NameProblem
from screen.lang.types import ANY, BOOL, DATE, NUM, REGIONAL_STAGE, STR, Type, enum_type, list_of
from screen.lang.unknown import UNKNOWN
from screen.model.base import RegionalStage
from screen.model.case import Asset, Bounds, Case, Claim, Company, Figure
from screen.model.errors import did_you_mean

ROOT_MODELS: dict[str, type[BaseModel]] = {"asset": Asset, "company": Company, "case": Case}
CASE_HIDDEN = {"assets", "company", "sources"}


@dataclass(frozen=True)
class FieldPath:
    """A resolved case-field path: its steps, where lists project, and its static type."""

    key: str
    root: str
    steps: tuple[str, ...]
    list_steps: tuple[bool, ...]  # step i yields a list (projection continues per item)
    figure_value: bool  # append .value (the path ended on a Figure)
    type: Type
    description: str | None
    bounds: tuple[float, float] | None = None  # numbers: the schema's range (Bounds metadata)


def _bounds(tp: Any) -> tuple[float, float] | None:
    """The `Bounds` an annotation carries (e.g. patient counts are >= 0), if any."""
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            for meta in typing.get_args(tp)[1:]:
                if isinstance(meta, Bounds):
                    return (meta.low, meta.high)
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return None
    return None


def _regional(tp: Any) -> bool:
    """Whether an annotation is a region's stage (which may be `none`)."""
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            if any(isinstance(m, RegionalStage) for m in typing.get_args(tp)[1:]):
                return True
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return False
    return False


def _unwrap(tp: Any) -> tuple[Any, bool, bool]:
    """(inner type, is_list, optional) for an annotation like `list[Trial] | None`."""
    optional = False
    is_list = False
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = True
            tp = args[0]
        elif origin is list:
            is_list = True
            tp = typing.get_args(tp)[0]
        else:
            break
    return tp, is_list, optional


def _scalar_type(tp: Any) -> Type:
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return enum_type(tp)
        if tp is bool:
            return BOOL
        if tp in (int, float) or tp is Figure:
            return NUM
        if tp is Claim:
            return BOOL
        if tp is str:
            return STR
        if tp in (dt.date, dt.datetime):
            return DATE
    return ANY


def resolve_field(parts: tuple[str, ...]) -> FieldPath:
    """Resolve `('asset', 'epidemiology', 'us')` against the case schema, or raise NameProblem."""
    root = parts[0]
    model: Any = ROOT_MODELS[root]
    steps: list[str] = []
    list_steps: list[bool] = []
    in_list = False
    description = None
    bounds = None
    regional = False
    if len(parts) == 1:
        fields = _visible(root, model)
        raise NameProblem(f"'{root}' needs a field", f"e.g. {root}.{fields[0]}")
    for i, part in enumerate(parts[1:], start=1):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            prefix = ".".join(parts[:i])
            raise NameProblem(f"'{prefix}' has no fields (it is a value), so '.{part}' is wrong")
        fields = _visible(root if i == 1 else "", model)
        if part not in fields:
            prefix = ".".join(parts[:i])
            hint = did_you_mean(part, fields) or f"fields of {prefix}: {', '.join(fields)}"
            raise NameProblem(f"unknown field '{part}' in {prefix}", hint)
        info = model.model_fields[part]
        description = info.description or description
        bounds = _bounds(info.annotation)
        regional = _regional(info.annotation)
        inner, is_list, _ = _unwrap(info.annotation)
        steps.append(part)
        list_steps.append(is_list)
        in_list = in_list or is_list
        model = inner
    figure_value = model is Figure or model is Claim
    if isinstance(model, type) and issubclass(model, BaseModel) and not figure_value:
        fields = _visible("", model)
        raise NameProblem(
            f"'{'.'.join(parts)}' is a group of fields, not a value",
            f"pick one of: {', '.join(fields)}",
        )
    typ = REGIONAL_STAGE if regional else _scalar_type(model)
    if in_list:
        typ = list_of(typ)
    key = ".".join(parts)
    if not figure_value or in_list:
        bounds = None  # a Figure's own fields, or a list of values: no single range
    return FieldPath(
        key, root, tuple(steps), tuple(list_steps), figure_value, typ, description, bounds
    )


def _visible(root: str, model: type[BaseModel]) -> list[str]:
    names = list(model.model_fields)
    if root == "case":
        names = [n for n in names if n not in CASE_HIDDEN]
    if root == "asset":
        names = [n for n in names if n not in ("id", "name")] + ["id", "name"]
    return names


# --------------------------------------------------------------------------- extraction


def _project(obj: Any, steps: tuple[str, ...], list_steps: tuple[bool, ...], figure: bool) -> Any:
    """Read a path that goes through lists: a flat list of values, UNKNOWN for absent items."""
    current: list[Any] = [obj]
    projected = False
    for step, is_list in zip(steps, list_steps, strict=True):
        nxt: list[Any] = []
        for item in current:
            value = getattr(item, step) if item is not UNKNOWN else UNKNOWN
            if value is None:
                value = UNKNOWN
            if is_list and value is not UNKNOWN:
                nxt.extend(value)
            elif is_list and not projected:
                return UNKNOWN  # the list itself is absent: we do not know its items
            else:
                nxt.append(value)
        projected = projected or is_list
        current = nxt
    if figure:
        current = [v.value if v is not UNKNOWN else UNKNOWN for v in current]
    return current


def build_extractor(paths: list[FieldPath]) -> Any:
    """Generate `extract(asset, company, case, F)` that fills F with every referenced field.

    The source is built only from schema field names (validated identifiers), never from rule
    text, so code generation adds no injection surface; it is a fixed, straight-line reader.
    """
    lines = ["def extract(asset, company, case, F):"]
    ns: dict[str, Any] = {"UNKNOWN": UNKNOWN, "_project": _project, "__builtins__": {}}
    for n, p in enumerate(sorted(paths, key=lambda p: p.key)):
        for step in p.steps:
            assert step.isidentifier() and not step.startswith("_"), step
        if any(p.list_steps):
            ns[f"_s{n}"] = (p.steps, p.list_steps, p.figure_value)
            lines.append(f"    F[{p.key!r}] = _project({p.root}, *_s{n})")
            continue
        lines.append(f"    v = {p.root}")
        for step in p.steps:
            lines.append(f"    if v is not None: v = v.{step}")
        if p.figure_value:
            lines.append("    if v is not None: v = v.value")
        lines.append(f"    F[{p.key!r}] = UNKNOWN if v is None else v")
    lines.append("    return F")
    code = compile("\n".join(lines), "<fact extractor>", "exec")
    exec(code, ns)
    return ns["extract"]
