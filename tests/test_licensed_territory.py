"""`asset.licensed_territory`: what the signed deals in force license (thesis 1.5 reads it
where the plan names no territory). Its unknown must be exact: `none` when the case says no
deal is in force, unknown only when the case does not say."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DELETE, evaluate, make_case
from screen.model.case import Asset
from screen.model.vocab import LicensedTerritory

T = LicensedTerritory


def _licensed(bd: Any) -> LicensedTerritory | None:
    return Asset.model_validate({"id": "A", "name": "A", "bd": bd}).licensed_territory


def _deal(territory: str | None = None, countries: list[str] | None = None, **kw: Any) -> dict:
    deal: dict[str, Any] = {"partner": "P", **kw}
    if territory is not None:
        deal["territory"] = territory
    if countries is not None:
        deal["countries"] = countries
    return deal


@pytest.mark.parametrize(
    "bd, expected",
    [
        (None, None),  # no bd block: the case does not say
        ({"status": "partnered"}, None),  # a deal exists, its terms are not given
        ({}, None),
        ({"status": "preparing"}, T.none),  # no deal signed yet
        ({"status": "term_sheet"}, T.none),
        ({"status": "returned"}, T.none),  # the rights came back
        ({"deals": []}, T.none),  # the case lists none
        ({"deals": [_deal("ex_china")]}, T.ex_china),  # no status: still signed
        ({"deals": [_deal("ex_china", status="option_exercised")]}, T.ex_china),
        ({"deals": [_deal("ex_china", status="terminated")]}, T.none),
        ({"deals": [_deal("ex_china", status="returned"), _deal("us")]}, T.us),
        ({"deals": [_deal(countries=["CN"])]}, T.china),
        ({"deals": [_deal(countries=["US"])]}, T.us),
        ({"deals": [_deal(countries=["JP", "KR"])]}, T.other),
        ({"deals": [_deal(countries=["CN", "HK", "MO", "TW"])]}, T.china),  # Greater China
        ({"deals": [_deal(countries=["TW"])]}, T.china),  # Greater China: the home market
        ({"deals": [_deal("ex_china", deal_model="option", status="signed")]}, T.none),
        (
            {"deals": [_deal("ex_china", deal_model="option", status="option_exercised")]},
            T.ex_china,
        ),
        ({"deals": [_deal("ex_china", deal_model="option")]}, T.none),  # no status: unexercised
        ({"deals": [_deal(countries=["CN", "JP"])]}, T.other),
        # Summit's 2022 ivonescimab licence, by country: the US and others
        ({"deals": [_deal(countries=["US", "CA", "GB", "DE", "JP"])]}, T.ex_china),
        ({"deals": [_deal(countries=["CN", "US"])]}, T.global_),
        ({"deals": [_deal("asia", countries=["JP", "KR"])]}, T.asia),  # territory first
        ({"deals": [_deal()]}, None),  # a deal in force that names no territory
        ({"deals": [_deal(), _deal("global")]}, None),  # ... leaves the whole unknown
        ({"deals": [_deal(status="terminated"), _deal("us")]}, T.us),  # unless it ended
        ({"deals": [_deal("china"), _deal("ex_china")]}, T.global_),
        ({"deals": [_deal("global"), _deal("asia")]}, T.global_),
        ({"deals": [_deal("ex_china"), _deal("us")]}, T.ex_china),
        ({"deals": [_deal("us"), _deal("asia")]}, T.ex_china),  # as countries [US, JP] read
        ({"deals": [_deal(countries=["US"]), _deal(countries=["JP"])]}, T.ex_china),
        ({"deals": [_deal("china"), _deal("us")]}, T.global_),  # as countries [CN, US] read
        ({"deals": [_deal("asia"), _deal("other")]}, T.other),
        ({"status": "none", "deals": [_deal("us")]}, T.us),  # the deals listed win
    ],
)
def test_licensed_territory(bd: Any, expected: LicensedTerritory | None) -> None:
    assert _licensed(bd) == expected


_territories = st.sampled_from(["global", "ex_china", "us", "china", "asia", "other"])
_deals = st.lists(
    st.builds(
        _deal,
        territory=_territories | st.none(),
        countries=st.sampled_from([None, ["CN"], ["US"], ["JP"], ["US", "CA"]]),
        status=st.sampled_from(["signed", "option_exercised", "terminated", "returned"]),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(_deals, st.randoms(use_true_random=False))
def test_deal_order_and_ended_deals_do_not_matter(deals: list[dict], rnd: Any) -> None:
    """Deals combine as a set (order free), and a terminated or returned deal adds nothing."""
    shuffled = deals[:]
    rnd.shuffle(shuffled)
    assert _licensed({"deals": shuffled}) == _licensed({"deals": deals})
    ended = [d for d in deals if d["status"] in ("terminated", "returned")]
    in_force = [d for d in deals if d not in ended]
    assert _licensed({"deals": in_force}) == _licensed({"deals": deals})
    if not in_force:
        assert _licensed({"deals": deals}) is T.none


# An NMPA-approved asset in US phase 1 and phase 3 elsewhere: the deal's territory decides
# which stage thesis 1.5 reads (the China approval, the US phase 1 or the phase 3).
_STAGES = {
    "stage": DELETE,
    "development": {
        "china": {"stage": "approved", "approvals": [{"agency": "nmpa"}]},
        "us": {"stage": "phase1"},
        "rest_of_world": {"stage": "phase3"},
    },
    "regulatory": {"approvals": [{"agency": "nmpa"}]},
}


def _deal_stage(bd: dict) -> tuple[str, set[str]]:
    result = evaluate(make_case({**_STAGES, "bd": {"status": DELETE, "plan": DELETE, **bd}}))
    (stage,) = [t["outcome"] for t in result["trace"] if t["rule"] == "derived.deal_stage"]
    return stage, {u["fact"] for u in result["unknowns"]}


def test_the_deal_in_force_stands_in_for_an_unstated_plan_territory() -> None:
    """Before 1.5 a partnered asset was asked where its planned deal would be, though its
    signed deal says it; the plan, when it names a territory, still comes first."""
    stage, asked = _deal_stage({"status": "partnered", "deals": [_deal("ex_china")]})
    assert stage == "phase3" and not {f for f in asked if ".bd." in f or "licens" in f}
    stage, _ = _deal_stage({"status": "partnered", "deals": [_deal(countries=["US"])]})
    assert stage == "phase1"
    stage, _ = _deal_stage({"plan": {"territory": "china"}, "deals": [_deal("ex_china")]})
    assert stage == "approved"  # a China deal planned beside the ex-China licence
    _, asked = _deal_stage({"status": "partnered"})
    assert "asset.licensed_territory" in asked  # which deal is it? asked, never assumed
    _, asked = _deal_stage({"status": "preparing"})
    assert "asset.licensed_territory" not in asked  # no deal signed: nothing to ask about it


def test_a_deal_recorded_on_one_asset_for_several_licenses_each() -> None:
    """A deal is written once, on one asset, with `assets: [A2]` naming the others it covers
    (as cases/lanting-bio.yaml does); A2 read no deal and was asked which deals it has."""
    from screen.model.case import Case

    case = make_case({"bd": {"status": "partnered", "deals": [_deal("ex_china", assets=["A2"])]}})
    second = {"id": "A2", "name": "TST-2", "role": "non_core", "bd": {"status": "partnered"}}
    case["assets"].append(second)
    assets = Case.model_validate(case).assets
    assert [a.licensed_territory for a in assets] == [T.ex_china, T.ex_china]
    case["assets"][0]["bd"]["deals"][0]["assets"] = []
    assert Case.model_validate(case).assets[1].licensed_territory is None  # partnered, unsaid


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sets(st.sampled_from(["CN", "HK", "TW", "US", "CA", "JP", "DE", "SA"]),
                        min_size=1), min_size=1, max_size=4))  # fmt: skip
def test_deals_by_country_read_as_one_deal_for_all_their_countries(lists: list[set[str]]):
    """Two deals, for the US and for Japan, license what one deal for both does (they read
    as 'other' while one deal read ex_china: a hostile-input review)."""
    apart = _licensed({"deals": [_deal(countries=sorted(c)) for c in lists]})
    together = _licensed({"deals": [_deal(countries=sorted(set().union(*lists)))]})
    assert apart == together
