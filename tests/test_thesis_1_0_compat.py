"""Thesis 1.0.1 scores the v1 cases (tests/fixtures/cases-v1) as it did before schema v2.

The goldens in tests/golden/thesis-1.0/ were written by the engine before schema v2 and
thesis 1.1 (reviewed once); schema v2 only adds fields, so an old rule set over old case files
must give the same result object, trace and questions included. Only the engine version may
differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import THESIS_1_0 as OLD_THESIS
from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "thesis-1.0"


def _comparable(text: str) -> list[dict]:
    results = json.loads(text)
    for result in results:
        result.pop("engine", None)
    return results


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_old_thesis_scores_old_cases_identically(golden: Path) -> None:
    out = run_cli(
        "score",
        f"tests/fixtures/cases-v1/{golden.stem}.yaml",
        "--rules",
        str(OLD_THESIS),
        "--format",
        "json",
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert _comparable(out.stdout) == _comparable(golden.read_text())
