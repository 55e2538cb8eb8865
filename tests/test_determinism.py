"""Same inputs, same bytes: across runs, working directories and path spellings."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from helpers import DELETE, ROOT, make_case, run_cli, write_yaml

PATH_FIELD = re.compile(r'^(\s+"path": )"[^"\n]*",$', re.MULTILINE)
CASES_DIR = ROOT / "cases"
EXAMPLE_CASES = sorted(p for p in CASES_DIR.glob("*.yaml")) if CASES_DIR.is_dir() else []


def without_case_paths(text: str) -> str:
    """The JSON text with every case.path value blanked (the only field allowed to differ)."""
    blanked, count = PATH_FIELD.subn(r'\1"",', text)
    assert count == len(json.loads(text)), "exactly one case.path per result"
    return blanked


@pytest.fixture
def own_cases(tmp_path: Path) -> Path:
    """A folder of varied cases built inline: strong, failed gate, unknowns, two assets."""
    folder = tmp_path / "cases"
    write_yaml(folder / "a-strong.yaml", make_case())
    write_yaml(
        folder / "b-no-need.yaml",
        make_case(asset={"unmet_need": {"addressed": False}}, company={"name": "Nope Bio"}),
    )
    write_yaml(
        folder / "c-unknowns.yaml",
        make_case(
            asset={
                "unmet_need": {"addressed": DELETE},
                "competition": DELETE,
                "regulatory": DELETE,
            },
            company={"name": "Gaps Bio"},
        ),
    )
    two = make_case(company={"name": "Pair Bio"})
    two["assets"].append(
        {
            **two["assets"][0],
            "id": "A2",
            "name": "TST-202",
            "role": "non_core",
            "stage": "preclinical",
        }
    )
    write_yaml(folder / "d-two-assets.yaml", two)
    write_yaml(
        folder / "e-mid.yaml",
        make_case(
            asset={
                "competition": {"first_in_class": False, "best_in_class": False},
                "regulatory": {"fda_ind": "none", "designations": []},
                "stage": "phase1",
            },
            company={"name": "Middling Bio"},
        ),
    )
    return folder


def test_json_output_is_valid_and_identical_across_runs(own_cases):
    first = run_cli("score", str(own_cases), "--format", "json")
    second = run_cli("score", str(own_cases), "--format", "json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    results = json.loads(first.stdout)
    assert isinstance(results, list) and len(results) == 5
    # folders expand in file-name order
    assert [Path(r["case"]["path"]).name for r in results] == sorted(
        p.name for p in own_cases.glob("*.yaml")
    )


def test_output_identical_from_another_directory_apart_from_case_path(own_cases, tmp_path):
    files = sorted(own_cases.glob("*.yaml"))
    relative = run_cli(
        "score", *[f"cases/{f.name}" for f in files], "--format", "json", cwd=own_cases.parent
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    absolute = run_cli("score", *[str(f) for f in files], "--format", "json", cwd=elsewhere)
    assert relative.returncode == 0 and absolute.returncode == 0, relative.stderr + absolute.stderr
    assert relative.stdout != absolute.stdout  # the paths do differ ...
    assert [r["case"]["path"] for r in json.loads(relative.stdout)] == [
        f"cases/{f.name}" for f in files
    ]
    # ... and nothing else does
    assert without_case_paths(relative.stdout) == without_case_paths(absolute.stdout)


def test_bundled_rules_named_explicitly_give_the_same_ruleset_hash(own_cases):
    default = run_cli("score", str(own_cases / "a-strong.yaml"), "--format", "json")
    explicit = run_cli(
        "score",
        str(own_cases / "a-strong.yaml"),
        "--format",
        "json",
        "--rules",
        str(ROOT / "rules"),
    )
    assert default.returncode == 0 and explicit.returncode == 0, explicit.stderr
    rs_default = json.loads(default.stdout)[0]["ruleset"]
    rs_explicit = json.loads(explicit.stdout)[0]["ruleset"]
    assert rs_default == rs_explicit


def test_case_hash_is_the_sha256_of_the_file_bytes(own_cases):
    import hashlib

    path = own_cases / "a-strong.yaml"
    result = json.loads(run_cli("score", str(path), "--format", "json").stdout)[0]
    assert result["case"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_changing_the_case_changes_its_hash_but_not_the_ruleset_hash(own_cases, tmp_path):
    a = own_cases / "a-strong.yaml"
    b = tmp_path / "a-strong-copy.yaml"
    b.write_bytes(a.read_bytes() + b"# a comment\n")
    out = json.loads(run_cli("score", str(a), str(b), "--format", "json").stdout)
    assert out[0]["case"]["sha256"] != out[1]["case"]["sha256"]
    assert out[0]["ruleset"] == out[1]["ruleset"]
    assert out[0]["decision"] == out[1]["decision"] and out[0]["score"] == out[1]["score"]


def test_output_file_matches_stdout(own_cases, tmp_path):
    target = tmp_path / "out.json"
    to_stdout = run_cli("score", str(own_cases), "--format", "json")
    to_file = run_cli("score", str(own_cases), "--format", "json", "-o", str(target))
    assert to_file.returncode == 0 and to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == to_stdout.stdout


def test_output_does_not_depend_on_hash_seed(own_cases):
    env = dict(os.environ)
    outputs = set()
    for seed in ("1", "2", "12345"):
        env["PYTHONHASHSEED"] = seed
        import subprocess
        import sys

        proc = subprocess.run(
            [sys.executable, "-m", "screen", "score", str(own_cases), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


# --------------------------------------------------------------------------- bundled examples


needs_examples = pytest.mark.skipif(
    len(EXAMPLE_CASES) < 8, reason="cases/ has fewer than 8 example files"
)


@needs_examples
def test_example_cases_are_deterministic_from_anywhere(tmp_path):
    rel = run_cli("score", "cases", "--format", "json", cwd=ROOT)
    again = run_cli("score", "cases", "--format", "json", cwd=ROOT)
    absolute = run_cli("score", *[str(p) for p in EXAMPLE_CASES], "--format", "json", cwd=tmp_path)
    assert rel.returncode == 0, rel.stderr
    assert absolute.returncode == 0, absolute.stderr
    assert rel.stdout == again.stdout
    assert without_case_paths(rel.stdout) == without_case_paths(absolute.stdout)


@needs_examples
def test_example_cases_show_all_four_decisions():
    proc = run_cli("score", *[str(p) for p in EXAMPLE_CASES], "--format", "json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(EXAMPLE_CASES) >= 8
    decisions = {r["decision"] for r in results}
    assert decisions == {"advance", "watch", "decline", "insufficient_information"}
