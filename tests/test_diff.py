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
