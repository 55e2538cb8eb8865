"""Assets licensed in (`bd.deals[].direction: in`, thesis 1.6). Many China-origin assets are a
Western originator's drug licensed in for Greater China (Zai Lab's niraparib from Tesaro,
2016): the company holds those rights only. Read as an out-licence, such a deal made the
originator a licensee, and the originator's FDA approval the company's US path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DELETE, ROOT, evaluate, make_case
from screen.model.case import Asset, Case
from screen.model.vocab import LicensedTerritory
from test_memo_wording import NORVANE, memo_for

T = LicensedTerritory


def _asset(bd: Any) -> Asset:
    return Asset.model_validate({"id": "A", "name": "A", "bd": bd})


def _in(territory: str | None = None, **kw: Any) -> dict[str, Any]:
    deal = {"partner": "Originator Inc", "direction": "in", **kw}
    if territory is not None:
        deal["territory"] = territory
    return deal


@pytest.mark.parametrize(
    "bd, rights, licensed",
    [
        (None, T.global_, None),  # no in-licence recorded: the company's own asset
        ({"deals": [NORVANE]}, T.global_, T.ex_china),  # a deal with no direction is granted
        ({"deals": [_in("china")]}, T.china, T.none),  # licensed in: nothing licensed out
        ({"deals": [_in(countries=["CN", "HK", "MO", "TW"])]}, T.china, T.none),
        ({"deals": [_in("global"), NORVANE]}, T.global_, T.ex_china),  # sublicensed ex-China
        ({"deals": [_in("china", status="terminated")]}, T.none, T.none),  # rights went back
        ({"deals": [_in("china", deal_model="option")]}, T.none, T.none),  # option unexercised
        ({"deals": [_in()]}, None, T.none),  # in force, territory unsaid: unknown, asked
        ({"status": "partnered", "deals": [_in("china")]}, T.china, T.none),
    ],
)
def test_rights_and_licences_read_each_direction_apart(
    bd: Any, rights: LicensedTerritory | None, licensed: LicensedTerritory | None
) -> None:
    a = _asset(bd)
    assert (a.rights_territory, a.licensed_territory) == (rights, licensed)


_TERRITORIES = st.sampled_from(["global", "ex_china", "us", "china", "asia", "other"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(_in, territory=_TERRITORIES), min_size=1, max_size=3))
def test_a_licence_taken_in_never_licenses_the_asset_out(taken: list[dict[str, Any]]) -> None:
    """Whatever is licensed in, the out-licensed territory is what the other deals say."""
    assert _asset({"deals": taken}).licensed_territory is T.none
    assert _asset({"deals": [*taken, NORVANE]}).licensed_territory is T.ex_china


def test_the_direction_is_refused_when_misspelt() -> None:
    with pytest.raises(ValueError, match="direction"):
        _asset({"deals": [{"partner": "P", "direction": "inbound"}]})


def test_an_asset_licensed_in_for_china_is_scored_on_china_alone() -> None:
    """The originator's FDA approval is not the company's US path (T8), and a niche asset it
    can sell only in China is a domestic return (T4)."""
    fda = {
        "regulatory": {"approvals": [{"agency": "fda"}], "fda_ind": "cleared"},
        "stage": DELETE,
        "development": {"us": {"stage": "approved"}, "china": {"stage": "phase3"}},
        "epidemiology": {"us": 9000, "eu": 9000, "china": 9000, "rest_of_world": 0},
        "bd": {"status": DELETE, "plan": {"market_scope": "global", "territory": DELETE}},
    }
    own = evaluate(make_case(fda))
    taken = evaluate(make_case({**fda, "bd": {**fda["bd"], "deals": [_in("china")]}}))
    assert _score(own, "us_path") == 5 and _score(taken, "us_path") == 0.5
    assert _score(own, "market_roi") == 4 and _score(taken, "market_roi") == 1
    # registered in China on the licensor's approval (1.6), not read at the licensor's stage
    assert _trace(taken, "derived.deal_stage") == "filed"
    assert taken["score"] < own["score"]


def test_an_in_licence_with_no_territory_asks_where_the_rights_are() -> None:
    result = evaluate(make_case({"bd": {"deals": [_in()]}}))
    assert "asset.rights_territory" in {u["fact"] for u in result["unknowns"]}
    assert _criterion(result, "us_path")["status"] == "unknown"


def test_an_in_licence_recorded_on_one_asset_covers_the_others_it_names() -> None:
    case = make_case({"bd": {"deals": [_in("china", assets=["A2"])]}})
    case["assets"].append({"id": "A2", "name": "TST-2", "role": "non_core"})
    assert [a.rights_territory for a in Case.model_validate(case).assets] == [T.china, T.china]


def test_the_memo_says_the_asset_is_licensed_in_and_whose_us_path_it_is(tmp_path: Path) -> None:
    bd = {"status": DELETE, "plan": {"territory": DELETE}}
    deal = _in("china", date="2016-09-28", upfront_usd_m={"value": 15, "source": "deck"})
    ctx, md, page = memo_for(tmp_path, make_case({"bd": {**bd, "deals": [deal]}}))
    view = ctx["assets"][0]
    assert view["readings"]["t5"].startswith("Licensed in from Originator Inc in China (2016-09")
    assert "no US rights" in view["readings"]["t8"]
    assert not view["bd_deal"]["partners"]  # the licensor is no licensee
    line = "Deal (licensed in): Originator Inc"
    assert line in md and line in page


def test_the_memo_shows_a_deal_recorded_on_a_sibling_asset(tmp_path: Path) -> None:
    """The scores read a deal that names the asset (`assets: [A2]`); the memo had ignored
    it and told A2 to look for a partner it already has."""
    case = make_case({"bd": {"status": "partnered", "deals": [{**NORVANE, "assets": ["A2"]}]}})
    case["assets"].append({"id": "A2", "name": "TST-202", "role": "non_core"})
    ctx, md, _ = memo_for(tmp_path, case)
    second = ctx["assets"][1]
    assert second["bd_deal"]["state"] == "partnered"
    assert second["bd_deal"]["partners"] == ["Norvane Therapeutics"]
    assert "recorded with TST-101" in second["readings"]["t5"]
    assert "Deal (recorded with TST-101): Norvane Therapeutics" in md


def test_a_deal_shown_under_two_assets_is_one_figure_of_the_asset_that_records_it(
    tmp_path: Path,
) -> None:
    """A deal recorded on the second asset covering the first is shown under both; its figures
    were cited once per view (data quality counted 2 figures for 1, and asked for the unsourced
    upfront's source twice, the first time under the asset that does not record it)."""
    deal = {**NORVANE, "assets": ["A"], "upfront_usd_m": {"value": 45}}
    case = make_case({"id": "A"})
    case["assets"].append(
        {"id": "A2", "name": "TST-202", "role": "non_core", "bd": {"deals": [deal]}}
    )
    ctx, md, _ = memo_for(tmp_path, case)
    paths = [c.path for c in ctx["citations"]]
    assert paths.count("assets[1].bd.deals[0].upfront_usd_m") == 1
    assert len(paths) == len(set(paths)) == ctx["data_quality"]["total"]
    asks = [
        q for q in ctx["questions"] if "assets[1].bd.deals[0].upfront_usd_m" in q.get("facts", ())
    ]
    assert [q["asset"] for q in asks] == ["A2"]
    assert md.count("upfront (USD 45m)") == 1


def _criterion(result: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in result["assets"][0]["criteria"] if c["id"] == cid)


def _score(result: dict[str, Any], cid: str) -> Any:
    return _criterion(result, cid)["score"]


def _trace(result: dict[str, Any], rule: str) -> Any:
    return next(t["outcome"] for t in result["trace"] if t["rule"] == rule)


@pytest.mark.parametrize(
    ("holder", "warned"),
    [
        ({"deals": [{"partner": "P", "territory": "china", "countries": ["CN", "US"]}]}, "US"),
        ({"deals": [{"partner": "P", "territory": "us", "countries": ["US", "CA"]}]}, "CA"),
        ({"deals": [{"partner": "P", "territory": "ex_china", "countries": ["US", "TW"]}]}, "TW"),
        ({"plan": {"territory": "china", "countries": ["JP"]}}, "JP"),
        ({"deals": [{"partner": "P", "territory": "china", "countries": ["CN", "HK"]}]}, None),
        ({"deals": [{"partner": "P", "territory": "global", "countries": ["US", "CN"]}]}, None),
        ({"deals": [{"partner": "P", "territory": "asia", "countries": ["JP", "KR"]}]}, None),
    ],
)
def test_a_territory_its_countries_contradict_is_warned(
    tmp_path: Path, holder: dict[str, Any], warned: str | None
) -> None:
    """The rules read a deal's territory; a list that says otherwise was accepted in silence
    (a hostile-input review), so the US listed under a China deal was never read."""
    from helpers import write_yaml
    from screen.engine.loader import load_case

    case = make_case({"bd": {"status": DELETE, "plan": DELETE, **holder}})
    warnings = load_case(write_yaml(tmp_path / "c.yaml", case)).warnings
    said = [w for w in warnings if "outside territory" in w]
    assert bool(said) is (warned is not None)
    if warned:
        assert f"countries {warned} are outside" in said[0] and ":" in said[0].split(" ")[0]


def test_why_not_keeps_a_sibling_s_in_licence_when_it_changes_an_asset(tmp_path: Path) -> None:
    """A deal recorded on KST-305 for KST-201 (`assets: [KST-201]`): why-not recomputed
    KST-201's derived facts without it and proposed 14 changes that 'reach advance' by
    dropping the licence (a hostile-input review); a proposed change must score as it says."""
    from screen.audit.whynot import why_not
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset

    lines = (ROOT / "cases" / "kestrel-bio.yaml").read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "deals:" and i > 118)
    deal = "{partner: Originator Inc, direction: in, territory: china, assets: [KST-201]}"
    lines.insert(at + 1, f"        - {deal}\n")
    path = tmp_path / "kestrel.yaml"
    path.write_text("".join(lines))
    rs, case = load_ruleset(), load_case(path).case
    assert case.assets[0].rights_territory is T.china
    found = why_not(rs, case, target="advance", max_changes=1)
    assert evaluate_case(rs, case, trace=False).decision == found.decision == "watch"
    proposed = {c.changes[0].fact for c in found.singles}
    assert "asset.regulatory.fda_ind" not in proposed  # the US path is the licensor's


