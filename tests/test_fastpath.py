"""The generated fast path and the interpretive evaluator must give the same results."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from screen.engine.evaluate import FAST_PATH_GIVES_WAY, evaluate_case, score_asset
from screen.engine.fastpath import Fallback, fast_path
from screen.engine.loader import load_case, load_ruleset
from screen.engine.result import build_result, dumps

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(glob.glob(str(ROOT / "cases" / "*.yaml")))


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
    """On thesis 1.0.1 and the v1 cases. (Thesis 1.1 reads optional facts, claim status and
    countries, whose absence makes the generated code give way on every bundled asset: a known
    cost, see bench/README.md.)"""
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
