"""Case schema v2: regional stages, readouts against a comparator, claims, deals, month dates.

Each test states what a v2 field means for the engine (what a rule reads), and the located
error a mistake in it gets. v1 spellings keep loading (tests/test_thesis_1_0_compat.py holds
the scores of the v1 files under thesis 1.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import DELETE, make_case, run_cli, write_yaml
from screen.model.case import Asset, Case
from screen.model.vocab import Stage


def _asset(case: dict) -> object:
    return Case.model_validate(case).assets[0]


CHINA_APPROVED_US_PHASE1 = {
    "stage": DELETE,
    "development": {
        "china": {"stage": "approved", "approvals": [{"agency": "nmpa", "date": "2024-05"}]},
        "us": {"stage": "phase1"},
    },
}


def test_development_gives_stage_by_region_and_the_most_advanced_stage() -> None:
    asset = _asset(make_case(CHINA_APPROVED_US_PHASE1))
    assert asset.stage is Stage.approved  # derived: the most advanced anywhere
    assert asset.stage_china is Stage.approved
    assert asset.stage_us is Stage.phase1
    assert asset.stage_ex_china is Stage.phase1
    assert asset.stage_eu is Stage.none  # a development block is complete: not listed = none
    assert asset.development.china.approvals[0].date.isoformat() == "2024-05"


def test_without_development_regional_stages_are_unknown_unless_an_approval_proves_them() -> None:
    asset = _asset(make_case())
    assert asset.stage_us is None and asset.stage_ex_china is None and asset.stage_china is None
    approved = _asset(
        make_case({"regulatory": {"approvals": [{"agency": "fda"}, {"agency": "nmpa"}]}}, v2=False)
    )
    assert approved.stage_us is Stage.approved and approved.stage_china is Stage.approved
    assert approved.stage_ex_china is Stage.approved
    assert approved.stage_eu is None  # an FDA approval says nothing about the EU
    unstated = _asset(
        make_case({"stage": DELETE, "regulatory": {"approvals": [{"agency": "fda"}]}}, v2=False)
    )
    assert unstated.stage is Stage.approved  # the most advanced stage, as the views read it


def test_stage_that_disagrees_with_development_is_refused(tmp_path: Path) -> None:
    case = make_case({**CHINA_APPROVED_US_PHASE1, "stage": "phase2"})
    path = write_yaml(tmp_path / "case.yaml", case)
    out = run_cli("score", str(path))
    assert out.returncode == 2
    assert "stage phase2 disagrees with development" in out.stderr
    assert "case.yaml:" in out.stderr and "Traceback" not in out.stderr


def _readout(fields: dict) -> dict:
    return {"trials": [{"readouts": [{"endpoint": "E", **fields}]}]}


@pytest.mark.parametrize(
    "asset, words",
    [
        ({"stage": "none"}, "'none' (not in development) is a region's stage only"),
        ({"stage_us": "phase1"}, "'stage_us' is derived from development"),
        ({"licensed_territory": "us"}, "'licensed_territory' is derived from bd.deals"),
        ({"development": {"usa": {"stage": "phase1"}}}, "usa"),
        ({"bd": {"plan": {"countries": ["UK"]}}}, "did you mean 'GB'"),
        ({"bd": {"plan": {"assets": ["A9"]}}}, "no asset with id 'A9'"),
        ({"bd": {"deals": [{"partner": "P", "royalty_low": 0.2, "royalty_high": 0.1}]}}, "royalty"),
        ({"bd": {"deals": [{"partner": "P", "royalty_high": 12}]}}, "write 0.42 for 42%"),
        ({"competition": {"best_in_class": {"value": True, "source": "dekc"}}}, "dekc"),
        ({"trials": [{"readouts": [{"endpoint": "ORR", "date": "2024-13"}]}]}, "2024-13"),
        (_readout({"kind": "orr", "value": 0.45, "comparator": {"value": 30}}), "a percentage"),
        (_readout({"kind": "orr", "value": 145}), "is not a rate"),
        (_readout({"kind": "orr", "hazard_ratio": 0.7}), "compares time-to-event endpoints"),
        (_readout({"kind": "os", "hazard_ratio": 0}), "not a hazard ratio"),
    ],
)
def test_v2_mistakes_get_a_located_error(tmp_path: Path, asset: dict, words: str) -> None:
    path = write_yaml(tmp_path / "case.yaml", make_case(asset))
    out = run_cli("score", str(path))
    assert out.returncode == 2, out.stdout
    assert words in out.stderr, out.stderr
    first = out.stderr.splitlines()[0]
    assert first.startswith(f"{path}:") and first.split(":")[1].isdigit(), first


def test_readout_against_a_comparator_gives_signed_deltas() -> None:
    readouts = [
        {
            "endpoint": "ORR",
            "kind": "orr",
            "value": 0.47,
            "comparator": {"kind": "standard_of_care", "value": 0.28, "n": 120},
        },
        {  # lower is better for HbA1c change: -1.8 vs -1.0 is a gain of 0.8
            "endpoint": "HbA1c change",
            "kind": "hba1c_change",
            "value": -1.8,
            "comparator": {"value": -1.0},
        },
        {"endpoint": "PFS", "value": 7.1, "comparator": "historical ~5 months"},  # v1 text
    ]
    asset = _asset(make_case({"trials": [{"readouts": readouts}]}))
    orr, hba1c, pfs = asset.trials[0].readouts
    assert orr.delta == pytest.approx(0.19) and orr.delta_relative == pytest.approx(0.19 / 0.28)
    # a change from baseline has no relative gain (the comparator's change is no baseline):
    # its gain is read in its own units, HbA1c percentage points
    assert hba1c.delta == pytest.approx(0.8) and hba1c.delta_relative is None
    assert hba1c.delta_points == pytest.approx(0.8)
    assert pfs.delta is None and pfs.comparator.description == "historical ~5 months"
    # the base asset is an oncology one: its efficacy facts are the readout with the largest
    # relative gain; a metabolic one's are the change from baseline's (its registration endpoint)
    assert asset.efficacy_delta_relative == pytest.approx(0.19 / 0.28)
    assert asset.efficacy_endpoint.value == "orr" and asset.efficacy_delta_points is None
    metabolic = _asset(
        make_case({"therapeutic_area": "metabolic", "trials": [{"readouts": readouts}]})
    )
    assert metabolic.efficacy_endpoint.value == "hba1c_change"
    assert metabolic.efficacy_delta_points == pytest.approx(0.8)


def _change_readout(kind: str, arm: object, comp: object, **extra: object) -> object:
    readout = {"endpoint": kind, "kind": kind, "value": arm, "comparator": {"value": comp}}
    return (
        _asset(make_case({"trials": [{"readouts": [{**readout, **extra}]}]})).trials[0].readouts[0]
    )


@pytest.mark.parametrize(
    ("kind", "arm", "comp", "points"),
    [
        # a placebo change near or at zero: no ratio blows up, none goes missing
        ("hba1c_change", -0.3, -0.1, 0.2),
        ("weight_change", -14.9, 0, 14.9),
        # fractions count in percent of baseline; IFCC mmol/mol in HbA1c points
        ("weight_change", {"value": -0.089, "unit": "fraction"}, {"value": -0.011}, 7.8),
        ("hba1c_change", {"value": -15, "unit": "mmol/mol"}, -2, 13 * 0.09148),
        # a bare number takes the other figure's unit
        ("ldl_change", {"value": -55, "unit": "% change from baseline"}, -3, 52),
        # a written threshold is met at its own precision (0.7 - 0.4 is not 0.3 in binary)
        ("hba1c_change", -0.7, -0.4, 0.3),
    ],
)  # fmt: skip
def test_a_change_from_baseline_is_read_in_its_own_units(kind, arm, comp, points) -> None:
    r = _change_readout(kind, arm, comp)
    assert r.delta_relative is None
    assert r.delta_points == pytest.approx(points, abs=1e-9)
    if points == 0.3:
        assert r.delta_points >= 0.3


def test_a_change_from_baseline_off_the_percent_scale_leaves_the_gain_unknown() -> None:
    r = _change_readout("weight_change", {"value": -9, "unit": "kg"}, {"value": -2, "unit": "kg"})
    assert r.delta is None and r.delta_points is None  # delta is on the endpoint's scale


def test_a_percentile_is_not_a_percentage() -> None:
    r = _change_readout("weight_change", {"value": -9, "unit": "percentile"}, -2)
    assert r.delta_points is None


def test_delta_follows_the_endpoint_scale_so_the_memo_agrees_with_the_score() -> None:
    """-5% (as a fraction) against -2% is a gain of 3 points, not a loss of 1.95."""
    r = _change_readout(
        "weight_change", {"value": -0.05, "unit": "fraction"}, {"value": -2, "unit": "%"}
    )
    assert r.delta == pytest.approx(3) and r.delta_points == pytest.approx(3)


@pytest.mark.parametrize(
    "readouts",
    [
        # a responder rate beside the HbA1c change does not hide it (it is the secondary one)
        [("hba1c_change", -1.8, -0.3), ("response_rate", 0.55, 0.50)],
        [("response_rate", 0.55, 0.50), ("hba1c_change", -1.8, -0.3)],
        # a change in kg listed first does not hide a usable one
        [("weight_change", {"value": -9, "unit": "kg"}, {"value": -2, "unit": "kg"}),
         ("hba1c_change", -1.8, -0.3)],
    ],
)  # fmt: skip
def test_a_usable_change_from_baseline_stands_for_a_metabolic_asset(readouts) -> None:
    asset = _asset(make_case({"therapeutic_area": "metabolic", "trials": [_trial(readouts)]}))
    assert asset.efficacy_endpoint.value == "hba1c_change"
    assert asset.efficacy_delta_points == pytest.approx(1.5)


def _trial(readouts: list) -> dict:
    return {
        "readouts": [
            {"endpoint": k, "kind": k, "value": a, "comparator": {"value": c}}
            for k, a, c in readouts
        ]
    }


def test_a_weight_change_does_not_stand_for_an_oncology_asset_beside_its_response_rate() -> None:
    """In an oncology trial a weight change is a safety or supportive reading, not the
    registration endpoint: the response rate's relative gain stays the efficacy fact."""
    readouts = [("orr", 0.38, 0.25), ("weight_change", -3, -1)]
    asset = _asset(make_case({"therapeutic_area": "oncology", "trials": [_trial(readouts)]}))
    assert asset.efficacy_endpoint.value == "orr"
    assert asset.efficacy_delta_relative == pytest.approx(0.13 / 0.25)
    # with nothing else to read, the change is the efficacy fact wherever the asset is
    alone = _asset(make_case({"therapeutic_area": "oncology", "trials": [_trial(readouts[1:])]}))
    assert alone.efficacy_endpoint.value == "weight_change"


