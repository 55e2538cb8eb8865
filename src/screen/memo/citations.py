"""Figure citations: every figure of a case becomes a numbered, flagged reference to its source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from screen.memo.wording import date_text, figure_text, months_between, number
from screen.model.case import Case, Figure

NOT_A_CLAIM_STATUS = {"prior", "default", "assumed", "assumption"}


@dataclass(frozen=True)
class SourceRef:
    """One entry of the case's `sources:` list, numbered in list order for footnotes/links."""

    num: int
    id: str
    title: str
    url: str | None
    document: str | None
    publisher: str | None
    date: str | None
    cited_by: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"src-{self.num}"


@dataclass(frozen=True)
class Citation:
    """A figure from the case, ready to print: its text plus where it comes from."""

    path: str  # where it sits in the case, e.g. assets[0].epidemiology.us
    what: str  # whose figure and what it measures, for lists: "KST-201 EU patient numbers"
    value: float
    text: str
    source: SourceRef | None
    status: str | None
    as_of: str | None
    months_old: int | None
    stale: bool
    note: str | None
    item: str = ""  # what it measures, as a noun phrase: "EU patient numbers"
    owner: str | None = None  # asset id, "company", or None for other figures
    subject: str | None = None  # how the owner is tagged: "KST-201", "company"

    @property
    def sourced(self) -> bool:
        return self.source is not None

    @property
    def needs_source(self) -> bool:
        """Whether the figure is a claim someone could cite. A zero with a note (a pre-revenue
        company's sales growth, "none") records an absence, and a prior or default is an
        assumption: neither is flagged as unsourced or asked for a source."""
        if self.sourced or (self.status or "") in NOT_A_CLAIM_STATUS:
            return False
        return not (self.value == 0 and self.note)

    @property
    def estimate(self) -> bool:
        return self.status == "estimate"

    @property
    def flags(self) -> list[str]:
        """Warnings a partner must see next to the number (empty for a clean figure)."""
        out = []
        if self.needs_source:
            out.append("unsourced")
        if self.estimate:
            out.append("estimate")
        if self.stale:
            out.append(f"stale: as of {self.as_of}, {self.months_old} months before the case date")
        return out


class Citations:
    """Numbers sources and wraps figures; remembers which figures cite which source."""

    def __init__(self, case: Case, case_as_of: dt.date | None, stale_months: int):
        self.case_as_of = case_as_of
        self.stale_months = stale_months
        self.sources: dict[str, SourceRef] = {}
        for i, s in enumerate(case.sources, 1):
            self.sources[s.id] = SourceRef(
                i,
                s.id,
                s.title,
                s.url,
                s.document,
                s.publisher,
                date_text(s.date),
            )
        self.all: list[Citation] = []
        self._by_path: dict[str, Citation] = {}
        self._source_dates = {s.id: s.date for s in case.sources}

    def cite(
        self,
        fig: Figure | None,
        path: str,
        item: str,
        *,
        owner: str | None = None,
        subject: str | None = None,
        unit: str | None = None,
    ) -> Citation | None:
        """Wrap `fig` (None if absent). `unit` is the field's implied unit when the figure
        gives none (cash_runway_months -> months). A path cited before returns that same
        citation: one figure shown in two places (a deal covering two assets) is one figure
        in the counts, the source list and the provenance questions."""
        if fig is None:
            return None
        if path in self._by_path:
            return self._by_path[path]
        what = f"{subject} {item}" if subject else item
        src = self.sources.get(fig.source) if fig.source else None
        as_of = fig.as_of or (self._source_dates.get(fig.source) if fig.source else None)
        months = months_between(as_of, self.case_as_of) if as_of and self.case_as_of else None
        status = fig.status.value if fig.status is not None else None
        c = Citation(
            path=path,
            what=what,
            value=fig.value,
            text=figure_text(fig.value, fig.unit or unit),
            source=src,
            status=status,
            as_of=date_text(as_of),
            months_old=months,
            stale=months is not None and months > self.stale_months,
            note=fig.note,
            item=item,
            owner=owner,
            subject=subject,
        )
        if src is not None:
            src.cited_by.append(f"{what} ({c.text})")
        self.all.append(c)
        self._by_path[path] = c
        return c


# -- view model --------------------------------------------------------------------------------


def fmt_value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, list):
        return "[" + ", ".join(fmt_value(x) for x in v) + "]"
    return str(v)
