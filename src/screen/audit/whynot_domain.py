"""What why-not may change, and to what: the facts that reach a decision, their candidate
values, and the plausibility checks that keep a proposal consistent with the rest of the case.

Split from `whynot` (the search and its report) because this is the part a rule-set author
tunes: `fixed:` / `actionable:` facts, stage floors, contradictions, probe values.
"""

from __future__ import annotations

import ast
import math
from collections import defaultdict
from enum import Enum
from typing import Any

from screen.engine.facts import FieldPath, _unwrap
from screen.engine.plan import CompiledRuleSet, node_expressions
from screen.lang.types import stage_domain
from screen.model.case import Case, Claim, Figure
from screen.model.vocab import Stage

# Facts that only make sense from a development stage on: no approval before filing.
STAGE_FLOOR = {"asset.regulatory.approvals": Stage.filed}


def influencing_facts(rs: CompiledRuleSet) -> list[str]:
    """Case-field paths from which a gate or a criterion can be reached in the dependency graph."""
    parents: dict[str, set[str]] = defaultdict(set)
    for read, node in rs.edges:
        parents[node].add(read)
    seen: set[str] = set()
    stack = [c.key for c in rs.criteria] + [g.key for g in rs.gates]
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        stack.extend(parents.get(k, ()))
    return sorted(k for k in seen if k in rs.fields)


def _is_fixed(fact: str, fixed: list[str]) -> bool:
    return any(fact == f or fact.startswith(f + ".") for f in fixed)


def _leaf_type(fp: FieldPath) -> Any:
    from screen.engine.facts import ROOT_MODELS

    model: Any = ROOT_MODELS[fp.root]
    for step in fp.steps:
        model, _, _ = _unwrap(model.model_fields[step].annotation)
    return model


def rule_numbers(rs: CompiledRuleSet) -> list[float]:
    """Numbers the rules compare against: numeric parameters and literals in expressions."""
    found: set[float] = set()
    for p in rs.parameters.values():
        if isinstance(p.value, int | float) and not isinstance(p.value, bool):
            found.add(float(p.value))
    for node in rs.steps:
        found |= _node_numbers(rs, node)
    return sorted(found)


def _node_numbers(rs: CompiledRuleSet, node: Any) -> set[float]:
    """Numeric literals in one rule's expressions (value, condition, table inputs, bands)."""
    return {
        float(n.value)
        for e in node_expressions(node)
        for n in ast.walk(e.tree)
        if isinstance(n, ast.Constant) and type(n.value) in (int, float)
    }


def field_numbers(rs: CompiledRuleSet) -> dict[str, list[float]]:
    """Case field -> the numbers the rules that read it (directly or through derived facts and
    tables) compare against: their numeric literals and the numeric parameters they read."""
    cached = rs.__dict__.get("_field_numbers")
    if cached is not None:
        return cached
    readers: dict[str, set[str]] = defaultdict(set)
    numbers: dict[str, set[float]] = defaultdict(set)
    for read, node in rs.edges:
        readers[read].add(node)
        if read.startswith("params."):
            p = rs.parameters.get(read.removeprefix("params."))
            if p is not None and isinstance(p.value, int | float) and not isinstance(p.value, bool):
                numbers[node].add(float(p.value))
    for node in rs.steps:
        numbers[node.key] |= _node_numbers(rs, node)
    out: dict[str, list[float]] = {}
    for fact in rs.fields:
        seen: set[str] = set()
        stack = list(readers.get(fact, ()))
        while stack:
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                stack.extend(readers.get(k, ()))
        out[fact] = sorted(set().union(*(numbers[k] for k in seen)) if seen else set())
    rs.__dict__["_field_numbers"] = out
    return out


def _is_count(fp: FieldPath) -> bool:
    """A number of patients (epidemiology, trial size): whole, and at least 1 when proposed."""
    return "patients" in (fp.description or "")


def _number_candidates(numbers: list[float], *, count: bool = False) -> list[float]:
    if count:  # whole patients, never fewer than one: each threshold, one below and one above
        whole = {float(math.ceil(x)) for x in numbers if x >= 1}
        return sorted({v for x in whole for v in (x - 1, x, x + 1) if v >= 1})
    out: set[float] = {0.0}
    for x in numbers:
        if x < 0:
            continue
        out.add(x)
        out.add(x + 1 if x >= 10 else round(x + 0.01, 6))  # just above a `>` threshold
    return sorted(out)


def _domain(fp: FieldPath, numbers: list[float], current: Any) -> list[Any]:
    leaf = _leaf_type(fp)
    in_list = any(fp.list_steps)
    if in_list:
        return []  # lists are handled by _list_domain
    if leaf is Stage and isinstance(current, Stage):  # one development stage at a time
        allowed = stage_domain(fp.type)
        return [s for s in allowed if abs(int(s) - int(current)) == 1]
    if isinstance(leaf, type) and issubclass(leaf, Enum):
        return list(leaf)
    if leaf is bool or leaf is Claim:
        return [True, False]
    if leaf is Figure or leaf in (int, float):
        return _number_candidates(numbers, count=_is_count(fp))
    return []  # free text, dates: no meaningful alternatives


def _below_stage_floor(fp: FieldPath, holder: Any) -> bool:
    """Whether `holder` (an asset) is not yet at the stage this fact needs (see STAGE_FLOOR)."""
    for prefix, floor in STAGE_FLOOR.items():
        if fp.key == prefix or fp.key.startswith(prefix + "."):
            stage = getattr(holder, "stage", None)
            return stage is None or int(stage) < int(floor)
    return False


def probe_label(value: float, numbers: list[float]) -> str | None:
    """`300001` -> `above 300,000`, `499999` -> `below 500,000`, `0.31` -> `above 0.3` when
    the neighbour is a threshold the rules compare against; else None (the number itself)."""
    marks = set(numbers)
    if value >= 10 and value - 1 in marks:
        return f"above {_thousands(value - 1)}"
    if value >= 10 and value + 1 in marks:
        return f"below {_thousands(value + 1)}"
    if value < 10 and round(value - 0.01, 6) in marks:
        return f"above {_thousands(round(value - 0.01, 6))}"
    return None


def _thousands(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _contradicts(change: Any, holder: Any, case: Case) -> bool:
    """Whether proposing `change` (a `whynot.Change`) contradicts another known fact of the case.

    - domestic sales growth needs product sales: some asset of the case approved;
    - `first_in_class: true` is not plausible while a known same-target program is at a later
      stage than the asset (or already filed or approved).
    """
    if change.fact == "company.domestic_sales_growth":
        return not any(a.stage is not None and a.stage >= Stage.approved for a in case.assets)
    if change.fact == "asset.competition.first_in_class" and change.value is True:
        own = getattr(holder, "stage", None)
        rivals = getattr(getattr(holder, "competition", None), "same_target_programs", None) or []
        for r in rivals:
            stage = getattr(r, "stage", None)
            if stage is not None and (stage >= Stage.filed or (own is not None and stage > own)):
                return True
    return False