def test_weight_gain_is_the_benefit_when_the_readout_says_higher_is_better() -> None:
    """Cachexia: a direction stated on the readout wins over the kind's default."""
    r = _change_readout("weight_change", 4.0, 1.0, higher_is_better=True)
    assert r.delta_points == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("kind", "arm", "comp", "says"),
    [
        ("weight_change", -0.6, -0.2, "could be fractions or percentages"),
        ("hba1c_change", -12, -2, "HbA1c change of -12 percentage points, which is not"),
        # a unit does not make an impossible change possible
        ("hba1c_change", {"value": -12, "unit": "%"}, -2, "which is not possible"),
        ("weight_change", {"value": -0.089, "unit": "fraction"}, -1.1, "-110% of baseline"),
        ("weight_change", -12, -150, "-150% of baseline, which is not possible"),
    ],
)
def test_a_change_from_baseline_of_unclear_units_is_refused(kind, arm, comp, says) -> None:
    with pytest.raises(ValueError, match=says):
        _change_readout(kind, arm, comp)


def test_a_hazard_ratio_is_the_relative_gain_of_a_time_to_event_readout() -> None:
    """HR 0.65 (ALPINE-like): a 35% gain, whatever the medians; without medians too."""
    readouts = [
        {"endpoint": "PFS", "kind": "pfs", "value": 24.1, "hazard_ratio": 0.65,
         "comparator": {"kind": "active", "value": 21.0}},
        {"endpoint": "OS", "kind": "os", "hazard_ratio": {"value": 0.79, "source": "deck"}},
    ]  # fmt: skip
    asset = _asset(make_case({"trials": [{"readouts": readouts}]}))
    pfs, os_ = asset.trials[0].readouts
    assert pfs.delta == pytest.approx(3.1) and pfs.delta_relative == pytest.approx(0.35)
    assert os_.delta is None and os_.delta_relative == pytest.approx(0.21)
    assert asset.efficacy_delta_relative == pytest.approx(0.35)
    assert asset.efficacy_comparator.value == "active"


