"""Ranked rows without holding them: rows go to a temporary file, only their sort keys stay.

`rank` over 20,000 case files must cost about the memory of 1,000 (issue 12). A `PipelineRow`
with its strings and tuples is ~2 KB, and the JSON document built from all of them several
times that; the spool keeps per row only what ordering needs (the `PipelineRow.sort_key`
tuple and the row's input index, ~300 bytes) and `marshal`s the row's fields to an anonymous
temporary file (deleted when closed, or by the OS if the process dies). Iterating the spool
reads the rows back in pipeline order, one at a time, as often as a writer needs (the text
table reads them twice: widths, then lines).

The order is exactly `rank.rank`'s: `sorted` on the same key is stable, and the input index
after the key keeps equal keys (the same file given twice) in input order.
"""

from __future__ import annotations

import marshal
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import fields
from typing import IO, Any

from screen.pipeline.rank import PipelineRow

_FIELDS = tuple(f.name for f in fields(PipelineRow))


class RowSpool:
    """Rows added in input order; iterated (any number of times) in pipeline order."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="dealscreen-rank-")  # noqa: SIM115 - closed by close()
        self._offsets = array("Q", [0])  # row i is bytes offsets[i]:offsets[i+1]
        self._keys: list[tuple[Any, ...]] = []
        self._sorted = True
        self._at_end = True  # where `add` writes; reading moves the file position

    def add(self, row: PipelineRow) -> None:
        data = marshal.dumps(tuple(getattr(row, name) for name in _FIELDS))
        if not self._at_end:
            self._file.seek(0, 2)
            self._at_end = True
        self._file.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        self._keys.append((*row.sort_key(), len(self._keys)))
        self._sorted = False

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[PipelineRow]:
        if not self._sorted:
            self._keys.sort()
            self._sorted = True
        self._file.flush()
        self._at_end = False
        offsets, fh = self._offsets, self._file
        for key in self._keys:
            i = key[-1]
            fh.seek(offsets[i])
            yield PipelineRow(*marshal.loads(fh.read(offsets[i + 1] - offsets[i])))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
