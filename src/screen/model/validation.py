"""Turn pydantic validation errors into located, plain-language errors with hints.

Pydantic reports *where* (`loc`) and *what* (`type`, `msg`); the YAML reader knows where each
path sits in the file. This module joins the two and rewrites the messages authors hit most
(unknown key, missing key, wrong type, bad enum value) with a did-you-mean drawn from the model.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from screen.model.errors import Location, ScreenError, ScreenErrors, did_you_mean, suggest
from screen.model.yamlsource import PathKey, SourceDoc

M = TypeVar("M", bound=BaseModel)

MAX_REPORTED = 20
_FILE_KIND = {"Case": "case", "RuleSetFile": "rule-set"}


def validate_doc(model: type[M], doc: SourceDoc) -> M:
    """Validate a parsed YAML document against `model`; raise ScreenErrors with locations."""
    if not isinstance(doc.data, dict):
        kind = "nothing" if doc.data is None else _kind(doc.data)
        raise ScreenError(
            f"expected a mapping of keys at the top level, got {kind}",
            doc.location(()),
            f"a {_FILE_KIND.get(model.__name__, 'YAML')} file starts with keys like "
            + ", ".join(f"'{k}:'" for k in _key_examples(model)),
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise ScreenErrors(_convert(model, doc, exc)) from None


def _convert(model: type[BaseModel], doc: SourceDoc, exc: ValidationError) -> list[ScreenError]:
    found: list[ScreenError] = []
    seen: set[tuple[Any, ...]] = set()
    errors = exc.errors(include_url=False)
    misspelt = _misspelt_required(model, errors)
    for err in errors:
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        key = (loc, kind)
        if key in seen or (kind == "missing" and loc in misspelt):
            continue
        seen.add(key)
        found.append(_one(model, doc, loc, err))
        if len(found) >= MAX_REPORTED:
            break
    found.sort(key=lambda e: (e.location.line, e.location.column) if e.location else (0, 0))
    return found


def _misspelt_required(model: type[BaseModel], errors: list[Any]) -> set[PathKey]:
    """Missing keys that an unknown key beside them is a misspelling of (`wieght:` for
    `weight:`): the unknown key's error names the fix, so the missing one is not reported too."""
    extras = [_clean_loc(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    out: set[PathKey] = set()
    for e in errors:
        loc = _clean_loc(e["loc"])
        if e["type"] != "missing" or not loc:
            continue
        for extra in extras:
            if (
                extra[:-1] == loc[:-1]
                and suggest(str(extra[-1]), _fields_at(model, loc[:-1])) == loc[-1]
            ):
                out.add(loc)
    return out


def _key_examples(model: type[BaseModel]) -> list[str]:
    """Required keys first, then the first optional ones: what a new file must start with."""
    fields = model.model_fields
    required = [k for k, f in fields.items() if f.is_required()]
    optional = [k for k, f in fields.items() if not f.is_required()]
    return (required + optional)[:3]


def _clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's union/validator markers from a loc so it matches the YAML path."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part.startswith("function-") or "[" in part or part in {"constrained-str"}
        ):
            continue
        out.append(part)
    return tuple(out)


# What associates write for a vocabulary value spelt otherwise; a spelling distance suggests
# the opposite there ('greater_china' is nearest to 'ex_china', 'worldwide' to nothing).
_ENUM_ALIASES = {
    "greater_china": "china",
    "mainland_china": "china",
    "prc": "china",
    "worldwide": "global",
    "world": "global",
    "ww": "global",
    "row": "other",
    "rest_of_world": "other",
    "usa": "us",
    "united_states": "us",
    "outside_china": "ex_china",
    "ex_greater_china": "ex_china",
    "out_licence": "out_license",
    "outlicense": "out_license",
    "licence": "out_license",
    "license": "out_license",
    "inbound": "in",
    "in_license": "in",
    "in_licence": "in",
    "outbound": "out",
}


def _one(model: type[BaseModel], doc: SourceDoc, loc: PathKey, err: dict[str, Any]) -> ScreenError:
    kind = err["type"]
    dotted = _dotted(loc)
    value = err.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        return ScreenError(
            f"unknown key '{loc[-1]}'" + (f" in {_dotted(loc[:-1])}" if len(loc) > 1 else ""),
            doc.location(loc, key=True),
            did_you_mean(str(loc[-1]), allowed) or _allowed_hint(allowed),
        )
    if kind == "missing":
        return ScreenError(
            f"missing required key '{loc[-1]}'"
            + (f" in {_dotted(loc[:-1])}" if len(loc) > 1 else ""),
            doc.location(loc[:-1]),
        )
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",") if c.strip()]
        alias = _ENUM_ALIASES.get(str(value).strip().lower().replace(" ", "_").replace("-", "_"))
        return ScreenError(
            f"{dotted}: {_yaml_text(value)} is not one of: {', '.join(choices)}",
            doc.location(loc),
            f"did you mean '{alias}'?" if alias in choices else did_you_mean(str(value), choices),
        )
    if kind == "too_short":
        least = err.get("ctx", {}).get("min_length", 1)
        return ScreenError(
            f"{dotted}: needs at least {least} entr{'y' if least == 1 else 'ies'}",
            doc.location(loc),
            "a case screens a company on its drug assets: list at least one, with its id and name"
            if loc == ("assets",)
            else None,
        )
    if kind == "too_long":
        ctx = err.get("ctx", {})
        return ScreenError(
            f"{dotted}: {ctx.get('actual_length', 'too many')} entries, more than the "
            f"{ctx.get('max_length')} a case may hold",
            doc.location(loc, key=True),
            "a case describes one company: split a larger list into several cases",
        )
    if kind.startswith("date_"):
        return ScreenError(
            f"{dotted}: expected a date as YYYY-MM-DD, e.g. 2025-03-31 "
            f"(got {_kind(value)}{_short(value)})",
            doc.location(loc),
        )
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = "" if kind.startswith("value_error") else f" (got {_kind(value)}{_short(value)})"
    prefix = f"{dotted}: " if loc else ""
    hint = None
    if kind == "string_type" and isinstance(value, bool | int | float):
        # YAML read `version: 1.1` as a number and `name: yes`... as text; quoting keeps text
        hint = f'write it in quotes to keep it as text: "{_yaml_text(value)}"'
    where = _named_key(doc, loc, msg) or doc.location(loc)
    return ScreenError(f"{prefix}{msg[:1].lower()}{msg[1:]}{got}", where, hint)


