"""What compiled expressions may call at run time: the bounded helpers and the namespace.

The compiled code and the Kleene interpreter (kleene.py) share these: every `**` goes through
`_pow` (floats, capped exponent), every arithmetic chain's result through `_fin` (finite, no
integer beyond `MAX_MAGNITUDE`), every number and truth value through `_num` / `_truth` (an
unknown raises `UnknownValue`, a wrong type `EvalError`). `BASE_NAMESPACE` is the only thing
a compiled expression can reach: empty builtins, these helpers and the registry functions.
"""

from __future__ import annotations

from typing import Any

from screen.lang.functions import FUNCTIONS
from screen.lang.unknown import UNKNOWN, UnknownValue

MAX_EXPONENT = 64.0
MAX_MAGNITUDE = 10**18  # largest integer an arithmetic result may reach


class EvalError(Exception):
    """A run-time failure inside an expression (division by zero, overflow)."""


def eval_error(exc: Exception) -> EvalError:
    """A Python failure inside an expression, in the words of a rule author (no exception
    class names: 'division by zero', not 'ZeroDivisionError: float division by zero')."""
    if isinstance(exc, ZeroDivisionError):
        return EvalError("division by zero")
    if isinstance(exc, OverflowError):
        return EvalError("number out of range")
    if isinstance(exc, TypeError):
        return EvalError(f"a value of the wrong kind for this operation ({exc})")
    return EvalError(str(exc))


def _pow(base: Any, exponent: Any) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise EvalError(f"exponent {exponent} is beyond ±{MAX_EXPONENT:g}")
    if base < 0 and not float(exponent).is_integer():
        raise EvalError(f"a negative number ({base:g}) to a fractional power ({exponent:g})")
    try:
        return float(base) ** float(exponent)
    except (OverflowError, ZeroDivisionError) as exc:
        raise EvalError(f"power out of range: {exc}") from None


def _fin(value: Any) -> Any:
    """An arithmetic result, checked: a finite number within MAX_MAGNITUDE (an integer or a
    float alike: a chain of derived facts cannot grow a number without bound)."""
    if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # False for nan
        return value
    if value.__class__ is float and value - value != 0.0:  # inf - inf and nan - nan are nan
        raise EvalError(f"arithmetic result is not a finite number ({value})")
    raise EvalError(f"arithmetic result is larger than {MAX_MAGNITUDE:.0e} in magnitude")


def _num(value: Any) -> Any:
    if value is UNKNOWN:
        raise UnknownValue
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvalError(f"expected a number, got {value!r}")
    return value


def _truth(value: Any) -> bool:
    if value is UNKNOWN:
        raise UnknownValue
    if not isinstance(value, bool):
        raise EvalError(f"expected true/false, got {value!r}")
    return value


BASE_NAMESPACE: dict[str, Any] = {
    "__builtins__": {},
    "_pow": _pow,
    "_fin": _fin,
    "_num": _num,
    "_truth": _truth,
    **{f"_fn_{name}": fn.impl for name, fn in FUNCTIONS.items()},
}
