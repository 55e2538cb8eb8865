"""Ranked rows without holding them: a `SortedSpool` of `PipelineRow`s by `sort_key`.

`rank` over 20,000 case files must cost about the memory of 1,000 (issue 12). A `PipelineRow`
with its strings and tuples is ~2 KB, and the JSON document built from all of them several
times that; the spool keeps per row only `PipelineRow.sort_key` and the input index and the
row's fields on disk (see `report.spool`). Iterating gives the rows in `rank.rank`'s order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from screen.pipeline.rank import PipelineRow
from screen.report.spool import SortedSpool

_FIELDS = tuple(f.name for f in fields(PipelineRow))


class RowSpool(SortedSpool):
    """Rows added in input order; iterated (any number of times) in pipeline order."""

    def add(self, row: PipelineRow) -> None:  # type: ignore[override]
        super().add(row.sort_key(), tuple(getattr(row, name) for name in _FIELDS))

    def __iter__(self) -> Iterator[PipelineRow]:
        return (PipelineRow(*record) for record in self.records())

    def __enter__(self) -> RowSpool:
        return self
