"""Value classes (engine/domains.py): the engine tries one value per class of values the rules
cannot tell apart. The property: every member of a class gives the outcome its first member
gives, on generated rule sets and complete cases. The examples pin which reads keep the whole
domain (ordered comparisons, values passed on, comparisons with another fact)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, note

from helpers import schema_domain, thesis_ruleset
from screen.engine.domains import value_classes
from screen.engine.reach import finite_domain
from test_unknowns_properties import (
    PROPS,
    _plain,
    cases,
    compile_text,
    finite_facts,
    outcome,
    put,
    rulesets,
)


def classes(rs: Any, fact: str) -> list[list[Any]]:
    """The classes of `fact`'s schema domain, as the case file writes the values."""
    domain = schema_domain(rs, fact)
    return [[_plain(v) for v in group] for group in value_classes(rs, fact, domain)]


def signature(result: Any) -> tuple[Any, ...]:
    """What a value can change: per asset its criteria, gates, score range and decisions."""
    return tuple(
        (
            tuple((c.score, tuple(c.possible)) for c in a.criteria),
            tuple(g.outcome for g in a.gates),
            a.score_range,
            tuple(sorted(a.decisions)),
        )
        for a in result.assets
    )


@PROPS
@given(text=rulesets(), case=cases())
def test_every_member_of_a_class_gives_the_same_outcome(text: str, case: dict[str, Any]) -> None:
    note(text)
    rs = compile_text(text)
    for fact in finite_facts(rs):
        for group in classes(rs, fact):
            seen = set()
            for value in group:
                trial = copy.deepcopy(case)
                put(trial, fact, value)
                seen.add(signature(outcome(trial, rs)))
            assert len(seen) == 1, (fact, group)


def test_the_thesis_tells_three_endpoints_apart() -> None:
    """Its effect thresholds name HbA1c and weight; every other endpoint takes the third."""
    groups = classes(thesis_ruleset(), "asset.efficacy_endpoint")
    assert ["hba1c_change"] in groups and ["weight_change"] in groups
    assert len(groups) == 3
    assert len(finite_domain(thesis_ruleset(), "asset.efficacy_endpoint") or []) == 3


def test_ordered_comparisons_and_tables_keep_what_they_need() -> None:
    rs = thesis_ruleset()
    stage = schema_domain(rs, "asset.stage")
    assert finite_domain(rs, "asset.stage") == stage  # read with >=, <
    severity = classes(rs, "asset.unmet_need.severity")  # in ['life_threatening', 'severe']
    assert sorted(map(sorted, severity)) == [["life_threatening", "severe"], ["mild", "moderate"]]


RULES = """\
ruleset: {{name: classes, version: '0.1'}}
derived:
  flag: {{expr: "{expr}"}}
criteria:
  - id: c1
    weight: 1
    bands:
      - {{id: c1.hi, when: "derived.flag", score: 5, rationale: "T1: x"}}
      - {{id: c1.lo, when: "true", score: 1, rationale: "T1: x"}}
decision: {{advance: 3.5, watch: 2.5}}
"""


def test_a_value_read_other_than_by_a_test_keeps_the_whole_domain() -> None:
    fact = "asset.unmet_need.severity"
    for expr in (
        f"coalesce({fact}, 'mild') == 'severe'",  # passed on through coalesce
        f"{fact} == asset.standard_of_care.adequacy",  # compared with another fact
    ):
        rs = compile_text(RULES.format(expr=expr))
        assert len(classes(rs, fact)) == 4, expr
    rs = compile_text(RULES.format(expr=f"known({fact}) and {fact} != 'severe'"))
    assert sorted(map(sorted, classes(rs, fact))) == [
        ["life_threatening", "mild", "moderate"],
        ["severe"],
    ]


def test_a_table_splits_by_its_cells() -> None:
    text = """\
ruleset: {name: classes, version: '0.1'}
tables:
  origin:
    hit_policy: first
    inputs: [asset.data_origin]
    rows:
      - {id: t.a, when: [china], output: 5, rationale: "T1: x"}
      - {id: t.b, when: ["-"], output: 1, rationale: "T1: x"}
criteria:
  - {id: c1, weight: 1, table: origin}
decision: {advance: 3.5, watch: 2.5}
"""
    rs = compile_text(text)
    assert sorted(map(sorted, classes(rs, "asset.data_origin"))) == [["china"], ["global", "mixed"]]
