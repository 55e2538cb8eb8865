"""Bounded unknown numbers: an absent figure still lies within the bounds its schema implies.

A patient count is never negative and a growth rate is a fraction, so `us + eu + china >= 500000`
is already true when China is 1.0M, the US 0.2M and the EU unknown. The Kleene interpreter
(`kleene.evaluate_kleene`) reads an unknown numeric fact with known bounds as an
`Interval` and computes with it; a comparison that holds (or fails) for every number in the
interval is decided, otherwise it stays unknown. Intervals never leave the interpreter as
values: a derived fact whose value is an interval is stored as UNKNOWN plus its bounds, so
every other part of the engine keeps its one test for missing data (`is UNKNOWN`).

Arithmetic is the textbook interval arithmetic over the extended reals, kept sound at the
edges: `0 * inf` counts as 0 (the product of a zero and an unbounded but finite number), and a
division by an interval that contains 0 has no bounds (the result is plain unknown).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

INF = math.inf


@dataclass(frozen=True, slots=True)
class Interval:
    """An unknown number known to lie in [lo, hi] (either end may be infinite)."""

    lo: float
    hi: float

    def __repr__(self) -> str:
        return f"unknown in [{self.lo:g}, {self.hi:g}]"


def as_interval(value: Any) -> Interval | None:
    """A number or an interval as an interval; None for anything else (text, unknown, bool)."""
    if isinstance(value, Interval):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        return Interval(float(value), float(value))
    return None


def _mul(a: float, b: float) -> float:
    product = a * b
    return 0.0 if math.isnan(product) else product  # 0 * inf


def _hull(values: list[float]) -> Interval | None:
    if any(math.isnan(v) for v in values):
        return None
    return Interval(min(values), max(values))


def add(a: Interval, b: Interval) -> Interval | None:
    return _hull([a.lo + b.lo, a.hi + b.hi])


def sub(a: Interval, b: Interval) -> Interval | None:
    return _hull([a.lo - b.hi, a.hi - b.lo])


def mul(a: Interval, b: Interval) -> Interval | None:
    return _hull([_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)])


def div(a: Interval, b: Interval) -> Interval | None:
    if b.lo <= 0 <= b.hi:
        return None
    inverse = Interval(1 / b.hi, 1 / b.lo)
    return mul(a, inverse)


ARITHMETIC = {"add": add, "sub": sub, "mul": mul, "div": div}


def neg(a: Interval) -> Interval:
    return Interval(-a.hi, -a.lo)


def hull(a: Interval, b: Interval) -> Interval:
    return Interval(min(a.lo, b.lo), max(a.hi, b.hi))


def compare(op: str, a: Interval, b: Interval) -> bool | None:
    """`a op b` for every pair of numbers in the intervals: True, False, or None (depends)."""
    if op in ("<", "<=", ">", ">="):
        strict = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
        if op in ("<", "<="):
            always, never = strict(a.hi, b.lo), not strict(a.lo, b.hi)
        else:
            always, never = strict(a.lo, b.hi), not strict(a.hi, b.lo)
        return True if always else (False if never else None)
    disjoint = a.hi < b.lo or b.hi < a.lo
    same_point = a.lo == a.hi == b.lo == b.hi
    if op == "==":
        return True if same_point else (False if disjoint else None)
    if op == "!=":
        return False if same_point else (True if disjoint else None)
    return None


def minimum(items: list[Interval]) -> Interval:
    return Interval(min(i.lo for i in items), min(i.hi for i in items))


def maximum(items: list[Interval]) -> Interval:
    return Interval(max(i.lo for i in items), max(i.hi for i in items))


def absolute(a: Interval) -> Interval:
    if a.lo >= 0:
        return a
    if a.hi <= 0:
        return neg(a)
    return Interval(0.0, max(-a.lo, a.hi))


def clamp(value: Interval, low: Interval, high: Interval) -> Interval:
    return maximum([low, minimum([high, value])])
