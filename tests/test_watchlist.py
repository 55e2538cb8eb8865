"""Watch list: `revisit:` in case files, `dealscreen due`, `decide --decision park`, and the
revisit date in every `rank` format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import make_case, run_cli, write_yaml

REVISIT = {"on": "2026-03-31", "when": "after the phase 2 readout"}


def _cases(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    write_yaml(folder / "due.yaml", make_case(id="due", company={"name": "Due Co"},
                                              revisit=REVISIT))  # fmt: skip
    write_yaml(
        folder / "later.yaml",
        make_case(id="later", company={"name": "Later Co"}, revisit={"on": "2026-04-20"}),
    )
    write_yaml(folder / "none.yaml", make_case(id="none", company={"name": "No Revisit Co"}))
    write_yaml(
        folder / "open.yaml",
        make_case(
            {"unmet_need": {"addressed": None}},
            id="open",
            company={"name": "Open Co"},
            revisit={"on": "2026-01-02"},
        ),
    )
    return folder


def test_due_lists_due_and_overdue_cases_with_their_open_questions(tmp_path: Path) -> None:
    folder = _cases(tmp_path)
    out = run_cli("due", str(folder), "--today", "2026-04-01")
    assert out.returncode == 0, out.stderr
    assert "Later Co" not in out.stdout and "No Revisit Co" not in out.stdout
    lines = out.stdout.splitlines()
    first = next(i for i, x in enumerate(lines) if "Open Co" in x)
    second = next(i for i, x in enumerate(lines) if "Due Co" in x)
    assert first < second  # most overdue first
    assert "2026-01-02  overdue 89 days  Open Co" in lines[first]
    assert "2026-03-31  overdue 1 day  Due Co" in lines[second]
    assert "after the phase 2 readout" in lines[second]
    assert "unmet clinical need" in out.stdout  # the open question of Open Co's core asset
    within = run_cli("due", str(folder), "--today", "2026-04-01", "--within", "3w",
                     "--format", "json")  # fmt: skip
    doc = json.loads(within.stdout)
    assert [d["case_id"] for d in doc["due"]] == ["open", "due", "later"]
    assert doc["due"][2]["days"] == 19 and doc["within_days"] == 21
    assert doc["due"][0]["questions"] and doc["due"][1]["questions"] == []


def test_due_sets_the_questions_that_change_nothing_apart() -> None:
    """A bundled case on the watch list shows `due` at work; the questions `explain` lists
    'for completeness' (no answer changes the score or the decision) are set apart, as there,
    not counted among the open questions the next look starts from."""
    from helpers import ROOT

    out = run_cli("due", "cases/", "--today", "2026-12-08", "--format", "json", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    tide = next(d for d in json.loads(out.stdout)["due"] if d["case_id"] == "tidewater-bio")
    assert tide["questions"] and tide["for_completeness"]
    assert not set(tide["questions"]) & set(tide["for_completeness"])
    text = run_cli("due", "cases/", "--today", "2026-12-08", cwd=ROOT).stdout
    assert f"{len(tide['questions'])} open question(s)" in text
    assert "  for completeness (no answer changes the score or the decision):" in text


def test_due_nothing_due_and_bad_input(tmp_path: Path) -> None:
    folder = _cases(tmp_path)
    out = run_cli("due", str(folder), "--today", "2025-01-01")
    assert out.returncode == 0 and out.stdout.startswith("no case is due")
    bad = run_cli("due", str(folder), "--within", "soon")
    assert bad.returncode == 2 and "--within 'soon': not a period" in bad.stderr
    assert run_cli("due", str(folder), "--today", "31/12/2025").returncode == 2
    broken = folder / "broken.yaml"
    broken.write_text("company: {name: X}\nassets: []\nrevisit: {on: soon}\n")
    out = run_cli("due", str(folder), "--today", "2026-04-01")
    assert out.returncode == 2 and "broken.yaml" in out.stderr and "Due Co" in out.stdout
    default = run_cli("due", "--today", "2026-04-01", cwd=tmp_path)  # CASES default: cases/
    assert "Due Co" in default.stdout
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    out = run_cli("due", cwd=empty)
    assert out.returncode == 2 and "there is no cases/ folder here" in out.stderr


def test_revisit_is_validated_with_its_location(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "x.yaml", make_case(revisit={"on": "2026-13-01"}))
    out = run_cli("score", str(path))
    assert out.returncode == 2 and "revisit.on" in out.stderr and "x.yaml:" in out.stderr
    path = write_yaml(tmp_path / "y.yaml", make_case(revisit={"on": "2026-01-01", "wen": "x"}))
    out = run_cli("score", str(path))
    assert out.returncode == 2 and "did you mean 'when'" in out.stderr


def test_rank_shows_the_revisit_date_in_every_format(tmp_path: Path) -> None:
    folder = _cases(tmp_path)
    table = run_cli("rank", str(folder))
    assert "revisit" in table.stdout.splitlines()[0] and "2026-03-31" in table.stdout
    csv = run_cli("rank", str(folder), "--format", "csv").stdout
    assert csv.splitlines()[0].endswith(",revisit,revisit_when")
    assert "2026-03-31,after the phase 2 readout" in csv
    rows = json.loads(run_cli("rank", str(folder), "--format", "json").stdout)["rows"]
    by_id = {r["case_id"]: r for r in rows}
    assert by_id["due"]["revisit"] == {"on": "2026-03-31", "when": "after the phase 2 readout"}
    assert by_id["none"]["revisit"] is None
    page = run_cli("rank", str(folder), "--format", "html").stdout
    assert "revisit 2026-03-31" in page
    # no case on the watch list: the table has no revisit column
    plain = tmp_path / "plain"
    write_yaml(plain / "a.yaml", make_case())
    assert "revisit" not in run_cli("rank", str(plain)).stdout


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "decisions.db"


def test_park_needs_a_revisit_date(tmp_path: Path, store: Path) -> None:
    without = write_yaml(tmp_path / "a.yaml", make_case())
    out = run_cli("decide", str(without), "--decision", "park", "--store", str(store))
    assert out.returncode == 2 and "needs a revisit date" in out.stderr and "revisit:" in out.stderr
    assert (
        not store.exists() or "park" not in run_cli("audit", "list", "--store", str(store)).stdout
    )
    parked = write_yaml(tmp_path / "b.yaml", make_case(revisit=REVISIT))
    out = run_cli("decide", str(parked), "--decision", "park", "--store", str(store))
    assert out.returncode == 0, out.stderr
    assert "firm decision park" in out.stdout and "parked until 2026-03-31" in out.stdout
    listed = json.loads(
        run_cli(
            "audit", "list", "--decision", "park", "--format", "json", "--store", str(store)
        ).stdout
    )
    assert [r["decision"] for r in listed] == ["park"]
    assert run_cli("audit", "verify", "--store", str(store)).returncode == 0
