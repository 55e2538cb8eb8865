"""First-draft investment memos: (rule set, case, result) -> a Markdown or HTML document.

This is the report stage's long form. `memo_context` turns the result document (see README,
"Result JSON") and the validated case into a *view model*: every figure wrapped as a `Citation`
(source number, status, as-of, stale / estimate / unsourced flags), the thesis readings (T4,
T5/T6/T10, T7/T8) and the executive summary drafted as sentences. Jinja templates
(`templates/default/`) only lay the view model out, so a firm can restyle or reword one block
without touching the logic, and Markdown and HTML say the same things.

Safety: text from case files is data, never markup or template code. It is only ever passed to
templates as values (never compiled), HTML autoescapes (`select_autoescape`), Markdown templates
escape through the `md` filter, and firm templates run in Jinja's sandbox. Undefined names are
errors (`StrictUndefined`), reported as `template:line: message` like every other input error.

Determinism: no clock is read. A date appears only when the caller passes one (`--date`); the
same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import traceback
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from screen.case import Case, Figure, iter_figures
from screen.errors import Location, ScreenError

STALE_AFTER_MONTHS = 24  # a figure older than this before the case's as_of date is flagged
FORMATS = ("md", "html", "pdf")
TEMPLATE_FOR = {"md": "memo.md.j2", "html": "memo.html.j2", "pdf": "memo.html.j2"}
SUFFIX = {"md": ".md", "html": ".html", "pdf": ".pdf"}
WEAK_SHARE = 0.4  # a criterion scoring at most this share of its maximum is a risk
STRONG_SHARE = 0.8  # ... and at least this share, a strength

DECISION_LABEL = {
    "advance": "Advance",
    "watch": "Watch",
    "decline": "Decline",
    "insufficient_information": "Insufficient information",
}
LABELS = {
    "adc": "ADC",
    "car_t": "CAR-T",
    "sirna_rnai": "siRNA / RNAi",
    "non_core": "non-core",
    "ind_enabling": "IND-enabling",
    "phase1": "phase 1",
    "phase1_2": "phase 1/2",
    "phase2": "phase 2",
    "phase3": "phase 3",
    "filed": "filed (NDA/BLA)",
    "us": "US",
    "eu": "EU",
    "china": "China",
    "japan": "Japan",
    "rest_of_world": "rest of world",
    "fda": "FDA",
    "ema": "EMA",
    "nmpa": "NMPA",
    "pmda": "PMDA",
    "mhra": "MHRA",
    "hsa": "HSA",
    "ex_china": "ex-China",
    "m_and_a": "M&A",
    "newco": "NewCo",
    "out_license": "out-licence",
    "co_development": "co-development",
    "self_commercialise": "self-commercialisation",
    "rmat": "RMAT",
    "nmpa_breakthrough": "NMPA breakthrough",
    "prime": "PRIME (EMA)",
    "series_a": "series A",
    "series_b": "series B",
    "series_c": "series C",
    "series_d_plus": "series D+",
    "pre_ipo": "pre-IPO",
    "company-reported": "company-reported",
    "global": "global",
    "PHASE1/PHASE2": "phase 1/2",
    "PHASE2/PHASE3": "phase 2/3",
    "EARLY_PHASE1": "early phase 1",
}
STAGE_RANK = {
    "preclinical": 0,
    "ind_enabling": 1,
    "phase1": 2,
    "phase1_2": 3,
    "phase2": 4,
    "phase3": 5,
    "filed": 6,
    "approved": 7,
}


def label(value: Any) -> str:
    """A vocabulary value as a reader writes it: `phase1_2` -> `phase 1/2`, `adc` -> `ADC`."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    key = getattr(value, "name", None) if isinstance(value, int) else getattr(value, "value", value)
    key = str(key if key is not None else value)
    if key in LABELS:
        return LABELS[key]
    if re.fullmatch(r"PHASE\d", key):
        return "phase " + key[-1]
    return key.replace("_", " ")


