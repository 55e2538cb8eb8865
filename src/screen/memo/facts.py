"""The facts a criterion read, in words: 'Addressable patients worldwide: 151,000'.

The memo body never shows a fact path (`asset.epidemiology.us`) or a rule id: a partner reads
what the fact is, its value and its citation; the paths stay in the appendix (rule trace) for
audit. Labels come from `FACT_LABEL` for the facts the bundled thesis reads and from the path
itself otherwise (`asset.safety.grade3_ae_rate` -> 'safety: grade3 AE rate').
"""

from __future__ import annotations

import re
from typing import Any

from screen.memo.citations import Citation
from screen.memo.wording import join_and, label, number

FACT_LABEL = {
    "derived.global_patients": "addressable patients worldwide",
    "derived.us_eu_patients": "addressable patients in the US and EU",
    "derived.large_indication": "large enough for a domestic-only return",
    "derived.severe_disease": "severe or life-threatening disease",
    "derived.poorly_served": "standard of care poor or absent",
    "derived.late_competitors": "same-target programs at phase 3 or later",
    "derived.differentiated": "first- or best-in-class claim",
    "derived.fda_approved": "approved by the FDA",
    "derived.fda_designations": "FDA expedited designations",
    "derived.likelihood_of_approval": "likelihood of approval from the stage below",
    "derived.fic_supported": "first-in-class claim verified at its source",
    "derived.bic_supported": "best-in-class claim verified or shown by a meaningful effect",
    "derived.deal_stage": "development stage in the planned deal's territory",
    "derived.china_only_plan": "a deal plan for China only",
    "derived.filed_on_china_data": "an ex-China filing resting on China-only data",
    "derived.crl_new_trial": "an FDA complete response letter asking for a new trial",
    "derived.crl_manufacturing": "an FDA complete response letter on manufacturing",
    "asset.fda_complete_response": "what the FDA's latest complete response letter asks for",
    "derived.comparative_readout": "a readout against a comparator",
    "derived.comparison_not_expected": "too early for a comparison with the standard of care",
    "derived.safety_worse": "clearly more grade 3 or worse adverse events than the comparator",
    "derived.emerging_only_plan": "a plan for South-East Asia and the Middle East only",
    "derived.runway_months": "cash runway (months)",
    "asset.efficacy_comparator": "what the best readout is compared with",
    "asset.efficacy_endpoint": "endpoint of the best readout",
    "asset.efficacy_hazard_ratio": "hazard ratio of the best readout",
    "asset.licensed_territory": "territory licensed by the deals in force",
    "asset.rights_territory": "territory of the rights the company owns or licensed in",
    "derived.us_rights": "US rights held by the company",
    "derived.addressable_patients": "addressable patients the company can reach",
    "derived.china_registration_stage": "China stage for a China deal (at least that abroad)",
    "asset.efficacy_active_delta_relative": "gain over an active drug or the standard of care",
    "asset.efficacy_active_delta_points": "gain over an active drug or the standard of care",
    "asset.efficacy_active_endpoint": "endpoint of the readout against an active comparator",
    "derived.effect_meaningful_vs_active": "a meaningful gain over an active drug or the SoC",
    "derived.licensed_abroad": "licensed outside China by a deal in force",
    "derived.commercial_scope": "where the asset is sold (global or domestic)",
    "derived.us_only_plan": "a deal for the US only",
    "derived.external_control": "the best readout is against a historical control",
    "derived.effect_large": "a large gain over the comparator",
    "derived.effect_meaningful": "a clinically meaningful gain over the comparator",
    "derived.effect_better": "better than the comparator",
    "asset.regulatory.us_evidence_plan": "plan to show the data apply to US patients",
    "company.cash_usd_m": "cash (USD m)",
    "company.annual_burn_usd_m": "annual net cash burn (USD m)",
    "asset.epidemiology.us": "addressable patients in the US",
    "asset.epidemiology.eu": "addressable patients in the EU",
    "asset.epidemiology.china": "addressable patients in China",
    "asset.epidemiology.rest_of_world": "addressable patients in the rest of the world",
    "asset.unmet_need.addressed": "addresses an unmet clinical need",
    "asset.unmet_need.severity": "severity of the disease",
    "asset.standard_of_care.adequacy": "how well the standard of care serves patients",
    "asset.competition.same_target_programs.stage": "stages of the same-target programs",
    "asset.competition.same_target_programs": "same-target programs",
    "asset.competition.first_in_class": "first-in-class",
    "asset.competition.best_in_class": "best-in-class",
    "asset.competition.differentiation": "differentiation",
    "asset.regulatory.approvals.agency": "agencies that approved it",
    "asset.regulatory.fda_ind": "FDA IND status",
    "asset.regulatory.designations": "regulatory designations",
    "asset.data_origin": "where the clinical data come from",
    "asset.bd.plan.market_scope": "planned market (domestic or global)",
    "asset.bd.plan.territory": "planned deal territory",
    "asset.role": "role in the company",
    "asset.stage": "development stage (most advanced anywhere)",
    "asset.stage_us": "development stage in the US",
    "asset.stage_china": "development stage in China",
    "asset.stage_eu": "development stage in the EU",
    "asset.stage_japan": "development stage in Japan",
    "asset.stage_ex_china": "most advanced stage outside China",
    "asset.efficacy_delta": "best effect over the comparator",
    "asset.efficacy_delta_relative": "best effect over the comparator, relative",
    "asset.efficacy_delta_points": "best change from baseline beyond the comparator's",
    "asset.safety.grade3_ae_rate": "grade 3 or worse adverse-event rate",
    "asset.safety.comparator_grade3_ae_rate": "comparator's grade 3 or worse adverse-event rate",
    "asset.safety.discontinuation_rate": "discontinuation rate",
    "asset.safety.treatment_related_deaths": "treatment-related deaths",
    "asset.safety.stopped_for_safety": "a trial stopped or put on hold for safety",
    "asset.therapeutic_area": "therapeutic area",
    "asset.modality": "modality",
    "company.overseas_capability": "overseas commercial capability",
    "company.domestic_sales_growth": "domestic sales growth",
    "company.cash_runway_months": "cash runway (months)",
    "company.financing_stage": "financing stage",
    "params.large_population": "the thesis's threshold for a large indication",
    "params.niche_population": "the thesis's threshold for a niche indication",
    "params.large_china_population": "the thesis's threshold for a large indication in China",
    "params.max_late_competitors": "most late-stage rivals the thesis accepts",
    "params.strong_domestic_growth": "the thesis's threshold for strong domestic growth",
    "params.focus_areas": "the firm's focus areas",
    "params.fda_designations": "FDA designations that count as expedited",
    "params.us_share_of_global_market": "US share of the world market",
    "params.min_cash_runway_months": "the thesis's minimum cash runway (months)",
}
PERCENT_FACTS = {
    "derived.likelihood_of_approval",
    "company.domestic_sales_growth",
    "params.strong_domestic_growth",
    "params.us_share_of_global_market",
}
_PATH_REF = re.compile(r"\s*\((?:params|derived|asset|company|table)\.[\w.\[\]]+\)")


