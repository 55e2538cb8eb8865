"""Records sorted without holding them: records go to a temporary file, only sort keys stay.

A command that writes a sorted view of a large batch (`rank`'s rows, `score`'s table) must not
hold the batch: 20,000 cases should cost about the memory of 1,000 (issue 12). The spool keeps
per record only its sort key and its input index (~200 bytes) and `marshal`s the record (a
tuple of str, int, float, None and tuples of them) to an anonymous temporary file, deleted when
closed or by the OS if the process dies. Iterating reads the records back in key order, one at
a time, as often as a writer needs (an aligned table reads them twice: widths, then lines).

`sorted` is stable and the input index follows the key, so records with equal keys keep their
input order: the order is exactly `sorted(records, key=...)`'s.
"""

from __future__ import annotations

import marshal
import tempfile
from array import array
from collections.abc import Iterator
from typing import IO, Any


class SortedSpool:
    """(key, record) pairs added in input order; records iterated in key order, repeatedly."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="dealscreen-")  # noqa: SIM115 - closed by close()
        self._offsets = array("Q", [0])  # record i is bytes offsets[i]:offsets[i+1]
        self._keys: list[tuple[Any, ...]] = []
        self._sorted = True
        self._at_end = True  # where `add` writes; reading moves the file position

    def add(self, key: tuple[Any, ...], record: tuple[Any, ...]) -> None:
        data = marshal.dumps(record)
        if not self._at_end:
            self._file.seek(0, 2)
            self._at_end = True
        self._file.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        self._keys.append((*key, len(self._keys)))
        self._sorted = False

    def __len__(self) -> int:
        return len(self._keys)

    def records(self) -> Iterator[tuple[Any, ...]]:
        if not self._sorted:
            self._keys.sort()
            self._sorted = True
        self._file.flush()
        self._at_end = False
        offsets, fh = self._offsets, self._file
        for key in self._keys:
            i = key[-1]
            fh.seek(offsets[i])
            yield marshal.loads(fh.read(offsets[i + 1] - offsets[i]))

    def __iter__(self) -> Iterator[Any]:
        return self.records()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SortedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
