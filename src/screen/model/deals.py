"""Business development in a case file: the plan, and the deals already done, kept apart.

Real deal terms are more than an upfront and a headline value: an option fee before a licence,
near-term payments, milestones, a royalty range, equity, a profit split, a licensee that is a
large pharma or a NewCo, a territory named by country, one deal covering several assets. The
memo and the rules read them; a plan is what the company intends, a deal what it signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from screen.model import vocab
from screen.model.base import Label, Model, RateFigure, StageField, UsdMillionsFigure
from screen.model.dates import CaseDateField

# ISO 3166-1 alpha-2, the 249 officially assigned codes (Debian iso-codes 4.15.0,
# /usr/share/iso-codes/json/iso_3166-1.json). Territories wider than a country use `territory`.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRIES = frozenset(_ISO_CODES.split())


# Codes and names written for a country that ISO 3166-1 alpha-2 spells otherwise: the EU's
# own codes, alpha-3 codes and English names of the markets deals name most (a spelling
# distance would offer Honduras, 'HN', for 'CHN').
_COUNTRY_ALIASES = {
    "UK": "GB", "EL": "GR",
    "CHN": "CN", "USA": "US", "JPN": "JP", "KOR": "KR", "GBR": "GB", "DEU": "DE", "FRA": "FR",
    "ITA": "IT", "ESP": "ES", "CAN": "CA", "AUS": "AU", "SGP": "SG", "HKG": "HK", "TWN": "TW",
    "MAC": "MO", "IND": "IN", "BRA": "BR", "CHE": "CH", "SAU": "SA", "ARE": "AE", "ISR": "IL",
    "CHINA": "CN", "JAPAN": "JP", "KOREA": "KR", "SOUTH KOREA": "KR", "GERMANY": "DE",
    "FRANCE": "FR", "ITALY": "IT", "SPAIN": "ES", "CANADA": "CA", "AUSTRALIA": "AU",
    "SINGAPORE": "SG", "HONG KONG": "HK", "TAIWAN": "TW", "MACAU": "MO", "MACAO": "MO",
    "INDIA": "IN", "BRAZIL": "BR", "SWITZERLAND": "CH", "UNITED STATES": "US",
    "UNITED KINGDOM": "GB", "ENGLAND": "GB", "BRITAIN": "GB",
}  # fmt: skip


def _country(value: Any) -> Any:
    if isinstance(value, str):
        code = value.strip().upper()
        if code in ISO_COUNTRIES:
            return code
        from screen.model.errors import did_you_mean

        hint = _COUNTRY_ALIASES.get(code)
        tail = f" (did you mean '{hint}'?)" if hint else ""
        if not hint and len(code) != 2:
            tail = " (the codes have two letters, e.g. 'CN', 'US', 'JP')"
        elif not hint and (guess := did_you_mean(code, ISO_COUNTRIES)):
            tail = f" ({guess})"
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code{tail}")
    raise ValueError("a country is an ISO 3166-1 alpha-2 code in quotes, e.g. 'US', 'JP'")


CountryCode = Annotated[
    str,
    BeforeValidator(_country),
    WithJsonSchema({"type": "string", "enum": sorted(ISO_COUNTRIES)}),
]


def _distinct(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        seen: set[Any] = set()
        dup = next(v for v in values if v in seen or seen.add(v))
        raise ValueError(f"{dup!r} is listed twice")
    return values


Countries = Annotated[list[CountryCode], AfterValidator(_distinct)]
AssetIds = Annotated[list[Label], AfterValidator(_distinct)]


class BdPlan(Model):
    deal_model: vocab.DealModel | None = Field(
        None, description="the deal model the plan assumes ('none': no deal planned)"
    )
    territory: vocab.Territory | None = None
    countries: Countries | None = Field(None, description="ISO 3166-1 alpha-2 country codes")
    licensee_kind: vocab.LicenseeKind | None = Field(None, description="the partner sought")
    assets: AssetIds | None = Field(None, description="ids of other assets the same deal covers")
    target_stage: StageField | None = Field(None, description="stage at which BD is planned")
    market_scope: vocab.MarketScope | None = Field(
        None, description="whether the commercial plan is domestic-only or global"
    )


class Deal(Model):
    """A signed deal. Money in USD millions; royalties and shares as fractions."""

    partner: Label
    direction: vocab.DealDirection | None = Field(
        None,
        description="out (the default): the company grants the partner rights; in: the company "
        "licensed the asset in from the partner for the deal's territory",
    )
    licensee_kind: vocab.LicenseeKind | None = None
    deal_model: vocab.DealModel | None = None
    status: vocab.DealStatus | None = Field(None, description="what became of the deal")
    territory: vocab.Territory | None = None
    countries: Countries | None = Field(None, description="ISO 3166-1 alpha-2 country codes")
    date: CaseDateField | None = None
    upfront_usd_m: UsdMillionsFigure | None = Field(None, description="upfront or option fee")
    near_term_usd_m: UsdMillionsFigure | None = Field(
        None, description="near-term payments (option exercise, first milestones)"
    )
    milestones_usd_m: UsdMillionsFigure | None = Field(
        None, description="development, regulatory and sales milestones"
    )
    total_value_usd_m: UsdMillionsFigure | None = None
    royalty_low: RateFigure | None = Field(None, description="lowest royalty tier (fraction)")
    royalty_high: RateFigure | None = Field(None, description="highest royalty tier (fraction)")
    equity_usd_m: UsdMillionsFigure | None = Field(None, description="equity investment")
    profit_share: RateFigure | None = Field(
        None, description="the company's share of profits (and costs) in a co-development"
    )
    assets: AssetIds | None = Field(None, description="ids of other assets the deal covers")

    @model_validator(mode="after")
    def _consistent_terms(self) -> Deal:
        low, high = self.royalty_low, self.royalty_high
        if low is not None and high is not None and low.value > high.value:
            raise ValueError(f"royalty_low ({low.value:g}) is above royalty_high ({high.value:g})")
        return self


class Bd(Model):
    status: vocab.BdStatus | None = Field(None, description="business-development status")
    plan: BdPlan | None = None
    deals: list[Deal] | None = Field(None, description="deals signed (an empty list: none)")


def deals_covering(assets: Sequence[Any], asset: Any) -> list[tuple[int, int, Deal]]:
    """(asset index, deal index, deal) of the deals other assets of a case record that name
    `asset` among the assets they cover (`assets: [A2]`): a deal is written once, on one asset.
    `assets`: the case's assets (`case.Asset`, which this module cannot import)."""
    return [
        (i, k, d)
        for i, other in enumerate(assets)
        if other is not asset and other.bd is not None
        for k, d in enumerate(other.bd.deals or [])
        if d.assets and asset.id in d.assets
    ]


