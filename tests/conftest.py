"""Fixtures; the data and helpers they use live in `helpers.py`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from helpers import BASE_CASE, MINI_RULES, write_yaml


@pytest.fixture
def base_case() -> dict[str, Any]:
    """A complete, valid case (a fresh copy per test)."""
    return copy.deepcopy(BASE_CASE)


@pytest.fixture
def case_file(tmp_path: Path):
    """`case_file(data, name="case.yaml")` writes a case dict as YAML and returns its path."""

    def write(data: dict[str, Any] | None = None, name: str = "case.yaml") -> Path:
        return write_yaml(tmp_path / name, BASE_CASE if data is None else data)

    return write


@pytest.fixture
def mini_rules(tmp_path: Path) -> Path:
    path = tmp_path / "mini-rules.yaml"
    path.write_text(MINI_RULES, encoding="utf-8")
    return path
