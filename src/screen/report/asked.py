"""The engine's unknowns as the questions put to a company: one per question, not per fact.

The result lists an unknown per asset and fact. A company fact (its cash, its overseas
capability) is read for every asset, and the best readout's figures are filled in by one
answer, so a reader is asked each once: the unknowns are grouped by the question they put,
in the engine's order (the lead asset first). `explain` and the memo both read these groups.
"""

from __future__ import annotations

from typing import Any


def question_key(u: dict[str, Any]) -> tuple[str, ...]:
    """What makes two unknowns one question: a company fact, whichever asset reads it; an
    asset's question text (facts one answer fills in share it); else the fact and its text."""
    if u["asset"] and u["fact"].startswith("company."):
        return ("company", u["fact"])
    if u["asset"]:
        return ("asset", u["asset"], u["question"])
    return ("case", u["fact"], u["question"])


def asked_once(unknowns: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The unknowns grouped by `question_key`, each group in the engine's order, the groups
    in the order of their first member."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in unknowns:
        groups.setdefault(question_key(u), []).append(u)
    return list(groups.values())
