"""Static types of rule expressions: what the checker infers and the schema declares.

The expression checker (expressions.py) types every sub-expression against the case schema;
the tables, priors and why-not domains read the same types to enumerate a fact's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from screen.model.vocab import Stage


@dataclass(frozen=True)
class Type:
    """Static type of an expression: num, bool, str, stage, date, enum, list, any."""

    kind: str
    enum: type[Enum] | None = None
    elem: Type | None = None

    def __str__(self) -> str:
        if self.kind == "enum" and self.enum is not None:
            return f"one of {self.enum.__name__}"
        if self.kind == "list" and self.elem is not None:
            return f"list of {self.elem}"
        return {"num": "number", "bool": "true/false", "str": "text"}.get(self.kind, self.kind)


NUM = Type("num")
BOOL = Type("bool")
STR = Type("str")
STAGE = Type("stage")
# A region's stage, which may be `none` (not in development there): same comparisons, one more
# value in its domain (tables' gap checks, reachable outcomes, priors).
REGIONAL_STAGE = Type("stage", enum=Stage)
DATE = Type("date")
ANY = Type("any")


def stage_domain(typ: Type) -> list[Stage]:
    """Every value a stage-typed fact can take (`none` only for a region's stage)."""
    return list(Stage) if typ.enum is Stage else [s for s in Stage if s is not Stage.none]


def list_of(elem: Type) -> Type:
    return Type("list", elem=elem)


def enum_type(cls: type[Enum]) -> Type:
    return STAGE if cls is Stage else Type("enum", enum=cls)
