"""Shared test helpers: a complete, valid base case built inline, and helpers to vary it.

Tests never depend on the example files in `cases/` (others edit them); each test builds the
case it needs from `base_case()` plus overrides, so the fact under test is the only difference.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


class _Delete:
    """Marker: `merge(base, {"key": DELETE})` removes `key` (the fact becomes absent)."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()

BASE_ASSET: dict[str, Any] = {
    "id": "A1",
    "name": "TST-101",
    "role": "core",
    "modality": "adc",
    "target": "HER3",
    "mechanism": "HER3-directed antibody-drug conjugate",
    "indication": "EGFR-mutant NSCLC after osimertinib",
    "therapeutic_area": "oncology",
    "line_of_therapy": "second_line",
    "stage": "phase2",
    "trials": [
        {
            "nct_id": "NCT01234567",
            "phase": "PHASE2",
            "region": "multiregional",
            "size": {"value": 120, "source": "deck", "status": "company-reported"},
            "status": "recruiting",
            "readouts": [
                {
                    "endpoint": "ORR",
                    "kind": "orr",
                    "result": "38% ORR in 60 evaluable patients",
                    "value": 0.38,
                    "n": 60,
                    "comparator": {"kind": "standard_of_care", "value": 0.25},
                }
            ],
        }
    ],
    "standard_of_care": {"description": "platinum doublet chemotherapy", "adequacy": "poor"},
    "unmet_need": {"addressed": True, "severity": "life_threatening", "evidence": "phase 1b ORR"},
    "epidemiology": {
        "us": {"value": 200000, "source": "deck", "as_of": "2023-12-31", "status": "estimate"},
        "eu": 250000,
        "china": 400000,
        "rest_of_world": 100000,
        "basis": "incidence, second line",
    },
    "competition": {
        "same_target_programs": [{"name": "Rival-1", "company": "BigPharma", "stage": "phase3"}],
        "first_in_class": True,
        "best_in_class": True,
    },
    "regulatory": {"fda_ind": "cleared", "designations": ["breakthrough_therapy"]},
    "data_origin": "global",
    "bd": {
        "status": "preparing",
        "plan": {"deal_model": "out_license", "territory": "ex_china", "market_scope": "global"},
    },
}

BASE_CASE: dict[str, Any] = {
    "id": "testco",
    "as_of": "2024-03-01",
    "analyst": "pytest",
    "company": {
        "name": "Testco Bio",
        "hq": "Shanghai, China",
        "financing_stage": "series_b",
        "cash_runway_months": 30,
        "overseas_capability": "partner",
        "domestic_sales_growth": 0.1,
    },
    "assets": [BASE_ASSET],
    "sources": [{"id": "deck", "title": "Company deck", "document": "deck-2024.pdf"}],
}


