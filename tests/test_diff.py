"""Thesis diff: exactly the cases a changed rule set moves, with the rules responsible."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers import MINI_RULES, make_case, run_cli, write_yaml


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, env=env)


def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    old = tmp_path / "old.yaml"
    old.write_text(MINI_RULES, encoding="utf-8")
    new = tmp_path / "new.yaml"
    text = MINI_RULES.replace("  - id: size\n    weight: 0.5", "  - id: size\n    weight: 1.5")
    text = text.replace("decision:\n", "decision:\n  weights_sum: null  # relative weights\n")
    assert text != MINI_RULES
    new.write_text(text, encoding="utf-8")
    cases = tmp_path / "cases"
    # size 5 or 1 (us patients vs 100000) x bd 5 or 1 (stage): under weight 1.5 vs 0.5, only
    # the two mixed cases move; the all-5 and all-1 cases keep their scores
    for name, us, stage in [
        ("both-high", 200000, "phase2"),
        ("size-low", 1000, "phase2"),
        ("bd-low", 200000, "phase1"),
        ("both-low", 1000, "phase1"),
    ]:
        write_yaml(
            cases / f"{name}.yaml", make_case({"epidemiology": {"us": us}, "stage": stage}, id=name)
        )
    return old, new, cases


def test_diff_lists_exactly_the_cases_a_changed_weight_moves(tmp_path):
    old, new, cases = setup(tmp_path)
    out = cli("diff", "--old", str(old), "--new", str(new), str(cases), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["cases"] == 4
    moved = {d["case"]: d for d in data["diffs"]}
    assert set(moved) == {"size-low", "bd-low"}
    assert moved["size-low"]["old"] == {"decision": "watch", "score": 3.0}
    assert moved["size-low"]["new"] == {"decision": "decline", "score": 2.0}
    assert moved["bd-low"]["new"]["decision"] == "advance"
    assert any("criterion size: weight 0.5 -> 1.5" in b for b in moved["bd-low"]["because"])
    text = cli("diff", "--old", str(old), "--new", str(new), str(cases)).stdout
    assert "2 of 4 case(s) change; 2 change decision" in text


def test_diff_names_the_band_that_fires_differently(tmp_path):
    old, _, cases = setup(tmp_path)
    new = tmp_path / "threshold.yaml"
    new.write_text(MINI_RULES.replace("value: 100000", "value: 300000"), encoding="utf-8")
    data = json.loads(
        cli("diff", "--old", str(old), "--new", str(new), str(cases), "--format", "json").stdout
    )
    assert {d["case"] for d in data["diffs"]} == {"both-high", "bd-low"}
    because = data["diffs"][0]["because"]
    assert any("fired size.big -> size.small" in b for b in because)


def test_diff_against_the_store(tmp_path):
    old, new, cases = setup(tmp_path)
    store = tmp_path / "d.db"
    env = {"DEALSCREEN_STORE": str(store)}
    assert cli("score", str(cases), "--rules", str(old), "--record", env=env).returncode == 0
    assert cli("decide", str(cases / "size-low.yaml"), "--rules", str(old), "--decision", "watch",
               env=env).returncode == 0  # fmt: skip
    out = cli("diff", "--new", str(new), "--store", str(store), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    moved = {d["case"]: d for d in data["diffs"]}
    assert set(moved) == {"size-low", "bd-low"}
    assert moved["size-low"]["firm_decision"] == "watch"
    text = cli("diff", "--new", str(new), "--from-store", env=env).stdout
    assert "firm decision on record: watch (differs from the new screen)" in text


def test_a_threshold_change_is_responsible_only_where_it_changes_the_decision(tmp_path):
    old, new, cases = setup(tmp_path)
    text = new.read_text(encoding="utf-8")
    assert "  advance: 3.5\n" in text
    new.write_text(text.replace("  advance: 3.5\n", "  advance: 4.5\n"), encoding="utf-8")
    out = cli("diff", "--old", str(old), "--new", str(new), str(cases), "--format", "json")
    moved = {d["case"]: d for d in json.loads(out.stdout)["diffs"]}
    # bd-low scores 4.0 under the new weights: advance under 3.5, watch under 4.5
    assert moved["bd-low"]["new"] == {"decision": "watch", "score": 4.0}
    assert any(b.startswith("threshold advance: 3.5 -> 4.5") for b in moved["bd-low"]["because"])
    # size-low falls to 2.0: below both thresholds, so the threshold did not move it
    assert moved["size-low"]["new"]["decision"] == "decline"
    assert not any("threshold" in b for b in moved["size-low"]["because"])


def test_diff_warns_when_both_rule_sets_carry_one_name_and_version(tmp_path):
    old, new, cases = setup(tmp_path)
    out = cli("diff", "--old", str(old), "--new", str(new), str(cases))
    assert out.returncode == 0
    assert "warning: old and new rule sets are both 'mini 0.1' (different content)" in out.stderr
    renamed = tmp_path / "v2.yaml"
    renamed.write_text(new.read_text("utf-8").replace('version: "0.1"', 'version: "0.2"'), "utf-8")
    out = cli("diff", "--old", str(old), "--new", str(renamed), str(cases))
    assert "warning" not in out.stderr
