"""The watch list: cases whose `revisit:` date has come (or comes within a window).

A case the firm parks or watches carries `revisit: {on: DATE, when: "after the readout"}`.
`due` lists the cases due by a date, overdue first, each with the diligence questions still
open on its core asset(s), so the next look starts from what was missing last time. The date
is an argument (the command passes today's), so the same files give the same list in tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case
from screen.engine.plan import CompiledRuleSet
from screen.engine.result import build_result, rule_errors
from screen.model.errors import ScreenError
from screen.model.numbers import display

WITHIN = re.compile(r"^\s*(\d{1,5})\s*([dwm]?)\s*$", re.I)
DAYS_PER = {"": 1, "d": 1, "w": 7, "m": 30}


@dataclass(frozen=True)
class DueCase:
    """One case on the watch list that is due by the reference date."""

    path: str
    case_id: str
    company: str
    revisit: str  # ISO date
    when: str | None
    days: int  # days until the revisit date (negative: overdue)
    decision: str
    score: float
    questions: tuple[str, ...]  # open diligence questions on the core asset(s)
    # asked for completeness only: no answer changes the score or the decision
    for_completeness: tuple[str, ...] = ()


def parse_within(text: str) -> int:
    """`30d`, `2w`, `3m` (30 days) or a number of days -> days."""
    m = WITHIN.match(text)
    if not m:
        raise ScreenError(
            f"--within {text!r}: not a period", hint="days, weeks or months: 30d, 2w, 3m"
        )
    return int(m.group(1)) * DAYS_PER[m.group(2).lower()]


def due_cases(
    rs: CompiledRuleSet, paths: Sequence[Path], *, today: dt.date, within_days: int = 0
) -> tuple[list[DueCase], list[str]]:
    """Cases with a revisit date on or before `today + within_days`, soonest (most overdue)
    first; files that fail to load are returned as messages, the others still listed."""
    limit = today + dt.timedelta(days=within_days)
    found, errors = [], []
    for path in paths:
        try:
            loaded = load_case(path)
        except ScreenError as err:
            errors.append(str(err))
            continue
        revisit = loaded.case.revisit
        if revisit is None or revisit.on > limit:
            continue
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=False))
        errors += rule_errors(result)  # listed, and said: a rule's defect, not the case's
        core = set(result["core_assets"]) or {result["lead_asset"]}
        open_ = [u for u in result["unknowns"] if u["asset"] in core]
        questions = tuple(dict.fromkeys(u["question"] for u in open_ if not u["for_completeness"]))
        rest = tuple(
            dict.fromkeys(
                u["question"]
                for u in open_
                if u["for_completeness"] and u["question"] not in questions
            )
        )
        found.append(
            DueCase(
                str(path),
                loaded.case_id,
                loaded.case.company.name,
                revisit.on.isoformat(),
                revisit.when,
                (revisit.on - today).days,
                result["decision"],
                result["score"],
                questions,
                rest,
            )
        )
    found.sort(key=lambda d: (d.revisit, d.company, d.path))
    return found, errors


def _when(days: int) -> str:
    if days < 0:
        return f"overdue {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"due in {days} day{'s' if days != 1 else ''}"


def to_text(due: Sequence[DueCase], today: dt.date, within_days: int) -> str:
    limit = today + dt.timedelta(days=within_days)
    horizon = (
        f"today ({today.isoformat()})"
        if within_days == 0
        else f"{limit.isoformat()} (within {within_days} days of {today.isoformat()})"
    )
    if not due:
        return f"no case is due for another look by {horizon}\n"
    out = [f"{len(due)} case(s) due for another look by {horizon}:"]
    for d in due:
        when = f": {d.when}" if d.when else ""
        out.append("")
        out.append(f"{d.revisit}  {_when(d.days)}  {d.company} ({d.path}){when}")
        out.append(
            f"  last screen: {d.decision} {display(d.score)}; {len(d.questions)} open question(s)"
        )
        out.extend(f"  - {q}" for q in d.questions)
        if d.for_completeness:
            out.append("  for completeness (no answer changes the score or the decision):")
            out.extend(f"    - {q}" for q in d.for_completeness)
    return "\n".join(out) + "\n"


def to_json(due: Sequence[DueCase], today: dt.date, within_days: int) -> str:
    doc = {
        "today": today.isoformat(),
        "within_days": within_days,
        "due": [asdict(d) for d in due],  # tuples are written as JSON arrays
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
