"""Fallback chains (`coalesce(stated, worked out)`): every figure of an unknown chain is asked,
and the reachable sets count each optional figure answered or left unstated.

The generated rule sets read two facts (`OPTIONAL`) only before a fallback, in a derived fact
and in a band; the brute force tries each of their values and leaving them out of the case.
Besides exact reachable sets (as in test_unknowns_properties), no question may be missing: each
removed figure of a chain that cannot be read is among the unknowns.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from helpers import DELETE, evaluate, make_case, thesis_ruleset
from screen.engine.fallbacks import optional_facts, preferred_over
from test_unknowns_properties import (
    GEN_FACTS,
    PROPS,
    cases,
    check_exact,
    compile_text,
    drop,
    removable,
)

OPTIONAL = ("asset.regulatory.fda_ind", "company.overseas_capability")
OTHERS = ("asset.data_origin", "asset.standard_of_care.adequacy", "asset.unmet_need.severity")


def conditions(facts: tuple[str, ...]) -> Any:
    """Conditions over `facts` (==, !=, in), joined by and / or / not."""

    @st.composite
    def atom(draw: Any) -> str:
        fact = draw(st.sampled_from(facts))
        values = GEN_FACTS[fact]
        op = draw(st.sampled_from(["==", "!=", "in"]))
        if op == "in":
            chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
            return f"{fact} in [{', '.join(repr(v) for v in chosen)}]"
        return f"{fact} {op} '{draw(st.sampled_from(values))}'"

    return st.recursive(
        atom(),
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        ),
        max_leaves=2,
    )


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


FACT = re.compile(r"\b(?:asset|company)\.[a-z_.]*[a-z_]")


@st.composite
def chain_rulesets(draw: Any) -> tuple[str, list[tuple[set[str], set[str]]]]:
    """(rule-set YAML, its chains as (facts of the first argument, of the fallback)): a derived
    flag and a derived level, each a chain from the optional facts to the others, read by
    banded criteria; a third criterion has a chain in its band condition."""
    first, then = conditions(OPTIONAL), conditions(OTHERS)
    chains = [(draw(first), draw(then)) for _ in range(3)]
    flag = "coalesce({}, {})".format(*chains[0])
    level = "coalesce(4 if {} else 1, 3 if {} else 0)".format(*chains[1])
    band = "coalesce({}, {})".format(*chains[2])
    score = st.sampled_from([0, 1, 2, 3, 4, 5])
    lines = [
        "ruleset: {name: chains, version: '0.1'}",
        "derived:",
        f"  flag: {{expr: {_q(flag)}}}",
        f"  level: {{expr: {_q(level)}}}",
        "criteria:",
        "  - id: c0",
        "    weight: 0.4",
        "    bands:",
        f'      - {{id: c0.flag, when: derived.flag, score: {draw(score)}, rationale: "T1: gen"}}',
        f"      - {{id: c0.other, when: {_q(draw(then))}, score: {draw(score)}, "
        'rationale: "T1: gen"}',
        "  - id: c1",
        "    weight: 0.35",
        "    bands:",
        '      - {id: c1.hi, when: "derived.level >= 3", score: 5, rationale: "T2: gen"}',
        '      - {id: c1.mid, when: "derived.level >= 1", score: 2, rationale: "T2: gen"}',
        "  - id: c2",
        "    weight: 0.25",
        "    bands:",
        f'      - {{id: c2.b, when: {_q(band)}, score: {draw(score)}, rationale: "T3: gen"}}',
        "decision: {advance: 3.5, watch: 2.5}",
    ]
    facts = [(set(FACT.findall(a)), set(FACT.findall(b))) for a, b in chains]
    return "\n".join(lines) + "\n", facts


@PROPS
@given(data=st.data(), generated=chain_rulesets(), case=cases())
def test_fallback_chains_exact_and_asked(
    data: Any, generated: tuple[str, list[tuple[set[str], set[str]]]], case: dict[str, Any]
) -> None:
    """A chain whose every argument reads only removed facts is unknown, so each of its removed
    figures is asked. The optional ones asked are open (answered or left unstated, both
    counted); the others stay unstated (their chain reads its fallback). Reachable decisions,
    scores and gates then equal brute force over exactly those readings."""
    text, chains = generated
    note(text)
    rs = compile_text(text)
    optional = optional_facts(rs)
    assert optional <= set(OPTIONAL)  # read nowhere else, so nothing else is optional
    pool = [(f, i) for f, i in removable(case, sorted({*OPTIONAL, *OTHERS})) if f in rs.fields]
    removed = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    partial = copy.deepcopy(case)
    for fact, i in removed:
        drop(partial, fact, i)
    asked = {u["fact"] for u in evaluate(partial, rs)["unknowns"]}
    gone = {f for f, _ in removed}
    for first, then in chains:
        if first <= gone and then <= gone:  # nothing of the chain known: all of it asked
            assert (first | then) <= asked, (first, then, asked)
    held = [(f, i) for f, i in removed if f in optional and f not in asked]
    for fact, i in held:
        drop(case, fact, i)  # left unstated: the case as diligence will leave it
    rest = [r for r in removed if r not in held]
    if rest:
        check_exact(case, rs, rest, optional & asked)


def test_an_unknown_runway_asks_for_the_stated_runway_first() -> None:
    """Runway, cash and burn all absent: all three are asked, the stated runway first (it is
    what the rule reads when the case has it), and burn's swing is measured with the stated
    runway left out (held at its prior, the runway would leave burn nothing to move)."""
    case = make_case(
        company={"cash_runway_months": DELETE, "cash_usd_m": DELETE, "annual_burn_usd_m": DELETE}
    )
    facts = [u["fact"] for u in evaluate(case)["unknowns"] if u["fact"].startswith("company.")]
    assert facts[0] == "company.cash_runway_months"
    assert set(facts) == {
        "company.cash_runway_months",
        "company.cash_usd_m",
        "company.annual_burn_usd_m",
    }
    burn = next(u for u in evaluate(case)["unknowns"] if u["fact"] == "company.annual_burn_usd_m")
    assert burn["swing"] > 0


def test_a_stated_runway_asks_nothing_about_cash_or_burn() -> None:
    """The chain is known as soon as its first figure is: cash and burn are not questions."""
    case = make_case(company={"cash_usd_m": DELETE, "annual_burn_usd_m": DELETE})
    assert case["company"]["cash_runway_months"]
    facts = {u["fact"] for u in evaluate(case)["unknowns"]}
    assert not facts & {"company.cash_usd_m", "company.annual_burn_usd_m"}


def test_cash_and_burn_come_after_the_stated_runway() -> None:
    """`preferred_over` on the bundled thesis: what a rule reads before cash and burn."""
    first = preferred_over(thesis_ruleset())
    assert first["company.cash_usd_m"] == {"company.cash_runway_months"}
    assert first["company.annual_burn_usd_m"] == {"company.cash_runway_months"}


REOPENED = """\
ruleset: {name: reopened, version: '0.1'}
derived:
  a: {expr: "coalesce(asset.regulatory.fda_ind == 'cleared', asset.data_origin == 'global')"}
  b:
    expr: "coalesce(asset.regulatory.fda_ind == 'cleared',
      asset.unmet_need.severity == 'severe')"
