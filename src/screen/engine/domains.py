"""The values of a finite-domain fact that the rules can tell apart.

Enumerating an unknown fact (`reach.py`) or trying its answers (`questions.py`) over its whole
schema domain repeats work whenever the rules only ever compare it with a few literals:
`asset.efficacy_endpoint == 'hba1c_change'` cannot tell `weight_change` from `ldl_change`, so
the fourteen endpoint kinds behave as three. A value's *class* is its answer to every test the
rules put to the fact; one value per class reaches every outcome the whole domain reaches.

The collapse is taken only when every read of the fact is such a test: an equality or
membership comparison with a constant or a parameter (`==`, `!=`, `in`, `not in`),
`known(...)`, or a table input that is the fact itself with cells that are `any`, `in`, `==`
or `!=`. Any other read (an ordered comparison, a value passed on through `coalesce` or a
function, a comparison with another fact) keeps the whole domain.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from screen.engine.plan import CompiledRuleSet, TableNode, node_expressions
from screen.lang.reads import read_key

Test = Callable[[Any], Any]

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda v, c: v in c,
    ast.NotIn: lambda v, c: v not in c,
}


def distinct_values(rs: CompiledRuleSet, fact: str, domain: list[Any]) -> list[Any]:
    """`domain` with one value kept per class of values no rule can tell apart, in domain
    order (the first of each class); the whole domain when some read is not a plain test."""
    cache: dict[str, list[Any]] = rs.__dict__.setdefault("_distinct_values", {})
    kept = cache.get(fact)
    if kept is None:
        kept = cache[fact] = [group[0] for group in value_classes(rs, fact, domain)]
    return kept


def value_classes(rs: CompiledRuleSet, fact: str, domain: list[Any]) -> list[list[Any]]:
    """`domain` split into the classes of values that answer every test the rules put to
    `fact` alike, each in domain order; one class per value when some read is not a test."""
    tests = _tests_of(rs, fact)
    if tests is None:
        return [[value] for value in domain]
    classes: dict[tuple[Any, ...], list[Any]] = {}
    for value in domain:
        classes.setdefault(tuple(_answer(t, value) for t in tests), []).append(value)
    return list(classes.values())


def _answer(test: Test, value: Any) -> Any:
    try:
        return test(value)
    except Exception:  # noqa: BLE001 - a value the test cannot take is a class of its own
        return ("error", repr(value))


def _tests_of(rs: CompiledRuleSet, fact: str) -> list[Test] | None:
    """Every test the rules put to `fact`, or None when some read of it is not a test."""
    params = {k: v for k, v in rs.base_facts.items() if k.startswith("params.")}
    tests: list[Test] = []
    for node in rs.steps:
        inputs = node.inputs if isinstance(node, TableNode) else []
        for e in node_expressions(node):
            if fact not in e.reads or any(e is i for i in inputs):
                continue
            found = _expression_tests(e.tree, fact, {**e.namespace, **params})
            if found is None:
                return None
            tests.extend(found)
        for i, inp in enumerate(inputs):
            if fact not in inp.reads:
                continue
            cells = [row.cells[i] for row in node.rows]  # type: ignore[attr-defined]
            if not _is_read(inp.tree, fact) or any(
                c.op not in ("any", "in", "==", "!=") for c in cells
            ):
                return None
            tests.extend(c.matches for c in cells if c.op != "any")
    return tests


def _expression_tests(tree: ast.AST, fact: str, namespace: dict[str, Any]) -> list[Test] | None:
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    tests: list[Test] = []
    for node in ast.walk(tree):
        if not _is_read(node, fact):
            continue
        parent = parents.get(id(node))
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "_fn_known"
        ):
            continue  # known(x) tells stated from unstated only
        test = _comparison(parent, node, namespace)
        if test is None:
            return None
        tests.append(test)
    return tests


def _comparison(parent: ast.AST | None, read: ast.AST, namespace: dict[str, Any]) -> Test | None:
    """`read == constant` (or !=, in, not in, either side for == and !=) as a test."""
    if not isinstance(parent, ast.Compare) or len(parent.ops) != 1:
        return None
    compare = _COMPARE.get(type(parent.ops[0]))
    if compare is None:
        return None
    left, right = parent.left, parent.comparators[0]
    if left is read:
        found, constant = _constant(right, namespace)
        if found:
            return lambda v: compare(v, constant)
    elif right is read and isinstance(parent.ops[0], ast.Eq | ast.NotEq):
        found, constant = _constant(left, namespace)
        if found:
            return lambda v: compare(constant, v)
    return None


def _constant(node: ast.AST, namespace: dict[str, Any]) -> tuple[bool, Any]:
    """(True, value) for a literal, a hoisted constant (`_k3`) or a parameter of the rule set
    (`F['params.x']`, the same for every case), else (False, None)."""
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, ast.Name) and node.id.startswith("_k") and node.id in namespace:
        return True, namespace[node.id]
    key = read_key(node)
    if key is not None and key.startswith("params.") and key in namespace:
        return True, namespace[key]
    return False, None


def _is_read(node: ast.AST, fact: str) -> bool:
    """Is `node` the read `F['fact']`?"""
    return read_key(node) == fact
