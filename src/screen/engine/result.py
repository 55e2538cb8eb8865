"""The result document: the JSON that memos, the audit store and spreadsheets read.

Deterministic by construction: keys in a fixed order, floats rounded to `DIGITS` decimals, lists
in rule-set or case order, no timestamps. The same rule set and case give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from enum import Enum
from typing import Any

from pydantic import BaseModel

from screen import __version__
from screen.engine.loader import LoadedCase
from screen.engine.outcome import (
    DECISION_ORDER,
    AssetOutcome,
    CaseOutcome,
    Provisional,
    TraceEntry,
    Unknown,
)
from screen.engine.plan import CompiledRuleSet
from screen.lang.unknown import UNKNOWN
from screen.model.case import Figure
from screen.model.numbers import DIGITS

SCHEMA_VERSION = 2


def plain(value: Any) -> Any:
    """A fact value as JSON: stages and enums by name, unknown as null, floats rounded."""
    cls = value.__class__  # the common exact types first: this runs ~400 times per case
    if cls is str or cls is int or cls is bool:
        return value
    if cls is float:
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        r = round(value, DIGITS)
        return int(r) if r.is_integer() and abs(r) < 1e15 else r
    if value is UNKNOWN or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return value.name if isinstance(value, int) else value.value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        r = round(value, DIGITS)
        return int(r) if r.is_integer() and abs(r) < 1e15 else r
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_UNSEEN = object()


def _trace(
    asset_id: str, t: TraceEntry, inputs: dict[tuple[int, tuple[str, ...] | None], dict[str, Any]]
) -> dict[str, Any]:
    """One trace entry as JSON. `inputs`: the plain inputs already made in this result, by
    fact table and reads (a table's rows, a criterion's bands all read the same facts), and
    each fact's plain value by fact table (key `(id, None)`); the fact tables are alive while
    the result is built, so their identities are not reused."""
    key = (id(t.facts), t.reads)
    shown = inputs.get(key)
    if shown is None:
        facts = t.facts
        seen = inputs.setdefault((id(facts), None), {})  # each fact's plain value, made once
        shown = inputs[key] = {}  # = t.inputs, plain
        for r in t.reads:
            v = seen.get(r, _UNSEEN)
            if v is _UNSEEN:
                v = seen[r] = plain(facts.get(r, UNKNOWN))
            shown[r] = v
    entry: dict[str, Any] = {
        "asset": asset_id,
        "rule": t.rule,
        "kind": t.kind,
        "inputs": shown,
        "outcome": "unknown" if t.outcome is UNKNOWN else plain(t.outcome),
    }
    if t.contribution is not None:
        entry["contribution"] = plain(t.contribution)
    if t.rationale:
        entry["rationale"] = t.rationale
    if t.note:
        entry["note"] = t.note
    return entry


def _criteria(o: AssetOutcome) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "score": plain(c.score),
            "max": plain(c.max),
            "weight": plain(c.weight),
            "status": c.status,
            "because": c.because,
            "fired": c.fired,
            "possible": plain(sorted(set(c.possible))) if c.status != "scored" else None,
            "contribution": plain(c.contribution),
        }
        for c in o.criteria
    ]


def _gates(o: AssetOutcome) -> list[dict[str, Any]]:
    return [
        {"id": g.id, "name": g.name, "outcome": g.outcome, "because": g.because} for g in o.gates
    ]


def _provenance(
    rs: CompiledRuleSet, o: AssetOutcome, company_rows: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Where each figure the rules read comes from: source id, status, as-of; unsourced flagged.

    The rows `iter_figures` order gives (field order, depth first), found by walking only the
    paths the rule set reads instead of every field of the case; the company's rows are the
    same for every asset, so `build_result` makes them once per case (`company_rows`)."""
    rows = _figure_rows(rs, "asset", o.asset)
    rows += (
        [dict(r) for r in company_rows]
        if company_rows is not None
        else _figure_rows(rs, "company", o.company)
    )
    return rows


