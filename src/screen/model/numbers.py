"""One rounding rule for every number a person reads: half away from zero, at 2 decimals.

Python's `f"{3.925:.2f}"` prints 3.92 (the float is 3.92499...), while a spreadsheet shows the
CSV's 3.925 as 3.93, and the memo printed 3.925: three answers for one company. Display code
(score and explain tables, rank table and page, memos, diff, why-not, compare, sensitivity)
calls `display`; machine outputs (result JSON, CSV, rank JSON) keep 4 decimals (`DIGITS`).
Rounding the shortest decimal text of the float (`repr`), not its binary value, gives what the
number looks like to a reader: 3.925 -> 3.93, 2.675 -> 2.68, -0.125 -> -0.13.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = 4  # machine outputs (JSON, CSV) keep this many decimals
DISPLAY_PLACES = 2


def round_display(value: float, places: int = DISPLAY_PLACES) -> float:
    """`value` rounded half away from zero at `places` decimals, as a float."""
    return float(_quantize(value, places))


def display(value: float | int, places: int = DISPLAY_PLACES) -> str:
    """`3.925` -> `'3.93'`, `4` -> `'4.00'`, `-0.001` -> `'0.00'` (no negative zero)."""
    q = _quantize(value, places)
    if q == 0:
        q = abs(q)
    return f"{q:.{places}f}"


def display_signed(value: float | int, places: int = DISPLAY_PLACES) -> str:
    """`+0.25`, `-0.13`, `+0.00`: a change, with its sign, by the same rule."""
    text = display(value, places)
    return text if text.startswith("-") else "+" + text


def _quantize(value: float | int, places: int) -> Decimal:
    exact = Decimal(repr(float(value)))
    if not exact.is_finite():
        raise ValueError(f"cannot display {value!r}")
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
