"""Wording tables and phrase helpers: how vocabulary keys, numbers and stages read."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from screen.model.deals import GREATER_CHINA, NO_US_RIGHTS

STALE_AFTER_MONTHS = 24  # a figure older than this before the case's as_of date is flagged
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
    "option": "option to license",
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
# A named country's region, for deals and plans that list countries (ISO 3166-1 alpha-2):
# Greater China, the US, the rest of Asia; every other country is "rest" of the world.
CHINA_COUNTRIES = GREATER_CHINA
ASIA_COUNTRIES = frozenset(
    {"JP", "KR", "KP", "MN", "IN", "PK", "BD", "LK", "NP", "BT", "MV", "AF", "KZ", "KG", "TJ",
     "TM", "UZ", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"}
)  # fmt: skip

# `deals.NO_US_RIGHTS` as the view's keys: rights held that leave the US to a licensor.
NO_US_RIGHTS_KEYS = frozenset(t.value for t in NO_US_RIGHTS)


def country_region(code: str) -> str:
    if code in CHINA_COUNTRIES:
        return "china"
    if code == "US":
        return "us"
    return "asia" if code in ASIA_COUNTRIES else "rest"


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
    "option": "option deal",
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


def date_text(d: dt.date | None) -> str | None:
    """A case date as written: '2024-06-28', or '2023-10' for a month-precision date (v2)."""
    if d is None:
        return None
    return str(d) if getattr(d, "precision", "day") == "month" else d.isoformat()


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from `earlier` to `later` (negative if `earlier` is later)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return months


# -- citations ---------------------------------------------------------------------------------


def sentence(text: str) -> str:
    """'no asset is marked core' -> 'No asset is marked core.'"""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


# An FDA complete response letter by its reason: what it found (the memo's FDA line) and what
# it asks for (the risk list).
CRL_FOUND = {
    "clinical": "efficacy or safety not shown",
    "data_applicability": "data not shown to apply to US patients",
    "cmc": "manufacturing or inspection findings",
    "other": "labelling or other issues",
}
CRL_ASKS = {
    "clinical": "a new trial (efficacy or safety not shown)",
    "data_applicability": "data that apply to US patients (a multiregional trial)",
    "cmc": "manufacturing or inspection fixes",
    "other": "labelling or other fixes",
}
