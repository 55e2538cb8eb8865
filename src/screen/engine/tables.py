"""Decision-table cells ("unary tests", as DMN calls them): parsing, matching, overlap checks.

A cell constrains one input column: `-` (anything), a value (equality), a list (membership), or
a comparison written as text (`">= phase2"`, `"< 100000"`). Cells are parsed against the input's
static type, so stage names compare by clinical order and enum values are checked at load time.
Under the `unique` hit policy two rows that can match the same input are a load-time error; we
decide that exactly per column (finite domains as sets, numbers as intervals).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from screen.lang.types import Type, stage_domain
from screen.lang.unknown import UNKNOWN
from screen.model.errors import did_you_mean
from screen.model.vocab import Stage, parse_stage

_CMP = re.compile(r"^\s*(>=|<=|!=|==|>|<)\s*(.+?)\s*$")
ANY_CELL = ("-", "any", "*")


class CellError(ValueError):
    """A cell that does not fit its column; `hint` suggests the fix."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Cell:
    """One parsed cell. `op` is 'any', 'in', or a comparison operator; `values` its operands."""

    op: str
    values: tuple[Any, ...]
    text: str

    def matches(self, value: Any) -> Any:
        """True / False, or UNKNOWN when the input is unknown and the cell is not 'any'."""
        if self.op == "any":
            return True
        if value is UNKNOWN:
            return UNKNOWN
        if self.op == "in":
            return value in self.values
        other = self.values[0]
        if self.op == ">=":
            return value >= other
        if self.op == ">":
            return value > other
        if self.op == "<=":
            return value <= other
        if self.op == "<":
            return value < other
        if self.op == "!=":
            return value != other
        return value == other


def _coerce(raw: Any, typ: Type) -> Any:
    if typ.kind == "stage":
        try:
            return parse_stage(raw)
        except ValueError:
            raise CellError(
                f"unknown stage {raw!r}", did_you_mean(str(raw), Stage.__members__)
            ) from None
    if typ.kind == "enum" and typ.enum is not None:
        values = [m.value for m in typ.enum]
        if raw not in values:
            hint = did_you_mean(str(raw), values) or f"expected one of: {', '.join(values)}"
            raise CellError(f"{raw!r} is not one of the allowed values", hint)
        return typ.enum(raw)
    if typ.kind == "num":
        if isinstance(raw, str):
            try:
                raw = float(raw)
            except ValueError:
                raise CellError(f"expected a number, got {raw!r}") from None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise CellError(f"expected a number, got {raw!r}")
        if not math.isfinite(raw):
            raise CellError(f"{raw!r} is not a finite number", "write a finite bound, or '-'")
        return raw
    if typ.kind == "bool" and not isinstance(raw, bool):
        raise CellError(f"expected true or false, got {raw!r}")
    return raw


def parse_cell(raw: Any, typ: Type) -> Cell:
    """Parse a YAML cell against the column's static type."""
    text = str(raw)
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ANY_CELL):
        return Cell("any", (), "-")
    if isinstance(raw, list):
        return Cell("in", tuple(_coerce(v, typ) for v in raw), text)
    if isinstance(raw, str):
        m = _CMP.match(raw)
        if m:
            op, operand = m.group(1), m.group(2)
            value = _coerce(operand, typ)
            if op in ("<", "<=", ">", ">=") and typ.kind not in ("num", "stage", "any"):
                raise CellError(f"'{op}' cannot order {typ}", "list the allowed values instead")
            return Cell("==" if op == "==" else op, (value,), text)
    return Cell("in", (_coerce(raw, typ),), text)


# --------------------------------------------------------------------------- overlap


def _interval(cell: Cell) -> list[tuple[float, bool, float, bool]]:
    """Cell as a union of intervals (lo, lo_closed, hi, hi_closed) over numbers / stage ranks."""
    inf = math.inf
    if cell.op == "any":
        return [(-inf, False, inf, False)]
    if cell.op == "in":
        return [(float(v), True, float(v), True) for v in cell.values]
    v = float(cell.values[0])
    return {
        ">=": [(v, True, inf, False)],
        ">": [(v, False, inf, False)],
        "<=": [(-inf, False, v, True)],
        "<": [(-inf, False, v, False)],
        "==": [(v, True, v, True)],
        "!=": [(-inf, False, v, False), (v, False, inf, False)],
    }[cell.op]


def _intervals_meet(a: Cell, b: Cell) -> bool:
    for lo1, lc1, hi1, hc1 in _interval(a):
        for lo2, lc2, hi2, hc2 in _interval(b):
            lo, lo_closed = (lo1, lc1) if (lo1, not lc1) > (lo2, not lc2) else (lo2, lc2)
            hi, hi_closed = (hi1, hc1) if (hi1, hc1) < (hi2, hc2) else (hi2, hc2)
            if lo < hi or (lo == hi and lo_closed and hi_closed):
                return True
    return False


