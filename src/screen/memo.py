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
    "public": "publicly listed",
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
# "plans X at <stage>": how a stage reads after "at"
AT_STAGE = {
    "preclinical": "at the preclinical stage",
    "ind_enabling": "at the IND-enabling stage",
    "filed": "at NDA/BLA filing",
    "approved": "after approval",
}
# "the decision follows X, <stage noun> in <indication>"
STAGE_NOUN = {
    "preclinical": "a preclinical asset",
    "ind_enabling": "an IND-enabling asset",
    "filed": "an asset filed for approval (NDA/BLA)",
    "approved": "an approved asset",
}
BD_STATUS_TEXT = {
    "none": "no BD process yet",
    "preparing": "preparing",
    "in_discussion": "in discussion",
    "term_sheet": "term sheet under negotiation",
    "partnered": "partnered",
    "returned": "rights returned by a partner",
}
# Where a deal territory, or a plan's, gives rights (to decide whether deals cover a plan).
TERRITORY_REGIONS = {
    "global": frozenset({"china", "us", "asia", "rest"}),
    "ex_china": frozenset({"us", "asia", "rest"}),
    "us": frozenset({"us"}),
    "china": frozenset({"china"}),
    "asia": frozenset({"china", "asia"}),
    "other": frozenset({"rest"}),
}
REGION_TEXT = {"china": "China", "us": "US", "asia": "Asia ex-China", "rest": "rest-of-world"}
TERRITORY_AFTER = {  # "out-licence <territory>"
    "global": "worldwide",
    "ex_china": "ex-China",
    "us": "in the US",
    "china": "in China",
    "asia": "in Asia",
    "other": "in other territories",
}
TERRITORY_BEFORE = {  # "an <territory> out-licence"
    "global": "global",
    "ex_china": "ex-China",
    "us": "US",
    "china": "China",
    "asia": "Asia",
    "other": "other-territory",
}
DEAL_NOUN = {
    "out_license": "out-licence",
    "co_development": "co-development deal",
    "newco": "NewCo deal",
    "m_and_a": "M&A deal",
    "self_commercialise": "commercialisation deal",
}
OVERSEAS_TEXT = {
    "own": "commercialises overseas itself",
    "partner": "overseas sales through partners",
    "none": "no overseas commercial capability",
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


def join_and(items: list[str]) -> str:
    """['a'] -> 'a'; ['a', 'b', 'c'] -> 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def quoted(names: list[str]) -> str:
    """Gate or criterion names as a reader quotes them: '"A" and "B"'."""
    return join_and([f'"{n}"' for n in names])


def count_is(n: int, one: str, many: str) -> str:
    """count_is(1, 'is an estimate', 'are estimates') -> '1 is an estimate'."""
    return f"{n} {one if n == 1 else many}"


def with_article(phrase: str) -> str:
    """'ex-China out-licence' -> 'an ex-China out-licence'; 'US NewCo deal' -> 'a US ...'."""
    first = phrase.split()[0] if phrase else ""
    vowel = first[:1].lower() in "aeio" or first.startswith("M&A")
    return ("an " if vowel else "a ") + phrase


def at_stage(key: str | None) -> str | None:
    """'phase2' -> 'at phase 2'; 'filed' -> 'at NDA/BLA filing'."""
    if not key:
        return None
    return AT_STAGE.get(key, "at " + label(key))


def stage_noun(key: str | None) -> str:
    """'phase2' -> 'a phase 2 asset'; None -> 'an asset of unrecorded stage'."""
    if not key:
        return "an asset of unrecorded stage"
    return STAGE_NOUN.get(key, f"a {label(key)} asset")


def short_name(asset_id: str, name: str | None) -> str:
    """How the memo tags an asset in lists: its id when the name starts with it
    ('KST-201 (Claudin18.2 ADC)' -> 'KST-201'), else the name (ids like 'A1' mean nothing)."""
    if not name or name.startswith(asset_id):
        return asset_id
    return name


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
    what: str  # whose figure and what it measures, for lists: "KST-201 EU patient numbers"
    value: float
    text: str
    source: SourceRef | None
    status: str | None
    as_of: str | None
    months_old: int | None
    stale: bool
    note: str | None
    item: str = ""  # what it measures, as a noun phrase: "EU patient numbers"
    owner: str | None = None  # asset id, "company", or None for other figures
    subject: str | None = None  # how the owner is tagged: "KST-201", "company"

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
            out.append(f"stale: as of {self.as_of}, {self.months_old} months before the case date")
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

    def cite(
        self,
        fig: Figure | None,
        path: str,
        item: str,
        *,
        owner: str | None = None,
        subject: str | None = None,
        unit: str | None = None,
    ) -> Citation | None:
        """Wrap `fig` (None if absent). `unit` is the field's implied unit when the figure
        gives none (cash_runway_months -> months)."""
        if fig is None:
            return None
        what = f"{subject} {item}" if subject else item
        src = self.sources.get(fig.source) if fig.source else None
        as_of = fig.as_of or (self._source_dates.get(fig.source) if fig.source else None)
        months = months_between(as_of, self.case_as_of) if as_of and self.case_as_of else None
        status = fig.status.value if fig.status is not None else None
        c = Citation(
            path=path,
            what=what,
            value=fig.value,
            text=figure_text(fig.value, fig.unit or unit),
            source=src,
            status=status,
            as_of=as_of.isoformat() if as_of else None,
            months_old=months,
            stale=months is not None and months > self.stale_months,
            note=fig.note,
            item=item,
            owner=owner,
            subject=subject,
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
    for ti, t in enumerate(asset.trials or []):
        readouts = [
            {
                "endpoint": r.endpoint,
                "result": r.result,
                "comparator": r.comparator,
                "date": r.date.isoformat() if r.date else None,
                "cite": cite(
                    r.value, f"trials[{ti}].readouts[{ri}].value", f"{r.endpoint} readout"
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
                "deal_model_key": d.deal_model.value if d.deal_model else None,
                "territory": label(d.territory) if d.territory else None,
                "territory_key": d.territory.value if d.territory else None,
                "date": d.date.isoformat() if d.date else None,
                "upfront": cite(
                    d.upfront_usd_m,
                    f"bd.deals[{di}].upfront_usd_m",
                    f"{d.partner} deal upfront",
                    "USD m",
                ),
                "total": cite(
                    d.total_value_usd_m,
                    f"bd.deals[{di}].total_value_usd_m",
                    f"{d.partner} deal total value",
                    "USD m",
                ),
            }
        )
    peak = cite(asset.peak_sales_usd_m, "peak_sales_usd_m", "peak sales", "USD m")
    reg = asset.regulatory
    trace = {t["rule"]: t for t in result["trace"] if t["asset"] == asset.id}
    facts = {**figures}
    criteria = []
    for c in res["criteria"]:
        entry = trace.get(c["id"], {"inputs": {}})
        fired = trace.get(c["fired"]) if c["fired"] else None
        fired_rationale = fired.get("rationale") if fired else None
        needs = _needs(res, f"criteria.{c['id']}")
        criteria.append(
            {
                **c,
                "share": (c["score"] / c["max"]) if c["score"] is not None and c["max"] else None,
                "score_text": _score_text(c),
                "adds_text": _adds_text(c),
                "result_text": _result_text(c, fired_rationale, needs),
                "rationale": entry.get("rationale"),
                "fired_rationale": fired_rationale,
                "facts": _fact_rows(entry["inputs"], trace, facts),
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
        "fda_ind_key": reg.fda_ind.value if reg and reg.fda_ind else None,
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
        "bd_status_key": bd_status_key,
        "bd_plan": _plan(bd.plan if bd else None),
        "deals": deals,
        "peak_sales": peak,
        "decision": res["decision"],
        "decision_label": DECISION_LABEL[res["decision"]],
        "score": res["score"],
        "score_range": res["score_range"],
        "criteria": criteria,
        "gates": [
            {
                **g,
                "rationale": trace.get(g["id"], {}).get("rationale"),
                "needs": _needs(res, f"gates.{g['id']}"),
            }
            for g in res["gates"]
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
    view["fda_path"] = _fda_path(view)
    view["bd_deal"] = _bd_deal(view)
    view["bd_text"] = _bd_text(view)
    view["readings"] = readings(view, trace)
    return view


def _needs(res: dict[str, Any], rule: str) -> list[str]:
    """The missing facts that keep `rule` (e.g. 'gates.unmet_need') from being decided."""
    return [u["fact"] for u in res["unknowns"] if rule in u["rules"]]


def _fda_path(a: dict[str, Any]) -> str:
    """The asset's FDA status as a plain sentence (facts only; the T8 reading follows)."""
    ind = a["fda_ind_key"]
    fda = [ap for ap in a["approvals"] if ap["agency"] == "FDA"]
    others = [
        ap["agency"] + (f" ({ap['date']})" if ap["date"] else "")
        for ap in a["approvals"]
        if ap["agency"] != "FDA"
    ]
    if ind is None and not a["approvals"] and not a["designations"]:
        return "FDA path unknown: no FDA status in the case file."
    if fda:
        text = "FDA-approved" + (f" ({fda[0]['date']})" if fda[0]["date"] else "")
    else:
        text = {
            "none": "No FDA IND yet",
            "planned": "FDA IND planned, not yet submitted",
            "submitted": "FDA IND submitted, not yet cleared",
            "cleared": "FDA IND cleared",
        }.get(ind or "", "No FDA IND status in the case file")
    if a["designations"]:
        n = len(a["designations"])
        text += f"; FDA designation{'s' if n > 1 else ''}: {join_and(a['designations'])}"
    elif ind == "cleared" and not fda:
        text += "; no FDA designation yet"
    if others:
        text += "; approved by " + join_and(others)
    return text + "."


def _territory_regions(key: str | None) -> frozenset[str] | None:
    return TERRITORY_REGIONS.get(key) if key else None


def _deal_phrase(d: dict[str, Any]) -> str:
    """'Norvane Therapeutics (US) under an ex-China out-licence (2024-09-12)'."""
    noun = DEAL_NOUN.get(d["deal_model_key"] or "", "deal")
    where = TERRITORY_BEFORE.get(d["territory_key"] or "")
    text = f"{d['partner']} under " + with_article(f"{where} {noun}" if where else noun)
    if d["date"]:
        text += f" ({d['date']})"
    return text


def _bd_deal(a: dict[str, Any]) -> dict[str, Any]:
    """Where the asset stands in BD, from bd.status and the deals recorded (T5, T6, T10).

    state: 'partnered' (status partnered, or deals that cover the plan's territory),
    'partly' (deals, but part of the planned territory is still open), 'returned',
    'in_discussion', 'term_sheet', 'preparing', 'none' or None (not recorded)."""
    status, deals = a["bd_status_key"], a["deals"]
    plan_regions = _territory_regions((a["bd_plan"] or {}).get("territory_key"))
    known = [_territory_regions(d["territory_key"]) for d in deals]
    have = frozenset().union(*[r for r in known if r is not None])
    all_known = bool(deals) and None not in known
    out: dict[str, Any] = {
        "state": status,
        "deals": [_deal_phrase(d) for d in deals],
        "partners": [d["partner"] for d in deals],
        "open": [],
        "retained": [],
    }
    if status == "returned":
        return out
    if status == "partnered" or deals:
        open_regions = plan_regions - have if plan_regions is not None and all_known else set()
        if status != "partnered" and open_regions:
            out["state"] = "partly"
            out["open"] = [REGION_TEXT[r] for r in REGION_TEXT if r in open_regions]
        else:
            out["state"] = "partnered"
            retained = TERRITORY_REGIONS["global"] - have if all_known else set()
            out["retained"] = [REGION_TEXT[r] for r in REGION_TEXT if r in retained]
    return out


def _plan_text(plan: dict[str, Any] | None) -> str | None:
    """'co-development ex-China at phase 2' (None without a plan or a deal model)."""
    if not plan or not plan.get("deal_model"):
        return None
    parts = [plan["deal_model"]]
    if plan.get("territory_key"):
        parts.append(TERRITORY_AFTER.get(plan["territory_key"], plan["territory"]))
    if plan.get("target_stage_key"):
        parts.append(at_stage(plan["target_stage_key"]))
    return " ".join(p for p in parts if p)


def _bd_text(a: dict[str, Any]) -> str:
    """'BD status: in discussion. Plan (T10): co-development ex-China at phase 2; global market.'"""
    status = a["bd_status_key"]
    text = "BD status: " + (BD_STATUS_TEXT.get(status, label(status)) if status else "not recorded")
    plan = a["bd_plan"]
    if plan is None:
        return text + "; no BD plan recorded."
    what = _plan_text(plan) or "deal model not stated"
    text += f". Plan (T10): {what}"
    if plan.get("market_scope_key") == "domestic":
        text += "; domestic market only"
    elif plan.get("market_scope_key"):
        text += f"; {plan['market_scope']} market"
    return text + "."


def _plan(plan: Any) -> dict[str, str | None] | None:
    if plan is None:
        return None
    return {
        "deal_model": label(plan.deal_model) if plan.deal_model else None,
        "deal_model_key": plan.deal_model.value if plan.deal_model else None,
        "territory": label(plan.territory) if plan.territory else None,
        "territory_key": plan.territory.value if plan.territory else None,
        "target_stage": label(plan.target_stage.name) if plan.target_stage is not None else None,
        "target_stage_key": plan.target_stage.name if plan.target_stage is not None else None,
        "market_scope": label(plan.market_scope) if plan.market_scope else None,
        "market_scope_key": plan.market_scope.value if plan.market_scope else None,
    }


def _outcome(trace: dict[str, dict[str, Any]], rule: str) -> Any:
    t = trace.get(rule)
    if t is None or t["outcome"] == "unknown":
        return None
    return t["outcome"]


def _adds_text(c: dict[str, Any]) -> str:
    """What a criterion adds to the weighted score; a range while it is not scorable."""
    possible = c.get("possible") or []
    if c["score"] is None and possible:
        lo, hi = (round(v * c["weight"], 6) for v in (min(possible), max(possible)))
        return number(lo) if lo == hi else f"{number(lo)}-{number(hi)}"
    return number(c["contribution"])


def _result_text(c: dict[str, Any], fired_rationale: str | None, needs: list[str]) -> str:
    """How the criterion was scored, in a sentence: which rule gave the score, or what's missing."""
    if c["score"] is None and needs:
        return f"Not scorable until {join_and(needs)} {'is' if len(needs) == 1 else 'are'} known."
    if c["score"] is None:
        return f"Not scorable: {c['because']}."
    if not c["fired"]:
        return f"No rule matched: score {number(c['score'])}."
    text = f"Rule {c['fired']} gives {number(c['score'])} / {number(c['max'])}."
    return text + (f" {_sentence(fired_rationale)}" if fired_rationale else "")


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
    ind = a["fda_ind_key"]
    if approved:
        t8 = "FDA approval opens the US market, about half the world's (T8)."
    elif ind == "cleared":
        t8 = (
            "A credible FDA path"
            + (", with expedited designations" if a["designations"] else "")
            + ", which counts more than early presence elsewhere (T8)."
        )
    elif ind in ("planned", "submitted"):
        t8 = "The US path is under way but not open yet (T8)."
    elif ind == "none":
        t8 = "No US path today; early presence elsewhere counts for little (T8, T9)."
    else:
        t8 = "Without an FDA status the US path cannot be judged (T8)."
    out["t7"], out["t8"] = t7, t8

    loa = _outcome(trace, "derived.likelihood_of_approval")
    start = (at_stage(a["stage_key"]) or "at an unrecorded stage").replace("at ", "from ", 1)
    risk = (
        f" Likelihood of approval {start}: about {number(round(loa * 100, 1))}% "
        "(BIO/Informa/QLS 2011-2020; T6)."
        if isinstance(loa, int | float)
        else ""
    )
    out["t5"] = _deal_model(a) + risk
    return out


def _deal_model(a: dict[str, Any]) -> str:
    """The deal model the thesis suggests for this asset (T5, T6, T10), given where it stands in
    BD: bd.status and the deals recorded (the plan itself is in `bd_text`)."""
    deal = a["bd_deal"]
    role = a["role_key"]
    if deal["state"] == "partnered":
        text = "Already partnered"
        if deal["deals"]:
            text += " with " + "; and with ".join(deal["deals"])
        else:
            text += " (the case file records no deal terms)"
        retained = deal["retained"]
        keep = f" and decide on the retained {join_and(retained)} rights (T10)" if retained else ""
        if role == "non_core":
            return (
                text + f"; next: track the milestones that help fund the core program (T5){keep}; "
                "a return of rights would be a normal risk, and the asset could be re-partnered "
                "(T6, T10)."
            )
        keep = (
            f" and keep the retained {join_and(retained)} rights for the company's own "
            "development or a later regional deal (T10)"
            if retained
            else ""
        )
        return (
            text + f"; next: track the partner's development milestones{keep}; a return of "
            "rights would be a normal risk, not a scandal (T5, T6)."
        )
    base = _suggested_model(a, role)
    if deal["state"] == "partly":
        prefix = (
            "Partly partnered (" + "; ".join(deal["deals"]) + "); "
            f"{join_and(deal['open'])} of the planned territory still open. "
        )
    elif deal["state"] == "returned":
        by = f" by {join_and(deal['partners'])}" if deal["partners"] else ""
        prefix = (
            f"Rights were returned{by}: a normal risk, not a scandal (T6); find out why, "
            "then re-partner. "
        )
    elif deal["state"] == "in_discussion":
        prefix = "A deal is in discussion now (live process). "
    elif deal["state"] == "term_sheet":
        prefix = "A term sheet is under negotiation now (live process). "
    else:
        prefix = ""
    return prefix + base


def _suggested_model(a: dict[str, Any], role: str | None) -> str:
    """The thesis's deal model for the asset's role and stage (T5, T6, T10)."""
    rank = STAGE_RANK.get(a["stage_key"] or "", -1)
    if role is None:
        return "Role (core or non-core) not recorded: no deal model can be suggested (T5)."
    if rank < 0:
        return "Stage unknown: no deal model can be suggested until it is (T5)."
    if role == "non_core":
        return (
            "Non-core: out-license now for upfront cash that funds the core program; early "
            "out-licensing is normal and trending earlier (T5), and a return is a normal risk (T6)."
            if rank <= STAGE_RANK["phase1_2"]
            else "Non-core at a later stage: ready for an out-licence or co-development now, at "
            "lower termination risk (T5, T6)."
        )
    if rank <= STAGE_RANK["ind_enabling"]:
        return (
            "Core and preclinical: keep global rights and gather clinical data first (T5); "
            "a NewCo or regional licence can fund the work without selling the asset early (T10)."
        )
    if rank <= STAGE_RANK["phase1_2"]:
        return (
            "Core and early clinical: hold global rights until phase 2 data (T5/T6); if cash is "
            "needed, prefer a regional licence, co-development or NewCo over a global sale (T10)."
        )
    if rank == STAGE_RANK["phase2"]:
        return (
            "Core with phase 2 data: co-development or an ex-China out-licence can now be "
            "struck at better terms (T5/T6, T10)."
        )
    return (
        "Core at phase 3 or later: lowest termination risk; global out-licence, "
        "co-development or equity M&A at late-stage value (T6, T10)."
    )


def _bd_phrase(a: dict[str, Any]) -> str | None:
    """Where a BD option stands, for the summary: 'already partnered with X', ..."""
    deal = a["bd_deal"]
    state = deal["state"]
    if state == "partnered":
        partners = join_and(deal["partners"])
        return "already partnered" + (f" with {partners}" if partners else "")
    if state == "partly":
        return f"partly partnered with {join_and(deal['partners'])}"
    return {
        "returned": "rights returned by a partner",
        "in_discussion": "a deal in discussion",
        "term_sheet": "a term sheet under negotiation",
        "preparing": "preparing for BD",
        "none": "no BD process yet",
    }.get(state or "")


def _judged_on(ctx: dict[str, Any]) -> str:
    """The summary's first sentence: which asset(s) the company's decision rests on."""
    r, lead = ctx["result"], ctx["lead"]
    company = ctx["company"]["name"]
    n = len(ctx["assets"])
    screened = f"{company} is screened on {n} asset{'s' if n != 1 else ''}"
    where = stage_noun(lead["stage_key"]) + (
        f" in {lead['indication']}" if lead["indication"] else ""
    )
    if any(a["role_key"] == "core" for a in ctx["assets"]):
        if len(r["core_assets"]) > 1:
            return f"{screened}; the decision follows the lead core asset {lead['name']}, {where}."
        return f"{screened}; the decision follows the core asset {lead['name']}, {where}."
    by_id = {a["id"]: a for a in ctx["assets"]}
    judged = [by_id[i]["name"] for i in r["core_assets"] if i in by_id]
    if len(judged) <= 1:
        return (
            f"{screened}. No asset is marked core, so the decision was judged on "
            f"{lead['name']}, {where}."
        )
    return (
        f"{screened}. No asset is marked core, so the decision was judged on "
        f"{join_and(judged)}; it follows {lead['name']}, {where}."
    )


def summary(ctx: dict[str, Any]) -> list[str]:
    """The executive summary: drafted sentences a partner reads first."""
    r = ctx["result"]
    lead = ctx["lead"]
    th = r["thresholds"]
    score, (lo, hi) = r["score"], r["score_range"]
    out = [_judged_on(ctx)]
    failed = [g["name"] for g in r["gates"] if g["outcome"] == "fail"]
    open_gates = [g["name"] for g in r["gates"] if g["outcome"] == "unknown"]
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
        gates = "gate" if len(failed) == 1 else "gates"
        out.append(f"Recommendation: decline. It fails the knock-out {gates} {quoted(failed)}.")
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
            gates = "gate" if len(open_gates) == 1 else "gates"
            why.append(f"the {gates} {quoted(open_gates)} cannot be checked yet")
        out.append(
            "Recommendation: insufficient information to decide; "
            + (", and ".join(why) or "key facts are missing")
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
        items = []
        for a in options:
            item = (
                f"{a['name']}: {a['stage'] or 'stage unknown'}, scored {number(a['score'])} "
                f"({a['decision_label'].lower()})"
            )
            where = _bd_phrase(a)
            items.append(item + (f", {where}" if where else ""))
        out.append("Non-core assets (BD options, T5): " + "; ".join(items) + ".")
    q = ctx["data_quality"]
    if q["total"]:
        parts = [f"{q['sourced']} of {q['total']} figures in this memo cite a source"]
        if q["estimates"]:
            parts.append(count_is(q["estimates"], "is an estimate", "are estimates"))
        if q["stale"]:
            parts.append(
                count_is(q["stale"], "is", "are") + f" older than {ctx['stale_months']} months"
            )
        out.append("Data quality: " + ", ".join(parts) + ".")
    if ctx["questions"]:
        first = ctx["questions"][0]
        about = f" ({first['tag']})" if first["asset"] else ""
        out.append(f"First diligence request{about}: {first['question']}")
    return out


def _question_refs(ctx: dict[str, Any], asset_id: str, rule: str) -> str:
    """'; see diligence question 2': the questions that would decide `rule` for the asset."""
    nums = [
        str(i)
        for i, q in enumerate(ctx["questions"], 1)
        if rule in q["rules"] and q["asset"] in (asset_id, None)
    ]
    if not nums:
        return ""
    return f"; see diligence question{'s' if len(nums) > 1 else ''} {join_and(nums)}"


def _sentence(text: str) -> str:
    """'no asset is marked core' -> 'No asset is marked core.'"""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def risks(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """Red flags: failed or unknown gates, weak or unscorable criteria, doubtful figures."""
    out: list[dict[str, str]] = []
    company_done: set[str] = set()

    def add(level: str, a: dict[str, Any] | None, text: str) -> None:
        out.append(
            {
                "level": level,
                "asset": a["id"] if a else "",
                "tag": a["tag"] if a else "Company",
                "text": text,
            }
        )

    if not any(a["role_key"] == "core" for a in ctx["assets"]):
        by_id = {a["id"]: a for a in ctx["assets"]}
        judged = [by_id[i]["tag"] for i in ctx["result"]["core_assets"] if i in by_id]
        add(
            "amber",
            None,
            f"No asset is marked core; the decision was judged on {join_and(judged)}. "
            "Confirm which asset the company's value rests on.",
        )
    for a in ctx["assets"]:
        for g in a["gates"]:
            if g["outcome"] == "fail":
                why = f" ({g['rationale']})" if g["rationale"] else ""
                add("red", a, f'Fails the knock-out gate "{g["name"]}"{why}.')
            elif g["outcome"] == "unknown":
                refs = _question_refs(ctx, a["id"], f"gates.{g['id']}")
                add("amber", a, f'The gate "{g["name"]}" cannot be checked yet{refs}.')
        for c in a["criteria"]:
            who: dict[str, Any] | None = a
            if c["company_level"]:  # the same for every asset: once, as a company risk
                if c["id"] in company_done:
                    continue
                who = None
                company_done.add(c["id"])
            if c["share"] is not None and c["share"] <= WEAK_SHARE:
                add(
                    "amber",
                    who,
                    f"Weak: {c['name']}, {c['score_text']}"
                    + (f"; {c['fired_rationale']}" if c["fired_rationale"] else "")
                    + ".",
                )
            elif c["score"] is None:
                refs = _question_refs(ctx, a["id"], f"criteria.{c['id']}")
                possible = c.get("possible") or []
                could = (
                    f" (could be {number(min(possible))}-{number(max(possible))} / "
                    f"{number(c['max'])})"
                    if possible
                    else ""
                )
                add("amber", who, f"{c['name']} cannot be scored yet{could}{refs}.")
        if a["bd_status_key"] == "returned":
            add(
                "amber",
                a,
                "Rights were returned by a partner: a normal risk, not a scandal (T6), "
                "but ask why.",
            )
    by_id = {a["id"]: a for a in ctx["assets"]}
    for c in ctx["citations"]:
        if c.flags and (not c.sourced or c.stale):
            item = c.item[:1].upper() + c.item[1:]
            text = f"{item} ({c.text}): {'; '.join(c.flags)}."
            if c.owner == "company":
                add("amber", None, text)
            elif c.owner in by_id:
                add("amber", by_id[c.owner], text)
            else:
                out.append({"level": "amber", "asset": "", "tag": "", "text": text})
    for note in ctx["result"]["notes"]:
        if note.startswith("no asset is marked core"):
            continue  # said above, with asset names
        out.append({"level": "amber", "asset": "", "tag": "", "text": _sentence(note)})
    return out


def questions(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Open diligence questions: the engine's unknowns, then requests to source figures.

    Questions about company facts (`company.*`, or no asset) are tagged as company questions and
    asked once, however many assets read the fact."""
    tags = {a["id"]: a["tag"] for a in ctx["assets"]}
    out: list[dict[str, Any]] = []
    company: dict[str, dict[str, Any]] = {}
    for u in ctx["result"]["unknowns"]:
        if u["asset"] is None or u["fact"].startswith("company."):
            key = f"{u['fact']}\n{u['question'] if u['asset'] is None else ''}"
            if key in company:
                company[key]["rules"] = sorted({*company[key]["rules"], *u["rules"]})
                continue
            company[key] = {
                "asset": None,
                "tag": "Company",
                "question": u["question"],
                "fact": u["fact"],
                "rules": list(u["rules"]),
            }
            out.append(company[key])
            continue
        out.append(
            {
                "asset": u["asset"],
                "tag": tags.get(u["asset"], u["asset"]),
                "question": u["question"],
                "fact": u["fact"],
                "rules": u["rules"],
            }
        )
    for c in ctx["citations"]:
        if not c.sourced:
            if c.owner == "company":
                question = f"What is the source for the company's {c.item} ({c.text})?"
                tag = "Company"
            else:
                question = f"What is the source for {c.item} ({c.text})?"
                tag = c.subject or ""
            out.append(
                {
                    "asset": c.owner if c.owner != "company" else None,
                    "tag": tag,
                    "question": question,
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

    def company_cite(fig: Figure | None, field: str, item: str, unit: str | None = None) -> Any:
        return cites.cite(
            fig, f"company.{field}", item, owner="company", subject="company", unit=unit
        )

    runway = company_cite(co.cash_runway_months, "cash_runway_months", "cash runway", "months")
    growth = company_cite(
        co.domestic_sales_growth, "domestic_sales_growth", "domestic sales growth"
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
        "domestic_sales_growth": growth,
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
