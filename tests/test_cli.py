"""The command line: help, schemas, explain, the ranked table, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import DELETE, ROOT, make_case, run_cli, write_yaml


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three cases with three different decisions, written in a non-ranked file order."""
    d = tmp_path / "cases"
    write_yaml(
        d / "1-decline.yaml",
        make_case(asset={"unmet_need": {"addressed": False}}, company={"name": "Declined Bio"}),
    )
    write_yaml(d / "2-advance.yaml", make_case(company={"name": "Advanced Bio"}))
    write_yaml(
        d / "3-watch.yaml",
        make_case(
            asset={
                "competition": {"first_in_class": False, "best_in_class": False},
                "regulatory": {"fda_ind": "none", "designations": []},
                "stage": DELETE,
                "development": {"china": {"stage": "phase1"}},  # no US trial (no IND)
            },
            company={"name": "Watched Bio"},
        ),
    )
    return d


# --------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), ["score", "explain", "schema", "Exit codes"]),
        (("score",), ["CASES", "--format", "--rules", "json"]),
        (("explain",), ["CASE", "--rules"]),
        (("schema",), ["case", "rules"]),
    ],
)
def test_help_of_each_command(args, words):
    proc = run_cli(*args, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage:")
    for word in words:
        assert word in proc.stdout


def test_short_help_flag_and_version():
    assert run_cli("-h").returncode == 0
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert "dealscreen" in proc.stdout and any(ch.isdigit() for ch in proc.stdout)


def test_console_script_is_installed_and_works():
    script = Path(__import__("sys").executable).parent / "dealscreen"
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    import subprocess

    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0 and "score" in proc.stdout


def test_usage_errors_exit_2_without_traceback():
    proc = run_cli("score")
    assert proc.returncode == 2
    assert "Missing argument" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("score", "x.yaml", "--format", "xml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_cli("nonsense")
    assert proc.returncode == 2


# --------------------------------------------------------------------------- schema


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        for value in node.values():
            found.extend(_refs(value))
        return found
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _schema(kind: str) -> dict[str, Any]:
    proc = run_cli("schema", kind)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _check_is_json_schema(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object"
    assert isinstance(schema["properties"], dict)
    assert schema.get("additionalProperties") is False  # unknown keys are errors
    for ref in _refs(schema):
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in schema["$defs"], f"dangling {ref}"


def test_schema_case_is_a_json_schema_with_the_case_fields():
    schema = _schema("case")
    _check_is_json_schema(schema)
    assert {"company", "assets", "sources"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"company", "assets"}
    defs = schema["$defs"]
    asset = defs["Asset"]["properties"]
    for field in (
        "role",
        "stage",
        "trials",
        "epidemiology",
        "competition",
        "regulatory",
        "data_origin",
        "bd",
        "unmet_need",
        "standard_of_care",
        "therapeutic_area",
    ):
        assert field in asset, field
    assert defs["Asset"]["additionalProperties"] is False
    stage_json = json.dumps(asset["stage"])
    for stage in ("preclinical", "phase1", "phase2", "phase3", "approved"):
        assert f'"{stage}"' in stage_json
    company = defs["Company"]["properties"]
    assert {"name", "overseas_capability", "financing_stage", "cash_runway_months"} <= set(company)
    assert "PHASE1" in json.dumps(defs["Trial"]) or "PHASE1" in json.dumps(defs)


def test_schema_output_is_deterministic():
    assert run_cli("schema", "case").stdout == run_cli("schema", "case").stdout


def test_schema_rules_is_a_json_schema_with_the_rule_set_sections():
    schema = _schema("rules")
    _check_is_json_schema(schema)
    assert {
        "ruleset",
        "parameters",
        "derived",
        "tables",
        "gates",
        "criteria",
        "decision",
        "questions",
    } <= set(schema["properties"])
    defs = schema["$defs"]
    assert {"id", "weight", "bands", "table", "unknown_policy"} <= set(
        defs["Criterion"]["properties"]
    )
    assert {"id", "require", "rationale"} <= set(defs["Gate"]["properties"])
    assert "rationale" in defs["Gate"]["required"]
    assert {"hit_policy", "inputs", "rows"} <= set(defs["Table"]["properties"])
    assert {"first", "unique"} <= set(defs["HitPolicy"]["enum"])


def test_schema_allows_bare_numbers_for_figures():
    schema = _schema("case")

    def types(node: Any) -> set[str]:
        if "$ref" in node:
            return types(schema["$defs"][node["$ref"].removeprefix("#/$defs/")])
        out = set()
        if "type" in node:
            out |= {node["type"]} if isinstance(node["type"], str) else set(node["type"])
        for key in ("anyOf", "oneOf"):
            for sub in node.get(key, []):
                out |= types(sub)
        return out

    runway = schema["$defs"]["Company"]["properties"]["cash_runway_months"]
    assert "number" in types(runway) or "integer" in types(runway)


def test_schema_result_is_not_an_internal_error():
    proc = run_cli("schema", "result")
    assert proc.returncode in (0, 2)
    assert "internal error" not in proc.stderr


# --------------------------------------------------------------------------- score


def test_score_folder_prints_a_ranked_table(folder):
    proc = run_cli("score", str(folder))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0]
    for column in ("company", "decision", "score"):
        assert column in header
    rows = [line for line in lines[2:] if line.strip()]
    assert len(rows) == 3
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    order = [next(n for n in ("Advanced", "Watched", "Declined") if n in row) for row in rows]
    assert order == ["Advanced", "Watched", "Declined"]
    assert "ADVANCE" in rows[0] and "WATCH" in rows[1] and "DECLINE" in rows[2]


def test_score_json_is_an_array_with_one_object_per_case(folder):
    proc = run_cli("score", str(folder), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert isinstance(results, list) and len(results) == 3
    assert {r["case"]["company"]: r["decision"] for r in results} == {
        "Declined Bio": "decline",
        "Advanced Bio": "advance",
        "Watched Bio": "watch",
    }


def test_score_with_a_custom_rule_set(folder, mini_rules):
    proc = run_cli(
        "score", str(folder / "2-advance.yaml"), "--rules", str(mini_rules), "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    assert result["ruleset"]["name"] == "mini"
    assert [c["id"] for c in result["criteria"]] == ["size", "bd_ready"]


def test_score_with_a_rule_set_folder(folder, mini_rules, tmp_path):
    rules_dir = tmp_path / "ruleset"
    rules_dir.mkdir()
    (rules_dir / "thesis.yaml").write_text(mini_rules.read_text(), encoding="utf-8")
    proc = run_cli(
        "score", str(folder / "2-advance.yaml"), "--rules", str(rules_dir), "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["ruleset"]["name"] == "mini"


def test_score_works_from_any_directory_with_the_bundled_thesis(folder, tmp_path):
    proc = run_cli("score", str(folder / "2-advance.yaml"), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["ruleset"]["name"] == "biotech-product-thesis"


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_cli("score", str(tmp_path / "empty"))
    assert proc.returncode == 2
    assert str(tmp_path / "empty") in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- explain


def test_explain_prints_decision_criteria_and_questions(tmp_path):
    # no US programme yet, and the FDA IND status unknown: the US path asks about it
    china_only = {
        "regulatory": DELETE,
        "stage": DELETE,
        "development": {"china": {"stage": "phase2"}},
    }
    path = write_yaml(tmp_path / "gaps.yaml", make_case(asset=china_only))
    proc = run_cli("explain", str(path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Testco Bio" in out
    decision = json.loads(run_cli("score", str(path), "--format", "json").stdout)[0]["decision"]
    label = {
        "advance": "ADVANCE",
        "watch": "WATCH",
        "decline": "DECLINE",
        "insufficient_information": "INSUFFICIENT INFO",
    }[decision]
    assert f"decision: {label}" in out
    assert "criteria" in out
    for cid in ("need_magnitude", "global_competitiveness", "us_path", "bd_readiness"):
        assert cid in out
    assert "gates" in out and "unmet_need" in out
    assert "diligence questions" in out
    assert "FDA IND" in out  # the author's question for asset.regulatory.fda_ind
    assert "T1" in out  # rationales are shown


def test_explain_shows_the_facts_behind_a_fired_rule(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", make_case())
    out = run_cli("explain", str(path)).stdout
    assert "asset.unmet_need.addressed = true" in out
    assert "asset.competition.first_in_class = true" in out
    assert "diligence questions" not in out  # nothing unknown, nothing to ask


def test_explain_bad_case_exits_2_with_location(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("company:\n  name: x\n  name: y\nassets: []\n", encoding="utf-8")
    proc = run_cli("explain", str(path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:3:3:")
    assert "Traceback" not in proc.stderr


def test_examples_in_repository_score_if_present():
    cases = sorted((ROOT / "cases").glob("*.yaml"))
    if not cases:
        pytest.skip("no example cases")
    proc = run_cli("score", str(ROOT / "cases"))
    assert proc.returncode == 0, proc.stderr
    assert len([line for line in proc.stdout.splitlines()[2:] if line.strip()]) == len(cases)


def test_small_usability_fixes_from_a_new_users_pass(tmp_path):
    """lint of a missing path is a usage error (2); score -o FILE.json writes JSON as rank
    does; memo -o FILE says once what it wrote; a number where text is wanted says to quote
    it, and values are spelled as YAML spells them (true, not True)."""
    assert run_cli("lint", str(tmp_path / "nope")).returncode == 2
    kestrel = str(ROOT / "cases" / "kestrel-bio.yaml")
    out = tmp_path / "k.json"
    assert run_cli("score", kestrel, "-o", str(out)).returncode == 0
    assert json.loads(out.read_text())[0]["case"]["id"] == "kestrel-bio"
    memo = run_cli("memo", kestrel, "-o", str(tmp_path / "k.md"))
    assert memo.returncode == 0 and memo.stderr.count("wrote") == 1, memo.stderr
    case = tmp_path / "c.yaml"
    case.write_text("company: {name: X}\nanalyst: 1.1\nassets: [{id: A, name: A, role: true}]\n")
    bad = run_cli("score", str(case))
    assert bad.returncode == 2
    assert 'write it in quotes to keep it as text: "1.1"' in bad.stderr
    assert "role: true is not one of: core, non_core" in bad.stderr and "True" not in bad.stderr


def test_explain_does_not_call_an_asset_marked_non_core_a_core_asset(tmp_path):
    base = make_case()
    other = {**base["assets"][0], "id": "B2", "name": "B-2", "role": "non_core"}
    first = {**base["assets"][0], "role": "non_core"}
    case = write_yaml(tmp_path / "c.yaml", {**base, "assets": [first, other]})
    out = run_cli("explain", str(case))
    assert out.returncode == 0, out.stderr
    assert "\ncore asset " not in out.stdout
    assert "non-core asset (judged as core: no asset is marked core)" in out.stdout
    lines = out.stdout.splitlines()
    follows = next(x for x in lines if x.startswith("company decision follows"))
    assert "non-core asset (judged as core" in follows  # the heading and this line agree
    two = {**base, "assets": [{**first, "role": None}, {**other, "role": None}]}
    out = run_cli("explain", str(write_yaml(tmp_path / "d.yaml", {**two, "id": "d"})))
    assert "company decision follows the strongest candidate for core asset," in out.stdout
    assert "candidate core asset " in out.stdout


def test_the_watch_list_rounds_scores_as_every_other_view(tmp_path):
    """4.175 (a float just below it) is 4.18 in the table, the memo and the watch list alike."""
    import datetime as dt

    from screen.pipeline.due import DueCase, to_text

    case = DueCase("c.yaml", "c", "Co", "2026-01-01", None, -3, "advance", 4.175, ())
    assert "last screen: advance 4.18;" in to_text([case], dt.date(2026, 1, 4), 0)


def test_explain_asks_a_company_fact_once_and_marks_bd_options(tmp_path):
    """Two core assets and a BD option, the runway unknown: each company question is listed
    once, as the company's; the BD option's own questions say whose they are."""
    base = make_case(company={"cash_runway_months": None, "cash_usd_m": DELETE})
    company = base["company"]
    core = {**base["assets"][0], "role": "core"}
    second = {**core, "id": "B2", "name": "B-2"}
    option = {**core, "id": "C3", "name": "C-3", "role": "non_core"}
    option.pop("data_origin", None)
    case = {**base, "company": company, "assets": [core, second, option]}
    out = run_cli("explain", str(write_yaml(tmp_path / "c.yaml", case)))
    assert out.returncode == 0, out.stderr
    asked = out.stdout.split("diligence questions", 1)[1].splitlines()
    cash = [x for x in asked if "How much cash does the company hold" in x]
    assert len(cash) == 1 and "[company] " in cash[0], asked
    origin = [x for x in asked if "clinical trials behind" in x]
    assert origin and all("[C3, BD option] " in x for x in origin), asked
    assert not any("[C3, BD option]" in x and "settles it]" in x for x in asked)


def test_explain_asks_for_a_missing_readout_once(tmp_path):
    """The best readout's figures (relative gain, change in points, endpoint) are filled in by
    one answer: one question, in the rule set's words, not three (two in a generic wording
    naming derived fields a case cannot set)."""
    case = make_case({"trials": DELETE})
    out = run_cli("explain", str(write_yaml(tmp_path / "c.yaml", case)))
    assert out.returncode == 0, out.stderr
    asked = out.stdout.split("diligence questions", 1)[1]
    assert asked.count("compare with the standard of care") == 1, asked
    assert "case fields trials[].readouts[]" not in asked


def test_memo_to_a_new_path_without_suffix_makes_the_folder_help_promises(tmp_path):
    """`-o out/memos` with one case wrote a file named 'memos' (a real-deal review); --help
    says a DIR is created if missing. A path with a suffix is still one file."""
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    out = run_cli("memo", case, "-o", str(tmp_path / "memos"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "memos" / "kestrel-bio.md").is_file()
    out = run_cli("memo", case, "-o", str(tmp_path / "k.md"))
    assert out.returncode == 0 and (tmp_path / "k.md").is_file()


def test_score_record_to_a_file_that_is_no_store_fails_before_the_batch(tmp_path):
    """It printed the whole table, then said 'not a SQLite file' (a fresh-clone review)."""
    junk = tmp_path / "notes.db"
    junk.write_text("not a database\n")
    out = run_cli("score", str(ROOT / "cases"), "--record", "--store", str(junk))
    assert out.returncode == 2 and "not a SQLite file" in out.stderr
    assert out.stdout == "" and junk.read_text() == "not a database\n"
