"""Evidence fields that case schema v2 adds (regional stages, safety, comparators, claims),
read so that a v1 case (without them) and a v2 case both work.

Every read goes through `getattr(..., None)`: the memo runs on models with or without the v2
fields, and a missing field is unknown, never false. Values come back as plain Python (floats,
bools, stage names), so the risk and question drafting need not know the model classes.
"""

from __future__ import annotations

from typing import Any

REGIONS = ("china", "us", "eu", "japan", "rest_of_world")


def plain_value(x: Any) -> Any:
    """A Figure's value, a Claim's value, or the value itself (None stays None)."""
    if x is None:
        return None
    for attr in ("value",):
        if hasattr(x, attr) and not isinstance(x, int | float | str | bool):
            return getattr(x, attr)
    return x


def claim_value(x: Any) -> bool | None:
    """first_in_class / best_in_class: `true` (v1) or `{value: true, source, ...}` (v2)."""
    v = plain_value(x)
    return v if isinstance(v, bool) else None


def claim_text(x: Any) -> str | None:
    """differentiation: text (v1) or `{claim, source, status, note}` (v2)."""
    if x is None or isinstance(x, str):
        return x
    return getattr(x, "claim", None) or getattr(x, "description", None) or None


def claim_source(x: Any) -> str | None:
    """The source id a v2 claim cites (None for a v1 bool or text)."""
    return None if x is None or isinstance(x, str | bool) else getattr(x, "source", None)


def comparator_text(c: Any) -> str | None:
    """A readout's comparator as text: v1 text, or a v2 `{kind, description, value, n}`."""
    if c is None or isinstance(c, str):
        return c
    parts = []
    desc = getattr(c, "description", None)
    kind = getattr(c, "kind", None)
    kind_text = str(getattr(kind, "value", kind)).replace("_", " ") if kind is not None else None
    if desc:
        parts.append(desc)
    elif kind_text:
        parts.append(kind_text)
    value = plain_value(getattr(c, "value", None))
    if isinstance(value, int | float):
        parts.append(f"value {value:g}")
    n = plain_value(getattr(c, "n", None))
    if isinstance(n, int | float):
        parts.append(f"n={n:g}")
    return ", ".join(parts) or None


def comparator_value(c: Any) -> float | None:
    """The comparator's figure (v2 only)."""
    if c is None or isinstance(c, str):
        return None
    v = plain_value(getattr(c, "value", None))
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _stage_name(stage: Any) -> str | None:
    if stage is None:
        return None
    name = getattr(stage, "name", None)
    if isinstance(stage, int) and name:
        return "none" if int(stage) < 0 else name
    return str(getattr(stage, "value", stage))


def _stage_rank(stage: Any) -> int | None:
    if stage is None:
        return None
    try:
        return int(stage)
    except (TypeError, ValueError):
        return None


def regional_stages(asset: Any) -> dict[str, dict[str, Any]]:
    """Region -> {stage (name), rank, approvals}: v2 `development`; empty for a v1 case."""
    dev = getattr(asset, "development", None)
    if dev is None:
        return {}
    out = {}
    for region in REGIONS:
        entry = getattr(dev, region, None)
        stage = getattr(entry, "stage", None) if entry is not None else None
        approvals = getattr(entry, "approvals", None) if entry is not None else None
        named = dev.named(region)  # a bare `us:` names it too
        unknown = named and getattr(asset, f"stage_{region}", None) is None  # and not settled
        if named and not unknown and stage is None:  # settled by an approval
            stage = getattr(asset, f"stage_{region}", None)
        out[region] = {
            "stage": "unknown" if unknown else (_stage_name(stage) or "none"),
            "rank": None if unknown else (_stage_rank(stage) if stage is not None else -1),
            "approvals": [
                {
                    "agency": str(getattr(getattr(a, "agency", None), "value", "") or ""),
                    "indication": getattr(a, "indication", None),
                }
                for a in approvals or []
            ],
        }
    return out


def safety_view(asset: Any) -> dict[str, Any] | None:
    """The v2 safety facts as plain values, or None when the case states none."""
    s = getattr(asset, "safety", None)
    if s is None:
        return None

    def num(name: str) -> float | None:
        v = plain_value(getattr(s, name, None))
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    stopped = getattr(s, "stopped_for_safety", None)
    return {
        "grade3_ae_rate": num("grade3_ae_rate"),
        "comparator_grade3_ae_rate": num("comparator_grade3_ae_rate"),
        "discontinuation_rate": num("discontinuation_rate"),
        "treatment_related_deaths": num("treatment_related_deaths"),
        "stopped_for_safety": stopped if isinstance(stopped, bool) else None,
        "note": getattr(s, "note", None),
    }


def plan_countries(asset: Any) -> list[str]:
    """The v2 plan's ISO country codes (empty for v1)."""
    bd = getattr(asset, "bd", None)
    plan = getattr(bd, "plan", None) if bd is not None else None
    return [str(c) for c in (getattr(plan, "countries", None) or [])]


def cash_runway(company: Any) -> tuple[float | None, str]:
    """(months, how it is known): stated runway, else v2 cash / annual burn x 12."""
    stated = plain_value(getattr(company, "cash_runway_months", None))
    if isinstance(stated, int | float):
        return float(stated), "stated"
    cash = plain_value(getattr(company, "cash_usd_m", None))
    burn = plain_value(getattr(company, "annual_burn_usd_m", None))
    if isinstance(cash, int | float) and isinstance(burn, int | float) and burn > 0:
        return round(cash / burn * 12, 1), "derived from cash and annual burn"
    return None, "unknown"
