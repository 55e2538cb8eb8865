"""The factored enumerations (engine/factored.py) give what evaluating every trial whole gives.

Hypothesis picks a generated case (bench/bench.py's seeded `CaseFactory`, ~30% of fields
absent) and random trials (a few case facts set to a value of their domain, a number within
its bounds, or unknown), as the question ranking does; each is evaluated by one factored
evaluator (so its memoised blocks are reused across trials) and whole by `plain_evaluator`.
Then the reachability search by components is checked against `reach.combine` over the full
product of the enumerated facts. Bounded (`max_examples`, no deadline, no database).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DELETE, make_case
from screen.engine.evaluate import (
    case_facts,
    evaluate_with_facts,
    extract_facts,
    incremental_evaluator,
    plain_evaluator,
)
from screen.engine.factored import FactoredEvaluator, blocks, sinks_of
from screen.engine.loader import load_ruleset
from screen.engine.outcome import AssetOutcome
from screen.engine.reach import Refinement, combine, enumerable, refine_with
from screen.model.case import Case
from test_incremental import changes, generated

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def lean(o: AssetOutcome) -> tuple[Any, ...]:
    """What the enumerations read of an outcome, to the bit."""
    return (
        o.decision,
        repr(o.score),
        repr(o.score_range),
        sorted(o.decisions),
        [(c.id, c.score, c.policy_score, c.possible) for c in o.criteria],
        [(g.id, g.outcome) for g in o.gates],
    )


def _setup(data: st.DataObject) -> tuple[Any, ...]:
    rs = load_ruleset()
    case, j = data.draw(st.sampled_from(generated()))
    asset = case.assets[j]
    base = case_facts(rs, extract_facts(rs, case, asset))
    inner = incremental_evaluator(rs, case, asset, base)
    return rs, case, asset, base, FactoredEvaluator(rs, asset, case.company, base, inner)


@SETTINGS
@given(data=st.data())
def test_a_factored_trial_equals_the_whole_trial(data: st.DataObject) -> None:
    rs, case, asset, base, factored = _setup(data)
    whole = plain_evaluator(rs, case, asset)
    for _ in range(data.draw(st.integers(1, 5))):
        trial = {**base, **data.draw(changes(rs, base))}
        assert lean(factored(dict(trial))) == lean(whole(dict(trial)))
    assert lean(factored(dict(base))) == lean(whole(dict(base)))


@SETTINGS
@given(data=st.data())
def test_reachability_by_components_equals_the_full_product(data: st.DataObject) -> None:
    rs, case, asset, base, factored = _setup(data)
    run = evaluate_with_facts(rs, case, asset, extract_facts(rs, case, asset), False, False)
    open_facts = [u.fact for u in run.unknowns if "." in u.fact]
    groups = enumerable(rs, open_facts, base, asset)
    size = 1
    for _, values in groups:
        size *= len(values)
    if not groups or size > 2000:
        return
    got, approximate = factored.combine(groups)
    if approximate:
        return
    assert got is not None
    _same_refinement(got, combine(rs, base, groups, plain_evaluator(rs, case, asset)))


def _same_refinement(got: Refinement, want: Refinement) -> None:
    assert [sorted(s) for s in got.criteria] == [sorted(s) for s in want.criteria]
    assert [sorted(s) for s in got.gates] == [sorted(s) for s in want.gates]
    assert (repr(got.low), repr(got.high), got.decisions) == (
        repr(want.low),
        repr(want.high),
        want.decisions,
    )


@SETTINGS
@given(data=st.data())
def test_answers_restrict_the_kept_search_as_the_full_product_with_those_answers(
    data: st.DataObject,
) -> None:
    """The kept search restricted to one or two answers (`KeptSearch.given`, joined) and
    `decisions_given` (the settling search's check of them) reach what every combination of
    `groups` with those answers reaches."""
    rs, case, asset, base, factored = _setup(data)
    run = evaluate_with_facts(rs, case, asset, extract_facts(rs, case, asset), False, False)
    groups = enumerable(rs, [u.fact for u in run.unknowns if "." in u.fact], base, asset)
    if not groups or math.prod(len(values) for _, values in groups) > 2000:
        return
    assert factored.kept_search(groups) is None  # no search made yet
    if factored.combine(groups)[1]:  # approximate: nothing kept
        return
    kept = factored.kept_search(list(groups))
    assert kept is not None
    facts = [(i, at) for i, (keys, _) in enumerate(groups) for at in range(len(keys))]
    picked = data.draw(st.lists(st.sampled_from(facts), min_size=1, max_size=2, unique=True))
    answers = {groups[i][0][at]: data.draw(st.sampled_from(groups[i][1]))[at] for i, at in picked}
    narrowed = [
        (
            keys,
            [
                row
                for row in domain
                if all(row[at] is answers.get(k, row[at]) for at, k in enumerate(keys))
            ],
        )
        for keys, domain in groups
    ]
    parts = kept.given(answers)
    decisions = factored.decisions_given(kept, answers)
    if any(not rows for _, rows in narrowed):  # answers no combination has
        assert parts is None and decisions is None
        return
    assert parts is not None and decisions is not None
    got = factored.join(parts)
    assert got is not None
    want = combine(rs, base, narrowed, plain_evaluator(rs, case, asset))
    _same_refinement(got, want)
    if len(want.decisions) > 1:
        assert len(decisions) > 1 and decisions <= want.decisions
    else:
        assert decisions == want.decisions
    if any(
        len(rows) < len(domain) for (_, rows), (_, domain) in zip(narrowed, groups, strict=True)
    ):
        assert factored.kept_search(narrowed) is None  # other values: not the kept search


def test_facts_that_reach_disjoint_criteria_are_separate_blocks() -> None:
    rs = load_ruleset()
    sinks = sinks_of(rs)
    origin, growth = "asset.data_origin", "company.domestic_sales_growth"
    assert sinks[origin] and sinks[growth] and not sinks[origin] & sinks[growth]
    split = blocks([[origin], [growth]], sinks)
    assert [members for members, _ in split] == [[0], [1]]
    joined = blocks([[origin], [growth], ["asset.regulatory.us_evidence_plan"]], sinks)
    assert [0, 2] in [members for members, _ in joined]  # both read by the US-path criterion


def test_reachability_by_components_is_exact_where_the_product_fits() -> None:
    """Not vacuous: on the generated assets whose enumerated product is small, the search by
    components answers exactly (never `approximate`) and as the full product does."""
    rs = load_ruleset()
    checked = 0
    for case, j in generated():
        asset = case.assets[j]
        base = case_facts(rs, extract_facts(rs, case, asset))
        run = evaluate_with_facts(rs, case, asset, extract_facts(rs, case, asset), False, False)
        groups = enumerable(rs, [u.fact for u in run.unknowns if "." in u.fact], base, asset)
        size = 1
        for _, values in groups:
            size *= len(values)
        if not groups or size > 512:
            continue
        inner = incremental_evaluator(rs, case, asset, base)
        got, approximate = FactoredEvaluator(rs, asset, case.company, base, inner).combine(groups)
        assert not approximate and got is not None
        want = combine(rs, base, groups, plain_evaluator(rs, case, asset))
        assert (got.decisions, repr(got.low), repr(got.high)) == (
            want.decisions,
            repr(want.low),
            repr(want.high),
        )
        checked += 1
        if checked == 10:
            break
    assert checked == 10


def test_a_result_does_not_depend_on_what_the_batch_evaluated_before() -> None:
    """The rule set's shared step memos are filled by every asset of a batch: evaluating the
    same cases in two orders on one compiled rule set gives byte-identical results."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import LoadedCase
    from screen.engine.result import build_result, dumps

    cases = [case for case, j in generated() if j == 0][:12]

    def results(order: list[int]) -> dict[int, str]:
        rs = load_ruleset(ROOT / "src" / "screen" / "rules")  # a fresh rule set: empty memos
        out = {}
        for i in order:
            loaded = LoadedCase(f"case-{i}.yaml", "0" * 64, "", cases[i])
            out[i] = dumps([build_result(rs, loaded, evaluate_case(rs, cases[i]))])
        return out

    forward = results(list(range(len(cases))))
    backward = results(list(reversed(range(len(cases)))))
    assert forward == backward
    rs = load_ruleset(ROOT / "src" / "screen" / "rules")
    evaluate_case(rs, cases[0], trace=False)
    assert rs.__dict__.get("_shared_step_memo_journal"), "the shared memo was not filled"


def _live(plan: dict[str, Any]) -> Any:
    """The live sinks of an asset with the given BD plan, its US stage open."""
    from helpers import DELETE, make_case
    from screen.engine.evaluate import case_facts, extract_facts
    from screen.engine.livereads import live_sinks
    from screen.engine.run import AssetRun
    from screen.model.case import Case

    rs = load_ruleset(Path(__file__).resolve().parents[1] / "rules")
    raw = make_case(
        {
            "stage": DELETE,
            "development": {"china": {"stage": "phase3"}, "us": {"stage": "phase1"}},
            "bd": {"plan": plan},
            "regulatory": {"complete_response_letters": []},  # no other reader of stage_us
        },
        v2=True,
    )
    raw["assets"][0]["development"]["us"] = None  # the US stage open
    case = Case.model_validate(raw)
    asset = case.assets[0]
    facts = extract_facts(rs, case, asset)
    run = AssetRun(rs, asset, facts, False)
    for node in rs.steps:
        run.step(node)
    bd = next(i for i, c in enumerate(rs.criteria) if c.id == "bd_readiness")
    return rs, live_sinks(rs, run.F, case_facts(rs, facts)), bd


def test_a_branch_no_trial_can_take_does_not_tie_its_reads_to_a_criterion():
    """deal_stage reads the US stage only for a US-only plan: with the plan known to be
    ex-China, the open US stage cannot reach BD readiness, and the factored enumeration must
    not join them (livereads.py); with a US plan it does."""
    rs, live, bd = _live({"territory": "ex_china", "market_scope": "global"})
    assert bd in sinks_of(rs)["asset.stage_us"]  # the rule set's own reading joins them
    assert live is not None and bd not in live["asset.stage_us"]
    _, live_us, _ = _live({"territory": "us", "market_scope": "global"})
    assert live_us is not None and bd in live_us["asset.stage_us"]


def test_an_answered_stage_narrows_the_regions_of_a_fresh_enumeration() -> None:
    """`refine_with` without a kept search (a plain evaluator) and `asset.stage` answered tries
    only regional stages whose most advanced is that stage: what the joint enumeration of
    every open fact, narrowed to the answer, reaches (before, the regions were built from the
    case's stated stage, unknown there, and tried every other most advanced stage too)."""
    rs = load_ruleset()
    checked = 0
    for gone in ({}, {"data_origin": DELETE}):  # no readout: a rule reads asset.stage
        letters = {"regulatory": {"complete_response_letters": []}}  # keep within budget
        case = Case.model_validate(
            make_case({"stage": DELETE, "trials": DELETE, **letters, **gone})
        )
        asset = case.assets[0]
        base = case_facts(rs, extract_facts(rs, case, asset))
        run = evaluate_with_facts(rs, case, asset, extract_facts(rs, case, asset), False, False)
        facts = [u.fact for u in run.unknowns if "." in u.fact]
        groups = enumerable(rs, facts, base, asset)
        joint = next(g for g in groups if "asset.stage" in g[0] and len(g[0]) > 1)
        plain = plain_evaluator(rs, case, asset)
        at = joint[0].index("asset.stage")
        for stage in sorted({row[at] for row in joint[1]}):
            narrowed = [
                (keys, [r for r in rows if r[at] is stage]) if keys == joint[0] else (keys, rows)
                for keys, rows in groups
            ]
            if math.prod(len(d) for _, d in narrowed) > 512:
                continue  # over the fresh enumeration's budget: it answers approximately
            want = combine(rs, base, narrowed, plain)
            got, approximate = refine_with(rs, base, {"asset.stage": stage}, facts, plain, asset)
            assert got is not None and not approximate
            assert [sorted(c) for c in got.criteria] == [sorted(c) for c in want.criteria], stage
            assert (got.decisions, repr(got.low), repr(got.high)) == (
                want.decisions,
                repr(want.low),
                repr(want.high),
            ), stage
            checked += 1
    assert checked >= 4, checked
