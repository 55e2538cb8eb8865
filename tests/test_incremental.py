"""The incremental evaluator (engine/incremental.py) gives what a full evaluation gives.

Hypothesis picks a generated case (bench/bench.py's seeded `CaseFactory`, ~30% of fields
absent, so unknowns are common) and several random changes of its case facts (a finite-domain
fact set to one of its values, a number to a value within its bounds, any fact to unknown), as
the enumerations do, and evaluates each change with one incremental evaluator (so the cached
downstream step sets are reused across changes) and with the full `plain_evaluator`. Bounded
(`max_examples`, no deadline, no example database) so the file runs in a few seconds.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import schema_domain
from screen.engine.evaluate import (
    case_facts,
    evaluate_asset,
    extract_facts,
    incremental_evaluator,
    plain_evaluator,
)
from screen.engine.incremental import BaseJournal
from screen.engine.loader import load_ruleset
from screen.engine.outcome import AssetOutcome
from screen.engine.run import field_bounds
from screen.lang.unknown import UNKNOWN
from screen.model.case import Case

ROOT = Path(__file__).resolve().parents[1]
N_CASES = 40


@functools.cache
def generated() -> list[tuple[Case, int]]:
    """(case, asset index) for every asset of N_CASES generated cases that validate."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench import CaseFactory

    factory = CaseFactory(11, 0.3)
    out = []
    for i in range(N_CASES):
        try:
            case = Case.model_validate(factory.case(i))
        except ValueError:
            continue
        out += [(case, j) for j in range(len(case.assets))]
    return out


def summary(o: AssetOutcome) -> tuple[Any, ...]:
    """What the enumerations read, and more: every criterion and gate field, errors, fired."""
    return (
        o.decision,
        repr(o.score),
        repr(o.score_range),
        sorted(o.decisions),
        [
            (c.id, c.score, c.policy_score, c.possible, c.status, c.fired, repr(c.contribution))
            for c in o.criteria
        ],
        [(g.id, g.outcome) for g in o.gates],
        o.errors,
        o.fired,
        o.approximate,
    )


@st.composite
def changes(draw: st.DrawFn, rs: Any, base: dict[str, Any]) -> dict[str, Any]:
    """A few case facts set to other values (or to unknown), as a reachability trial does."""
    keys = sorted(rs.fields)
    picked = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True))
    out: dict[str, Any] = {}
    bounds = field_bounds(rs)
    for key in picked:
        domain = schema_domain(rs, key)
        options: list[st.SearchStrategy[Any]] = [st.just(UNKNOWN)]
        if domain:
            options.append(st.sampled_from(domain))
        elif rs.fields[key].type.kind == "num":
            lo, hi = bounds.get(key, (-1e6, 1e6))
            options.append(st.floats(max(lo, -1e6), min(hi, 1e6), allow_nan=False))
        out[key] = draw(st.one_of(options))
    return out


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_incremental_evaluation_equals_a_full_evaluation(data: st.DataObject) -> None:
    rs = load_ruleset()
    case, j = data.draw(st.sampled_from(generated()))
    asset = case.assets[j]
    base = case_facts(rs, extract_facts(rs, case, asset))
    incremental = incremental_evaluator(rs, case, asset, base)
    full = plain_evaluator(rs, case, asset)
    for _ in range(data.draw(st.integers(1, 4))):
        change = data.draw(changes(rs, base))
        got = incremental({**base, **change})
        want = full({**base, **change})
        assert summary(got) == summary(want), change
    assert summary(incremental(dict(base))) == summary(full(dict(base)))


def test_unchanged_facts_rerun_no_step_and_a_changed_one_only_its_dependents() -> None:
    rs = load_ruleset()
    case, j = next((c, j) for c, j in generated() if evaluate_asset(rs, c, c.assets[j]).unknowns)
    asset = case.assets[j]
    journal = BaseJournal(rs, asset, case_facts(rs, extract_facts(rs, case, asset)))
    assert journal.downstream(journal.changed(dict(journal.base))).order == ()
    fact = "asset.data_origin"
    downstream = set(journal.downstream(frozenset([fact])).order)
    readers = {i for i, n in enumerate(rs.steps) if fact in n.reads}
    assert readers and readers <= downstream
    assert len(downstream) < len(rs.steps)
    for i, node in enumerate(rs.steps):  # a step outside reads nothing downstream
        if i not in downstream:
            assert fact not in node.reads
            assert not {rs.steps[k].key for k in downstream} & set(node.reads)
