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
