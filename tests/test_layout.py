"""The house shows the pipeline: stage subpackages, imports one way, no cycles, a public face.

Imports are read from the source (module level and inside functions), so a lazy import cannot
hide a cycle or a layer violation.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import networkx as nx
import pytest

import screen

PACKAGE = Path(screen.__file__).parent
# Lower layers never import higher ones. Features (rank 4) may use each other, acyclically.
LAYER = {
    "model": 0,
    "lang": 1,
    "engine": 2,
    "report": 3,
    "memo": 4,
    "audit": 4,
    "authoring": 4,
    "pipeline": 4,
    "sources": 4,
    "cli": 5,
}


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("screen", *parts)).removesuffix(".__init__")
        out[name] = f
    return out


def _edges() -> set[tuple[str, str]]:
    mods = _modules()
    edges = set()
    for name, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module in mods:
                edges.add((name, node.module))
                edges.update((name, f"{node.module}.{a.name}") for a in node.names
                             if f"{node.module}.{a.name}" in mods)  # fmt: skip
            elif isinstance(node, ast.Import):
                edges.update((name, a.name) for a in node.names if a.name in mods)
    return {(a, b) for a, b in edges if a != b}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYER) else ""


def test_every_module_lives_in_a_stage_subpackage() -> None:
    loose = sorted(
        m for m in _modules() if m.count(".") == 1 and m not in ("screen.__main__",)
        and m.split(".")[1] not in LAYER
    )  # fmt: skip
    assert loose == []


def test_no_import_cycle_between_modules() -> None:
    graph = nx.DiGraph(_edges())
    assert list(nx.simple_cycles(graph)) == []


def test_imports_point_from_the_cli_down_to_the_model() -> None:
    wrong = []
    for a, b in sorted(_edges()):
        pa, pb = _package(a), _package(b)
        if pa in LAYER and pb in LAYER and LAYER[pb] > LAYER[pa]:
            wrong.append(f"{a} -> {b}")
        if pa in LAYER and pb == "" and b != "screen":
            wrong.append(f"{a} -> {b}")
    assert wrong == []


def test_only_the_version_and_subpackages_are_taken_from_the_package_root() -> None:
    for name, f in _modules().items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "screen":
                names = {a.name for a in node.names}
                assert names <= {"__version__", *LAYER}, name


@pytest.mark.parametrize("name", sorted(screen._API))
def test_public_api_resolves(name: str) -> None:
    module, attr = screen._API[name]
    assert getattr(screen, name) is getattr(importlib.import_module(module), attr)


MAX_LINES = 500
SAYS_WHY = ("Long module:", "long module", "module stays")


def test_long_modules_say_why() -> None:
    """Small modules with one job; one over MAX_LINES says in its docstring why it stays."""
    unexplained = []
    for name, f in sorted(_modules().items()):
        text = f.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if not any(s in doc for s in SAYS_WHY):
                unexplained.append(f"{name}: {lines} lines")
    assert unexplained == [], "split these, or add a 'Long module: <reason>' docstring line"
