"""An unknown derived fact that no unknown criterion or gate reads is neither asked about nor
a reason for the fast path to give way (`AssetRun.live_needed_by`, fastpath.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import DELETE, MINI_RULES, evaluate, make_case
from screen.engine.evaluate import FAST_PATH_GIVES_WAY, extract_facts
from screen.engine.fastpath import Fallback, fast_path
from screen.engine.loader import load_ruleset
from screen.engine.result import dumps
from screen.lang.unknown import UNKNOWN
from screen.model.case import Case

# `late_effect` is only read by a band that an early-stage asset never reaches.
BOOL_RULES = MINI_RULES.replace(
    "derived:\n",
    """derived:
  late_effect:
    expr: asset.efficacy_delta_relative >= 0.2
""",
).replace(
    "  - id: bd_ready\n",
    """  - id: evidence
    weight: 0.3
    bands:
      - {id: evidence.early, when: "asset.stage < 'phase2'", score: 2, rationale: "test"}
      - {id: evidence.shown, when: derived.late_effect, score: 5, rationale: "test"}
      - {id: evidence.none, when: "true", score: 1, rationale: "test"}
  - id: bd_ready
""",
)
# the same with an unknown derived number, whose bounds the generated code does not keep
NUMBER_RULES = BOOL_RULES.replace(
    "derived:\n", "derived:\n  late_gain:\n    expr: asset.efficacy_delta_relative * 1\n"
)
NO_READOUT = {"trials": DELETE}


def _compiled(tmp_path_factory: pytest.TempPathFactory, text: str) -> object:
    path: Path = tmp_path_factory.mktemp("inner") / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return load_ruleset(path)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> object:
    return _compiled(tmp_path_factory, BOOL_RULES)


@pytest.fixture(scope="module")
def number_rules(tmp_path_factory: pytest.TempPathFactory) -> object:
    return _compiled(tmp_path_factory, NUMBER_RULES)


def _asked(result: dict) -> set[str]:
    return {u["fact"] for u in result["unknowns"]}


def test_an_unknown_derived_fact_behind_a_band_never_reached_is_not_asked(rules) -> None:
    result = evaluate(make_case({**NO_READOUT, "stage": "phase1"}), rules)
    asset = result["assets"][0]
    evidence = next(c for c in asset["criteria"] if c["id"] == "evidence")
    assert evidence["score"] == 2  # the early band fired; late_effect was never needed
    assert "asset.efficacy_delta_relative" not in _asked(result)


def test_the_same_fact_is_asked_when_an_unknown_criterion_waits_on_it(rules) -> None:
    result = evaluate(make_case({**NO_READOUT, "stage": "phase2"}), rules)
    unknown = {u["fact"]: u for u in result["unknowns"]}
    assert "asset.efficacy_delta_relative" in unknown
    # every rule that reads it is named: the inner step and the band that waits on it
    assert {"derived.late_effect", "evidence.shown"} <= set(
        unknown["asset.efficacy_delta_relative"]["rules"]
    )


def _facts(rules, stage: str) -> dict:
    case = Case.model_validate(make_case({**NO_READOUT, "stage": stage}, v2=True))
    return extract_facts(rules, case, case.assets[0])


def test_the_fast_path_completes_past_an_unknown_true_false_nothing_reads(rules) -> None:
    """Before, any unknown derived fact made the fast path give way, so an early-stage asset
    without a readout took the interpretive path under a rule set that derives effects."""
    out = fast_path(rules)(_facts(rules, "phase1"))
    assert out["criteria.evidence"] == 2 and out["derived.late_effect"] is UNKNOWN


def test_the_fast_path_gives_way_when_a_band_reads_the_unknown(rules) -> None:
    with pytest.raises(FAST_PATH_GIVES_WAY):
        fast_path(rules)(_facts(rules, "phase2"))


def test_the_fast_path_still_gives_way_on_an_unknown_derived_number(number_rules) -> None:
    with pytest.raises(FAST_PATH_GIVES_WAY):
        fast_path(number_rules)(_facts(number_rules, "phase1"))


def _never_fast(*_args: object) -> dict:
    raise Fallback


@pytest.mark.parametrize("stage", ["phase1", "phase2"])
def test_both_paths_give_the_same_result(
    rules, tmp_path_factory: pytest.TempPathFactory, stage: str
) -> None:
    interpretive = _compiled(tmp_path_factory, BOOL_RULES)
    interpretive._fast = _never_fast
    case = make_case({**NO_READOUT, "stage": stage})
    assert dumps([evaluate(case, rules)]) == dumps([evaluate(case, interpretive)])


# A derived fact read inside a guarded `coalesce` argument by a criterion that is unknown:
# with both arguments unknown the coalesce waits on both, so the facts behind the derived
# fact are still questions (the first version of `live_needed_by` followed only the
# criterion's blame, which leaves guarded reads out, and called watch [3, 3] settled).
GUARDED_READER_RULES = """\
ruleset: {name: guarded-reader, version: "0.1"}
derived:
  china_plan:
    expr: asset.bd.plan.territory == 'china'
criteria:
  - id: fit
    weight: 0.5
    bands:
      - id: fit.yes
        when: coalesce(derived.china_plan, asset.competition.first_in_class)
        score: 5
        rationale: r
      - {id: fit.no, when: "true", score: 1, rationale: r}
  - id: novelty
    weight: 0.5
    bands:
      - {id: novelty.follower, when: "not asset.competition.first_in_class", score: 5, rationale: r}
      - {id: novelty.first, when: "true", score: 1, rationale: r}
decision: {advance: 3.5, watch: 2.5}
"""


def test_a_derived_fact_a_guarded_argument_waits_on_is_still_asked(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rules = _compiled(tmp_path_factory, GUARDED_READER_RULES)
    case = make_case(
        {"competition": {"first_in_class": DELETE}, "bd": {"plan": {"territory": DELETE}}}
    )
    result = evaluate(case, rules)
    # territory china: fit 5 either way (advance or watch); else fit follows the claim (watch
    # or decline): the decision is open, over the whole range
    assert result["decision"] == "insufficient_information"
    assert result["score_range"] == [1, 5]
    assert "asset.bd.plan.territory" in _asked(result)
