"""The *unknown* value of three-valued logic, and the exception that signals touching it.

Missing data is not false. A fact the case does not state is `UNKNOWN`. Any ordinary operation
on it (comparison, arithmetic, truth test, membership) raises `UnknownValue`, so compiled
expressions run at native speed on complete data, and the evaluator falls back to the Kleene
interpreter (`kleene.evaluate_kleene`) only when an unknown was actually touched. That keeps
the common case fast and the rare case exact: `unknown or true` is true, `unknown and true` is
unknown.
"""

from __future__ import annotations

from typing import Any, NoReturn


class UnknownValue(Exception):
    """Raised when an operation touches UNKNOWN; caught by the evaluator, never by users."""


def _raise(*_: Any) -> NoReturn:
    raise UnknownValue


class Unknown:
    """Singleton for a fact that is absent from the case. Compare with `is UNKNOWN` only."""

    __slots__ = ()
    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "unknown"

    def __hash__(self) -> int:
        return 0x5EED

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _raise
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _raise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _raise
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = __float__ = __int__ = __index__ = _raise
    __contains__ = __iter__ = __len__ = __round__ = _raise


UNKNOWN = Unknown()


def has_unknown(value: object) -> bool:
    """An absent fact, or a list fact with an absent item (one readout's `n` not stated)."""
    return value is UNKNOWN or (
        isinstance(value, list | tuple) and any(v is UNKNOWN for v in value)
    )
