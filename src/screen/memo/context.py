"""The memo view model: (loaded case, result document) -> the dict the templates lay out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from screen.memo.assets import asset_view, trace_by_asset
from screen.memo.citations import Citations
from screen.memo.diligence import questions
from screen.memo.evidence import cash_runway, plain_value, plan_countries
from screen.memo.prose import summary
from screen.memo.risks import financing, risks
from screen.memo.wording import (
    DECISION_LABEL,
    OVERSEAS_TEXT,
    STALE_AFTER_MONTHS,
    date_text,
    label,
    number,
)
from screen.model.case import Case, Figure
from screen.model.checks import iter_figures
from screen.model.deals import deals_covering
from screen.report.console import provisional_text


def headline(result: dict[str, Any]) -> str:
    """'Advance', or 'Insufficient information - provisionally Watch (3.10, range 2.60-3.60)'."""
    label = DECISION_LABEL[result["decision"]]
    provisional = provisional_text(result, DECISION_LABEL)
    return f"{label} - {provisional}" if provisional else label


def memo_context(
    loaded: Any,
    result: dict[str, Any],
    *,
    date: dt.date | None = None,
    stale_months: int = STALE_AFTER_MONTHS,
) -> dict[str, Any]:
    """The view model the templates render (documented key by key in templates/default/)."""
    case: Case = loaded.case
    cites = Citations(case, case.as_of, stale_months)
    co = case.company

    def company_cite(fig: Figure | None, field: str, item: str, unit: str | None = None) -> Any:
        return cites.cite(
            fig, f"company.{field}", item, owner="company", subject="company", unit=unit
        )

    runway = company_cite(co.cash_runway_months, "cash_runway_months", "cash runway", "months")
    growth = company_cite(
        co.domestic_sales_growth, "domestic_sales_growth", "domestic sales growth", "fraction"
    )
    company_cite(getattr(co, "cash_usd_m", None), "cash_usd_m", "cash", "USD m")
    company_cite(
        getattr(co, "annual_burn_usd_m", None), "annual_burn_usd_m", "annual burn", "USD m"
    )
    company = {
        "name": co.name,
        "hq": co.hq,
        "description": co.description,
        "financing_stage": label(co.financing_stage) if co.financing_stage else None,
        "overseas_capability": label(co.overseas_capability) if co.overseas_capability else None,
        "overseas_text": OVERSEAS_TEXT.get(
            getattr(co.overseas_capability, "value", ""), "overseas capability unknown"
        ),
        "cash_runway": runway,
        "runway_derived": _runway_text(co) if runway is None else None,
        "domestic_sales_growth": growth,
    }
    shared = {
        k: c
        for k, c in (
            ("company.cash_runway_months", runway),
            ("company.domestic_sales_growth", growth),
        )
        if c is not None
    }
    by_id = {a["id"]: a for a in result["assets"]}
    traces = trace_by_asset(result)
    assets = [
        asset_view(
            a,
            i,
            by_id[a.id],
            result,
            cites,
            traces.get(a.id, []),
            shared,
            [(j, k, d, case.assets[j]) for j, k, d in deals_covering(case.assets, a)],
        )
        for i, a in enumerate(case.assets)
    ]
    listed = {c.path for c in cites.all}
    tags = {i: (v["id"], v["tag"]) for i, v in enumerate(assets)}
    for path, fig in iter_figures(case):  # anything the views above do not show still counts
        p = _path_text(path)
        if p in listed:
            continue
        owner, subject = (
            tags[path[1]]
            if len(path) > 1 and path[0] == "assets" and isinstance(path[1], int)
            else ("company", "company")
            if path[:1] == ("company",)
            else (None, None)
        )
        cites.cite(fig, p, _item_words(path, case), owner=owner, subject=subject)
    for a, view in zip(case.assets, assets, strict=True):
        view["plan_countries"] = plan_countries(a)
    lead = next(a for a in assets if a["is_lead"])
    ctx: dict[str, Any] = {
        "title": f"Investment memo: {co.name}",
        "date": date.isoformat() if date else None,
        "as_of": date_text(case.as_of),
        "analyst": case.analyst,
        "case_notes": case.notes,
        "stale_months": stale_months,
        "result": result,
        "decision_label": headline(result),
        "company": company,
        "assets": assets,
        "lead": lead,
        "sources": list(cites.sources.values()),
        "citations": cites.all,
        "unsourced": [c for c in cites.all if not c.sourced],
    }
    ctx["data_quality"] = {
        "total": len(cites.all),
        "sourced": sum(c.sourced for c in cites.all),
        "estimates": sum(c.estimate for c in cites.all),
        "stale": sum(c.stale for c in cites.all),
    }
    ctx["questions"] = questions(ctx, runway_risk=financing(ctx, co) is not None)
    ctx["risks"] = risks(ctx, co)
    ctx["summary"] = summary(ctx)
    return ctx


def _runway_text(co: Any) -> str | None:
    """'about 9 months (cash USD 30m at USD 40m a year)' from v2 cash and burn, else None."""
    months, how = cash_runway(co)
    if months is None or how == "stated":
        return None
    cash = plain_value(getattr(co, "cash_usd_m", None))
    burn = plain_value(getattr(co, "annual_burn_usd_m", None))
    return f"about {number(months)} months (cash USD {number(cash)}m at USD {number(burn)}m a year)"


ITEM_WORDS = {  # the last part of a figure's path, as the memo says it
    "near_term_usd_m": "near-term payments",
    "milestones_usd_m": "milestones",
    "equity_usd_m": "equity investment",
    "royalty_low": "lowest royalty",
    "royalty_high": "highest royalty",
    "profit_share": "profit share",
    "peak_sales_usd_m": "peak sales estimate",
    "size": "enrolment",
    "n": "patients evaluated",
    "hazard_ratio": "hazard ratio",
}


def _item_words(path: tuple[str | int, ...], case: Case | None = None) -> str:
    """What an otherwise unlisted figure is, in words: ('assets', 0, 'bd', 'deals', 1,
    'milestones_usd_m') -> 'Kailera deal milestones'; else from the path ('trials 1 size')."""
    last = path[-1] if path else None
    if (
        case is not None
        and len(path) == 6
        and path[0] == "assets"
        and path[2:4] == ("bd", "deals")
        and isinstance(last, str)
    ):
        deal = case.assets[path[1]].bd.deals[path[4]]  # type: ignore[index, union-attr]
        return f"{deal.partner} deal {ITEM_WORDS.get(last, last.replace('_', ' '))}"
    words = []
    for p in path[2:] if path[:1] == ("assets",) else path[1:]:
        if isinstance(p, int):
            words.append(str(p + 1))
        else:
            words.append(ITEM_WORDS.get(p, p.replace("_", " ")))
    return " ".join(words) or "figure"


def _path_text(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


# -- Markdown escaping -------------------------------------------------------------------------