def number(value: float | int) -> str:
    """12345.0 -> '12,345'; 7.1 -> '7.1'; fixed precision, so output is deterministic."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def figure_text(value: float, unit: str | None) -> str:
    """A figure's value in its unit: fractions as %, USD m as 'USD 45m'."""
    if unit == "fraction":
        return number(round(value * 100, 2)) + "%"
    if unit and unit.replace(" ", "").lower() in {"usdm", "usdmillion", "usdmn"}:
        return f"USD {number(value)}m"
    return f"{number(value)} {unit}" if unit else number(value)


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from `earlier` to `later` (negative if `earlier` is later)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return months


# -- citations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """One entry of the case's `sources:` list, numbered in list order for footnotes/links."""

    num: int
    id: str
    title: str
    url: str | None
    document: str | None
    publisher: str | None
    date: str | None
    cited_by: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"src-{self.num}"


@dataclass(frozen=True)
class Citation:
    """A figure from the case, ready to print: its text plus where it comes from."""

    path: str  # where it sits in the case, e.g. assets[0].epidemiology.us
    what: str  # what it measures, for the sources appendix
    value: float
    text: str
    source: SourceRef | None
    status: str | None
    as_of: str | None
    months_old: int | None
    stale: bool
    note: str | None

    @property
    def sourced(self) -> bool:
        return self.source is not None

    @property
    def estimate(self) -> bool:
        return self.status == "estimate"

    @property
    def flags(self) -> list[str]:
        """Warnings a partner must see next to the number (empty for a clean figure)."""
        out = []
        if not self.sourced:
            out.append("unsourced")
        if self.estimate:
            out.append("estimate")
        if self.stale:
            out.append(f"stale: as of {self.as_of}, {self.months_old} months before case date")
        return out


class Citations:
    """Numbers sources and wraps figures; remembers which figures cite which source."""

    def __init__(self, case: Case, case_as_of: dt.date | None, stale_months: int):
        self.case_as_of = case_as_of
        self.stale_months = stale_months
        self.sources: dict[str, SourceRef] = {}
        for i, s in enumerate(case.sources, 1):
            self.sources[s.id] = SourceRef(
                i,
                s.id,
                s.title,
                s.url,
                s.document,
                s.publisher,
                s.date.isoformat() if s.date else None,
            )
        self.all: list[Citation] = []
        self._source_dates = {s.id: s.date for s in case.sources}

    def cite(self, fig: Figure | None, path: str, what: str) -> Citation | None:
        if fig is None:
            return None
        src = self.sources.get(fig.source) if fig.source else None
        as_of = fig.as_of or (self._source_dates.get(fig.source) if fig.source else None)
        months = months_between(as_of, self.case_as_of) if as_of and self.case_as_of else None
        status = fig.status.value if fig.status is not None else None
        c = Citation(
            path=path,
            what=what,
            value=fig.value,
            text=figure_text(fig.value, fig.unit),
            source=src,
            status=status,
            as_of=as_of.isoformat() if as_of else None,
            months_old=months,
            stale=months is not None and months > self.stale_months,
            note=fig.note,
        )
        if src is not None:
            src.cited_by.append(f"{what} ({c.text})")
        self.all.append(c)
        return c


# -- view model --------------------------------------------------------------------------------


def _fmt_value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    return str(v)