def merge(base: Any, override: Any) -> Any:
    """Deep-merge `override` into a copy of `base`: mappings merge, DELETE removes, else replace."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for key, value in override.items():
            if value is DELETE:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def make_case(asset: dict[str, Any] | None = None, v2: bool = False, **top: Any) -> dict[str, Any]:
    """The base case with overrides merged into its first asset and/or top-level keys.

    With `v2` a stage-only asset is given regional stages now (`as_v2`); by default that
    happens later, in `evaluate` and `write_yaml`, so a test can still change `stage`."""
    case = merge(BASE_CASE, top) if top else copy.deepcopy(BASE_CASE)
    if asset:
        case["assets"][0] = merge(case["assets"][0], asset)
    return as_v2(case) if v2 else case


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared sub-objects out in full: case files must not contain anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(path: Path, data: Any, v2: bool = True) -> Path:
    """Write `data` as YAML. A case (a mapping with `assets`) gets regional stages for its
    stage-only assets first (`as_v2`, so thesis 1.1 reads known stages); `v2=False` keeps v1."""
    if v2 and isinstance(data, dict) and isinstance(data.get("assets"), list):
        data = as_v2(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


@cache
def _ruleset(path: str | None) -> Any:
    from screen.engine.loader import load_ruleset

    return load_ruleset(path)


THESIS_1_0 = ROOT / "tests" / "fixtures" / "thesis-1.0.1.yaml"


def thesis_1_0() -> Any:
    """Thesis 1.0.1 (kept as a fixture), for tests of engine mechanics written on it: its
    scores read the v1 stage, so a stage-only test case means what the test says."""
    return _ruleset(str(THESIS_1_0))


def thesis_ruleset() -> Any:
    """The bundled thesis, compiled once per test session."""
    return _ruleset(None)


def as_v2(case: dict[str, Any]) -> dict[str, Any]:
    """The case with every asset that states a `stage` and no `development` block given one:
    that stage in China and in the US (a multiregional programme, like the base asset's trial).

    Why: thesis 1.1 reads regional stages (`asset.stage_ex_china`, `asset.stage_us`), which are
    unknown without a development block, while most tests vary the v1 `stage` alone. A test that
    needs the v1 reading (no regional stages) passes `v2=False` to `evaluate`."""
    out = copy.deepcopy(case)
    for asset in out.get("assets") or []:
        if isinstance(asset, dict) and "development" not in asset and "stage" in asset:
            stage = asset["stage"]
            asset["development"] = {"china": {"stage": stage}, "us": {"stage": stage}}
    return out


def evaluate(
    case: dict[str, Any], ruleset: Any = None, path: str = "inline.yaml", v2: bool = True
) -> dict[str, Any]:
    """Validate a case dict and evaluate it in-process; returns the result document.
    With `v2` (default) a stage-only asset gets regional stages first (`as_v2`)."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import LoadedCase
    from screen.engine.result import build_result
    from screen.model.case import Case

    rs = ruleset if ruleset is not None else thesis_ruleset()
    model = Case.model_validate(as_v2(case) if v2 else case)
    outcome = evaluate_case(rs, model)
    return build_result(rs, LoadedCase(path, "0" * 64, "", model), outcome)


def criterion(result: dict[str, Any], cid: str, asset: str | None = None) -> dict[str, Any]:
    """A criterion of the company result (lead asset) or of a named asset."""
    crits = result["criteria"]
    if asset is not None:
        crits = next(a for a in result["assets"] if a["id"] == asset)["criteria"]
    return next(c for c in crits if c["id"] == cid)


def gate(result: dict[str, Any], gid: str) -> dict[str, Any]:
    return next(g for g in result["gates"] if g["id"] == gid)


# 441 bytes that expand to 9**9 items: must be refused at the first anchor, instantly.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def run_cli(
    *args: str,
    cwd: Path | str | None = None,
    timeout: float = 20,
    env: dict[str, str | None] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """`dealscreen ARGS` run in-process (click's CliRunner), as a CompletedProcess.

    In-process saves ~0.5 s of interpreter start-up per call. `env` entries are set (None
    unsets) only for the call; `cwd` is entered and left. Tests about the process boundary
    itself (start-up time, hash seeds, concurrent writers) use `run_cli_process`. `timeout`
    is accepted for the same call shape; an in-process run is bounded by the test itself."""
    import contextlib

    from click.testing import CliRunner

    from screen.cli.app import main

    env = {"DEALSCREEN_DEBUG": None, **(env or {})}
    runner = CliRunner()
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        result = runner.invoke(main, list(args), env=env, input=input, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["dealscreen", *args], result.exit_code, result.stdout, result.stderr
    )


def run_cli_process(
    *args: str,
    cwd: Path | str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """`python -m screen ARGS` in a real subprocess (text mode), for process-boundary tests."""
    import os

    full_env = {**os.environ, **(env or {})}
    full_env.pop("DEALSCREEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "screen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=full_env,
    )


# A small, complete rule set for engine and CLI tests: one gate, two criteria, a table.
MINI_RULES = """\
ruleset:
  name: mini
  version: "0.1"
parameters:
  big:
    value: 100000
    unit: patients
    source: test convention
questions:
  asset.unmet_need.addressed: AUTHOR QUESTION - does {asset} address an unmet need?
derived:
  us_patients:
    expr: asset.epidemiology.us + 0
tables:
  bd:
    hit_policy: unique
    inputs: [asset.role, asset.stage]
    rows:
      - id: bd.early
        when: [core, "<= phase1_2"]
        output: 1
        rationale: "T5: early core asset"
      - id: bd.late
        when: [core, ">= phase2"]
        output: 5
        rationale: "T5: later core asset"
      - id: bd.noncore
        when: [non_core, "-"]
        output: 4
        rationale: "T5: non-core assets trade early"
gates:
  - id: need
    require: asset.unmet_need.addressed == true
    rationale: "T1: unmet need first"
criteria:
  - id: size
    weight: 0.5
    bands:
      - id: size.big
        when: derived.us_patients >= params.big
        score: 5
        rationale: "T2: large need"
      - id: size.small
        when: "true"
        score: 1
        rationale: "T2: small need"
  - id: bd_ready
    weight: 0.5
    table: bd
decision:
  advance: 3.5
  watch: 2.5
"""


def schema_domain(rs: Any, fact: str) -> list[Any]:
    """Every value the case schema allows for a finite-domain fact. The brute force tries all
    of them, where the engine tries one value per class the rules can tell apart
    (engine/domains.py), so the exactness properties check that collapse too."""
    from screen.engine.tables import domain_values

    fp = rs.fields[fact]
    return (domain_values(fp.type) or []) if fp.type.kind != "list" else []
