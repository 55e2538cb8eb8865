"""An exact search of an asset's open facts, kept so that answers restrict it.

The settling-set search (`questions._settling_set`) asks of many answers, and combinations of
answers, whether they leave one decision. The factored enumeration (`factored.py`) has already
tried every combination of the open facts once (`reach.refine`); kept with which distinct
outcome each combination gave, per component, that search restricted to the combinations with
the answers is the exact answer, with nothing evaluated again. Split from factored.py: this
is the bookkeeping of combinations and values, the evaluator joins and scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screen.engine.reach import Group
from screen.engine.stepmemo import value_token

Outcomes = tuple[Any, ...]  # per sink of a block, in sink order: its CriterionOutcome/GateOutcome


@dataclass(frozen=True)
class Searched:
    """One component of an exact search: its groups (indexes), sinks, distinct outcomes (per
    sink, in sink order) and, per combination of its groups' values, which of them it gave."""

    members: tuple[int, ...]
    sinks: tuple[int, ...]
    distinct: list[Outcomes]
    combos: list[tuple[tuple[tuple[Any, ...], ...], int]]


class KeptSearch:
    """An exact search of some groups of facts, kept: per component (`Searched`) its distinct
    outcomes and which one each combination gave, so that answers restrict it."""

    def __init__(self, groups: list[Group], components: list[Searched]):
        self.tokens = tokens_of(groups)
        self.components = components
        self._where = {
            f: (i, at) for i, (keys, _) in enumerate(groups) for at, f in enumerate(keys)
        }
        self._component_of = {i: n for n, c in enumerate(components) for i in c.members}
        self._positions: dict[tuple[int, int], dict[Any, frozenset[int]]] = {}

    def given(
        self, answered: dict[str, Any]
    ) -> list[tuple[tuple[int, ...], list[Outcomes]]] | None:
        """Per component, (sinks, the distinct outcomes of its combinations with the answers);
        None when a fact is not among the groups, an answer cannot be keyed, or no
        combination has the answers."""
        try:
            tokens = {fact: value_token(value) for fact, value in answered.items()}
        except TypeError:
            return None
        allowed: dict[int, frozenset[int]] = {}  # component -> positions of its combinations
        for fact, token in tokens.items():
            where = self._where.get(fact)
            if where is None:
                return None
            n = self._component_of.get(where[0])
            if n is None:  # a group that reaches no sink: its answers change nothing
                keys, rows = self.tokens[where[0]]
                if not any(
                    all(row[at] == tokens.get(k, row[at]) for at, k in enumerate(keys))
                    for row in rows
                ):
                    return None  # answers no combination has
                continue
            positions = self._by_value(n, *where).get(token, frozenset())
            allowed[n] = allowed[n] & positions if n in allowed else positions
        parts = []
        for n, c in enumerate(self.components):
            if n not in allowed:
                parts.append((c.sinks, c.distinct))
                continue
            picked = sorted({c.combos[p][1] for p in allowed[n]})
            if not picked:
                return None
            parts.append((c.sinks, [c.distinct[i] for i in picked]))
        return parts

    def _by_value(self, n: int, group: int, at: int) -> dict[Any, frozenset[int]]:
        """Component `n`'s combinations by the value (token) of one fact of one group."""
        hit = self._positions.get((group, at))
        if hit is None:
            c = self.components[n]
            g = c.members.index(group)
            by: dict[Any, set[int]] = {}
            for p, (combo, _) in enumerate(c.combos):
                by.setdefault(value_token(combo[g][at]), set()).add(p)
            hit = self._positions[(group, at)] = {t: frozenset(ps) for t, ps in by.items()}
        return hit


def tokens_of(groups: list[Group]) -> tuple[Any, ...]:
    """The groups' facts and values by `value_token` (`True` is not `1`): what makes two
    searches the same search."""
    return tuple((keys, [tuple(map(value_token, row)) for row in rows]) for keys, rows in groups)
