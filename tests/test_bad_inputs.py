"""Bad inputs through the real command line: exit 2, `file:line[:col]: message`, no traceback.

Each case is a case file or a rule file (`--rules`) with one thing wrong. The expected location
is found from a marker in the broken text, so the test states *where* the error must point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers import ALIAS_BOMB, BASE_CASE, MINI_RULES, ROOT, run_cli

CASE_YAML = yaml.safe_dump(BASE_CASE, sort_keys=False)


JUNK = bytes(range(128, 256)) * 4 + b"\n" + bytes(range(1, 128))


@dataclass
class Bad:
    kind: str  # "case" or "rules"
    content: str | bytes | None  # None: the file does not exist
    line: int | None  # expected line (None: no line, e.g. missing file)
    col: int | None  # expected column, when the error has one
    words: tuple[str, ...]  # must all appear on the located message line


def sub(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def at(text: str, marker: str, skip: int = 0) -> tuple[int, int]:
    """(line, column), 1-based, of the first occurrence of `marker` (plus `skip` columns)."""
    index = text.index(marker)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1 + skip
    return line, col


def case_bad(
    old: str, new: str, marker: str, words: tuple[str, ...], *, col: bool = True, skip: int = 0
) -> Bad:
    text = sub(CASE_YAML, old, new)
    line, column = at(text, marker, skip)
    return Bad("case", text, line, column if col else None, words)


def rules_bad(
    old: str, new: str, marker: str, words: tuple[str, ...], *, col: bool = True, skip: int = 0
) -> Bad:
    text = sub(MINI_RULES, old, new)
    line, column = at(text, marker, skip)
    return Bad("rules", text, line, column if col else None, words)


CYCLE = "derived:\n  a:\n    expr: derived.b + 1\n  b:\n    expr: derived.a * 2\n  us_patients:"

BAD: dict[str, Bad] = {
    # ------------------------------------------------------------------ case files
    "case-yaml-syntax": case_bad(
        "  hq: Shanghai, China\n",
        "  hq: [Shanghai, China\n",
        "  financing_stage",
        ("invalid YAML",),
        col=False,
    ),
    # indentation: the usual cause, said at the line (a key one space left of its mapping's,
    # a key indented under one that already has a value)
    "case-key-dedented": case_bad(
        "  hq: Shanghai, China\n",
        " hq: Shanghai, China\n",
        "hq: Shanghai",
        ("check the indentation", "start in one column", "begins on line"),
    ),
    "case-key-indented-under-a-value": case_bad(
        "  hq: Shanghai, China\n",
        "    hq: Shanghai, China\n",
        ": Shanghai",
        ("indented more than 'name: Testco Bio' above it", "not both"),
    ),
    "case-trial-listed-twice": case_bad(
        "  trials:\n  - nct_id: NCT01234567\n",
        "  trials:\n  - nct_id: NCT01234567\n  - nct_id:  NCT01234567\n",  # the second
        ":  NCT01234567",
        ("trial NCT01234567 is listed twice for asset 'A1'", "first at trials[0]"),
        skip=3,
    ),
    "case-duplicate-key": case_bad(
        "  hq: Shanghai, China\n",
        "  hq: Shanghai, China\n  name: Other Co\n",
        "  name: Other",
        ("duplicate key 'name'", "line 5"),
        skip=2,
    ),
    "case-unknown-key-did-you-mean": case_bad(
        "  name: Testco Bio\n",
        "  naem: Testco Bio\n",
        "naem",
        ("unknown key 'naem'", "did you mean 'name'"),
    ),
    "case-unknown-nested-key": case_bad(
        "    addressed: true\n",
        "    adressed: true\n",
        "adressed",
        ("unknown key 'adressed'", "unmet_need", "did you mean 'addressed'"),
    ),
    "case-alias-bomb": Bad("case", ALIAS_BOMB, 1, 4, ("anchors", "not allowed")),
    "case-list-not-mapping": Bad(
        "case", "- company: {name: X}\n- assets: []\n", 1, 1, ("expected a mapping", "list")
    ),
    "case-binary-junk": Bad("case", JUNK, 1, 1, ("not valid UTF-8",)),
    "case-nul-bytes": Bad(
        "case",
        CASE_YAML.encode()[:60] + b"\x00\x01\x02junk",
        CASE_YAML[:60].count("\n") + 1,
        None,
        ("binary", "NUL"),
    ),
    "case-invalid-utf8": Bad(
        "case",
        sub(CASE_YAML, "analyst: pytest", "analyst: Jos\xe9").encode("latin-1"),
        3,
        13,
        ("UTF-8",),
    ),
    "case-tab-indent": case_bad(
        "  hq: Shanghai", "\thq: Shanghai", "\thq", ("invalid YAML",), col=False
    ),
    "case-wrong-type-number": case_bad(
        "cash_runway_months: 30",
        "cash_runway_months: thirty",
        "thirty",
        ("company.cash_runway_months", "number"),
    ),
    "case-wrong-type-bool": case_bad(
        "    first_in_class: true\n",
        "    first_in_class: maybe\n",
        "maybe",
        ("assets[0].competition.first_in_class", "boolean", "'maybe'"),
    ),
    "case-wrong-type-list": case_bad(
        "    - breakthrough_therapy\n",
        "      breakthrough_therapy\n",
        "breakthrough_therapy",
        ("designations", "list"),
        col=False,
    ),
    "case-unknown-stage": case_bad(
        "  stage: phase2\n",
        "  stage: phase9\n",
        "phase9",
        ("unknown stage 'phase9'", "phase2"),
    ),
    # a check over the whole asset points at the key it names, not at the asset's `- id:`
    "case-derived-key-written": case_bad(
        "  stage: phase2\n",
        "  stage: phase2\n  stage_eu: phase2\n",
        "stage_eu",
        ("'stage_eu' is derived", "do not write it"),
    ),
    # a misspelt key is not offered a derived one, which is an error to write
    "case-misspelt-stage-key": case_bad(
        "  stage: phase2\n",
        "  stagee: phase2\n",
        "stagee",
        ("unknown key 'stagee'", "did you mean 'stage'?"),
    ),
    "case-bad-nct-id": case_bad(
        "NCT01234567",
        "NCT1234",
        "NCT1234",
        ("nct_id", "'NCT1234'", "8 digits"),
    ),
    "case-unknown-enum": case_bad(
        "  modality: adc\n",
        "  modality: adcc\n",
        "adcc",
        ("assets[0].modality", "'adcc'", "did you mean 'adc'"),
    ),
    "case-unknown-enum-area": case_bad(
        "  therapeutic_area: oncology\n",
        "  therapeutic_area: oncolgy\n",
        "oncolgy",
        ("therapeutic_area", "did you mean 'oncology'"),
    ),
    "case-missing-required": case_bad(
        "  name: Testco Bio\n",
        "",
        "  hq:",
        ("missing required key 'name'", "company"),
        col=False,
    ),
    "case-empty-file": Bad("case", "", 1, 1, ("expected a mapping", "nothing")),
    "case-missing-file": Bad("case", None, None, None, ("file not found",)),
    # ------------------------------------------------------------------ rule files
    "rules-yaml-syntax": rules_bad(
        "    inputs: [asset.role, asset.stage]\n",
        "    inputs: [asset.role, asset.stage\n",
        "    rows:",
        ("invalid YAML",),
        col=False,
    ),
    "rules-duplicate-key": rules_bad(
        "    unit: patients\n",
        "    unit: patients\n    unit: people\n",
        "    unit: people",
        ("duplicate key 'unit'",),
        skip=4,
    ),
    "rules-unknown-key-wieght": rules_bad(
        "  - id: size\n    weight: 0.5\n",
        "  - id: size\n    wieght: 0.5\n",
        "wieght",
        ("unknown key 'wieght'", "did you mean 'weight'"),
    ),
    "rules-unknown-section": rules_bad(
        "criteria:\n",
        "critera:\n",
        "critera",
        ("unknown key 'critera'", "did you mean 'criteria'"),
    ),
    "rules-alias-bomb": Bad("rules", ALIAS_BOMB, 1, 4, ("anchors", "not allowed")),
    "rules-list-not-mapping": Bad(
        "rules", "- ruleset: {name: x, version: '1'}\n", 1, 1, ("expected a mapping", "list")
    ),
    "rules-binary-junk": Bad("rules", JUNK, 1, 1, ("not valid UTF-8",)),
    "rules-wrong-type": rules_bad(
        "  - id: bd_ready\n    weight: 0.5\n",
        "  - id: bd_ready\n    weight: heavy\n",
        "heavy",
        ("weight", "number"),
    ),
    "rules-expression-syntax": rules_bad(
        "when: derived.us_patients >= params.big",
        "when: derived.us_patients >= >= params.big",
        ">= params",
        ("syntax error",),
    ),
    # the mistakes rule authors make most, each at the token that is wrong, with the fix
    "rules-expression-assign": rules_bad(
        "when: derived.us_patients >= params.big",
        "when: derived.us_patients = params.big",
        "= params",
        ("'=' is not a comparison", "compare with '=='"),
    ),
    "rules-expression-dangling-operator": rules_bad(
        "when: derived.us_patients >= params.big",
        "when: derived.us_patients >=",
        ">=\n",
        ("ends after '>='", "needs something on its right"),
    ),
    "rules-expression-foreign-and": rules_bad(
        "require: asset.unmet_need.addressed == true",
        "require: asset.unmet_need.addressed == true && asset.role == 'core'",
        "&&",
        ("'&&' is not an operator", "write 'and'"),
    ),
    "rules-expression-missing-comma": rules_bad(
        "require: asset.unmet_need.addressed == true",
        "require: \"asset.role in ['core' 'non_core']\"",
        "'non_core'",
        ("two strings side by side", "separate them with a comma"),
    ),
    # a parameter's wrong value is said once, where it is written, not at each rule using it
    "rules-parameter-written-as-text": rules_bad(
        "    value: 100000\n",
        "    value: '100000'\n",
        "'100000'",
        ("params.big: '100000' is text", "write the number without quotes"),
    ),
    "rules-misspelt-field": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: asset.epidemiology.uss + 0",
        "asset.epidemiology.uss",
        ("unknown field 'uss'", "did you mean 'us'"),
    ),
    # an expression over several lines: the column is the typo's in the file, not its offset
    # in the text YAML folded into one line (318:230 for a typo at 320:7)
    "rules-misspelt-field-folded": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: >-\n      asset.epidemiology.us +\n      asset.epidemiology.euu + 0",
        "asset.epidemiology.euu",
        ("unknown field 'euu'", "did you mean 'eu'"),
    ),
    "rules-misspelt-field-literal": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: |\n      (asset.epidemiology.us +\n        asset.epidemiology.euu + 0)",
        "asset.epidemiology.euu",
        ("unknown field 'euu'",),
    ),
    "rules-misspelt-field-quoted-wrapped": rules_bad(
        "expr: asset.epidemiology.us + 0",
        'expr: "asset.epidemiology.us +\n      asset.epidemiology.euu + 0"',
        "asset.epidemiology.euu",
        ("unknown field 'euu'",),
    ),
    "rules-misspelt-root": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: aset.epidemiology.us + 0",
        "aset.",
        ("unknown name 'aset'", "did you mean 'asset'"),
    ),
    "rules-unknown-parameter": rules_bad(
        ">= params.big",
        ">= params.bigg",
        "params.bigg",
        ("unknown param", "'bigg'", "did you mean 'big'"),
    ),
    "rules-unknown-derived": rules_bad(
        "when: derived.us_patients >=",
        "when: derived.us_patient >=",
        "derived.us_patient",
        ("'us_patient'", "did you mean 'us_patients'"),
    ),
    "rules-unknown-function": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: maxx(asset.epidemiology.us, 0)",
        "maxx",
        ("unknown function 'maxx'", "did you mean 'max'"),
    ),
    "rules-method-call": rules_bad(
        "expr: asset.epidemiology.us + 0",
        "expr: asset.name.upper()",
        "asset.name",
        ("only registry functions",),
    ),
    "rules-derived-cycle": rules_bad(
        "derived:\n  us_patients:",
        CYCLE,
        "  a:",
        ("dependency cycle", "derived.a -> derived.b -> derived.a"),
        skip=2,
    ),
    "rules-unique-overlap": rules_bad(
        'when: [core, "<= phase1_2"]',
        'when: [core, "<= phase2"]',
        "      - id: bd.late",
        ("'unique'", "'bd.early'", "'bd.late'", "overlap"),
        skip=8,
    ),
    "rules-row-cell-count": rules_bad(
        'when: [core, "<= phase1_2"]',
        "when: [core]",
        "[core]",
        ("bd.early", "1 cells", "2 inputs"),
    ),
    "rules-bad-cell-stage": rules_bad(
        'when: [core, "<= phase1_2"]',
        'when: [core, "<= phase1_5"]',
        "[core, ",
        ("bd.early", "unknown stage", "phase1_5"),
        col=False,
    ),
    "rules-duplicate-rule-id": rules_bad(
        "      - id: bd.late\n",
        "      - id: bd.early\n",
        'bd.early\n        when: [core, ">= phase2',
        ("duplicate id 'bd.early'", "first used at"),
    ),
    "rules-missing-rationale": rules_bad(
        '    rationale: "T1: unmet need first"\n',
        "",
        "  - id: need",
        ("missing required key 'rationale'", "gates[0]"),
        skip=4,
    ),
    "rules-empty-rationale": rules_bad(
        'rationale: "T1: unmet need first"',
        'rationale: ""',
        'rationale: ""',
        ("empty rationale", "T1"),
        skip=11,
    ),
    "rules-stage-literal-typo": rules_bad(
        "require: asset.unmet_need.addressed == true",
        "require: asset.stage == 'phase_two'",
        "'phase_two'",
        ("unknown stage 'phase_two'",),
    ),
    "rules-enum-literal-typo": rules_bad(
        "require: asset.unmet_need.addressed == true",
        "require: asset.therapeutic_area == 'oncolgy'",
        "'oncolgy'",
        ("'oncolgy'", "allowed values", "did you mean 'oncology'"),
    ),
    "rules-type-error": rules_bad(
        "require: asset.unmet_need.addressed == true",
        "require: asset.indication + 1",
        "asset.indication",
        ("arithmetic needs numbers", "text"),
    ),
    "rules-thresholds-inverted": rules_bad(
        "  watch: 2.5", "  watch: 4", "3.5", ("decision.advance must be >= decision.watch",)
    ),
    "rules-band-score-out-of-range": rules_bad(
        "        score: 5\n", "        score: 7\n", "7\n", ("band 'size.big'", "outside 0..5")
    ),
    "rules-unknown-table": rules_bad(
        "    table: bd\n",
        "    table: bdd\n",
        "bdd",
        ("unknown table 'bdd'", "did you mean 'bd'"),
    ),
    "rules-bad-enum-cell": rules_bad(
        'when: [non_core, "-"]',
        'when: [noncore, "-"]',
        "[noncore",
        ("'noncore'", "allowed values", "did you mean 'non_core'"),
        skip=1,
    ),
    "rules-empty-file": Bad("rules", "", 1, 1, ("expected a mapping", "nothing")),
    "rules-missing-file": Bad("rules", None, None, None, ("not found",)),
}


def _write(path: Path, content: str | bytes | None) -> None:
    if content is None:
        return
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_exits_2_with_located_message(name, tmp_path):
    bad = BAD[name]
    case_path = tmp_path / "case.yaml"
    if bad.kind == "case":
        _write(case_path, bad.content)
        target = str(case_path)
        args = ["score", target]
    else:
        case_path.write_text(CASE_YAML, encoding="utf-8")
        rules_path = tmp_path / "rules.yaml"
        _write(rules_path, bad.content)
        target = str(rules_path)
        args = ["score", str(case_path), "--rules", target]

    proc = run_cli(*args)

    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "internal error" not in proc.stderr
    if bad.line is None:
        prefix = f"{target}:"
    elif bad.col is None:
        prefix = f"{target}:{bad.line}:"
    else:
        prefix = f"{target}:{bad.line}:{bad.col}:"
    located = [line for line in proc.stderr.splitlines() if line.startswith(prefix)]
    assert located, f"no stderr line starts with {prefix!r}:\n{proc.stderr}"
    message = next((m for m in located if all(w in m for w in bad.words)), None)
    assert message is not None, f"expected {bad.words} in one of:\n" + "\n".join(located)


def test_there_are_at_least_twenty_bad_inputs_of_each_file_kind_together():
    kinds = [b.kind for b in BAD.values()]
    assert len(BAD) >= 20
    assert kinds.count("case") >= 10 and kinds.count("rules") >= 10


def test_several_rule_errors_are_reported_together(tmp_path):
    rules = sub(MINI_RULES, ">= params.big", ">= params.bigg")
    rules = sub(rules, "expr: asset.epidemiology.us + 0", "expr: asset.epidemiology.uss + 0")
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE_YAML, encoding="utf-8")
    proc = run_cli("score", str(case_path), "--rules", str(path))
    assert proc.returncode == 2
    assert "'bigg'" in proc.stderr and "'uss'" in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith(str(path))]
    assert len(lines) >= 2
    # sorted by position in the file
    positions = [tuple(int(x) for x in line[len(str(path)) + 1 :].split(":")[:2]) for line in lines]
    assert positions == sorted(positions)


def test_bad_case_among_good_ones_is_reported_and_the_rest_still_scored(tmp_path):
    good = tmp_path / "a-good.yaml"
    good.write_text(CASE_YAML, encoding="utf-8")
    bad = tmp_path / "b-bad.yaml"
    bad.write_text(sub(CASE_YAML, "  stage: phase2\n", "  stage: phase9\n"), encoding="utf-8")
    proc = run_cli("score", str(tmp_path), "--format", "json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad}:21:10:" in proc.stderr
    import json

    results = json.loads(proc.stdout)
    assert [r["case"]["path"] for r in results] == [str(good)]


def test_unknown_derived_message_says_derived(tmp_path):
    rules = sub(MINI_RULES, "when: derived.us_patients >=", "when: derived.nope >=")
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE_YAML, encoding="utf-8")
    proc = run_cli("score", str(case_path), "--rules", str(path))
    assert proc.returncode == 2
    assert "unknown derive 'nope'" not in proc.stderr
    assert "unknown derived" in proc.stderr


def test_unknown_source_points_at_the_source_value(tmp_path):
    case_path = tmp_path / "case.yaml"
    text = sub(
        CASE_YAML,
        "      source: deck\n      status: company",
        "      source: dek\n      status: company",
    )
    case_path.write_text(text, encoding="utf-8")
    line, _ = at(text, "dek")
    proc = run_cli("score", str(case_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{case_path}:{line}:")
    assert "source 'dek'" in proc.stderr and "did you mean 'deck'" in proc.stderr
    assert "<top>" not in proc.stderr


@pytest.mark.parametrize("text", ["NO", "yes", "on", "off", "y"])
def test_yaml11_boolean_words_are_not_coerced_in_case_files(text, tmp_path):
    case_path = tmp_path / "case.yaml"
    case_path.write_text(
        sub(CASE_YAML, "    addressed: true\n", f"    addressed: {text}\n"), encoding="utf-8"
    )
    proc = run_cli("score", str(case_path))
    line, col = at(case_path.read_text(), f"addressed: {text}", skip=len("addressed: "))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{case_path}:{line}:{col}:")


def test_bad_question_path_points_at_its_entry(tmp_path):
    rules = sub(
        MINI_RULES, "  asset.unmet_need.addressed: AUTHOR", "  asset.unmet_need.adressed: AUTHOR"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE_YAML, encoding="utf-8")
    line, col = at(rules, "asset.unmet_need.adressed")
    proc = run_cli("score", str(case_path), "--rules", str(path))
    assert proc.returncode == 2
    assert "did you mean 'addressed'" in proc.stderr
    assert proc.stderr.startswith(f"{path}:{line}:{col}:")


def test_growth_written_as_a_percentage_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "growth.yaml"
    path.write_text(
        "company: {name: X, domestic_sales_growth: 42}\nassets:\n  - {id: a, name: A}\n",
        encoding="utf-8",
    )
    done = run_cli("score", str(path))
    assert done.returncode == 2
    assert f"{path}:1:" in done.stderr
    assert "write 0.42 for 42%" in done.stderr


def test_negative_patient_count_is_refused(tmp_path):
    path = tmp_path / "neg.yaml"
    path.write_text(
        "company: {name: X}\nassets:\n  - id: a\n    name: A\n    epidemiology: {us: -5}\n",
        encoding="utf-8",
    )
    done = run_cli("score", str(path))
    assert done.returncode == 2
    assert f"{path}:5:" in done.stderr
    assert "must not be negative" in done.stderr


@pytest.mark.parametrize("command", ["score", "rank", "explain"])
def test_an_empty_folder_among_the_cases_is_that_items_error(tmp_path: Path, command: str) -> None:
    """It used to abort the run before any case was read (nothing scored, nothing else
    reported); like a file that fails to load, it is reported and the others are read."""
    (tmp_path / "empty").mkdir()
    good = ROOT / "cases" / "kestrel-bio.yaml"
    out = run_cli(command, str(good), str(tmp_path / "empty"))
    assert out.returncode == 2
    assert f"{tmp_path / 'empty'}: folder has no .yaml case files" in out.stderr
    assert "Kestrel" in out.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("score", "--format", "json"),
        ("score", "--format", "table"),
        ("rank", "--format", "csv"),
        ("sensitivity", "--samples", "5"),
    ],
)
def test_a_run_that_loads_no_case_leaves_the_output_file_as_it_was(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A typo in the only case file must not replace last run's good file with an empty
    list or a bare header."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("company: {name: X}\nassets:\n  - {id: A, name: A, stage: phase9}\n")
    kept = tmp_path / "out.csv"
    kept.write_text("last good output\n")
    out = run_cli(*command, str(bad), "-o", str(kept))
    assert out.returncode == 2 and "bad.yaml:3:" in out.stderr
    assert f"nothing written to {kept}" in out.stderr
    assert kept.read_text() == "last good output\n"


def test_sensitivity_takes_the_format_from_the_output_suffix(tmp_path: Path) -> None:
    good = ROOT / "cases" / "kestrel-bio.yaml"
    run_cli("sensitivity", str(good), "--samples", "5", "-o", str(tmp_path / "s.csv"))
    run_cli("sensitivity", str(good), "--samples", "5", "-o", str(tmp_path / "s.json"))
    assert (tmp_path / "s.csv").read_text().startswith("rank,company,")
    assert (tmp_path / "s.json").read_text().lstrip().startswith(("{", "["))


@pytest.mark.parametrize("command", [("score",), ("memo",), ("sensitivity", "--samples", "3")])
def test_output_naming_a_case_file_read_is_refused(tmp_path: Path, command: tuple[str, ...]):
    """`score x.yaml -o x.yaml` replaced the case with the report, exit 0 (a review)."""
    case = tmp_path / "k.yaml"
    case.write_bytes((ROOT / "cases" / "kestrel-bio.yaml").read_bytes())
    before = case.read_bytes()
    out = run_cli(*command, str(tmp_path), "-o", str(case))
    assert out.returncode == 2 and "is one of the case files read" in out.stderr
    assert case.read_bytes() == before


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("territory: ex_china", "territory: greater_china", "did you mean 'china'?"),
        ("territory: ex_china", "territory: worldwide", "did you mean 'global'?"),
        ("territory: ex_china", "countries: [CHN]", "did you mean 'CN'?"),
        ("territory: ex_china", "countries: [Germany]", "did you mean 'DE'?"),
        ("territory: ex_china", "countries: [XYZ]", "the codes have two letters"),
    ],
)
def test_a_hint_names_what_was_meant_not_the_nearest_spelling(
    tmp_path: Path, old: str, new: str, hint: str
) -> None:
    """A fresh-clone review: 'greater_china' got "did you mean 'ex_china'?" (the opposite
    territory) and 'CHN' got Honduras ('HN')."""
    text = (ROOT / "cases" / "kestrel-bio.yaml").read_text()
    assert old in text
    path = tmp_path / "c.yaml"
    path.write_text(text.replace(old, new, 1))
    out = run_cli("score", str(path))
    assert out.returncode == 2 and hint in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_case_with_no_assets_says_what_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("company: {name: X}\nassets: []\n")
    out = run_cli("score", str(path))
    assert out.returncode == 2 and "assets: needs at least 1 entry" in out.stderr
    assert "list at least one, with its id and name" in out.stderr


def test_a_bare_vocabulary_word_in_an_expression_is_told_to_be_quoted() -> None:
    out = run_cli("eval", "asset.stage >= phase2", str(ROOT / "cases" / "kestrel-bio.yaml"))
    assert out.returncode == 2 and "a value is quoted: 'phase2'" in out.stderr