criteria:
  - id: ca
    weight: 0.5
    bands:
      - {id: ca.yes, when: derived.a, score: 5, rationale: "T1: gen"}
      - {id: ca.no, when: "true", score: 1, rationale: "T1: gen"}
  - id: cb
    weight: 0.5
    bands:
      - {id: cb.yes, when: derived.b, score: 5, rationale: "T1: gen"}
      - {id: cb.no, when: "true", score: 1, rationale: "T1: gen"}
decision: {advance: 3.5, watch: 2.5}
"""


def test_a_criterion_read_through_a_fallback_reopens_when_its_figure_is_asked():
    """The IND status is asked (chain a has nothing known); chain b reads the severity for
    now, but once the IND status is answered b reads it instead: cb is unknown, and says so."""
    rs = compile_text(REOPENED)
    case = make_case(
        {
            "regulatory": {"fda_ind": DELETE},
            "data_origin": DELETE,
            "unmet_need": {"severity": "mild"},
        }
    )
    result = evaluate(case, rs)
    criteria = {c["id"]: c for c in result["assets"][0]["criteria"]}
    assert criteria["cb"]["score"] is None, criteria["cb"]
    assert criteria["cb"]["because"] == (
        "unknown: reads asset.regulatory.fda_ind first once answered"
    )
    assert sorted(criteria["cb"]["possible"]) == [1, 5]
    asked = {u["fact"] for u in result["unknowns"]}
    assert {"asset.regulatory.fda_ind", "asset.data_origin"} <= asked
