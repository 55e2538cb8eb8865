"""`dealscreen sensitivity`: seeded weight perturbation, flips and rank ranges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import ROOT, make_case, run_cli, thesis_1_0, thesis_ruleset, write_yaml
from screen.model.numbers import display
from test_pipeline import variant_cases, write_cases

CASES = ROOT / "cases"


def case_scores(paths: list[Path], rs=None):
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline

    rs = rs or thesis_ruleset()
    return [pipeline.score_case(rs, load_case(p)) for p in paths]


@pytest.fixture(scope="module")
def mixed_cases(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("cases")
    paths = sorted(CASES.glob("*.yaml")) + write_cases(folder, variant_cases(80, seed=11))
    return paths, case_scores(paths)


@pytest.mark.parametrize("thresholds", [False, True])
def test_zero_spread_gives_zero_flips_and_the_engine_ranking(mixed_cases, thresholds) -> None:
    from screen.engine.loader import load_case
    from screen.pipeline import rank as pipeline
    from screen.pipeline import sensitivity

    paths, cases = mixed_cases
    rs = thesis_ruleset()
    report = sensitivity.analyse(rs, cases, spread=0.0, samples=20, seed=5, thresholds=thresholds)
    ranked = pipeline.rank(pipeline.row_for(rs, load_case(p)) for p in paths)
    assert [c.path for c in report.companies] == [r.path for r in ranked]
    for c, row in zip(report.companies, ranked, strict=True):
        assert (c.decision, c.score) == (row.decision, row.score)
        assert c.flips == 0 and c.rank_min == c.rank_max == c.rank
        assert c.decisions == {row.decision: 20}


def test_same_seed_same_report_and_other_seed_differs(mixed_cases) -> None:
    from screen.pipeline import sensitivity

    _, cases = mixed_cases
    rs = thesis_ruleset()

    def run(seed: int):
        r = sensitivity.analyse(rs, cases, spread=0.3, samples=200, seed=seed, thresholds=True)
        return [(c.flips, c.decisions, c.rank_min, c.rank_max) for c in r.companies]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_spread_moves_companies_near_a_threshold(mixed_cases) -> None:
    from screen.pipeline import sensitivity

    _, cases = mixed_cases
    report = sensitivity.analyse(thesis_ruleset(), cases, spread=0.3, samples=300, seed=0)
    assert any(c.flips for c in report.companies)
    assert any(c.rank_min < c.rank_max for c in report.companies)
    # a failed gate declines whatever the weights
    gated = [c for c, cs in zip(report.companies, cases, strict=False) if c.decision == "decline"]
    assert gated
    for c in report.companies:
        assert sum(c.decisions.values()) == 300
        assert c.score_min <= c.score <= c.score_max


def test_failed_gate_never_flips(mixed_cases) -> None:
    from screen.pipeline import sensitivity

    _, cases = mixed_cases
    report = sensitivity.analyse(thesis_ruleset(), cases, spread=0.5, samples=200, seed=3)
    by_path = {c.path: c for c in report.companies}
    for cs in cases:
        lead = cs.assets[cs.lead]
        if all(cs.assets[i].failed_gates for i in cs.core):
            assert by_path[cs.path].flips == 0 and lead.decision == "decline"


def test_cli_is_reproducible_and_reports_every_company() -> None:
    args = ("sensitivity", str(CASES), "--samples", "100", "--seed", "7", "--format", "json")
    a, b = run_cli(*args), run_cli(*args)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    doc = json.loads(a.stdout)
    assert doc["seed"] == 7 and doc["samples"] == 100
    assert len(doc["companies"]) == len(list(CASES.glob("*.yaml")))
    table = run_cli("sensitivity", str(CASES), "--samples", "50", "--spread", "0")
    assert "0.0%" in table.stdout and f"{len(doc['companies'])} of" in table.stdout


def test_cli_refuses_a_spread_that_could_make_weights_negative() -> None:
    proc = run_cli("sensitivity", str(CASES), "--spread", "1.5")
    assert proc.returncode == 2


def test_margins_name_the_threshold_and_gates_that_decline_at_any_weights(tmp_path) -> None:
    """A declined-by-gate company whose score is over watch has no margin ("declines at any
    weights"), a watch company just under advance is "below advance", an advance one "above"."""
    from screen.pipeline import sensitivity, sensitivity_report

    gated = make_case({"unmet_need": {"addressed": False}}, id="gated", company={"name": "Gated"})
    near = make_case(
        {"stage": "phase1_2", "regulatory": {"fda_ind": "none", "designations": []},
         "competition": {"first_in_class": False}},
        id="near", company={"name": "Near", "overseas_capability": "none"},
    )  # fmt: skip
    top = make_case(id="top", company={"name": "Top"})
    paths = [write_yaml(tmp_path / f"{c['id']}.yaml", c, v2=False) for c in (gated, near, top)]
    rs = thesis_1_0()  # margins as written on thesis 1.0.1 and v1 cases
    report = sensitivity.analyse(rs, case_scores(paths, rs), spread=0.2, samples=50, seed=1)
    by = {c.company: c for c in report.companies}
    assert by["Gated"].decision == "decline" and by["Gated"].score > rs.decision.watch
    assert by["Gated"].gated and by["Gated"].margin is None and by["Gated"].flips == 0
    assert by["Near"].decision == "watch" and by["Near"].threshold == "advance"
    assert by["Top"].decision == "advance" and by["Top"].margin > 0
    table = sensitivity_report.to_table(rs, report)
    line = {c: next(x for x in table.splitlines() if f" {c} " in x) for c in by}
    assert "declines at any weights" in line["Gated"] and "watch" not in line["Gated"]
    assert abs(by["Near"].margin + (rs.decision.advance - by["Near"].score)) < 1e-3
    assert f"{display(-by['Near'].margin)} below advance" in line["Near"]
    assert f"{display(by['Top'].margin)} above advance" in line["Top"]
    assert " over " not in table
    doc = json.loads(sensitivity_report.to_json(rs, report))
    row = next(r for r in doc["companies"] if r["company"] == "Gated")
    assert row["margin"] is None and row["gate_declines"] is True
    csv_text = sensitivity_report.to_csv(rs, report)
    gated_row = next(x for x in csv_text.splitlines() if x.split(",")[1] == "Gated")
    assert gated_row.split(",")[5:8] == ["", "", "true"]  # margin, margin_to, gate_declines
