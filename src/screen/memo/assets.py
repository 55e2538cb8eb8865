"""The per-asset view model: product facts, citations and the criteria that judged the asset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from screen.memo.citations import Citation, Citations, fmt_value
from screen.memo.evidence import (
    claim_source,
    claim_text,
    claim_value,
    comparator_text,
    comparator_value,
    regional_stages,
    safety_view,
)
from screen.memo.facts import because, fact_rows, plain_rationale
from screen.memo.readings import (
    adds_text,
    bd_deal,
    bd_text,
    fda_path,
    outcome,
    plan,
    readings,
    result_text,
    rule_needs,
    score_text,
)
from screen.memo.wording import (
    DECISION_LABEL,
    STAGE_RANK,
    date_text,
    figure_text,
    join_and,
    label,
    short_name,
)
from screen.model.case import Figure, efficacy_readout
from screen.model.deals import in_force
from screen.model.vocab import (
    Agency,
    ComparatorKind,
    DealDirection,
    DealModel,
    LicensedTerritory,
    Region,
)


def trace_by_asset(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The result's trace entries grouped by asset id, in trace order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for t in result["trace"]:
        out.setdefault(t["asset"], []).append(t)
    return out


SAFETY_FIGURES = (  # (field, what it is, implied unit) of the v2 safety block
    ("grade3_ae_rate", "grade 3 or worse adverse events", "fraction"),
    ("comparator_grade3_ae_rate", "comparator arm", "fraction"),
    ("discontinuation_rate", "discontinuations", "fraction"),
    ("treatment_related_deaths", "treatment-related deaths", None),
)


def _deal_sum(deal: Any) -> str | None:
    """With no total stated, the payments the deal states added up (upfront, near-term,
    milestones), so the memo shows the deal's size instead of only 'total not stated'; None
    when the total is stated or no milestones are (the upfront alone is shown already)."""
    if deal.total_value_usd_m is not None or deal.milestones_usd_m is None:
        return None
    parts = [
        (n, f)
        for n, f in (
            ("upfront", deal.upfront_usd_m),
            ("near-term", deal.near_term_usd_m),
            ("milestones", deal.milestones_usd_m),
        )
        if f is not None
    ]
    amount = figure_text(sum(f.value for _, f in parts), "USD m")
    return f"up to {amount}: {' + '.join(n for n, _ in parts)}, derived"


_REGION_ORDER = {  # a rival's region, global and US first (T3, T8); unstated: 2
    Region.multiregional: 0,
    Region.us: 0,
    Region.eu: 1,
    Region.japan: 1,
    Region.rest_of_world: 2,
    Region.china: 3,
}


def _deal_view(
    d: Any, cite: Callable[[Any, str, str], Citation | None], recorded_on: str | None = None
) -> dict[str, Any]:
    """One deal for the memo; `cite(figure, field, item)` cites a figure of it where it is
    recorded, `recorded_on` names the asset it is recorded on when that is another."""
    return {
        "partner": d.partner,
        "licensed_in": d.direction is DealDirection.in_,
        "in_force": in_force(d),
        "recorded_on": recorded_on,
        "status_key": d.status.value if d.status else None,
        "deal_model": "in-licence"
        if d.direction is DealDirection.in_
        and d.deal_model in (None, DealModel.out_license)  # the same licence, seen from here
        else (label(d.deal_model) if d.deal_model else None),
        "deal_model_key": d.deal_model.value if d.deal_model else None,
        "territory": label(d.territory) if d.territory else None,
        "territory_key": d.territory.value if d.territory else None,
        "countries": [str(c) for c in d.countries or []],
        "where": join_and([str(c) for c in d.countries])
        if d.countries
        else (label(d.territory) if d.territory else None),
        "date": date_text(d.date),
        "upfront": cite(d.upfront_usd_m, "upfront_usd_m", f"{d.partner} deal upfront"),
        "total": cite(d.total_value_usd_m, "total_value_usd_m", f"{d.partner} deal total value"),
        "derived_total": _deal_sum(d),
    }


def _inherit(fig: Any, source: str | None, block: Any = None) -> Any:
    """A count inside a sourced readout (n, the comparator's value) cites the readout's source
    when it names none: it comes from the same poster or paper, so it is no separate claim.
    A figure of a sourced block (`safety: {source: ..., as_of: ...}`) takes the block's
    source, status and date the same way."""
    if fig is None or fig.source is not None or source is None:
        return fig
    update: dict[str, Any] = {"source": source}
    if block is not None:
        update["status"] = fig.status or block.status
        update["as_of"] = fig.as_of or block.as_of
    return fig.model_copy(update=update)


def _readout(r: Any, rel: str, cite: Any) -> dict[str, Any]:
    """One readout: endpoint, the arm's figure, the comparator in words (v1 text or v2 object)."""
    arm = cite(r.value, f"{rel}.value", f"{r.endpoint} readout")
    source = r.value.source if r.value is not None else None
    comp = r.comparator
    comp_text = comparator_text(comp)
    if comp is not None and not isinstance(comp, str):
        what = getattr(comp, "description", None) or "comparator"
        kind = getattr(comp, "kind", None)
        # a historical control's figures come from another trial's publication, never from
        # the readout's own: unsourced there, they are flagged as unsourced
        same_paper = None if kind is ComparatorKind.historical_control else source
        value = cite(
            _inherit(getattr(comp, "value", None), same_paper),
            f"{rel}.comparator.value",
            f"{what} result on {r.endpoint}",
        )
        n = cite(
            _inherit(getattr(comp, "n", None), same_paper),
            f"{rel}.comparator.n",
            f"{what} patients",
        )
        parts = [getattr(comp, "description", None) or label(kind) if kind else None]
        if kind is not None and getattr(comp, "description", None):
            parts[0] = f"{comp.description} ({label(kind)})"
        tail = ", ".join(
            x for x in (value.text if value else None, f"n={n.text}" if n else None) if x
        )
        comp_text = ": ".join(x for x in (parts[0], tail) if x) or comp_text
    cite(_inherit(getattr(r, "n", None), source), f"{rel}.n", f"patients in {r.endpoint}")
    hazard = cite(
        _inherit(getattr(r, "hazard_ratio", None), source),
        f"{rel}.hazard_ratio",
        f"hazard ratio on {r.endpoint}",
    )
    return {
        "endpoint": r.endpoint,
        "primary": getattr(r, "primary", None),
        "hazard_ratio": hazard,
        "kind": str(getattr(getattr(r, "kind", None), "value", "") or "") or None,
        "result": r.result,
        "comparator": comp_text,
        "comparator_value": comparator_value(comp),
        "higher_is_better": getattr(r, "higher_is_better", None),
        "delta": getattr(r, "delta", None),
        "date": date_text(r.date),
        "cite": arm,
    }


def _letter_view(x: Any, cites: Citations, tag: str) -> dict[str, Any]:
    """An FDA complete response letter for the memo, with the title of its source; the
    source's entry in the memo's list says the letter cites it (a letter is no figure)."""
    src = cites.sources.get(x.source) if x.source else None
    date = date_text(x.date)
    if src is not None:
        src.cited_by.append(f"{tag} FDA complete response letter ({date or 'undated'})")
    return {
        "reason_key": x.reason.value,
        "date": date,
        "resubmitted": date_text(x.resubmitted),
        "indication": x.indication,
        "source": src.title if src is not None else None,
    }


def asset_view(
    asset: Any,
    index: int,
    res: dict[str, Any],
    result: dict[str, Any],
    cites: Citations,
    entries: list[dict[str, Any]] | None = None,
    shared: dict[str, Citation] | None = None,
    sibling_deals: Sequence[tuple[int, int, Any, Any]] = (),
) -> dict[str, Any]:
    """The view of one asset. `entries` is its part of the trace: callers with many assets
    index the trace once (`trace_by_asset`); scanning it per asset is quadratic. `shared` are
    the company's figures by fact path, cited where a criterion reads them. `sibling_deals`:
    (asset index, deal index, deal, that asset) of the deals another asset records that cover
    this one (`assets: [this id]`), which the scores read too (`deals.deals_covering`); their
    figures belong to the asset that records them, whichever view cites them first."""
    p = f"assets[{index}]"
    name = asset.name
    tag = short_name(asset.id, name)
    figures: dict[str, Citation] = {}

    def cite(fig: Figure | None, rel: str, item: str, unit: str | None = None) -> Citation | None:
        c = cites.cite(fig, f"{p}.{rel}", item, owner=asset.id, subject=tag, unit=unit)
        if c is not None and "[" not in rel:
            figures["asset." + rel] = c
        return c

    epi = asset.epidemiology
    regions = []
    for region in ("us", "eu", "china", "rest_of_world"):
        fig = getattr(epi, region) if epi else None
        where = label(region)
        regions.append(
            {
                "region": where[:1].upper() + where[1:],
                "key": region,
                "cite": cite(
                    fig,
                    f"epidemiology.{region}",
                    f"{where.replace(' ', '-')} patient numbers",
                    "patients",
                ),
            }
        )
    trials = []
    read = efficacy_readout(asset)  # the readout the efficacy facts come from
    for ti, t in enumerate(asset.trials or []):
        readouts = [
            {**_readout(r, f"trials[{ti}].readouts[{ri}]", cite), "read": r is read}
            for ri, r in enumerate(t.readouts)
        ]
        trials.append(
            {
                "id": t.nct_id or t.registry_id,
                "nct_id": t.nct_id,
                "registry_id": t.registry_id,
                "phase": label(t.phase) if t.phase else None,
                "region": label(t.region) if t.region else None,
                "region_key": t.region.value if t.region else None,
                "pivotal": t.phase is not None and t.phase.value in ("PHASE2/PHASE3", "PHASE3"),
                "status": t.status,
                "size": cite(
                    t.size,
                    f"trials[{ti}].size",
                    f"enrolment in {t.nct_id or t.registry_id}"
                    if t.nct_id or t.registry_id
                    else "trial enrolment",
                    "patients",
                ),
                "readouts": readouts,
            }
        )
    comp = asset.competition
    listed = (comp.same_target_programs or []) if comp else []
    # the most advanced first; among equals the global and US programmes before regional ones
    # (T3: the asset must compete globally, T8: the US first), then in the case's own order
    # (the author lists the leader first; alphabetical put camrelizumab before pembrolizumab)
    programs = [
        c
        for _, c in sorted(
            enumerate(listed),
            key=lambda ic: (
                -(int(ic[1].stage) if ic[1].stage is not None else -1),
                _REGION_ORDER.get(ic[1].region, 2),
                ic[0],
            ),
        )
    ]
    competitors = [
        {
            "name": c.name,
            "company": c.company,
            "stage": label(c.stage.name) if c.stage is not None else "unknown",
            "stage_key": c.stage.name if c.stage is not None else None,
            "rank": int(c.stage) if c.stage is not None else None,
            "late": c.stage is not None and int(c.stage) >= STAGE_RANK["phase3"],
            "region": label(c.region) if c.region else None,
            "region_key": getattr(c.region, "value", None) if c.region else None,
        }
        for c in programs
    ]
    bd = asset.bd
    deals = [
        _deal_view(d, lambda f, rel, item, di=di: cite(f, f"bd.deals[{di}].{rel}", item, "USD m"))
        for di, d in enumerate((bd.deals if bd else None) or [])
    ]
    for ai, di, d, on in sibling_deals:  # recorded on a sibling asset, covering this one too

        def cited(
            f: Any, rel: str, item: str, at: str = f"assets[{ai}].bd.deals[{di}]", on: Any = on
        ) -> Any:
            whose = short_name(on.id, on.name)
            return cites.cite(f, f"{at}.{rel}", item, owner=on.id, subject=whose, unit="USD m")

        deals.append(_deal_view(d, cited, recorded_on=on.name))
    peak = cite(asset.peak_sales_usd_m, "peak_sales_usd_m", "peak sales", "USD m")
    safety_rows = []
    safety = getattr(asset, "safety", None)
    for field, what, unit in SAFETY_FIGURES:
        fig = getattr(safety, field, None)
        fig = _inherit(fig, safety.source, safety) if fig is not None else None
        c = cite(fig, f"safety.{field}", what, unit)
        if c is not None:  # the figure's own note says what it counts (treatment-related...)
            note = getattr(getattr(safety, field, None), "note", None)
            safety_rows.append({"label": what, "cite": c, "note": note})
    reg = asset.regulatory
    if entries is None:
        entries = [t for t in result["trace"] if t["asset"] == asset.id]
    trace = {t["rule"]: t for t in entries}
    facts = {**(shared or {}), **figures}
    criteria = []
    for c in res["criteria"]:
        entry = trace.get(c["id"], {"inputs": {}})
        fired = trace.get(c["fired"]) if c["fired"] else None
        fired_rationale = plain_rationale(fired.get("rationale")) if fired else None
        needs = rule_needs(res, f"criteria.{c['id']}")
        criteria.append(
            {
                **c,
                "why": because(fired_rationale),
                "share": (c["score"] / c["max"]) if c["score"] is not None and c["max"] else None,
                "score_text": score_text(c),
                "adds_text": adds_text(c),
                "result_text": result_text(c, fired_rationale, needs),
                "rationale": plain_rationale(entry.get("rationale")),
                "fired_rationale": fired_rationale,
                "facts": fact_rows(entry["inputs"], trace, facts),
                "needs": needs,
                # reads company facts only, so it scores the same for every asset
                "company_level": bool(entry["inputs"])
                and all(k.startswith(("company.", "params.")) for k in entry["inputs"]),
            }
        )
    role_key = getattr(asset.role, "value", asset.role) if asset.role else None
    bd_status_key = bd.status.value if bd and bd.status else None
    view = {
        "id": asset.id,
        "name": name,
        "tag": tag,
        "role": label(asset.role) if asset.role else None,
        "role_key": role_key,
        "is_core": asset.id in result["core_assets"],
        "is_lead": asset.id == result["lead_asset"],
        "modality": label(asset.modality) if asset.modality else None,
        "target": asset.target,
        "mechanism": asset.mechanism,
        "indication": asset.indication,
        "therapeutic_area": label(asset.therapeutic_area) if asset.therapeutic_area else None,
        "line_of_therapy": label(asset.line_of_therapy) if asset.line_of_therapy else None,
        "stage": label(asset.stage.name) if asset.stage is not None else None,
        "stage_key": asset.stage.name if asset.stage is not None else None,
        "data_origin": label(asset.data_origin) if asset.data_origin else None,
        "data_origin_key": asset.data_origin.value if asset.data_origin else None,
        "regions": regional_stages(asset),
        "safety": safety_view(asset),
        "safety_rows": safety_rows,
        "us_evidence_plan_key": getattr(getattr(reg, "us_evidence_plan", None), "value", None)
        if reg
        else None,
        "trials": trials,
        "soc": {
            "description": asset.standard_of_care.description if asset.standard_of_care else None,
            "adequacy": label(asset.standard_of_care.adequacy)
            if asset.standard_of_care and asset.standard_of_care.adequacy
            else None,
            "treatments": list(getattr(asset.standard_of_care, "treatments", None) or []),
        },
        "stage_regions": ", ".join(
            f"{label(region)}: {label(v['stage'])}"
            for region, v in regional_stages(asset).items()
            if v["rank"] is not None and v["rank"] >= 0
        )
        or None,
        "unmet_need": {
            "addressed": None if not asset.unmet_need else asset.unmet_need.addressed,
            "severity": label(asset.unmet_need.severity)
            if asset.unmet_need and asset.unmet_need.severity
            else None,
            "evidence": asset.unmet_need.evidence if asset.unmet_need else None,
        },
        "epidemiology": regions,
        "epidemiology_basis": epi.basis if epi else None,
        "global_patients": outcome(trace, "derived.global_patients"),
        "competitors": competitors,
        "late_competitors": outcome(trace, "derived.late_competitors"),
        "first_in_class": claim_value(comp.first_in_class) if comp else None,
        "best_in_class": claim_value(comp.best_in_class) if comp else None,
        "differentiation": claim_text(comp.differentiation) if comp else None,
        "differentiation_verified": bool(comp)
        and claim_source(comp.differentiation) is not None
        and str(getattr(getattr(comp.differentiation, "status", None), "value", "")) == "verified",
        "fda_ind": label(reg.fda_ind) if reg and reg.fda_ind else None,
        "fda_ind_key": reg.fda_ind.value if reg and reg.fda_ind else None,
        "designations": [label(d) for d in (reg.designations or [])] if reg else [],
        "approvals": [
            {
                "agency": label(a.agency),
                "date": date_text(a.date),
                "indication": a.indication,
            }
            for a in ((reg.approvals or []) if reg else [])
        ],
        "crl_letters": [
            _letter_view(x, cites, tag)
            for x in ((reg.complete_response_letters or []) if reg else [])
        ],
        # approved in the US: an FDA approval recorded, or the US stage (development block)
        "us_approved": getattr(asset.stage_us, "name", None) == "approved"
        or any(x.agency is Agency.fda for x in ((reg.approvals or []) if reg else [])),
        # an in-licence that ended (terminated, returned): the company holds no rights at all
        "rights_ended": asset.rights_territory is LicensedTerritory.none,
        "bd_status": label(bd.status) if bd and bd.status else None,
        "bd_status_key": bd_status_key,
        "bd_plan": plan(bd.plan if bd else None),
        "deals": deals,
        "rights_key": getattr(asset.rights_territory, "value", None),
        "peak_sales": peak,
        "decision": res["decision"],
        "decision_label": DECISION_LABEL[res["decision"]],
        "score": res["score"],
        "score_range": res["score_range"],
        "criteria": criteria,
        "gates": [
            {
                **g,
                "rationale": plain_rationale(trace.get(g["id"], {}).get("rationale")),
                "needs": rule_needs(res, f"gates.{g['id']}"),
            }
            for g in res["gates"]
        ],
        "unknowns": res["unknowns"],
        "trace": [
            {
                **t,
                "inputs_text": ", ".join(f"{k} = {fmt_value(v)}" for k, v in t["inputs"].items()),
                "outcome_text": fmt_value(t["outcome"]),
            }
            for t in entries
        ],
    }
    view["fda_path"] = fda_path(view)
    view["bd_deal"] = bd_deal(view)
    view["bd_text"] = bd_text(view)
    view["readings"] = readings(view, trace)
    return view
