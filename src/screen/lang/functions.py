"""The function registry: the only calls a rule expression may make.

Each function is small, total over its documented inputs, and bounded by the size of its
arguments (no loops a rule author controls). `coalesce` and `known` are the two that accept
unknown arguments; every other function is unknown when an argument is unknown. `lookup` is
not here: the compiler turns `lookup('table')` into a read of the table's result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from screen.lang.unknown import UNKNOWN, UnknownValue
from screen.model.vocab import LOWER_IS_BETTER, EndpointKind, parse_stage


@dataclass(frozen=True)
class Function:
    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int
    returns: str  # static type name, see types.py and expressions._fits
    doc: str
    accepts_unknown: bool = False
    # What each argument must be, checked when the rule set loads (the last kind repeats):
    # any, num, list, numlist, ordered (number or stage), stage; see expressions._fits.
    arguments: tuple[str, ...] = ("any",)


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if arg is not UNKNOWN:
            return arg
    return UNKNOWN


def _known(value: Any) -> bool:
    return value is not UNKNOWN


def _stage_rank(value: Any) -> int:
    if value is UNKNOWN:
        raise UnknownValue
    return int(parse_stage(value))


def _count(items: Any, value: Any) -> int:
    return sum(1 for item in items if item == value)


def _count_in(items: Any, values: Any) -> int:
    return sum(1 for item in items if item in values)


def _count_at_least(items: Any, threshold: Any) -> int:
    return sum(1 for item in items if item >= threshold)


def _sum(items: Any) -> float:
    return math.fsum(items)


def _min(*args: Any) -> Any:
    values = args[0] if len(args) == 1 else args
    if not values:
        raise ValueError("min() of an empty list")
    return min(values)


def _max(*args: Any) -> Any:
    values = args[0] if len(args) == 1 else args
    if not values:
        raise ValueError("max() of an empty list")
    return max(values)


def _clamp(value: Any, low: Any, high: Any) -> Any:
    return max(low, min(high, value))


def _round(value: Any, digits: Any = 0) -> float:
    if not -12 <= digits <= 12:
        raise ValueError("round() digits must be between -12 and 12")
    return round(value, int(digits))


def _len(items: Any) -> int:
    return len(items)


def _delta(arm: Any, comparator: Any) -> float:
    return arm - comparator


def _relative_delta(arm: Any, comparator: Any) -> float:
    if comparator == 0:
        raise ValueError("relative_delta() against a comparator of 0 has no meaning")
    return (arm - comparator) / abs(comparator)


def _best_for(kinds: Any, values: Any, kind: Any) -> Any:
    """The best value among readouts of one endpoint kind (highest, or lowest where lower is
    better). Unknown when no readout has that kind, or when one that might is unknown: an
    unknown readout could be the best one."""
    if len(kinds) != len(values):
        raise ValueError(
            "best_for() takes two lists read from the same readouts, e.g. "
            "best_for(asset.trials.readouts.kind, asset.trials.readouts.value, 'orr')"
        )
    try:
        wanted = EndpointKind(kind)
    except ValueError:
        raise ValueError(f"best_for(): {kind!r} is not an endpoint kind") from None
    found = [v for k, v in zip(kinds, values, strict=True) if k == wanted]
    if not found:
        raise UnknownValue
    return min(found) if wanted in LOWER_IS_BETTER else max(found)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function(
            "coalesce",
            _coalesce,
            1,
            8,
            "any",
            "first argument that is known; unknown if all are",
            accepts_unknown=True,
        ),
        Function(
            "known",
            _known,
            1,
            1,
            "bool",
            "true if the fact is present in the case",
            accepts_unknown=True,
        ),
        Function(
            "stage_rank",
            _stage_rank,
            1,
            1,
            "num",
            "rank of a development stage: preclinical=0 ... approved=7",
            arguments=("stage",),
        ),
        Function("len", _len, 1, 1, "num", "number of items in a list", arguments=("list",)),
        Function(
            "count",
            _count,
            2,
            2,
            "num",
            "how many items of a list equal a value",
            arguments=("list", "value"),
        ),
        Function(
            "count_in",
            _count_in,
            2,
            2,
            "num",
            "how many items of a list are among the given values",
            arguments=("list", "list"),
        ),
        Function(
            "count_at_least",
            _count_at_least,
            2,
            2,
            "num",
            "how many items of a list are >= a threshold (stages compare by rank)",
            arguments=("list", "ordered"),
        ),
        Function("sum", _sum, 1, 1, "num", "sum of a list of numbers", arguments=("numlist",)),
        Function("min", _min, 1, 8, "any", "smallest of a list, or of several arguments"),
        Function("max", _max, 1, 8, "any", "largest of a list, or of several arguments"),
        Function("abs", abs, 1, 1, "num", "absolute value", arguments=("num",)),
        Function(
            "delta",
            _delta,
            2,
            2,
            "num",
            "arm minus comparator (absolute difference of two results)",
            arguments=("num",),
        ),
        Function(
            "relative_delta",
            _relative_delta,
            2,
            2,
            "num",
            "(arm - comparator) / |comparator|: the gain relative to the comparator",
            arguments=("num",),
        ),
        Function(
            "best_for",
            _best_for,
            3,
            3,
            "num",
            "best value among readouts of one endpoint kind (lowest where lower is better)",
            arguments=("list", "numlist", "value"),
        ),
        Function("round", _round, 1, 2, "num", "round to n digits (default 0)", arguments=("num",)),
        Function("clamp", _clamp, 3, 3, "num", "value limited to [low, high]", arguments=("num",)),
    ]
}