def _figure_rows(rs: CompiledRuleSet, root: str, model: BaseModel) -> list[dict[str, Any]]:
    paths = rs.__dict__.get("_result_figure_paths")
    if paths is None:  # once per rule set: the figure facts it reads, split by root
        paths = {}
        for k, fp in rs.fields.items():
            if fp.figure_value:
                head, *names = k.split(".")
                paths.setdefault(head, []).append((k, tuple(names)))
        rs.__dict__["_result_figure_paths"] = paths
    found = []
    for key, names in paths.get(root, ()):
        obj: Any = model
        order = []
        for name in names:  # as iter_figures descends: into models that are not figures
            cls = obj.__class__
            if (
                not isinstance(obj, BaseModel)
                or isinstance(obj, Figure)
                or name not in (cls.model_fields)
            ):
                obj = None
                break
            order.append(_field_index(cls, name))
            obj = getattr(obj, name)
        if isinstance(obj, Figure):
            found.append((order, key, obj))
    found.sort(key=lambda t: t[0])
    return [
        {
            "fact": key,
            "value": plain(fig.value),
            "unit": fig.unit,
            "source": fig.source,
            "status": plain(fig.status),
            "as_of": plain(fig.as_of),
            "sourced": fig.source is not None,
        }
        for _, key, fig in found
    ]


@functools.cache
def _field_index(cls: type[BaseModel], name: str) -> int:
    return list(cls.model_fields).index(name)


def regional_stages_shown(a: Any) -> dict[str, str]:
    """The regions where the asset is in development, and its most advanced ex-China stage."""
    shown = {}
    for region in ("china", "us", "eu", "japan", "rest_of_world"):
        stage = getattr(a, f"stage_{region}")
        if stage is None and a.development.named(region):
            shown[region] = "unknown"  # named without a stage
        elif stage is not None and stage.name != "none":
            shown[region] = stage.name
    shown["ex_china"] = a.stage_ex_china.name if a.stage_ex_china is not None else "unknown"
    return shown


def _asset(
    rs: CompiledRuleSet, o: AssetOutcome, company_rows: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    a = o.asset
    out: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "role": plain(a.role),
        "stage": plain(a.stage),
    }
    if a.development is not None:  # v2: where the asset stands with each region's regulator
        out["stages"] = regional_stages_shown(a)
    return out | {
        "indication": a.indication,
        "decision": o.decision,
        "score": plain(o.score),
        "score_range": [plain(o.score_range[0]), plain(o.score_range[1])],
        "criteria": _criteria(o),
        "gates": _gates(o),
        "fired": o.fired,
        "reachable_decisions": _decisions(o.decisions),
        "approximate": o.approximate,
        "provisional": _provisional(o.provisional),
        "decided_by": list(o.decided_by),
        "unknowns": [_unknown(u) for u in o.unknowns],
        "errors": [{"rule": r, "error": e} for r, e in sorted(o.errors.items())],
        "provenance": _provenance(rs, o, company_rows),
    }


def _decisions(decisions: frozenset[str]) -> list[str]:
    return [d for d in DECISION_ORDER if d in decisions]


def _provisional(p: Provisional | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"decision": p.decision, "score": plain(p.score), "basis": p.basis}


def _unknown(u: Unknown) -> dict[str, Any]:
    return {
        "fact": u.fact,
        "question": u.question,
        "rules": u.rules,
        "could_reach": list(u.could_reach),
        "swing": plain(u.swing),
        "settles": u.settles,
        "for_completeness": u.for_completeness,
    }


def build_result(rs: CompiledRuleSet, loaded: LoadedCase, outcome: CaseOutcome) -> dict[str, Any]:
    """The result object for one case (see README, 'Result JSON')."""
    lead = outcome.lead
    core_ids = {id(o) for o in outcome.core}  # identity: `in` compares whole models (quadratic)
    company_rows = _figure_rows(rs, "company", outcome.case.company)  # once per case
    inputs: dict[tuple[int, tuple[str, ...] | None], dict[str, Any]] = {}  # see _trace
    return {
        "schema": SCHEMA_VERSION,
        "case": {
            "path": loaded.path,
            "sha256": loaded.sha256,
            "id": loaded.case_id,
            "company": outcome.case.company.name,
            "as_of": plain(outcome.case.as_of),
            "analyst": outcome.case.analyst,
        },
        "ruleset": {"name": rs.name, "version": rs.version, "sha256": rs.sha256},
        "engine": {"version": __version__},
        "decision": outcome.decision,
        "score": plain(outcome.score),
        "score_range": [plain(outcome.score_range[0]), plain(outcome.score_range[1])],
        "scale": plain(rs.scale),
        "thresholds": {"advance": plain(rs.decision.advance), "watch": plain(rs.decision.watch)},
        "lead_asset": lead.asset.id,
        "core_assets": [o.asset.id for o in outcome.core],
        "bd_options": [o.asset.id for o in outcome.assets if id(o) not in core_ids],
        "criteria": _criteria(lead),
        "gates": _gates(lead),
        "reachable_decisions": _decisions(outcome.decisions),
        "approximate": outcome.approximate,
        "provisional": _provisional(outcome.provisional),
        "decided_by": [{"asset": a or None, "fact": f} for a, f in outcome.decided_by],
        "unknowns": [{"asset": a or None, **_unknown(u)} for a, u in outcome.unknowns],
        "notes": outcome.notes,
        "assets": [_asset(rs, o, company_rows) for o in outcome.assets],
        "trace": [_trace(o.asset.id, t, inputs) for o in outcome.assets for t in o.trace],
    }


