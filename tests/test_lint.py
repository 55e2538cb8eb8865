"""`dealscreen lint`: one small broken rule set per class of mistake, asserting line and message."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import helpers
from screen.authoring.lint import lint_paths

FIXTURES = Path(__file__).parent / "fixtures" / "authoring" / "lint"
ROOT = Path(__file__).resolve().parents[1]


def findings(name: str, severity: str | None = None) -> list[tuple[int, str, str]]:
    report = lint_paths([FIXTURES / name])
    return [
        (d.line, d.code, d.message)
        for d in report.diagnostics
        if severity is None or d.severity == severity
    ]


def test_the_clean_fixture_has_no_findings():
    assert lint_paths([FIXTURES / "clean.yaml"]).diagnostics == []


@pytest.mark.parametrize(
    ("fixture", "line", "code", "message"),
    [
        ("misspelt_key.yaml", 34, "load", "unknown key 'wieght' in criteria[1]"),
        ("unknown_field.yaml", 14, "load", "unknown field 'epidemology' in asset"),
        ("unused_parameter.yaml", 10, "unused-parameter", "parameter 'small' is never used"),
        ("unused_derived.yaml", 15, "unused-derived", "derived fact 'eu_patients' is read by"),
        ("unasked_question.yaml", 12, "unasked-question", "'asset.regulatory.fda_ind' is never"),
        ("unasked_question.yaml", 12, "question-placeholder", "'{company}' in a question"),
        ("shadowed_band_true.yaml", 32, "shadowed-band", "band 'size.big' can never match: band"),
        ("shadowed_band_threshold.yaml", 32, "shadowed-band", "band 'size.bigger' can never"),
        ("shadowed_row.yaml", 23, "shadowed-row", "row 'bd.noncore_late' of table 'bd' can"),
        (
            "table_gap.yaml",
            16,
            "table-gap",
            "table 'bd': no row for role=non_core, stage in [phase3, filed, approved]",
        ),
        ("weights_sum.yaml", 39, "weights-sum", "weights sum to 0.9, but decision.weights_sum"),
        ("uncited_rationale.yaml", 26, "uncited-rationale", "rationale cites no thesis point"),
    ],
)
def test_each_class_of_mistake_is_found_at_its_line(fixture, line, code, message):
    found = findings(fixture)
    assert any(f == (line, code, f[2]) and message in f[2] for f in found), found


def test_a_misspelt_key_is_an_error_and_a_shadowed_band_a_warning():
    assert {s for s in ("error",)} == {
        d.severity for d in lint_paths([FIXTURES / "misspelt_key.yaml"]).diagnostics
    }
    report = lint_paths([FIXTURES / "shadowed_band_true.yaml"])
    assert (report.errors, report.warnings) == (0, 1)
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


def test_a_parameter_cited_in_a_rationale_is_a_note_not_a_warning(tmp_path):
    text = (FIXTURES / "unused_parameter.yaml").read_text()
    path = tmp_path / "r.yaml"
    path.write_text(text.replace('"T2: small need"', '"T2: small need (params.small)"'))
    report = lint_paths([path])
    assert [(d.severity, d.code) for d in report.diagnostics] == [("note", "cited-parameter")]


def test_bundled_thesis_lints_clean_under_strict():
    report = lint_paths(None)
    assert report.errors == 0 and report.warnings == 0, report.text()


def test_rule_set_split_over_files_is_linted_as_one(tmp_path):
    text = (FIXTURES / "unused_derived.yaml").read_text()
    head, tail = text.split("tables:\n", 1)
    (tmp_path / "a.yaml").write_text(head)
    (tmp_path / "b.yaml").write_text("tables:\n" + tail)
    report = lint_paths([tmp_path])
    assert [(Path(d.file).name, d.line, d.code) for d in report.diagnostics] == [
        ("a.yaml", 15, "unused-derived")
    ]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return helpers.run_cli(*args, cwd=ROOT)


def test_cli_misspelt_weight_in_a_copy_of_the_thesis_exits_non_zero_with_a_location(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy, ignore=shutil.ignore_patterns("tests"))
    thesis = copy / "thesis.yaml"
    thesis.write_text(thesis.read_text().replace("\n    weight:", "\n    wieght:", 1))
    done = run_cli("lint", str(copy))
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if "wieght" in x)
    assert line.startswith(f"{thesis}:") and ": error: unknown key 'wieght'" in line
    assert line.split(":")[1].isdigit() and line.split(":")[2].isdigit()


def test_cli_strict_and_json(tmp_path):
    assert run_cli("lint", "--strict", "rules/").returncode == 0
    shadowed = str(FIXTURES / "shadowed_band_true.yaml")
    assert run_cli("lint", shadowed).returncode == 0
    assert run_cli("lint", "--strict", shadowed).returncode == 1
    doc = json.loads(run_cli("lint", "--format", "json", shadowed).stdout)
    assert doc["summary"] == {"errors": 0, "warnings": 1, "notes": 0, "suppressed": 0}
    assert doc["diagnostics"][0]["line"] == 32


def test_rules_json_schema_accepts_the_bundled_thesis_and_rejects_a_misspelt_key():
    jsonschema = pytest.importorskip("jsonschema")
    from screen.model.ruleset import RuleSetFile
    from screen.model.yamlsource import read_yaml_file

    schema = RuleSetFile.model_json_schema()
    thesis = read_yaml_file(ROOT / "rules" / "thesis.yaml").data
    jsonschema.validate(thesis, schema)
    thesis["criteria"][0]["wieght"] = thesis["criteria"][0].pop("weight")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(thesis, schema)


def test_commands_that_score_warn_where_the_weights_miss_their_declared_sum(tmp_path):
    """lint's weights-sum, said by score too: scores divide by the total weight, so a mistyped
    weight silently moves every criterion's share. Located, on stderr, exit code unchanged."""
    text = helpers.MINI_RULES.replace("weight: 0.5", "weight: 0.6", 1)
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    case = helpers.write_yaml(tmp_path / "c.yaml", helpers.make_case())
    proc = helpers.run_cli("score", str(case), "--rules", str(rules))
    assert proc.returncode == 0, proc.stderr
    line = text.splitlines().index("decision:") + 1
    assert f"{rules}:{line}:" in proc.stderr, proc.stderr
    assert "warning: criterion weights sum to 1.1, not decision.weights_sum 1" in proc.stderr
    ok = tmp_path / "ok.yaml"
    ok.write_text(helpers.MINI_RULES, encoding="utf-8")
    assert "warning" not in helpers.run_cli("score", str(case), "--rules", str(ok)).stderr
    # explain's arithmetic names the total the weights are shares of (3.5 x 0.3 is not 0.95)
    shown = helpers.run_cli("explain", str(case), "--rules", str(rules)).stdout
    assert "x weight 0.6 of 1.1 ->" in shown
    plain = helpers.run_cli("explain", str(case), "--rules", str(ok)).stdout
    assert "x weight 0.5 ->" in plain and " of 1" not in plain