def shared_deals(assets: Sequence[Any], asset: Any) -> list[Deal]:
    """The deals of `deals_covering`, alone."""
    return [d for _, _, d in deals_covering(assets, asset)]


_NOT_SIGNED = frozenset(  # BD statuses that say no deal is in force
    {
        vocab.BdStatus.none,
        vocab.BdStatus.preparing,
        vocab.BdStatus.in_discussion,
        vocab.BdStatus.term_sheet,
        vocab.BdStatus.returned,
    }
)
_ENDED = frozenset({vocab.DealStatus.terminated, vocab.DealStatus.returned})


def licensed_territory(
    bd: Bd | None, shared: Sequence[Deal] = ()
) -> vocab.LicensedTerritory | None:
    """What the deals in force license, as one territory; None (unknown) where the case does
    not say. Why it exists: a partnered asset's stage that matters (T5, T6) is the one in the
    territory its signed deal covers, which a plan need not restate.

    In force: every deal listed that is not terminated or returned (the list holds deals
    signed; a deal with no status is read as still signed), an option only once exercised.
    No deals listed: `none` when the BD status says no deal was signed or the asset came back,
    unknown otherwise (partnered, or not stated). A deal's territory is its `territory`, else
    its countries, which the deals naming countries pool (`_countries_territory`: a deal for
    the US and one for Japan license what one for both does); a deal in force that states
    neither leaves the whole unknown. Several territories combine as `_combined` says.
    `shared`: deals recorded on another asset of the case that cover this one (with no deals
    listed of its own, they are its deals). A deal that licensed the asset in (`direction:
    in`) licenses nothing out: `rights_territory` reads it."""
    own = bd.deals if bd is not None else None
    if own is None and not shared:
        return vocab.LicensedTerritory.none if bd is not None and bd.status in _NOT_SIGNED else None
    return _in_force_territory(d for d in [*(own or ()), *shared] if not _licensed_in(d))