_LOCATED = re.compile(r"^(?P<where>[^\s:][^:]*:\d+(?::\d+)?): (?P<what>.*)$", re.S)


def rule_errors(result: dict[str, Any]) -> list[str]:
    """Rules that failed at run time on this case, one located line each.

    The rule's outcome is unknown (criterion status `error`) and the rest of the case is still
    scored; the CLI prints these lines and exits 2, like any other bad input."""
    path = result["case"]["path"]
    return [
        rule_error_line(path, asset["id"], e["rule"], e["error"])
        for asset in result["assets"]
        for e in asset.get("errors", [])
    ]


def outcome_rule_errors(case_path: str, outcome: CaseOutcome) -> list[str]:
    """`rule_errors` of an evaluated case that no result document was built for."""
    return [
        rule_error_line(case_path, o.asset.id, rule, error)
        for o in outcome.assets
        for rule, error in sorted(o.errors.items())
    ]


def rule_error_line(case_path: str, asset_id: str, rule: str, error: str) -> str:
    """`rules/x.yaml:12:7: rule R failed on CASE (asset A): what`, the rule's place first."""
    m = _LOCATED.match(error)
    where, what = (m["where"] + ": ", m["what"]) if m else ("", error)
    return f"{where}rule {rule} failed on {case_path} (asset {asset_id}): {what}"


def dumps(results: list[dict[str, Any]]) -> str:
    """Canonical JSON text for a list of results (stable key order, UTF-8, newline at end)."""
    return dumps_text(results) + "\n"


def dumps_text(value: Any) -> str:
    """The bytes of `json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)`, fast.

    `indent` forces json's pure-Python encoder (~0.8 ms a case); orjson writes the same text ~10x
    faster. Where they could differ json writes it: orjson refuses the value (an int beyond 64
    bits, a key that is not text, nesting past 255, lone surrogates, a type json would refuse
    too), or its text holds a float below 1e-4 (orjson `0.00001` / `1e-7`, json `1e-05`). A
    result holds no nan or inf (`plain` writes them as text); orjson would write them as null."""
    out = _orjson_text(value, 0, scan=True)
    if out is not None:
        return out.decode()
    return _reference_text(value)


def dumps_nested(value: Any, depth: int, *, rounded: bool = False) -> bytes:
    """UTF-8 of `dumps_text(value)` with each line break followed by `2 * depth` spaces: the
    value's text as it stands `depth` levels deep in an indented document (an item of a
    streamed list is depth 1). JSON text has raw line breaks only between tokens.

    orjson indents the value itself when it is dumped nested in `depth` lists, so a streamed
    result is never decoded, re-indented and encoded again (~0.3 ms of a 64 KB result).
    `rounded`: every float in `value` went through `plain` (a `build_result` document), so
    none is below 1e-4 but zero and the scan of the text for such floats is skipped (~0.14 ms
    of a 64 KB result)."""
    out = _orjson_text(value, depth, scan=not rounded)
    if out is not None:
        return out
    return _reference_text(value).replace("\n", "\n" + "  " * depth).encode("utf-8")


def _reference_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def _orjson_text(value: Any, depth: int, *, scan: bool) -> bytes | None:
    """orjson's indented text of `value` at `depth` (see `dumps_nested`), None where json must
    write it (see `dumps_text`); `scan`: look for floats below 1e-4 in the text."""
    if _orjson is None:
        return None
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]
    try:
        out = _orjson.dumps(wrapped, option=_orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError
        return None
    if scan and _tiny_float_in(out):
        return None
    if depth:  # orjson puts each list's "[" line, then its indent, before the value
        out = out[depth * (depth + 3) : -depth * (depth + 1)]
    return out


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; without it json does the work
    _orjson = None

_DIGITS = frozenset(b"0123456789")


def _tiny_float_in(out: bytes) -> bool:
    """Whether orjson output may hold a float it writes unlike json (|x| < 1e-4; false alarms in
    text only cost speed). Two substring scans: a regex for both is ~9x slower."""
    if b"0.0000" in out:
        return True
    i = out.find(b"e-")
    while i > 0:
        if out[i - 1] in _DIGITS:
            return True
        i = out.find(b"e-", i + 2)
    return False
