"""The result document: the JSON that memos, the audit store and spreadsheets read.

Deterministic by construction: keys in a fixed order, floats rounded to `DIGITS` decimals, lists
in rule-set or case order, no timestamps. The same rule set and case give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import Enum
from typing import Any

from screen import __version__
from screen.engine.compiler import CompiledRuleSet
from screen.engine.loader import LoadedCase
from screen.engine.outcome import (
    DECISION_ORDER,
    AssetOutcome,
    CaseOutcome,
    Provisional,
    TraceEntry,
    Unknown,
)
from screen.lang.unknown import UNKNOWN
from screen.model.case import iter_figures

DIGITS = 4
SCHEMA_VERSION = 2


def plain(value: Any) -> Any:
    """A fact value as JSON: stages and enums by name, unknown as null, floats rounded."""
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


def _trace(asset_id: str, t: TraceEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "asset": asset_id,
        "rule": t.rule,
        "kind": t.kind,
        "inputs": {k: plain(v) for k, v in t.inputs.items()},
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


def _provenance(rs: CompiledRuleSet, o: AssetOutcome) -> list[dict[str, Any]]:
    """Where each figure the rules read comes from: source id, status, as-of; unsourced flagged."""
    read = {k for k, fp in rs.fields.items() if fp.figure_value}
    rows = []
    for root, model in (("asset", o.asset), ("company", o.company)):
        for path, fig in iter_figures(model):
            key = root + "." + ".".join(str(p) for p in path if not isinstance(p, int))
            if key in read and not any(isinstance(p, int) for p in path):
                rows.append(
                    {
                        "fact": key,
                        "value": plain(fig.value),
                        "unit": fig.unit,
                        "source": fig.source,
                        "status": plain(fig.status),
                        "as_of": plain(fig.as_of),
                        "sourced": fig.source is not None,
                    }
                )
    return rows


def _asset(rs: CompiledRuleSet, o: AssetOutcome) -> dict[str, Any]:
    a = o.asset
    return {
        "id": a.id,
        "name": a.name,
        "role": plain(a.role),
        "stage": plain(a.stage),
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
        "provenance": _provenance(rs, o),
    }


def _decisions(decisions: frozenset[str]) -> list[str]:
    return [d for d in DECISION_ORDER if d in decisions]


def _provisional(p: Provisional | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"decision": p.decision, "score": plain(p.score), "basis": p.basis}


def _unknown(u: Unknown, asset: str | bool | None = False) -> dict[str, Any]:
    out: dict[str, Any] = {} if asset is False else {"asset": asset or None}
    out.update(
        {
            "fact": u.fact,
            "question": u.question,
            "rules": u.rules,
            "could_reach": list(u.could_reach),
            "swing": plain(u.swing),
            "settles": u.settles,
            "for_completeness": u.swing == 0 and len(u.could_reach) <= 1 and not u.settles,
        }
    )
    return out


def build_result(rs: CompiledRuleSet, loaded: LoadedCase, outcome: CaseOutcome) -> dict[str, Any]:
    """The result object for one case (see README, 'Result JSON')."""
    lead = outcome.lead
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
        "bd_options": [o.asset.id for o in outcome.assets if o not in outcome.core],
        "criteria": _criteria(lead),
        "gates": _gates(lead),
        "reachable_decisions": _decisions(outcome.decisions),
        "approximate": outcome.approximate,
        "provisional": _provisional(outcome.provisional),
        "decided_by": [{"asset": a or None, "fact": f} for a, f in outcome.decided_by],
        "unknowns": [_unknown(u, asset_id) for asset_id, u in outcome.unknowns],
        "notes": outcome.notes,
        "assets": [_asset(rs, o) for o in outcome.assets],
        "trace": [_trace(o.asset.id, t) for o in outcome.assets for t in o.trace],
    }


_LOCATED = re.compile(r"^(?P<where>[^\s:][^:]*:\d+(?::\d+)?): (?P<what>.*)$", re.S)


def rule_errors(result: dict[str, Any]) -> list[str]:
    """Rules that failed at run time on this case, one located line each.

    The rule's outcome is unknown (criterion status `error`) and the rest of the case is still
    scored; the CLI prints these lines and exits 2, like any other bad input."""
    lines = []
    for asset in result["assets"]:
        for e in asset.get("errors", []):
            m = _LOCATED.match(e["error"])
            where, what = (m["where"] + ": ", m["what"]) if m else ("", e["error"])
            lines.append(
                f"{where}rule {e['rule']} failed on {result['case']['path']} "
                f"(asset {asset['id']}): {what}"
            )
    return lines


def dumps(results: list[dict[str, Any]]) -> str:
    """Canonical JSON text for a list of results (stable key order, UTF-8, newline at end)."""
    return json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
