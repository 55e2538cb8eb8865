"""The Kleene interpreter: a checked expression tree evaluated with three-valued logic.

A compiled expression runs natively until it touches an unknown fact (`UnknownValue`); then
`Expression.evaluate` re-runs the same checked tree here, where `unknown or true` is true and
`unknown and true` is unknown. With bounds, an unknown number is read as an `Interval` and
arithmetic, comparisons and `min`/`max`/`abs`/`clamp` work on intervals (intervals.py), so a
criterion can still be decided when an unknown number cannot change it.

The tree is the compiler's output (expressions.py): only the node kinds it accepts, fact reads
as `F['key']` subscripts, helper calls `_fin` / `_num` / `_truth` / `_pow` and registry
functions as `_fn_<name>`. A change to that shape is a change to both modules.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from screen.lang import intervals as iv
from screen.lang.intervals import Interval
from screen.lang.runtime import EvalError, eval_error
from screen.lang.unknown import UNKNOWN, UnknownValue

# comparison operators by their spelling in rule text (the interval comparisons take it too)
CMP_NAMES = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


_INTERVAL_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
_INTERVAL_FUNCTIONS = {
    "_fn_min": iv.minimum,
    "_fn_max": iv.maximum,
    "_fn_abs": iv.absolute,
    "_fn_clamp": iv.clamp,
}
Bounds = Mapping[str, tuple[float, float]]


def _is_unknown(value: Any) -> bool:
    return value is UNKNOWN or type(value) is Interval


def evaluate_kleene(
    node: ast.expr, facts: dict[str, Any], ns: dict[str, Any], bounds: Bounds | None = None
) -> Any:
    """Evaluate a checked tree with three-valued logic; UNKNOWN propagates, never raises.

    With `bounds` (fact key -> (low, high)) an unknown number is read as an `Interval`, and a
    result may be one (see intervals.py). Run-time failures (division by zero, a wrong type
    reaching a function) raise EvalError, whichever path found them."""
    try:
        return _kleene(node, facts, ns, bounds or {})
    except EvalError:
        raise
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise eval_error(exc) from None


def _kleene(node: ast.expr, facts: dict[str, Any], ns: dict[str, Any], bounds: Bounds) -> Any:
    def ev(n: ast.expr) -> Any:
        return _kleene(n, facts, ns, bounds)

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return ns[node.id]
    if isinstance(node, ast.Subscript):
        key = node.slice.value  # type: ignore[attr-defined]
        value = facts[key]
        if value is UNKNOWN and key in bounds:
            return Interval(*bounds[key])
        return value
    if isinstance(node, ast.Tuple):
        return tuple(ev(e) for e in node.elts)
    if isinstance(node, ast.BoolOp):
        is_and = isinstance(node.op, ast.And)
        unknown = False
        for value_node in node.values:
            v = ev(value_node)
            if _is_unknown(v):
                unknown = True
            elif bool(v) is not is_and:  # a False in `and`, a True in `or` decides
                return not is_and
        return UNKNOWN if unknown else is_and
    if isinstance(node, ast.UnaryOp):
        v = ev(node.operand)
        if type(v) is Interval:
            return iv.neg(v) if isinstance(node.op, ast.USub) else v
        if v is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.Not):
            return not v
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp):
        left, right = ev(node.left), ev(node.right)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if type(left) is Interval or type(right) is Interval:
            return _interval_arithmetic(node.op, left, right)
        return _BIN[type(node.op)](left, right)
    if isinstance(node, ast.IfExp):
        test = ev(node.test)
        if _is_unknown(test):
            a, b = ev(node.body), ev(node.orelse)
            if not _is_unknown(a) and not _is_unknown(b) and a == b:
                return a
            ia, ib = iv.as_interval(a), iv.as_interval(b)
            return iv.hull(ia, ib) if ia is not None and ib is not None else UNKNOWN
        return ev(node.body if test else node.orelse)
    if isinstance(node, ast.Compare):
        return _compare(node, ev)
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        fn = ns[name]
        args = [ev(a) for a in node.args]
        if name == "_fn_coalesce":
            known = next((a for a in args if not _is_unknown(a)), None)
            if known is not None:
                return known
            # none known: any argument may be the one stated, so the hull of them all
            spans = [a for a in args if type(a) is Interval]
            if not spans or len(spans) < len(args):
                return UNKNOWN
            out = spans[0]
            for span in spans[1:]:
                out = iv.hull(out, span)
            return out
        if name == "_fn_known":
            return not _is_unknown(args[0])
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if name in ("_fin", "_num") and type(args[0]) is Interval:
            return args[0]  # the result checks pass bounds through (they are finite numbers)
        if any(type(a) is Interval for a in args):
            return _interval_call(name, args)
        try:
            return fn(*args)
        except UnknownValue:
            return UNKNOWN
    raise EvalError(f"cannot evaluate {type(node).__name__}")  # unreachable after checking


def _interval_arithmetic(op: ast.operator, left: Any, right: Any) -> Any:
    a, b = iv.as_interval(left), iv.as_interval(right)
    name = _INTERVAL_OPS.get(type(op))
    if a is None or b is None or name is None:
        return UNKNOWN
    result = iv.ARITHMETIC[name](a, b)
    return UNKNOWN if result is None else result


def _interval_call(name: str, args: list[Any]) -> Any:
    fn = _INTERVAL_FUNCTIONS.get(name)
    if name in ("_fn_min", "_fn_max") and len(args) == 1:
        return UNKNOWN  # a list argument: lists of intervals do not occur (lists are known)
    parts = [iv.as_interval(a) for a in args]
    if fn is None or any(p is None for p in parts):
        return UNKNOWN
    if name in ("_fn_abs", "_fn_clamp"):
        return fn(*parts)  # type: ignore[operator]
    return fn(parts)  # type: ignore[operator]


def _compare(node: ast.Compare, ev: Callable[[ast.expr], Any]) -> Any:
    left = ev(node.left)
    unknown = False
    for op, comp in zip(node.ops, node.comparators, strict=True):
        right = ev(comp)
        if isinstance(op, ast.In | ast.NotIn):
            result = _contains(left, right)
            if result is not UNKNOWN and isinstance(op, ast.NotIn):
                result = not result
        elif left is UNKNOWN or right is UNKNOWN:
            result = UNKNOWN
        elif type(left) is Interval or type(right) is Interval:
            a, b = iv.as_interval(left), iv.as_interval(right)
            decided = None if a is None or b is None else iv.compare(CMP_NAMES[type(op)], a, b)
            result = UNKNOWN if decided is None else decided
        else:
            result = _CMP[type(op)](left, right)
        if result is UNKNOWN:
            unknown = True
        elif not result:
            return False
        left = right
    return UNKNOWN if unknown else True


def _contains(item: Any, items: Any) -> Any:
    if _is_unknown(item) or _is_unknown(items):
        return UNKNOWN
    saw_unknown = False
    for candidate in items:
        if _is_unknown(candidate):
            saw_unknown = True
        elif candidate == item:
            return True
    return UNKNOWN if saw_unknown else False