def fact_label(path: str) -> str:
    """What a fact is, as a noun phrase; from the path when the table does not know it."""
    if path in FACT_LABEL:
        return FACT_LABEL[path]
    head, _, rest = path.partition(".")
    words = rest.replace("_", " ").replace(".", ": ") if rest else path
    if head == "params":
        return f"thesis parameter: {words}"
    return words


def needs_text(paths: list[str]) -> str:
    """'addressable patients in China and FDA IND status' for the facts a rule still needs."""
    return join_and([fact_label(p) for p in paths])


def plain_rationale(text: str | None) -> str | None:
    """A rule's rationale without the parameter paths it cites: '(params.x)' belongs in the
    appendix; the sentence reads without it."""
    if not text:
        return text
    return _PATH_REF.sub("", text).strip()


def because(rationale: str | None) -> str | None:
    """'T2: severe disease, whatever the size' -> 'severe disease, whatever the size (T2)'."""
    text = plain_rationale(rationale)
    if not text:
        return None
    m = re.match(r"^(T\d+[^:]{0,24}):\s*(.+)$", text)
    if not m:
        text = text.rstrip(".")
        return text[:1].upper() + text[1:]
    point, rest = m.group(1), m.group(2).rstrip(".")
    cited = re.search(r"\s*\((T\d+[^()]{0,24})\)$", rest)  # '... little (T9)' -> (T8, T9)
    rest = f"{rest[: cited.start()]} ({point}, {cited.group(1)})" if cited else f"{rest} ({point})"
    return rest[:1].upper() + rest[1:]


def fact_value(path: str, value: Any) -> str:
    """A value as a reader writes it: yes/no, labels for vocabulary, percentages for rates."""
    if value is None or value == "unknown":
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if path in PERCENT_FACTS:
            return number(round(value * 100, 2)) + "%"
        return number(value)
    if isinstance(value, list):
        return join_and([fact_value(path, v) for v in value]) if value else "none"
    return label(value)


def fact_rows(
    inputs: dict[str, Any],
    trace: dict[str, dict[str, Any]],
    figures: dict[str, Citation],
    depth: int = 0,
    seen: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The facts a rule read, derived facts opened one level at a time; a table's lookup is
    replaced by the facts it looked up (the table row is a rule, named in the appendix)."""
    seen = set() if seen is None else seen
    rows: list[dict[str, Any]] = []
    for key, value in inputs.items():
        if key in seen:
            continue
        seen.add(key)
        sub = trace.get(key)
        if key.startswith("table.") and sub is not None:
            rows.extend(fact_rows(sub["inputs"], trace, figures, depth, seen))
            continue
        name = fact_label(key)
        rows.append(
            {
                "fact": key,
                "label": name[:1].upper() + name[1:],
                "value": fact_value(key, value),
                "depth": depth,
                "cite": figures.get(key),
            }
        )
        if sub is not None and depth < 3 and key.startswith("derived."):
            rows.extend(fact_rows(sub["inputs"], trace, figures, depth + 1, seen))
    return rows
