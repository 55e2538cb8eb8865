"""`dealscreen graph`: the dependency picture of a small rule set, and --impact."""

from __future__ import annotations

from pathlib import Path

import pytest

from screen.authoring import graph as g
from screen.engine.loader import load_ruleset
from screen.model.errors import ScreenError

RULES = Path(__file__).parent / "fixtures" / "authoring" / "lint" / "clean.yaml"


@pytest.fixture(scope="module")
def picture():
    return g.build_graph(load_ruleset(RULES))


def test_small_rule_set_has_exactly_the_expected_edges(picture):
    assert g.edges(picture) == [
        ("asset.epidemiology.us", "derived.us_patients"),
        ("asset.role", "table.bd"),
        ("asset.stage", "table.bd"),
        ("asset.unmet_need.addressed", "gates.need"),
        ("params.big", "criteria.size"),
        ("derived.us_patients", "criteria.size"),
        ("table.bd", "criteria.bd_ready"),
        ("gates.need", "decision"),
        ("criteria.bd_ready", "decision"),
        ("criteria.size", "decision"),
    ]


def test_impact_lists_everything_downstream_of_a_field(picture):
    found = g.impact(picture, "asset.epidemiology")
    assert found == {
        "reads": ["asset.epidemiology.us"],
        "derived": ["derived.us_patients"],
        "criterion": ["criteria.size"],
        "decision": ["decision"],
    }


def test_impact_of_a_misspelt_field_suggests_the_fix(picture):
    with pytest.raises(ScreenError, match="did you mean 'epidemiology'"):
        g.impact(picture, "asset.epidemology.us")
    assert g.impact(picture, "asset.target")["reads"] == []


def test_dot_and_mermaid_render_every_edge(picture):
    dot, mermaid = g.to_dot(picture), g.to_mermaid(picture)
    assert '"table.bd" -> "criteria.bd_ready";' in dot
    assert "table_bd --> criteria_bd_ready" in mermaid
    assert dot.count("->") == mermaid.count("-->") == len(picture.edges)


def test_parameters_can_be_left_out():
    picture = g.build_graph(load_ruleset(RULES), params=False)
    assert "params.big" not in picture


V2_RULES = """
ruleset: {name: v2-graph, version: "1"}
tables:
  us_risk:
    hit_policy: first
    inputs: [asset.stage_us]
    rows:
      - {id: us.none, when: [none], output: 1, rationale: "T8: no US programme yet"}
      - {id: us.early, when: ["<= phase1_2"], output: 2, rationale: "T8: early in the US"}
      - {id: us.late, when: [">= phase2"], output: 4, rationale: "T8: later in the US"}
criteria:
  - id: us
    weight: 0.5
    table: us_risk
  - id: effect
    weight: 0.5
    bands:
      - {id: effect.gain, when: asset.efficacy_delta_relative >= 0.2, score: 5, rationale: "T3"}
      - {id: effect.none, when: "true", score: 1, rationale: "T3: no gain shown"}
decision: {advance: 3.5, watch: 2.5, weights_sum: 1}
"""


def test_impact_follows_facts_derived_when_the_case_loads(tmp_path: Path) -> None:
    """Readouts feed `asset.efficacy_*`, and `development` the regional stages: changing either
    changes the decision, and --impact says so (it would say "changes nothing" otherwise)."""
    path = tmp_path / "v2.yaml"
    path.write_text(V2_RULES)
    rs = load_ruleset(path)
    picture = g.build_graph(rs)
    readouts = g.impact(picture, "asset.trials.readouts")
    assert readouts["reads"] == ["asset.efficacy_delta_relative"]
    assert readouts["criterion"] == ["criteria.effect"]
    stages = g.impact(picture, "asset.development.us")
    assert stages["reads"] == ["asset.stage_us"] and "table.us_risk" in stages["table"]
    text = g.impact_text(picture, rs, "asset.trials.readouts")
    assert "asset.efficacy_delta_relative (derived from it)" in text
    # a table over a region's stage must cover `none`: the domain includes it
    assert g.impact(picture, "asset.regulatory.approvals")["reads"] == ["asset.stage_us"]