def test_the_primary_endpoint_stands_for_the_asset_not_a_better_subgroup() -> None:
    readouts = [
        {"endpoint": "OS", "kind": "os", "primary": True, "hazard_ratio": 0.97},
        {"endpoint": "ORR PD-L1 high", "kind": "orr", "primary": False, "value": 0.30,
         "comparator": {"kind": "historical_control", "value": 0.15}},
    ]  # fmt: skip
    asset = _asset(make_case({"trials": [{"readouts": readouts}]}))
    assert asset.efficacy_delta_relative == pytest.approx(0.03)
    assert asset.efficacy_endpoint.value == "os"
    uncompared = [{"endpoint": "OS", "kind": "os", "primary": True}, readouts[1]]
    asset = _asset(make_case({"trials": [{"readouts": uncompared}]}))
    assert asset.efficacy_delta_relative is None  # unknown: the subgroup does not stand in
    unmarked = [{k: v for k, v in r.items() if k != "primary"} for r in readouts]
    asset = _asset(make_case({"trials": [{"readouts": unmarked}]}))
    assert asset.efficacy_delta_relative == pytest.approx(1.0)  # none marked: the largest
    assert asset.efficacy_comparator.value == "historical_control"


def test_a_readout_without_a_direction_gives_no_delta() -> None:
    readout = {"endpoint": "biomarker X", "value": 3.0, "comparator": {"value": 2.0}}
    asset = _asset(make_case({"trials": [{"readouts": [readout]}]}))
    assert asset.trials[0].readouts[0].delta is None and asset.efficacy_delta is None


