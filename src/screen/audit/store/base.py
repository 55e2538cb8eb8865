"""The store interface both backends share: appending to the chain, reading, verifying.

A backend (`sqlite.SQLiteStore`, `postgres.PostgresStore`) supplies the connection, the write
lock (`_write`), the chain head under that lock, the clock and the error translation; everything
that decides what a record contains, how it is hashed and how the chain is checked lives here,
once, so the two backends cannot drift apart.

SQL is written with `?` placeholders; a backend whose driver wants another style rewrites them
in `_sql`. Reads are streamed (`iter_records`): a cursor walks the table, so `audit list`,
`verify`, `stats` and `diff --store` hold one record at a time, not the whole store.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from screen.audit.store.location import store_name
from screen.audit.store.records import (
    DECISION_ALIASES,
    GENESIS,
    READ_COLUMNS,
    ZLIB_LEVEL,
    Entry,
    Record,
    StoreError,
    Verification,
    Written,
    canonical_json,
    default_who,
    record_hash,
    result_text,
    sha256_text,
    text_digest_ok,
)

STREAM_BATCH = 200  # rows fetched per round trip when streaming

# Backend name -> connect(location, create). Each backend module registers itself when the
# package is imported, so this module never imports a backend (no import cycle).
BACKENDS: dict[str, Callable[[Any, bool], Store]] = {}

MAX_RECORD_ID = 2**63 - 1  # SQLite INTEGER / PostgreSQL bigint


class Store:
    """A decision store. Open with `Store.open(name)` (write) or `Store.open(name, create=False)`
    (reading commands: a missing store is an error, and the store is opened read-only)."""

    backend = "?"
    name: str  # what may be printed: a path, or a URL without its password

    def __init__(self) -> None:
        self._texts_seen: set[str] = set()  # texts known to be committed in this store
        self._pending_texts: set[str] = set()  # texts written by the open transaction

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, name: Any = None, *, create: bool = True) -> Store:
        """The store at `name` (`--store`; default $DEALSCREEN_STORE, then the SQLite file
        .dealscreen/decisions.db): a SQLite path or a PostgreSQL URL / conninfo."""
        where = store_name(name)
        return BACKENDS["postgresql" if isinstance(where, str) else "sqlite"](where, create)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- backend hooks
    conn: Any

    def _sql(self, sql: str) -> str:
        return sql

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        """Translate driver errors into StoreErrors naming the store (and never a password)."""
        raise NotImplementedError

    def _write(self) -> contextlib.AbstractContextManager[Any]:
        """A write transaction holding the chain's write lock from its first statement."""
        raise NotImplementedError

    def _snapshot(self) -> contextlib.AbstractContextManager[None]:
        """A read transaction: one consistent view for a whole walk of the chain."""
        raise NotImplementedError

    def _locked_head(self) -> tuple[int, str]:
        """(last id, last hash) read under the write lock."""
        raise NotImplementedError

    def _set_head(self, last_id: int, head: str) -> None:
        """Called before commit with the new head (a head row to update, or nothing)."""

    def _clock(self) -> str:
        """created_at for a record being written now (the server's clock where there is one)."""
        raise NotImplementedError

    def _role(self) -> str | None:
        """The database role writing (None where the backend has no roles)."""
        return None

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of a query, fetched in batches (never all at once)."""
        raise NotImplementedError

    def _backend_checks(self, count: int, last_id: int, last_hash: str) -> Verification:
        """Backend-specific verify checks: problems and passed checks."""
        return Verification(True, count, last_hash)

    def _read_columns(self) -> tuple[str, ...]:
        return READ_COLUMNS

    # ---------------------------------------------------------------- small queries
    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._errors():
            return self.conn.execute(self._sql(sql), params).fetchone()

    def head(self) -> str:
        row = self._one("SELECT hash FROM records ORDER BY id DESC LIMIT 1")
        return row[0] if row else GENESIS

    # ---------------------------------------------------------------- writing
    def append(self, entries: Iterable[Entry], *, who: str | None = None) -> Written:
        """Write `entries` in one transaction, chained after the current head; return new head.

        `entries` is iterated once, inside the transaction (it may be a generator reading a
        batch back from disk: one entry in memory at a time)."""
        who = who or default_who()
        ids: list[int] = []
        with self._errors(), self._write():
            last_id, prev = self._locked_head()
            role = self._role()
            for e in entries:
                last_id += 1
                cols = self._columns(e, last_id, who, prev)
                cols["db_role"] = role
                text = e.result_json if e.result_json is not None else result_text(e.result)
                cols["result_sha256"] = sha256_text(text)
                cols["hash"] = record_hash(cols)
                cols["result_z"] = zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)
                self._put_text(e.result["case"]["sha256"], "case", lambda e=e: e.case_text)
                self._put_text(
                    e.result["ruleset"]["sha256"],
                    "ruleset",
                    lambda e=e: canonical_json({"files": e.ruleset_files}),
                )
                self._insert_record(cols)
                ids.append(last_id)
                prev = cols["hash"]
            self._set_head(last_id, prev)
        return Written(ids, prev)

    def _insert_record(self, cols: dict[str, Any]) -> None:
        names = ", ".join(cols)
        marks = ", ".join("?" * len(cols))
        self.conn.execute(
            self._sql(f"INSERT INTO records ({names}) VALUES ({marks})"), list(cols.values())
        )

    def _columns(self, e: Entry, rid: int, who: str, prev: str) -> dict[str, Any]:
        r = e.result
        human = e.kind == "decision"
        refers = None
        if human:
            hit = self.conn.execute(
                self._sql(
                    "SELECT id FROM records WHERE kind = 'screen' AND case_sha256 = ? "
                    "AND ruleset_sha256 = ? ORDER BY id DESC LIMIT 1"
                ),
                (r["case"]["sha256"], r["ruleset"]["sha256"]),
            ).fetchone()
            refers = hit[0] if hit else None
        return {
            "id": rid,
            "kind": e.kind,
            "created_at": self._clock(),
            "who": who,
            "case_id": r["case"]["id"],
            "company": r["case"]["company"],
            "case_path": r["case"].get("path"),
            "case_sha256": r["case"]["sha256"],
            "ruleset_name": r["ruleset"]["name"],
            "ruleset_version": r["ruleset"]["version"],
            "ruleset_sha256": r["ruleset"]["sha256"],
            "engine_version": r["engine"]["version"],
            "decision": e.decision if human else r["decision"],
            "score": None if human else float(r["score"]),
            "engine_decision": r["decision"],
            "engine_score": float(r["score"]),
            "reason": e.reason,
            "note": e.note,
            "refers_to": refers,
            "result_sha256": "",
            "prev_hash": prev,
        }

    def _put_text(self, sha: str, kind: str, body: Callable[[], str]) -> None:
        """Store a text once (content-addressed); `body` is only built when it is new."""
        if sha in self._texts_seen:
            return
        found = self.conn.execute(
            self._sql("SELECT 1 FROM texts WHERE sha256 = ?"), (sha,)
        ).fetchone()
        if found is None:
            self.conn.execute(
                self._sql("INSERT INTO texts (sha256, kind, body) VALUES (?, ?, ?)"),
                (sha, kind, body()),
            )
        self._pending_texts.add(sha)

    def copy_in(self, records: Sequence[Record], texts: dict[str, tuple[str, str]]) -> int:
        """Append records read from another store exactly as they are (same ids, times, roles
        and hashes), with the texts they point at (sha256 -> (kind, body)). They must continue
        this store's chain; returns how many were written."""
        if not records:
            return 0
        with self._errors(), self._write():
            last_id, prev = self._locked_head()
            for r in records:
                if r.id != last_id + 1 or r.prev_hash != prev:
                    raise StoreError(
                        f"{self.name}: record #{r.id} does not continue this store's chain "
                        f"(its head is #{last_id})",
                        hint="nothing was copied",
                    )
                for sha in (r.case_sha256, r.ruleset_sha256):
                    kind, body = texts[sha]
                    self._put_text(sha, kind, lambda body=body: body)
                self._insert_record(r.columns())
                last_id, prev = r.id, r.hash
            self._set_head(last_id, prev)
        return len(records)

    # ---------------------------------------------------------------- reading
    def _where(
        self,
        company: str | None = None,
        decision: str | None = None,
        since: str | None = None,
        kind: str | None = None,
        case_id: str | None = None,
        after_id: int | None = None,
        up_to_id: int | None = None,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if company:  # the database lowers both sides, so both follow the same case rules
            where.append(
                "(lower(company) LIKE lower(?) ESCAPE '\\' "
                "OR lower(case_id) LIKE lower(?) ESCAPE '\\')"
            )
            like = company.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += ["%" + like + "%"] * 2
        if decision:
            where.append("decision = ?")
            params.append(DECISION_ALIASES.get(decision, decision))
        if since:
            where.append("created_at >= ?")
            params.append(since)
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if case_id:
            where.append("case_id = ?")
            params.append(case_id)
        if after_id is not None:
            where.append("id > ?")
            params.append(after_id)
        if up_to_id is not None:
            where.append("id <= ?")
            params.append(up_to_id)
        return ("WHERE " + " AND ".join(where) if where else "") + " ORDER BY id", params

    def iter_records(self, *, with_result: bool = False, **filters: Any) -> Iterator[Record]:
        """Records in write order, streamed, filtered: company name or case id (case-insensitive
        substring), decision (`pass` = decline), created on or after `since` (ISO date or
        timestamp), kind, case id, `after_id` / `up_to_id`. Without `with_result` the result
        JSON is not fetched (`Record.result()` then fails): listing needs only the columns."""
        cols = self._read_columns()
        if not with_result:
            cols = tuple(c for c in cols if c != "result_z")
        where, params = self._where(**filters)
        for row in self._stream(f"SELECT {', '.join(cols)} FROM records {where}", params):
            yield Record(**dict(zip(cols, row, strict=True)))

    def records(self, **filters: Any) -> list[Record]:
        """All matching records with their results, as a list (small stores, tests, notebooks;
        commands use `iter_records`)."""
        return list(self.iter_records(with_result=True, **filters))

    def get(self, record_id: int) -> Record:
        if not 0 < record_id <= MAX_RECORD_ID:  # beyond any id a database column can hold
            found = []
        else:
            found = list(
                self.iter_records(with_result=True, after_id=record_id - 1, up_to_id=record_id)
            )
        if not found:
            last = self._one("SELECT max(id) FROM records")[0]
            hint = f"records are numbered 1..{last}" if last else "the store is empty"
            raise StoreError(f"{self.name}: no record #{record_id}", hint=hint)
        return found[0]

    def last_id(self) -> int:
        return self._one("SELECT coalesce(max(id), 0) FROM records")[0]

    def text(self, sha: str) -> str:
        row = self._one("SELECT body FROM texts WHERE sha256 = ?", (sha,))
        if row is None:
            raise StoreError(f"{self.name}: stored text {sha[:12]} is missing")
        return row[0]

    def text_kind(self, sha: str) -> tuple[str, str]:
        row = self._one("SELECT kind, body FROM texts WHERE sha256 = ?", (sha,))
        if row is None:
            raise StoreError(f"{self.name}: stored text {sha[:12]} is missing")
        return row[0], row[1]

    def ruleset_files(self, sha: str) -> dict[str, str]:
        return json.loads(self.text(sha))["files"]

    def text_ok(self, sha: str, kind: str) -> bool:
        """Does the stored text still hash to the sha256 it is filed under?"""
        row = self._one("SELECT body FROM texts WHERE sha256 = ?", (sha,))
        return row is not None and text_digest_ok(sha, kind, row[0])

    # ---------------------------------------------------------------- verifying
    def verify(self, head: str | None = None) -> Verification:
        """Recompute the chain, result digests and stored texts; list every broken record.

        With `head` (a hash printed by an earlier write, kept elsewhere), also check that it is
        a record of this chain: a rewritten or truncated tail would not contain it."""
        want = head.strip().lower() if head else None
        if want is not None and (
            len(want) < 12 or any(ch not in "0123456789abcdef" for ch in want)
        ):
            raise StoreError(
                f"--head {head!r} is not a hash", hint="give at least 12 hex digits of it"
            )
        prev, count, last_id = GENESIS, 0, 0
        found_head: int | None = None
        problems: list[tuple[int | None, str]] = []
        checked_texts: dict[str, bool] = {}
        with self._errors(), self._snapshot():
            for rec in self.iter_records(with_result=True):
                count += 1
                found = self._check(rec, prev, last_id + 1, checked_texts)
                if found:
                    what = "; ".join(found)
                    problems.append(
                        (rec.id, f"record #{rec.id} ({rec.company}, {rec.created_at}): {what}")
                    )
                if want and found_head is None and rec.hash.startswith(want):
                    found_head = rec.id
                prev, last_id = rec.hash, rec.id
            backend = self._backend_checks(count, last_id, prev)
        result = Verification(
            not problems, count, prev, problems + backend.problems, backend.checks
        )
        result.ok = not result.problems
        if want is not None and not (want == GENESIS and count == 0):
            if found_head is None:
                result.ok = False
                result.problems.append(
                    (
                        None,
                        f"head {want[:16]} is not in the chain: records up to it were rewritten "
                        "or removed",
                    )
                )
            else:
                result.head_record = found_head
                result.since_head = count - found_head
        return result

    def _check(self, rec: Record, prev: str, expected_id: int, texts: dict[str, bool]) -> list[str]:
        out: list[str] = []
        if rec.id != expected_id:
            gap = (
                f"#{expected_id}" if rec.id == expected_id + 1 else f"#{expected_id}..#{rec.id - 1}"
            )
            out.append(f"record(s) {gap} before it are missing" if rec.id > expected_id
                       else "it is out of order (ids must increase)")  # fmt: skip
        elif rec.prev_hash != prev:
            out.append(
                "its link to the previous record is broken "
                "(a record before it was removed or rewritten)"
            )
        out.extend(rec.damage())
        for sha, kind in ((rec.case_sha256, "case"), (rec.ruleset_sha256, "ruleset")):
            if sha not in texts:
                texts[sha] = self.text_ok(sha, kind)
            if not texts[sha]:
                out.append(f"the stored {kind} text {sha[:12]} is missing or was altered")
        return out