@pytest.mark.parametrize(
    ("deal", "says", "never"),
    [
        (_in("china", status="terminated"), "no longer holds rights", "sell it in that territory"),
        (_in("china", deal_model="option"), "no longer holds rights", "sell it in that territory"),
        (_in(), "territory it grants is not recorded", "can now be struck"),
        (_in("global"), "holds worldwide rights under licence", "rest of the world stays"),
        (_in("china"), "sell it in that territory", "no longer holds"),
    ],
)
def test_the_memo_reads_each_state_of_an_in_licence(
    tmp_path: Path, deal: dict[str, Any], says: str, never: str
) -> None:
    """An ended licence, an unexercised option, a licence of unstated or worldwide territory:
    the memo had said 'the company holds only the rights licensed to it... sell it in that
    territory' for each (a hostile-input review), while the scores read no rights, or unknown."""
    bd = {"status": DELETE, "plan": {"territory": DELETE}}
    ctx, _, _ = memo_for(tmp_path, make_case({"bd": {**bd, "deals": [deal]}}))
    t5 = ctx["assets"][0]["readings"]["t5"]
    assert says in t5 and never not in t5


def test_an_ended_in_licence_is_not_read_as_a_partner_returning_rights(tmp_path: Path) -> None:
    """LianBio returned its China licences (mavacamten to BMS, 2023): the memo still said the
    data 'support a filing in the company's licensed territory', called the status 'rights
    returned by a partner' and its risk 'a normal risk, not a scandal' (an out-licence's
    reading), though the company itself had lost the asset."""
    deal = _in("china", status="terminated", partner="MyoKardia")
    _, md, _ = memo_for(tmp_path, make_case({"bd": {"status": "returned", "deals": [deal]}}))
    assert "licensed territory (T7)" not in md
    assert "rights returned by a partner" not in md and "not a scandal" not in md
    assert "BD status: rights back with the licensor" in md
    assert "The in-licence has ended: the FDA path and the US market" in md
    assert "The in-licence has ended and the rights are back with the licensor: ask why" in md