_LEADING_NAME = re.compile(r"'?([A-Za-z_][A-Za-z0-9_]*)'?\s")


def _named_key(doc: SourceDoc, loc: PathKey, msg: str) -> Location | None:
    """A check over a whole mapping (`'stage_eu' is derived ...`, `stage phase2 disagrees
    ...`, `hazard_ratio 120 is not ...`) names the key it is about first: point at that key's
    line, not at the mapping's first line (the `- id:` of the asset)."""
    m = _LEADING_NAME.match(msg)
    if m is None:
        return None
    node: Any = doc.data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(node, dict) or m.group(1) not in node:
        return None
    return doc.location((*loc, m.group(1)), key=True)


def _dotted(loc: PathKey) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top>"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "an empty value"
    return type(value).__name__


def _short(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        return ""
    text = _yaml_text(value)
    return " " + (text if len(text) <= 40 else text[:37] + "...")


def _yaml_text(value: Any) -> str:
    """A value as the YAML file spells it (`true`, not Python's `True`; `null`, not `None`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _allowed_hint(allowed: list[str]) -> str | None:
    return f"allowed keys: {', '.join(allowed)}" if allowed else None


def _fields_at(model: type[BaseModel], loc: PathKey) -> list[str]:
    """Field names of the model that sits at `loc` inside `model` (best effort)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        else:
            args = typing.get_args(current)
            if typing.get_origin(current) is dict and len(args) == 2:
                current = args[1]
            else:
                return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name, f in current.model_fields.items() if not _read_only(f)]
    return []


def _read_only(field: Any) -> bool:
    """A field the loader derives (`readOnly` in the schema): never a key to suggest, since
    writing it is an error of its own (`stagee` is `stage`, not `stage_eu`)."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("readOnly") is True


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Annotated/list wrappers to reach the model class inside."""
    for _ in range(8):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return tp
    return tp
