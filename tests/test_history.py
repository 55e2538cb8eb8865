"""`dealscreen history`, and recorded ids (`#16`) wherever `compare` / `diff` take a case file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import make_case, run_cli, write_yaml


@pytest.fixture
def screened(tmp_path: Path) -> tuple[Path, Path]:
    """Testco screened twice (a phase 3 readout moved its stage), then the firm's call; and
    another company once."""
    store = tmp_path / "decisions.db"
    case = tmp_path / "testco.yaml"
    write_yaml(case, make_case())
    assert run_cli("score", str(case), "--record", "--store", str(store)).returncode == 0
    write_yaml(
        case,
        make_case(
            {
                "stage": "phase3",
                "trials": [{"nct_id": "NCT01234567", "phase": "PHASE3", "size": 480}],
            }
        ),
    )
    assert (
        run_cli("score", str(case), "--record", "--store", str(store), "--who", "ana").returncode
        == 0
    )
    out = run_cli("decide", str(case), "--decision", "watch", "--reason", "other", "--note",
                  "wait for the readout", "--store", str(store), "--who", "partner")  # fmt: skip
    assert out.returncode == 0, out.stderr
    other = write_yaml(
        tmp_path / "other.yaml", make_case(id="other", company={"name": "Other Bio"})
    )
    assert run_cli("score", str(other), "--record", "--store", str(store)).returncode == 0
    return store, case


def test_history_shows_both_screenings_and_the_facts_between_them(screened) -> None:
    store, _ = screened
    out = run_cli("history", "testco", "--store", str(store))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("Testco Bio (testco): 3 record(s)")
    assert "Other Bio" not in text
    blocks = text.split("\n\n")[1:]
    assert blocks[0].startswith("#1 ") and "engine " in blocks[0]
    assert blocks[1].startswith("#2 ") and "  ana  " in blocks[1]
    assert "assets[A1].stage: phase2 -> phase3" in blocks[1]
    assert "assets[A1].trials[NCT01234567].size: 120 -> 480" in blocks[1]
    assert "score moved by:" in blocks[1] and "criterion" in blocks[1]
    assert blocks[2].startswith("#3 ") and "firm watch (other)" in blocks[2]
    assert "wait for the readout" in blocks[2] and "facts changed" not in blocks[2]
    doc = json.loads(run_cli("history", "Testco Bio", "--store", str(store),
                             "--format", "json").stdout)  # fmt: skip
    assert [d["id"] for d in doc] == [1, 2, 3]
    assert "assets[A1].stage: phase2 -> phase3" in doc[1]["changed_facts"]
    assert doc[2]["firm"] == {
        "decision": "watch",
        "reason": "other",
        "note": "wait for the readout",
    }


def test_history_errors(screened, tmp_path: Path) -> None:
    store, _ = screened
    out = run_cli("history", "testc0", "--store", str(store))
    assert out.returncode == 2 and "no records of 'testc0'" in out.stderr
    assert "did you mean 'testco'?" in out.stderr
    out = run_cli("history", "Bio", "--store", str(store))
    assert out.returncode == 2 and "matches 2 cases: other, testco" in out.stderr
    out = run_cli("history", "x", "--store", str(tmp_path / "missing.db"))
    assert out.returncode == 2 and "no decision store here" in out.stderr
    assert not (tmp_path / "missing.db").exists()


def test_compare_and_diff_accept_recorded_ids(screened, tmp_path: Path) -> None:
    store, case = screened
    out = run_cli("compare", "#1", str(case), "--store", str(store))
    assert out.returncode == 0, out.stderr
    assert "#1" in out.stdout and str(case) in out.stdout
    assert "asset.stage" in out.stdout  # the fact that differs between last quarter and today
    both = run_cli("compare", "#1", "#2", "--store", str(store), "--format", "json")
    assert json.loads(both.stdout)["a"]["path"] == "#1"
    env = {"DEALSCREEN_STORE": str(store)}
    out = run_cli("compare", "#1", "#2", env=env)
    assert out.returncode == 0
    missing = run_cli("compare", "#99", str(case), "--store", str(store))
    assert missing.returncode == 2 and "no record #99" in missing.stderr
    proposal = str(_proposal(tmp_path))
    diff = run_cli("diff", "--new", proposal, "#1", str(case), "--store", str(store), "--all")
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.count("Testco Bio:") == 2
    assert "threshold advance" in diff.stdout


def _proposal(tmp_path: Path) -> Path:
    """The bundled thesis with a higher advance threshold."""
    import shutil

    from screen.engine.loader import default_rules_path

    folder = tmp_path / "proposal"
    shutil.copytree(default_rules_path(), folder, ignore=shutil.ignore_patterns("tests"))
    for f in folder.glob("*.yaml"):
        text = f.read_text()
        if "decision:" in text and "advance:" in text:
            import re

            f.write_text(re.sub(r"(\n  advance: )[0-9.]+", r"\g<1>4.9", text, count=1))
    return folder
