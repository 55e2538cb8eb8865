"""Case dates at the precision a source gives them: a day (`2024-05-12`) or a month (`2023-10`).

Public deal records often say only "October 2023". Refusing that forces the author to invent a
day, which the memo would then quote as fact; reading it as the 1st silently does the same.
A `CaseDate` is a `datetime.date` (so comparisons, sorting and `as_of` checks keep working; a
month date compares as its first day) that remembers its precision and prints as written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import WithJsonSchema

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class CaseDate(dt.date):
    """A date with its precision: 'day' or 'month' (then the day is 1 and is not shown)."""

    __slots__ = ("precision",)
    precision: str

    def __new__(cls, year: int, month: int, day: int = 1, precision: str = "day") -> CaseDate:
        self = super().__new__(cls, year, month, day)
        object.__setattr__(self, "precision", precision)
        return self

    def __reduce__(self) -> Any:
        return (CaseDate, (self.year, self.month, self.day, self.precision))

    def isoformat(self) -> str:
        return (
            f"{self.year:04d}-{self.month:02d}"
            if self.precision == "month"
            else super().isoformat()
        )

    __str__ = isoformat

    def __repr__(self) -> str:
        return f"CaseDate({self.isoformat()!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            parse_case_date,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda d: d.isoformat(), return_schema=core_schema.str_schema()
            ),
        )


def last_day(d: dt.date) -> dt.date:
    """The latest day a date may mean: the month's last day for a month-precision date.

    "As of May 2024" covers an event on 15 May, so a date is after such an `as_of` only when
    its first possible day is after the month's last one."""
    if getattr(d, "precision", "day") != "month":
        return d
    following = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def parse_case_date(value: Any) -> CaseDate:
    """`2024-05-12`, `2023-10` or a date (YAML readers may give one) as a CaseDate."""
    if isinstance(value, CaseDate):
        return value
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD or YYYY-MM), got a date and time")
    if isinstance(value, dt.date):
        return CaseDate(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            if m := _DAY.fullmatch(text):
                return CaseDate(int(m[1]), int(m[2]), int(m[3]))
            if m := _MONTH.fullmatch(text):
                return CaseDate(int(m[1]), int(m[2]), 1, "month")
        except ValueError as exc:  # month 13, day 31 in April
            raise ValueError(f"{text!r} is not a calendar date ({exc})") from None
    raise ValueError(
        f"expected a date as YYYY-MM-DD, or YYYY-MM when only the month is known; got {value!r}"
    )


CaseDateField = Annotated[
    CaseDate,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$",
            "description": "a date, YYYY-MM-DD; YYYY-MM when the source gives only the month",
        }
    ),
]