def test_claims_read_as_true_false_and_keep_their_evidence() -> None:
    claim = {"value": True, "source": "deck", "status": "company-reported", "note": "phase 1"}
    asset = _asset(make_case({"competition": {"best_in_class": claim, "first_in_class": False}}))
    assert asset.competition.best_in_class.value is True
    assert asset.competition.best_in_class.source == "deck"
    assert asset.competition.first_in_class.value is False


def test_month_dates_print_as_written_in_results(tmp_path: Path) -> None:
    case = make_case({"epidemiology": {"us": {"value": 200000, "as_of": "2023-10"}}})
    path = write_yaml(tmp_path / "case.yaml", case)
    out = run_cli("score", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert '"2023-10"' in out.stdout and '"2023-10-01"' not in out.stdout
    json.loads(out.stdout)


def test_a_month_as_of_loads_and_covers_its_whole_month(tmp_path: Path) -> None:
    """`as_of: 2024-05` ("data as of May 2024") loads, prints as written, and a date within
    that month is not after it; the 1st of the next month is (warned, not refused)."""
    within = make_case(
        {"regulatory": {"approvals": [{"agency": "nmpa", "date": "2024-05-31"}]}},
        as_of="2024-05",
    )
    out = run_cli("score", str(write_yaml(tmp_path / "a.yaml", within)), "--format", "json")
    assert out.returncode == 0 and "warning" not in out.stderr, out.stderr
    assert json.loads(out.stdout)[0]["case"]["as_of"] == "2024-05"
    after = make_case(
        {"regulatory": {"approvals": [{"agency": "nmpa", "date": "2024-06-01"}]}},
        as_of="2024-05",
    )
    out = run_cli("score", str(write_yaml(tmp_path / "b.yaml", after)))
    assert out.returncode == 0
    assert "date 2024-06-01 is after the case's as_of (2024-05)" in out.stderr


def test_month_as_of_stays_a_month_in_the_pipeline_workbook(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = write_yaml(tmp_path / "a.yaml", make_case(as_of="2024-05"))
    out = run_cli("rank", str(path), "-o", str(tmp_path / "p.xlsx"))
    assert out.returncode == 0, out.stderr
    sheet = openpyxl.load_workbook(tmp_path / "p.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("as_of") + 1).value == "2024-05"


def test_an_option_deal_over_two_assets_with_full_terms_loads() -> None:
    second = {**make_case()["assets"][0], "id": "A2", "name": "TST-202", "role": "non_core"}
    deal = {
        "partner": "Large Pharma Co",
        "licensee_kind": "large_pharma",
        "deal_model": "option",
        "status": "signed",
        "countries": ["US", "jp"],
        "date": "2023-10",
        "upfront_usd_m": 40,
        "near_term_usd_m": 60,
        "milestones_usd_m": 900,
        "total_value_usd_m": 1000,
        "royalty_low": 0.08,
        "royalty_high": 0.14,
        "assets": ["A2"],
    }
    case = make_case({"bd": {"deals": [deal]}})
    case["assets"].append(second)
    model = Case.model_validate(case)
    got = model.assets[0].bd.deals[0]
    assert got.countries == ["US", "JP"] and got.deal_model.value == "option"
    assert got.date.isoformat() == "2023-10"


def test_schema_command_shows_v2_fields() -> None:
    out = run_cli("schema", "case")
    assert out.returncode == 0
    text = out.stdout
    for field in ("development", "us_evidence_plan", "safety", "licensee_kind", "royalty_low"):
        assert f'"{field}"' in text, field
    schema = json.loads(text)
    assert "schema_version" in schema["properties"]


def test_results_show_where_a_v2_asset_stands_by_region(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "case.yaml", make_case(CHINA_APPROVED_US_PHASE1))
    out = run_cli("score", str(path), "--format", "json")
    asset = json.loads(out.stdout)[0]["assets"][0]
    assert asset["stage"] == "approved"
    assert asset["stages"] == {"china": "approved", "us": "phase1", "ex_china": "phase1"}
    text = run_cli("explain", str(path)).stdout
    assert "approved (China approved, US phase1; ex-China phase1)" in text


def test_every_modality_names_where_it_comes_from() -> None:
    from screen.model.vocab import MODALITY_SOURCES, Modality

    assert set(MODALITY_SOURCES) == {m.value for m in Modality}
    assert all(len(text) > 20 for text in MODALITY_SOURCES.values())


def test_a_revisit_date_after_as_of_is_not_warned_about(tmp_path: Path) -> None:
    case = make_case(revisit={"on": "2030-01-31", "when": "after the phase 3 readout"})
    out = run_cli("score", str(write_yaml(tmp_path / "case.yaml", case)))
    assert out.returncode == 0 and "warning" not in out.stderr, out.stderr


@pytest.mark.parametrize(
    ("indication", "warned"),
    [
        ("relapsed/refractory diffuse large B-cell lymphoma", True),
        ("multiple myeloma after three lines", True),
        ("newly diagnosed AML unfit for intensive chemotherapy", True),
        ("transfusion-dependent beta-thalassaemia, all patients on chelation", False),
        ("severe haemophilia A with inhibitors", False),
        ("Waldenstrom macroglobulinaemia", True),
        ("polycythaemia vera", True),
        ("iron-deficiency anaemia, ALL-comers", False),
        # a hostile-input review: false alarms and misses
        ("chronic hepatitis C, ALL GENOTYPES", False),
        ("chemotherapy-induced anaemia in patients with lymphoma", False),
        ("AML-M3 (acute promyelocytic leukaemia)", True),
        ("AML-M3", True),
        ("复发难治性多发性骨髓瘤", True),  # relapsed/refractory multiple myeloma
        ("Ph+ ALL", True),
        ("lymphoma in patients with HIV", True),
    ],
)
def test_a_blood_cancer_filed_under_hematology_is_warned(
    tmp_path: Path, indication: str, warned: bool
) -> None:
    """BIO/Informa's 'hematology' is non-malignant blood disease (LOA from phase 1 23.9%); a
    blood cancer there read a likelihood of approval three times its own (a real-deal review
    coded cilta-cel's myeloma so, as did the bundled Mingsha case)."""
    from screen.engine.loader import load_case

    case = make_case({"therapeutic_area": "hematology", "indication": indication})
    warnings = load_case(write_yaml(tmp_path / "c.yaml", case)).warnings
    said = [w for w in warnings if "count under oncology" in w]
    assert bool(said) is warned
    if warned:
        assert ": warning: '" in said[0] and "therapeutic_area: oncology" in said[0]


@pytest.mark.parametrize(
    ("development", "approvals", "views"),
    [
        # the US named without a stage: unknown there, so outside China and overall (at
        # least phase 3: the search reads that floor); China kept
        ({"china": {"stage": "phase3"}, "us": {"note": "no US trial seen"}}, [],
         {"china": Stage.phase3, "us": None, "ex_china": None, "stage": None}),
        # another region's approval is the highest stage: the maximum is known anyway
        ({"china": {"stage": "phase1"}, "us": {}, "eu": {"stage": "approved"}}, [],
         {"us": None, "ex_china": Stage.approved, "stage": Stage.approved}),
        # an FDA approval in regulatory.approvals settles a US named without a stage
        ({"china": {"stage": "approved"}, "us": {"note": "x"}}, [{"agency": "fda"}],
         {"us": Stage.approved, "ex_china": Stage.approved}),
        # ... as does an approval listed under the region itself, by its regulator
        ({"us": {"approvals": [{"agency": "fda"}]}}, [], {"us": Stage.approved}),
        ({"us": {"approvals": [{}]}}, [], {"us": Stage.approved}),  # agency: the region's
        ({"us": {"approvals": [{"agency": "nmpa"}]}}, [], {"us": None}),  # not the FDA's
        # the approval settles the unknown US, so the most advanced stage is known too
        ({"china": {"stage": "phase2"}, "us": {"note": "x"}}, [{"agency": "fda"}],
         {"us": Stage.approved, "ex_china": Stage.approved, "stage": Stage.approved}),
        # a stated stage is the block's statement: an approval does not override it
        ({"china": {"stage": "phase2"}, "us": {"stage": "phase1"}}, [{"agency": "fda"}],
         {"us": Stage.phase1, "ex_china": Stage.phase1, "stage": Stage.phase2}),
        # a region left out is still not in development there
        ({"china": {"stage": "phase2"}}, [],
         {"us": Stage.none, "ex_china": Stage.none, "stage": Stage.phase2}),
    ],
)  # fmt: skip
def test_a_region_named_without_a_stage_is_unknown_there(
    development: dict, approvals: list, views: dict
) -> None:
    """Real data are region-specific: 'missing required key stage' forced an associate to
    claim US `none` or drop the whole block (and China's stage with it)."""
    asset = _asset(make_case({"stage": DELETE, "development": development,
                              "regulatory": {"approvals": approvals}}))  # fmt: skip
    got = {"stage": asset.stage, **{k: getattr(asset, f"stage_{k}") for k in views if k != "stage"}}
    assert {k: got[k] for k in views} == views


def test_a_stated_stage_below_a_known_region_still_disagrees(tmp_path: Path) -> None:
    case = make_case({"stage": "phase1", "development": {"china": {"stage": "phase3"}, "us": {}}})
    out = run_cli("score", str(write_yaml(tmp_path / "c.yaml", case, v2=False)))
    assert out.returncode == 2 and "stage phase1 disagrees with development" in out.stderr
    ok = make_case({"stage": "phase3", "development": {"china": {"stage": "phase2"}, "us": {}}})
    assert _asset(ok).stage is Stage.phase3  # the unknown US may be the phase 3


def test_a_region_of_unknown_stage_is_asked_about_and_the_others_are_read() -> None:
    from helpers import evaluate

    dev = {"china": {"stage": "approved", "approvals": [{"agency": "nmpa"}]}, "us": {}}
    case = make_case({"stage": DELETE, "development": dev,
                      "regulatory": {"approvals": [{"agency": "nmpa"}]}})  # fmt: skip
    result = evaluate(case, v2=False)
    asked = {u["fact"] for u in result["unknowns"]}
    assert "asset.stage_us" in asked and "asset.stage_china" not in asked
    assert result["assets"][0]["stages"] == {
        "china": "approved",
        "us": "unknown",
        "ex_china": "unknown",
    }


def test_a_bare_region_is_unknown_there_as_an_empty_one_is(tmp_path: Path) -> None:
    """`us:` with nothing after it is null in YAML: the region is written, not yet filled.
    It read as 'not in development' (stage none), while `us: {}` read unknown; missing data
    is not false. An approval still settles it."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.engine.result import build_result

    case = make_case({"stage": DELETE, "development": {"china": {"stage": "phase2"}}})
    lines = write_yaml(tmp_path / "c.yaml", case).read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "china:")
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at, f"{indent}us:\n")  # a bare region, as an associate leaves it to fill
    (tmp_path / "bare.yaml").write_text("".join(lines))
    loaded = load_case(tmp_path / "bare.yaml")
    (asset,) = loaded.case.assets
    assert asset.development is not None and "us" in asset.development.model_fields_set
    assert asset.stage_us is None and asset.stage_ex_china is None
    rs = load_ruleset()
    result = build_result(rs, loaded, evaluate_case(rs, loaded.case))
    assert result["assets"][0]["stages"]["us"] == "unknown"
    assert "asset.stage_us" in {u["fact"] for u in result["unknowns"]}
    approved = {"approvals": [{"agency": "fda"}]}
    fda = {"id": "A", "name": "A", "development": {"us": None}, "regulatory": approved}
    assert Asset.model_validate(fda).stage_us is Stage.approved