def _domain(typ: Type) -> list[Any] | None:
    if typ.kind == "stage":
        return stage_domain(typ)
    if typ.kind == "enum" and typ.enum is not None:
        return list(typ.enum)
    if typ.kind == "bool":
        return [True, False]
    return None


def cells_overlap(a: Cell, b: Cell, typ: Type) -> bool:
    """Can one input value satisfy both cells?"""
    if a.op == "any" or b.op == "any":
        return True
    domain = _domain(typ)
    if domain is not None:
        return any(a.matches(v) is True and b.matches(v) is True for v in domain)
    if typ.kind == "num" or all(isinstance(v, int | float | Enum) for v in a.values + b.values):
        return _intervals_meet(a, b)
    if a.op == "in" and b.op == "in":
        return bool(set(a.values) & set(b.values))
    return True  # text with '!=' or mixed: assume they may meet


def rows_overlap(a: list[Cell], b: list[Cell], types: list[Type]) -> bool:
    return all(cells_overlap(x, y, t) for x, y, t in zip(a, b, types, strict=True))


MAX_OVERLAPS = 10  # overlapping row pairs reported per table; more are summarised


def overlapping_rows(
    rows: list[list[Cell]], types: list[Type], limit: int = MAX_OVERLAPS
) -> tuple[list[tuple[int, int]], bool]:
    """Pairs of rows (i < j, sorted) that can match one input, at most `limit`, and whether
    there were more.

    Comparing every pair is quadratic (4,000 rows: 8 million pairs, minutes). Instead the rows
    are split, column by column, into groups that cannot meet on that column (a sweep over
    each column's intervals: two rows whose cells share no value on a column never overlap);
    groups are split again on every column until none splits, and only rows within a final
    group are compared pair by pair. A table whose rows are told apart by some column, as
    lookup tables are, is checked in O(n log n)."""
    found: list[tuple[int, int]] = []
    points: dict[tuple[int, int], list[tuple[float, float]]] = {}
    text_ids: list[dict[Any, int]] = [{} for _ in types]

    def spans(r: int, c: int) -> list[tuple[float, float]]:
        key = (r, c)
        if key not in points:
            points[key] = _spans(rows[r][c], types[c], text_ids[c])
        return points[key]

    stack = [list(range(len(rows)))]
    while stack:
        group = stack.pop()
        if len(group) < 2:
            continue
        for c in range(len(types)):
            parts = _components(group, lambda r, c=c: spans(r, c))
            if len(parts) > 1:
                stack.extend(reversed(parts))
                break
        else:
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if rows_overlap(rows[a], rows[b], types):
                        found.append((a, b))
                        if len(found) > limit:
                            return sorted(found)[:limit], True
    return sorted(found), False


def _spans(cell: Cell, typ: Type, text_ids: dict[Any, int]) -> list[tuple[float, float]]:
    """A cell as closed spans on one axis per column; wider than exact (ends that only touch
    count as meeting), so rows in different groups certainly never overlap."""
    inf = math.inf
    if cell.op == "any":
        return [(-inf, inf)]
    domain = _domain(typ)
    if domain is not None:
        return [(float(k), float(k)) for k, v in enumerate(domain) if cell.matches(v) is True]
    if typ.kind == "num":
        return [(lo, hi) for lo, _, hi, _ in _interval(cell)]
    if cell.op == "in":  # text (or untyped) values: each distinct value is a point
        try:
            return [(float(text_ids.setdefault(v, len(text_ids))),) * 2 for v in cell.values]
        except TypeError:  # unhashable: may meet anything
            return [(-inf, inf)]
    return [(-inf, inf)]  # '!=' or an ordering on untyped text: may meet anything


def _components(group: list[int], spans: Any) -> list[list[int]]:
    """Rows of `group` joined when their spans on one column meet (a sweep; union-find)."""
    parent = {r: r for r in group}

    def root(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    items = sorted((lo, hi, r) for r in group for lo, hi in spans(r))
    current, reach = None, -math.inf
    for lo, hi, r in items:
        if current is not None and lo <= reach:
            a, b = root(r), root(current)
            if a != b:
                parent[max(a, b)] = min(a, b)
            reach = max(reach, hi)
        else:
            current, reach = r, hi
    parts: dict[int, list[int]] = {}
    for r in group:  # group is sorted, so each part is too
        parts.setdefault(root(r), []).append(r)
    return sorted(parts.values())


def domain_values(typ: Type) -> list[Any] | None:
    """Finite input domain of a column, for gap checks by later tooling."""
    return _domain(typ)