def _fact_rows(
    inputs: dict[str, Any],
    trace: dict[str, dict[str, Any]],
    figures: dict[str, Citation],
    depth: int = 0,
    seen: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The facts a rule read, with derived facts and tables opened one level at a time."""
    seen = set() if seen is None else seen
    rows = []
    for key, value in inputs.items():
        if key in seen:
            continue
        seen.add(key)
        row = {"fact": key, "value": _fmt_value(value), "depth": depth, "cite": figures.get(key)}
        rows.append(row)
        sub = trace.get(key)
        if sub is not None and depth < 3 and key.startswith(("derived.", "table.")):
            rows.extend(_fact_rows(sub["inputs"], trace, figures, depth + 1, seen))
    return rows


def _asset_view(
    asset: Any,
    index: int,
    res: dict[str, Any],
    result: dict[str, Any],
    cites: Citations,
) -> dict[str, Any]:
    p = f"assets[{index}]"
    name = asset.name
    figures: dict[str, Citation] = {}

    def cite(fig: Figure | None, rel: str, what: str) -> Citation | None:
        c = cites.cite(fig, f"{p}.{rel}", f"{asset.id}: {what}")
        if c is not None and "[" not in rel:
            figures["asset." + rel] = c
        return c

    epi = asset.epidemiology
    regions = []
    for region in ("us", "eu", "china", "rest_of_world"):
        fig = getattr(epi, region) if epi else None
        regions.append(
            {
                "region": label(region),
                "key": region,
                "cite": cite(fig, f"epidemiology.{region}", f"patients, {label(region)}"),
            }
        )
    trials = []
    for ti, t in enumerate(asset.trials or []):
        readouts = [
            {
                "endpoint": r.endpoint,
                "result": r.result,
                "comparator": r.comparator,
                "date": r.date.isoformat() if r.date else None,
                "cite": cite(
                    r.value, f"trials[{ti}].readouts[{ri}].value", f"{r.endpoint} (readout)"
                ),
            }
            for ri, r in enumerate(t.readouts)
        ]
        trials.append(
            {
                "id": t.nct_id or t.registry_id,
                "nct_id": t.nct_id,
                "registry_id": t.registry_id,
                "phase": label(t.phase) if t.phase else None,
                "region": label(t.region) if t.region else None,
                "status": t.status,
                "size": cite(t.size, f"trials[{ti}].size", f"enrolment {t.nct_id or ''}".strip()),
                "readouts": readouts,
            }
        )
    comp = asset.competition
    programs = sorted(
        (comp.same_target_programs or []) if comp else [],
        key=lambda c: (-(int(c.stage) if c.stage is not None else -1), c.name),
    )
    competitors = [
        {
            "name": c.name,
            "company": c.company,
            "stage": label(c.stage.name) if c.stage is not None else "unknown",
            "late": c.stage is not None and int(c.stage) >= STAGE_RANK["phase3"],
            "region": label(c.region) if c.region else None,
        }
        for c in programs
    ]
    deals = []
    bd = asset.bd
    for di, d in enumerate((bd.deals if bd else None) or []):
        deals.append(
            {
                "partner": d.partner,
                "deal_model": label(d.deal_model) if d.deal_model else None,
                "territory": label(d.territory) if d.territory else None,
                "date": d.date.isoformat() if d.date else None,
                "upfront": cite(d.upfront_usd_m, f"bd.deals[{di}].upfront_usd_m", "deal upfront"),
                "total": cite(
                    d.total_value_usd_m, f"bd.deals[{di}].total_value_usd_m", "deal total value"
                ),
            }
        )
    peak = cite(asset.peak_sales_usd_m, "peak_sales_usd_m", "peak sales")
    reg = asset.regulatory
    trace = {t["rule"]: t for t in result["trace"] if t["asset"] == asset.id}
    facts = {**figures}
    criteria = []
    for c in res["criteria"]:
        entry = trace.get(c["id"], {"inputs": {}})
        fired = trace.get(c["fired"]) if c["fired"] else None
        criteria.append(
            {
                **c,
                "share": (c["score"] / c["max"]) if c["score"] is not None and c["max"] else None,
                "score_text": _score_text(c),
                "rationale": entry.get("rationale"),
                "fired_rationale": fired.get("rationale") if fired else None,
                "facts": _fact_rows(entry["inputs"], trace, facts),
            }
        )
    view = {
        "id": asset.id,
        "name": name,
        "role": label(asset.role) if asset.role else "unknown",
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
        "trials": trials,
        "soc": {
            "description": asset.standard_of_care.description if asset.standard_of_care else None,
            "adequacy": label(asset.standard_of_care.adequacy)
            if asset.standard_of_care and asset.standard_of_care.adequacy
            else None,
        },
        "unmet_need": {
            "addressed": None if not asset.unmet_need else asset.unmet_need.addressed,
            "severity": label(asset.unmet_need.severity)
            if asset.unmet_need and asset.unmet_need.severity
            else None,
            "evidence": asset.unmet_need.evidence if asset.unmet_need else None,
        },
        "epidemiology": regions,
        "epidemiology_basis": epi.basis if epi else None,
        "global_patients": _outcome(trace, "derived.global_patients"),
        "competitors": competitors,
        "late_competitors": _outcome(trace, "derived.late_competitors"),
        "first_in_class": comp.first_in_class if comp else None,
        "best_in_class": comp.best_in_class if comp else None,
        "differentiation": comp.differentiation if comp else None,
        "fda_ind": label(reg.fda_ind) if reg and reg.fda_ind else None,
        "designations": [label(d) for d in (reg.designations or [])] if reg else [],
        "approvals": [
            {
                "agency": label(a.agency),
                "date": a.date.isoformat() if a.date else None,
                "indication": a.indication,
            }
            for a in ((reg.approvals or []) if reg else [])
        ],
        "bd_status": label(bd.status) if bd and bd.status else None,
        "bd_plan": _plan(bd.plan if bd else None),
        "deals": deals,
        "peak_sales": peak,
        "decision": res["decision"],
        "decision_label": DECISION_LABEL[res["decision"]],
        "score": res["score"],
        "score_range": res["score_range"],
        "criteria": criteria,
        "gates": [
            {**g, "rationale": trace.get(g["id"], {}).get("rationale")} for g in res["gates"]
        ],
        "unknowns": res["unknowns"],
        "trace": [
            {
                **t,
                "inputs_text": ", ".join(f"{k} = {_fmt_value(v)}" for k, v in t["inputs"].items()),
                "outcome_text": _fmt_value(t["outcome"]),
            }
            for t in result["trace"]
            if t["asset"] == asset.id
        ],
    }
    view["readings"] = readings(view, trace)
    return view


def _plan(plan: Any) -> dict[str, str | None] | None:
    if plan is None:
        return None
    return {
        "deal_model": label(plan.deal_model) if plan.deal_model else None,
        "deal_model_key": plan.deal_model.value if plan.deal_model else None,
        "territory": label(plan.territory) if plan.territory else None,
        "target_stage": label(plan.target_stage.name) if plan.target_stage is not None else None,
        "market_scope": label(plan.market_scope) if plan.market_scope else None,
        "market_scope_key": plan.market_scope.value if plan.market_scope else None,
    }


def _outcome(trace: dict[str, dict[str, Any]], rule: str) -> Any:
    t = trace.get(rule)
    if t is None or t["outcome"] == "unknown":
        return None
    return t["outcome"]


def _score_text(c: dict[str, Any]) -> str:
    if c["score"] is None:
        possible = c.get("possible") or []
        if possible:
            return f"unknown, could be {number(min(possible))}-{number(max(possible))}"
        return "unknown"
    return f"{number(c['score'])} / {number(c['max'])}"


# -- drafted prose -----------------------------------------------------------------------------


def readings(a: dict[str, Any], trace: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The thesis readings for one asset, as sentences (T4, T7/T8, T5/T6, T10)."""
    out: dict[str, str] = {}
    large = _outcome(trace, "derived.large_indication")
    scope = (a["bd_plan"] or {}).get("market_scope_key")
    total = a["global_patients"]
    size = f" ({number(total)} addressable patients worldwide, derived)" if total else ""
    if large is True:
        out["t4"] = f"Large indication{size}: an acceptable return domestically or globally (T4)."
    elif large is False and scope == "global":
        out["t4"] = (
            f"Niche indication{size} with a global plan: acceptable, as niche indications pay "
            "off only with global markets, where prices are higher (T4)."
        )
    elif large is False and scope == "domestic":
        out["t4"] = (
            f"Niche indication{size} with a domestic-only plan: weak; confined to China only "
            "large indications give an acceptable return (T4)."
        )
    elif large is False:
        out["t4"] = (
            f"Niche indication{size}; the plan's market scope (domestic or global) is not "
            "recorded, so the T4 reading is open."
        )
    else:
        out["t4"] = (
            "The T4 reading (global vs domestic return) is open: the regional patient numbers "
            "are incomplete."
        )

    origin = a["data_origin"]
    t7 = {
        "China": "The clinical data come from China; China data now carries significant weight "
        "in global deals (T7), though a US bridging or registrational trial may be asked for.",
        "mixed": "The clinical data are mixed (China and other regions), which supports both a "
        "China-data deal (T7) and a US path (T8).",
        "global": "The clinical data come from global trials, the strongest basis for an FDA "
        "path (T8).",
    }.get(origin or "", "Where the clinical data come from is not recorded (T7).")
    approved = _outcome(trace, "derived.fda_approved")
    designations = a["designations"]
    if approved:
        t8 = "FDA-approved: the US market, about half the world's, is open (T8)."
    elif a["fda_ind"] == "cleared":
        t8 = "FDA IND cleared" + (
            f", with {', '.join(designations)}" if designations else ", no FDA designation yet"
        )
        t8 += ": a credible FDA path, which counts more than early presence elsewhere (T8)."
    elif a["fda_ind"] in ("planned", "submitted"):
        t8 = f"FDA IND {a['fda_ind']}: the US path is planned but not open yet (T8)."
    elif a["fda_ind"] == "none":
        t8 = "No FDA IND: no US path today; early presence elsewhere counts for little (T8, T9)."
    else:
        t8 = "FDA status unknown: the US path cannot be judged (T8)."
    out["t7"], out["t8"] = t7, t8

    loa = _outcome(trace, "derived.likelihood_of_approval")
    stage = a["stage"] or "unknown stage"
    risk = (
        f" Likelihood of approval from {stage}: about {number(round(loa * 100, 1))}% "
        "(BIO/Informa/QLS 2011-2020; T6)."
        if isinstance(loa, int | float)
        else ""
    )
    out["t5"] = _deal_model(a) + risk
    return out


def _deal_model(a: dict[str, Any]) -> str:
    """The deal model the thesis suggests for this asset (T5, T6, T10), vs the company's plan."""
    rank = STAGE_RANK.get(a["stage_key"] or "", -1)
    if rank < 0:
        text = "Stage unknown: no deal model can be suggested until it is (T5)."
    elif not a["is_core"]:
        text = (
            "Non-core: out-license now for upfront cash that funds the core program; early "
            "out-licensing is normal and trending earlier (T5), and a return is a normal risk (T6)."
            if rank <= STAGE_RANK["phase1_2"]
            else "Non-core at a later stage: ready for an out-licence or co-development now, at "
            "lower termination risk (T5, T6)."
        )
    elif rank <= STAGE_RANK["ind_enabling"]:
        text = (
            "Core and preclinical: keep global rights and gather clinical data first (T5); "
            "a NewCo or regional licence can fund the work without selling the asset early (T10)."
        )
    elif rank <= STAGE_RANK["phase1_2"]:
        text = (
            "Core and early clinical: hold global rights until phase 2 data (T5/T6); if cash is "
            "needed, prefer a regional licence, co-development or NewCo over a global sale (T10)."
        )
    elif rank == STAGE_RANK["phase2"]:
        text = (
            "Core with phase 2 data: co-development or an ex-China out-licence can now be "
            "struck at better terms (T5/T6, T10)."
        )
    else:
        text = (
            "Core at phase 3 or later: lowest termination risk; global out-licence, "
            "co-development or equity M&A at late-stage value (T6, T10)."
        )
    plan = a["bd_plan"] or {}
    if plan.get("deal_model"):
        text += f" The company's plan assumes {plan['deal_model']}"
        if plan.get("territory"):
            text += f" ({plan['territory']})"
        if plan.get("target_stage"):
            text += f" at {plan['target_stage']}"
        text += " (T10)."
    else:
        text += " The plan's deal model is not recorded (T10)."
    return text


def summary(ctx: dict[str, Any]) -> list[str]:
    """The executive summary: drafted sentences a partner reads first."""
    r = ctx["result"]
    lead = ctx["lead"]
    company = ctx["company"]["name"]
    n = len(ctx["assets"])
    th = r["thresholds"]
    score, (lo, hi) = r["score"], r["score_range"]
    out = [
        f"{company} is screened on {n} asset{'s' if n != 1 else ''}; the decision follows the "
        f"core asset {lead['name']}"
        + (f" ({lead['stage']}" if lead["stage"] else " (stage unknown")
        + (f", {lead['indication']})." if lead["indication"] else ").")
    ]
    failed = [g for g in r["gates"] if g["outcome"] == "fail"]
    open_gates = [g for g in r["gates"] if g["outcome"] == "unknown"]
    d = r["decision"]
    s = f"{number(score)} / {number(r['scale'])}"
    if d == "advance":
        out.append(
            f"Recommendation: advance. Weighted score {s}, at or above the advance "
            f"threshold of {number(th['advance'])}, and every gate passes."
        )
    elif d == "watch":
        out.append(
            f"Recommendation: watch. Weighted score {s}: above the watch threshold of "
            f"{number(th['watch'])} but under advance ({number(th['advance'])})."
        )
    elif d == "decline" and failed:
        names = "; ".join(f"{g['name'].lower()} ({g['id']})" for g in failed)
        out.append(f"Recommendation: decline. Knock-out gate failed: {names}.")
    elif d == "decline":
        out.append(
            f"Recommendation: decline. Weighted score {s}, under the watch threshold "
            f"of {number(th['watch'])}."
        )
    else:
        why = []
        if lo != hi:
            spanned = [f"{k} threshold {number(v)}" for k, v in th.items() if lo < v <= hi]
            why.append(
                f"the score could lie anywhere from {number(lo)} to {number(hi)}, "
                f"which spans the {' and the '.join(spanned) or 'decision thresholds'}"
            )
        if open_gates:
            why.append("gate " + ", ".join(g["id"] for g in open_gates) + " cannot be checked")
        out.append(
            "Recommendation: insufficient information to decide; "
            + (" and ".join(why) or "key facts are missing")
            + "."
        )
    strong = sorted(
        (c for c in lead["criteria"] if c["share"] is not None and c["share"] >= STRONG_SHARE),
        key=lambda c: -c["contribution"],
    )[:3]
    weak = [c for c in lead["criteria"] if c["share"] is not None and c["share"] <= WEAK_SHARE]
    if strong:
        out.append(
            "Strengths: " + ", ".join(f"{c['name']} ({c['score_text']})" for c in strong) + "."
        )
    if weak:
        out.append(
            "Weaknesses: " + ", ".join(f"{c['name']} ({c['score_text']})" for c in weak) + "."
        )
    unknown = [c for c in lead["criteria"] if c["score"] is None]
    if unknown:
        out.append(
            "Not yet scorable: "
            + ", ".join(f"{c['name']} ({c['score_text']})" for c in unknown)
            + "."
        )
    options = [a for a in ctx["assets"] if not a["is_core"]]
    if options:
        out.append(
            "BD options (non-core, T5): "
            + "; ".join(
                f"{a['name']}, {a['stage'] or 'stage unknown'}, scored {number(a['score'])} "
                f"({a['decision_label'].lower()})"
                for a in options
            )
            + "."
        )
    q = ctx["data_quality"]
    if q["total"]:
        parts = [f"{q['sourced']} of {q['total']} figures in this memo cite a source"]
        if q["estimates"]:
            parts.append(f"{q['estimates']} are estimates")
        if q["stale"]:
            parts.append(f"{q['stale']} are older than {ctx['stale_months']} months")
        out.append("Data quality: " + ", ".join(parts) + ".")
    if ctx["questions"]:
        out.append(f"First diligence request: {ctx['questions'][0]['question']}")
    return out


def risks(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """Red flags: failed or unknown gates, weak or unscorable criteria, doubtful figures."""
    out: list[dict[str, str]] = []
    for a in ctx["assets"]:
        who = f"{a['id']}"
        for g in a["gates"]:
            if g["outcome"] == "fail":
                out.append(
                    {
                        "level": "red",
                        "asset": who,
                        "text": f"Gate failed: {g['name']} ({g['because']}).",
                    }
                )
            elif g["outcome"] == "unknown":
                out.append(
                    {
                        "level": "amber",
                        "asset": who,
                        "text": f"Gate not checkable: {g['name']} ({g['because']}).",
                    }
                )
        for c in a["criteria"]:
            if c["share"] is not None and c["share"] <= WEAK_SHARE:
                out.append(
                    {
                        "level": "amber",
                        "asset": who,
                        "text": f"Weak: {c['name']}, {c['score_text']}"
                        + (f"; {c['fired_rationale']}" if c["fired_rationale"] else "")
                        + ".",
                    }
                )
            elif c["score"] is None:
                out.append(
                    {
                        "level": "amber",
                        "asset": who,
                        "text": f"{c['name']} not scorable: {c['score_text']}.",
                    }
                )
        if a["bd_status"] == "returned":
            out.append(
                {
                    "level": "amber",
                    "asset": who,
                    "text": "Rights were returned by a partner: a normal risk, not a "
                    "scandal (T6), but ask why.",
                }
            )
    for c in ctx["citations"]:
        if c.flags and (not c.sourced or c.stale):
            out.append(
                {
                    "level": "amber",
                    "asset": c.what.split(":")[0],
                    "text": f"Figure {c.what} = {c.text}: {'; '.join(c.flags)}.",
                }
            )
    for note in ctx["result"]["notes"]:
        out.append({"level": "amber", "asset": "", "text": note})
    return out


def questions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Open diligence questions: the engine's unknowns, then requests to source figures."""
    out = [
        {"asset": u["asset"], "question": u["question"], "fact": u["fact"], "rules": u["rules"]}
        for u in ctx["result"]["unknowns"]
    ]
    for c in ctx["citations"]:
        if not c.sourced:
            out.append(
                {
                    "asset": c.what.split(":")[0] if ":" in c.what else None,
                    "question": f"What is the source of {c.what} ({c.text})?",
                    "fact": c.path,
                    "rules": [],
                }
            )
    return out


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
    company = {
        "name": co.name,
        "hq": co.hq,
        "description": co.description,
        "financing_stage": label(co.financing_stage) if co.financing_stage else None,
        "overseas_capability": label(co.overseas_capability) if co.overseas_capability else None,
        "cash_runway": cites.cite(
            co.cash_runway_months, "company.cash_runway_months", "company: cash runway"
        ),
        "domestic_sales_growth": cites.cite(
            co.domestic_sales_growth,
            "company.domestic_sales_growth",
            "company: domestic sales growth",
        ),
    }
    by_id = {a["id"]: a for a in result["assets"]}
    assets = [_asset_view(a, i, by_id[a.id], result, cites) for i, a in enumerate(case.assets)]
    listed = {c.path for c in cites.all}
    for path, fig in iter_figures(case):  # anything the views above do not show still counts
        p = _path_text(path)
        if p not in listed:
            cites.cite(fig, p, p)
    lead = next(a for a in assets if a["is_lead"])
    ctx: dict[str, Any] = {
        "title": f"Investment memo: {co.name}",
        "date": date.isoformat() if date else None,
        "as_of": case.as_of.isoformat() if case.as_of else None,
        "analyst": case.analyst,
        "case_notes": case.notes,
        "stale_months": stale_months,
        "result": result,
        "decision_label": DECISION_LABEL[result["decision"]],
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
    ctx["questions"] = questions(ctx)
    ctx["risks"] = risks(ctx)
    ctx["summary"] = summary(ctx)
    return ctx


def _path_text(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


# -- Markdown escaping -------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<!\w)_|_(?!\w))")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]+|\d+[.)])(?=\s|$)")


def md_escape(value: Any) -> str:
    """Case text as literal Markdown: one line, no emphasis, links, HTML, tables or headings."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    return _MD_LINE_START.sub(_escape_block_start, text)


def _escape_block_start(m: re.Match[str]) -> str:
    """`# x` -> `\\# x`; `1. x` -> `1\\. x` (a backslash before a digit is not an escape)."""
    indent, mark = m.group(1), m.group(2)
    if mark[0].isdigit():
        return indent + mark[:-1] + "\\" + mark[-1]
    return indent + "\\" + mark


def md_code(value: Any) -> str:
    """A code span that survives backticks in its content."""
    text = " ".join(str(value).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_WEB_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$")


def web_url(value: Any) -> str | None:
    """The URL if it is a plain http(s) address, else None (no javascript:, no file:)."""
    return value if isinstance(value, str) and _WEB_URL.match(value) else None


# -- rendering ---------------------------------------------------------------------------------


def default_templates() -> Path:
    return Path(str(resources.files("screen") / "templates" / "default"))


def environment(template_dir: str | Path | None = None) -> Any:
    """The Jinja environment: firm templates first, then the defaults (also as `default/...`).

    Cached per folder, so templates compile once per process; Jinja still reloads a template
    whose file changed (auto_reload), so a notebook sees edits to firm templates."""
    if template_dir is not None and not Path(template_dir).is_dir():
        raise ScreenError("template folder not found", Location(str(template_dir)))
    return _environment(None if template_dir is None else str(template_dir))


@functools.lru_cache(maxsize=8)
def _environment(template_dir: str | None) -> Any:
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment
    from jinja2.utils import select_autoescape

    defaults = FileSystemLoader(str(default_templates()))
    loaders: list[Any] = [PrefixLoader({"default": defaults})]
    if template_dir is not None:
        loaders.append(FileSystemLoader(template_dir))
    loaders.append(defaults)
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "svg.j2", "xml"),
            default_for_string=True,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, code=md_code, num=number, label=label, web_url=web_url)
    return env


def _template_error(err: Exception, name: str) -> ScreenError:
    """A Jinja error as `template:line: message`, from the error or the rewritten traceback."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    if isinstance(err, TemplateSyntaxError):
        where = err.filename or err.name or name
        return ScreenError(
            f"template syntax error: {err.message}", Location(where, err.lineno or 0)
        )
    if isinstance(err, TemplateNotFound):
        return ScreenError(f"template not found: {err.name}", Location(name))
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if f.filename.endswith((".j2", ".html", ".md", ".css")) or "<template>" in f.filename
    ]
    if frames:
        f = frames[-1]
        return ScreenError(f"template error: {err}", Location(f.filename, f.lineno or 0))
    return ScreenError(f"template error: {err}", Location(name))


def render_text(ctx: dict[str, Any], fmt: str, template_dir: str | Path | None = None) -> str:
    """Render the memo as Markdown or HTML text."""
    from jinja2 import TemplateError

    name = TEMPLATE_FOR[fmt]
    env = environment(template_dir)
    try:
        return env.get_template(name).render(memo=ctx, fmt=fmt)
    except ScreenError:
        raise
    except TemplateError as err:
        raise _template_error(err, name) from None
    except (TypeError, ValueError, AttributeError, KeyError, ZeroDivisionError) as err:
        located = _template_error(err, name)
        if located.location and located.location.file != name:
            raise located from None
        raise


def data_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that allows `data:` URLs only (the default follows file://)."""
    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66
        return weasyprint.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - older API
        if not url.startswith("data:"):
            raise ValueError(f"memo PDFs load no external resources (refused {url[:60]})")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


PDF_INSTALL_HINT = (
    "pip install 'dealscreen[pdf]' (WeasyPrint; on Debian also: "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)


def html_to_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: the pango libraries are missing
        raise ScreenError(
            f"PDF output needs WeasyPrint ({type(err).__name__}: {str(err)[:120]})",
            hint=PDF_INSTALL_HINT,
        ) from None
    doc = weasyprint.HTML(string=html, url_fetcher=data_url_fetcher(), base_url="data:,")
    return doc.write_pdf()


def render(
    loaded: Any,
    result: dict[str, Any],
    fmt: str = "md",
    *,
    template_dir: str | Path | None = None,
    date: dt.date | None = None,
    stale_months: int = STALE_AFTER_MONTHS,
) -> str | bytes:
    """The memo for one screened case: text for md/html, bytes for pdf."""
    if fmt not in FORMATS:
        raise ScreenError(f"unknown memo format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    ctx = memo_context(loaded, result, date=date, stale_months=stale_months)
    text = render_text(ctx, fmt, template_dir)
    return html_to_pdf(text) if fmt == "pdf" else text


def memo_for_case(
    path: str | Path,
    fmt: str = "md",
    *,
    rules: str | Path | None = None,
    template_dir: str | Path | None = None,
    date: dt.date | None = None,
    stale_months: int = STALE_AFTER_MONTHS,
) -> str | bytes:
    """Load, screen and write the memo for one case file (what a notebook calls)."""
    from screen.engine import evaluate_case
    from screen.loader import load_case, load_ruleset
    from screen.result import build_result

    rs = load_ruleset(rules)
    loaded = load_case(path)
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
    return render(
        loaded, result, fmt, template_dir=template_dir, date=date, stale_months=stale_months
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(case_id: str, fmt: str) -> str:
    """A memo's file name from its case id, safe on every filesystem (no paths, no dotfiles)."""
    stem = _SAFE_NAME.sub("-", case_id).strip(".-") or "memo"
    return stem[:120] + SUFFIX[fmt]