def test_a_docx_memo_shows_a_control_character_instead_of_failing(tmp_path: Path) -> None:
    """A partner name with an escape character (quoted YAML "\\x1b") made python-docx refuse
    the document: exit 70 (a hostile-input review). The memo is written, the character shown
    as U+FFFD."""
    pytest.importorskip("docx")
    from helpers import run_cli, write_yaml

    deal = {"partner": "Evil\x1b]0;pwn\x07Corp", "territory": "ex_china"}
    path = write_yaml(tmp_path / "c.yaml", make_case({"bd": {"deals": [deal]}}))
    out = run_cli("memo", str(path), "--format", "docx", "-o", str(tmp_path / "m.docx"))
    assert out.returncode == 0, out.stderr
    import docx

    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "m.docx")).paragraphs)
    assert "Evil\ufffd]0;pwn\ufffdCorp" in text


def test_an_out_licence_beyond_the_rights_licensed_in_is_warned(tmp_path: Path) -> None:
    """China rights licensed in and an ex-China out-licence on the same asset: one deal's
    direction is wrong, and the asset scored higher for it (a hostile-input review)."""
    from helpers import write_yaml
    from screen.engine.loader import load_case

    deals = [_in("china"), NORVANE]
    case = make_case({"bd": {"status": DELETE, "plan": DELETE, "deals": deals}})
    warnings = load_case(write_yaml(tmp_path / "c.yaml", case)).warnings
    assert any("holds rights in 'china' only" in w for w in warnings), warnings
    case = make_case({"bd": {"status": DELETE, "plan": DELETE, "deals": [_in("global"), NORVANE]}})
    warnings = load_case(write_yaml(tmp_path / "d.yaml", case)).warnings
    assert not [w for w in warnings if "holds rights in" in w]  # worldwide rights, sublicensed


def test_a_deal_needs_a_partner_name() -> None:
    with pytest.raises(ValueError, match="is empty"):
        _asset({"deals": [{"partner": "  ", "territory": "china"}]})


def test_an_in_licence_reads_as_one_in_the_memo_whatever_its_model(tmp_path: Path) -> None:
    deal = _in("china", deal_model="out_license")  # the licensor's view of the same licence
    _, md, _ = memo_for(tmp_path, make_case({"bd": {"status": DELETE, "deals": [deal]}}))
    assert "Deal (licensed in): Originator Inc, in-licence, China" in md
