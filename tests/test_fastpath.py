"""The generated fast path and the interpretive evaluator must give the same results."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import BASE_CASE, MINI_RULES, make_case
from screen.engine.evaluate import FAST_PATH_GIVES_WAY, evaluate_case, score_asset
from screen.engine.fastpath import Fallback, fast_path
from screen.engine.loader import LoadedCase, load_case, load_ruleset
from screen.engine.result import build_result, dumps
from screen.model.case import Case

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(glob.glob(str(ROOT / "cases" / "*.yaml")))
SOURCES = BASE_CASE["sources"]


def LOADED(case: Case) -> LoadedCase:  # noqa: N802 - reads like the type it builds
    return LoadedCase("inline.yaml", "0" * 64, "", case)


def _never_fast(*_args: object) -> dict:
    raise Fallback


def _both_paths(path: str) -> tuple[str, str]:
    rs = load_ruleset()
    loaded = load_case(path)
    fast = dumps([build_result(rs, loaded, evaluate_case(rs, loaded.case))])
    rs._fast = _never_fast
    slow = dumps([build_result(rs, loaded, evaluate_case(rs, loaded.case))])
    return fast, slow


@pytest.mark.parametrize("path", CASES, ids=[Path(p).stem for p in CASES])
def test_fast_and_interpretive_paths_give_identical_results(path: str) -> None:
    fast, slow = _both_paths(path)
    assert fast == slow


def test_fast_path_is_actually_used_on_complete_data() -> None:
    """On thesis 1.0.1 and the v1 cases (thesis 1.1 and the bundled cases: the test below)."""
    rs = load_ruleset(ROOT / "tests" / "fixtures" / "thesis-1.0.1.yaml")
    fast = fast_path(rs)
    used = 0
    for path in sorted(str(p) for p in (ROOT / "tests" / "fixtures" / "cases-v1").glob("*.yaml")):
        case = load_case(path).case
        for asset in case.assets:
            facts = dict(rs.base_facts)
            rs.extract(asset, case.company, case, facts)
            try:
                fast(facts)
                used += 1
            except FAST_PATH_GIVES_WAY:
                pass
    assert used > 0, "no bundled asset took the fast path"


def test_score_asset_matches_full_evaluation() -> None:
    rs = load_ruleset()
    for path in CASES:
        case = load_case(path).case
        outcome = evaluate_case(rs, case)
        for asset_outcome in outcome.assets:
            decision, score = score_asset(rs, case, asset_outcome.asset)
            assert decision == asset_outcome.decision
            assert score == asset_outcome.score


def test_fast_path_is_used_on_most_bundled_assets_under_the_bundled_thesis() -> None:
    """Thesis 1.1 reads optional facts through `coalesce` (plan territory, countries, market
    scope); the generated code evaluates those arguments guarded, so a case that leaves one
    out still takes the fast path (before: none of the 25 bundled assets did)."""
    rs = load_ruleset()
    fast = fast_path(rs)
    used = total = 0
    for path in CASES:
        case = load_case(path).case
        for asset in case.assets:
            facts = dict(rs.base_facts)
            rs.extract(asset, case.company, case, facts)
            total += 1
            try:
                fast(facts)
                used += 1
            except FAST_PATH_GIVES_WAY:
                pass
    assert used * 2 > total, f"{used} of {total} bundled assets took the fast path"


GUARDED_RULES = MINI_RULES.replace(
    "derived:\n",
    """derived:
  # an unknown count is still >= 0 (schema bounds): the three-valued pass knows this is true
  bounded_claim:
    expr: coalesce(asset.epidemiology.us >= 0, false)
  china_plan:
    expr: >-
      coalesce(asset.bd.plan.territory == 'china', asset.bd.plan.market_scope == 'domestic',
      known(asset.epidemiology.eu) and asset.epidemiology.eu > 1000)
  us_or_eu:
    expr: coalesce(asset.epidemiology.us, asset.epidemiology.eu)
""",
).replace(
    "  - id: bd_ready\n",
    """  - id: plan
    weight: 0.3
    bands:
      - {id: plan.china, when: derived.china_plan, score: 2, rationale: "test"}
      - {id: plan.bounded, when: derived.bounded_claim and derived.us_or_eu >= 10, score: 4,
         rationale: "test"}
      - {id: plan.other, when: "true", score: 3, rationale: "test"}
  - id: bd_ready
""",
)


@settings(max_examples=60, deadline=None, database=None)
@given(
    territory=st.sampled_from([None, "china", "ex_china", "global"]),
    scope=st.sampled_from([None, "domestic", "global"]),
    us=st.sampled_from([None, 0, 5, 200000]),
    eu=st.sampled_from([None, 0, 5000]),
)
def test_guarded_coalesce_gives_what_the_interpretive_pass_gives(
    tmp_path_factory: pytest.TempPathFactory,
    territory: str | None,
    scope: str | None,
    us: int | None,
    eu: int | None,
) -> None:
    """For every mix of absent optional facts (bare and compared, bounded and not, nested in
    `known`), the fast path gives the interpretive pass's result or gives way: never another
    answer. An absent US count under `coalesce(us >= 0, false)` is true in both (its bounds)."""
    path = tmp_path_factory.mktemp("rules") / "guarded.yaml"
    path.write_text(GUARDED_RULES, encoding="utf-8")
    rs = load_ruleset(path)
    plan = {"deal_model": "out_license"}
    if territory:
        plan["territory"] = territory
    if scope:
        plan["market_scope"] = scope
    epi: dict = {"china": 1000}
    if us is not None:
        epi["us"] = us
    if eu is not None:
        epi["eu"] = eu
    case = Case.model_validate(
        make_case({"bd": {"plan": plan}, "epidemiology": epi}, v2=True) | {"sources": SOURCES}
    )
    fast = dumps([build_result(rs, LOADED(case), evaluate_case(rs, case))])
    rs._fast = _never_fast
    slow = dumps([build_result(rs, LOADED(case), evaluate_case(rs, case))])
    assert fast == slow


def test_guarded_coalesce_lets_a_case_without_optional_facts_take_the_fast_path(
    tmp_path: Path,
) -> None:
    path = tmp_path / "guarded.yaml"
    path.write_text(GUARDED_RULES, encoding="utf-8")
    rs = load_ruleset(path)
    case = Case.model_validate(
        make_case({"bd": {"plan": {"deal_model": "out_license", "market_scope": "global"}}})
    )
    facts = dict(rs.base_facts)
    rs.extract(case.assets[0], case.company, case, facts)
    fast_path(rs)(facts)  # territory absent: its argument is skipped, not a give-way
    assert facts["derived.china_plan"] is False
    assert facts["derived.bounded_claim"] is True