def rights_territory(bd: Bd | None, shared: Sequence[Deal] = ()) -> vocab.LicensedTerritory | None:
    """Where the company holds the asset's rights. Why it exists: an asset licensed in for
    Greater China is sold in China only, and its US path is its licensor's (T4, T8), whatever
    the licensor's own trials have reached.

    `global` when the case records no in-licence (the asset is the company's own: a deal with
    no direction is one it granted, `vocab.DealDirection`); else what the in-licences in force
    grant, combined as `licensed_territory` combines deals (an option once exercised); `none`
    when every in-licence recorded has ended (the rights went back to the licensor); unknown
    when one in force states neither territory nor countries. `shared`: as for
    `licensed_territory`."""
    own = bd.deals if bd is not None else None
    taken = [d for d in [*(own or ()), *shared] if _licensed_in(d)]
    if not taken:
        return vocab.LicensedTerritory.global_
    return _in_force_territory(taken)


# Rights held (`rights_territory`) that leave the US to a licensor, and deals in force that
# license the US out (`licensed_territory`); the thesis reads the same as `derived.us_rights`
# and `derived.licensed_abroad`, the loader's warnings and the memo's wording read these.
NO_US_RIGHTS = frozenset(
    {
        vocab.LicensedTerritory.china,
        vocab.LicensedTerritory.asia,
        vocab.LicensedTerritory.other,
        vocab.LicensedTerritory.none,
    }
)
US_LICENSED = frozenset(
    {vocab.LicensedTerritory.global_, vocab.LicensedTerritory.ex_china, vocab.LicensedTerritory.us}
)


def _licensed_in(deal: Deal) -> bool:
    return deal.direction is vocab.DealDirection.in_


def _in_force_territory(deals: Iterable[Deal]) -> vocab.LicensedTerritory | None:
    """The territory the deals in force cover together (`none` if none is in force); None
    (unknown) when one in force states neither territory nor countries."""
    named: set[vocab.LicensedTerritory] = set()
    countries: set[str] = set()
    for deal in deals:
        if not in_force(deal):
            continue
        if deal.territory is not None:
            named.add(vocab.LicensedTerritory(deal.territory.value))
        elif deal.countries:
            countries.update(deal.countries)
        else:
            return None
    if countries:
        named.add(_countries_territory(countries))
    return _combined(named)


# Greater China as licences define it (mainland, Hong Kong, Macau, Taiwan): a deal for these
# alone is a deal for the home market.
GREATER_CHINA = frozenset({"CN", "HK", "MO", "TW"})


def in_force(deal: Deal) -> bool:
    """Whether the deal licenses the asset now: not terminated or returned, and an option
    once it is exercised (until then the holder has a right to a licence, not the licence)."""
    if deal.status in _ENDED:
        return False
    return deal.deal_model is not vocab.DealModel.option or (
        deal.status is vocab.DealStatus.option_exercised
    )


def _countries_territory(countries: set[str]) -> vocab.LicensedTerritory:
    """Licensed countries as a territory: within Greater China: china (the home market); the
    US alone: us; the US with other countries: ex_china (the major markets outside China;
    with Greater China too: global); any other list: other."""
    T = vocab.LicensedTerritory
    if countries <= GREATER_CHINA:
        return T.china
    if "US" in countries:
        if countries == {"US"}:
            return T.us
        return T.global_ if countries & GREATER_CHINA else T.ex_china
    return T.other


def _combined(named: set[vocab.LicensedTerritory]) -> vocab.LicensedTerritory:
    """Several deals' territories as one, as a country list reads (`_countries_territory`):
    the US with other markets is ex_china, with China too global."""
    T = vocab.LicensedTerritory
    if not named:
        return T.none
    if len(named) == 1:
        return next(iter(named))
    if T.global_ in named:
        return T.global_
    if named & {T.us, T.ex_china}:
        return T.global_ if T.china in named else T.ex_china
    return T.other


def deal_views(bd: Bd | None, shared: Sequence[Deal] = ()) -> dict[str, Any]:
    """The derived facts read from deals: what is licensed out, and what rights are held.
    `shared`: the deals other assets of the case record for this one (`shared_deals`)."""
    return {
        "licensed_territory": licensed_territory(bd, shared),
        "rights_territory": rights_territory(bd, shared),
    }
