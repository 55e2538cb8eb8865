"""Results waiting to be recorded at the end of a batch, kept on disk instead of in a list.

`score --record` over 20,000 cases writes every result in one transaction after scoring (so a
failure anywhere records nothing, and the store's write lock is held only while writing).
Holding the results until then cost ~100 KB each (their trace included); the spool writes
each one as its stored form (`result_text`: compact JSON, one line, key order kept) to an
anonymous temporary file and reads them back one at a time, as often as asked.

A result read back is `json.loads` of that text: the same keys in the same order, the same
numbers (JSON floats round-trip), lists where the result had tuples; its `result_text` is the
text written, which `Store.append` stores and hashes (`Entry.result_json`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from screen.audit.store.records import result_text


class ResultSpool:
    """Results added one by one; iterated (any number of times) in the order added, as
    (result, its stored JSON text)."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="dealscreen-record-")  # noqa: SIM115 - closed by close()
        self._count = 0

    def add(self, result: dict[str, Any]) -> None:
        text = result_text(result)  # compact JSON: no raw line break inside
        self._file.seek(0, 2)  # reading may have moved the position
        self._file.write(text.encode("utf-8", "surrogatepass") + b"\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def items(self) -> Iterator[tuple[dict[str, Any], str]]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self._count):
            text = self._file.readline()[:-1].decode("utf-8", "surrogatepass")
            yield json.loads(text), text

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (result for result, _ in self.items())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
