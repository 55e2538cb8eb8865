"""The rule set's `priors:`: checked at load (file:line:col), and used only for the provisional
call of an undecided case, never for its decision (issue 10, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import DELETE, MINI_RULES, evaluate, make_case, write_yaml
from screen.engine.loader import load_ruleset
from screen.model.errors import ScreenError


def rules_with(tmp_path: Path, priors: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(MINI_RULES + "priors:\n" + priors, encoding="utf-8")
    return path


BAD = {
    "not a field": (
        "  asset.unmet_need.adressed:\n    distribution: {'true': 1}\n    source: s\n",
        "unknown field 'adressed'",
    ),
    "not a value": (
        "  asset.stage:\n    distribution: {phase9: 1}\n    source: s\n",
        "'phase9' is not a value of asset.stage",
    ),
    "sum": (
        "  asset.unmet_need.addressed:\n    distribution: {'true': 0.5, 'false': 0.4}\n"
        "    source: s\n",
        "sum to 0.9, not 1",
    ),
    "probability": (
        "  asset.unmet_need.addressed:\n    distribution: {'true': 1.5, 'false': -0.5}\n"
        "    source: s\n",
        "is not between 0 and 1",
    ),
    "number as distribution": (
        "  asset.epidemiology.us:\n    distribution: {'1': 1}\n    source: s\n",
        "give `typical` or `range`",
    ),
    "number out of bounds": (
        "  asset.epidemiology.us:\n    typical: -5\n    source: s\n",
        "is not a possible value of asset.epidemiology.us",
    ),
    "enum as number": (
        "  asset.stage:\n    typical: 3\n    source: s\n",
        "takes a distribution over its values",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_wrong_prior_is_a_located_load_error(tmp_path: Path, kind: str) -> None:
    priors, message = BAD[kind]
    path = rules_with(tmp_path, priors)
    with pytest.raises(ScreenError) as err:
        load_ruleset(path)
    text = str(err.value)
    assert message in text
    first_prior_line = MINI_RULES.count("\n") + 2
    assert f"{path}:{first_prior_line}:" in text or f"{path}:{first_prior_line + 1}:" in text


def test_priors_give_the_provisional_call_and_never_the_decision(tmp_path: Path) -> None:
    case = make_case({"unmet_need": {"addressed": DELETE}})
    calls = {}
    for likely in ("true", "false"):
        other = "false" if likely == "true" else "true"
        path = rules_with(
            tmp_path,
            "  asset.unmet_need.addressed:\n"
            f"    distribution: {{'{likely}': 0.8, '{other}': 0.2}}\n"
            "    source: firm convention for the test\n",
        )
        result = evaluate(case, load_ruleset(path))
        assert result["decision"] == "insufficient_information"  # priors never decide
        calls[likely] = result["provisional"]
    assert calls["true"]["decision"] != "decline"  # the gate assumed to pass
    assert calls["false"]["decision"] == "decline"  # the likely answer fails the gate
    assert any("firm convention for the test" in b for b in calls["true"]["basis"])


def test_a_fact_without_a_prior_is_named_in_the_basis(tmp_path: Path) -> None:
    write_yaml(tmp_path / "unused.yaml", {})
    result = evaluate(make_case({"unmet_need": {"addressed": DELETE}}), load_ruleset(
        rules_with(tmp_path, "  asset.stage:\n    distribution: {phase2: 1}\n    source: s\n")
    ))  # fmt: skip
    basis = result["provisional"]["basis"]
    assert any(b.startswith("asset.unmet_need.addressed: no prior") for b in basis)
    assert any("gate need assumed to pass" in b for b in basis)


def test_a_stage_prior_is_named_in_the_basis_not_ranked() -> None:
    """The basis said `asset.stage_us = -1` for a region not in development (and `= 4` for
    phase 2): the ranks behind Stage, not the words a case file uses."""
    from screen.engine.priors import CompiledPrior
    from screen.model.vocab import Stage

    none = CompiledPrior("asset.stage_us", Stage.none, ((Stage.none, 0.5),), "firm convention")
    assert none.describe() == "asset.stage_us = none (p 0.5; firm convention)"
    two = CompiledPrior("asset.stage_us", Stage.phase2, (), "s")
    assert two.describe().startswith("asset.stage_us = phase2 ")
