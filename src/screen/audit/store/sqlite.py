"""The embedded backend: one SQLite file (default `.dealscreen/decisions.db`), stdlib `sqlite3`
in WAL mode, for a person's own decision log.

Layout (schema version `SCHEMA_VERSION`, kept in `PRAGMA user_version`; `MIGRATIONS` upgrade older
files in place when a command writes, a newer file is refused):

- `texts`: content-addressed rule-set and case texts, stored once, keyed by the same sha256 the
  result JSON carries (`ruleset.sha256`, `case.sha256`), so a result points at its exact inputs.
  A rule set is stored as canonical JSON `{"files": {name: text}}` (a rule set may be a folder).
- `records`: one row per write (see `records.py` for the fields and the hash).

Writers take the write lock up front (`BEGIN IMMEDIATE`) and read the chain head inside the
transaction, so concurrent processes serialise cleanly instead of failing with "database is
locked" half-way through; a crash mid-write rolls back to the last complete transaction.

Reading commands open the file read-only (`mode=ro`), so a store on a read-only filesystem, or
one the user may only read, lists and verifies; SQLite errors are told apart (read-only, disk
full, locked, corrupt) instead of all reading as corruption. A new store is built in a temporary
file and linked into place complete, so a 0-byte file is never ours and is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from screen.audit.store.base import BACKENDS, STREAM_BATCH, Store
from screen.audit.store.records import GENESIS, READ_COLUMNS, StoreError, Verification, now_utc

SCHEMA_VERSION = 2
APPLICATION_ID = 0x44534352  # "DSCR": marks the file as a dealscreen store
BUSY_TIMEOUT_S = 60.0  # how long a writer waits for another process's transaction
SQLITE_MAGIC = b"SQLite format 3\x00"

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE texts (
        sha256 TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('ruleset', 'case')),
        body TEXT NOT NULL
    );
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('screen', 'decision')),
        created_at TEXT NOT NULL,
        who TEXT NOT NULL,
        case_id TEXT NOT NULL,
        company TEXT NOT NULL,
        case_path TEXT,
        case_sha256 TEXT NOT NULL REFERENCES texts(sha256),
        ruleset_name TEXT NOT NULL,
        ruleset_version TEXT NOT NULL,
        ruleset_sha256 TEXT NOT NULL REFERENCES texts(sha256),
        engine_version TEXT NOT NULL,
        decision TEXT NOT NULL,
        score REAL,
        engine_decision TEXT NOT NULL,
        engine_score REAL,
        reason TEXT,
        note TEXT,
        refers_to INTEGER,
        result_sha256 TEXT NOT NULL,
        result_z BLOB NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE INDEX records_case ON records(case_id);
    CREATE INDEX records_company ON records(company);
    CREATE INDEX records_created ON records(created_at);
    """,
    # 2: the database role next to `who` (always NULL here; kept so records copied from a
    # PostgreSQL store keep theirs), and one successor per record, as on PostgreSQL.
    2: """
    ALTER TABLE records ADD COLUMN db_role TEXT;
    CREATE UNIQUE INDEX records_prev ON records(prev_hash);
    """,
}


def _problem(exc: sqlite3.Error, path: Path, doing: str, *, writing: bool) -> StoreError:
    """One SQLite error as the user should read it: what happened, and what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if (
        name.startswith("SQLITE_READONLY")
        or "readonly" in text
        or (writing and _read_only_place(path))
    ):
        return StoreError(
            f"{path}: the decision store is read-only, cannot {doing} ({text})",
            hint="reading commands (audit list/show/verify) still work; write to a store you "
            "may change (--store)",
        )
    io_error = name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O" in text
    if name == "SQLITE_FULL" or "disk is full" in text or (io_error and _disk_full(path)):
        return StoreError(
            f"{path}: disk full, cannot {doing}" + ("; nothing was recorded" if writing else ""),
            hint="free some space and run the command again; the store is unchanged",
        )
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return StoreError(
            f"{path}: the decision store is locked by another process, cannot {doing}",
            hint=f"another dealscreen held it for more than {BUSY_TIMEOUT_S:.0f} s; try again",
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StoreError(
            f"{path}: cannot open the decision store ({text})",
            hint="check that the file and its folder exist and may be read "
            "(a WAL store on a read-only disk needs its -wal and -shm files beside it)",
        )
    if name.startswith("SQLITE_IOERR") or "disk I/O" in text:
        return StoreError(
            f"{path}: disk I/O error, cannot {doing} ({text})",
            hint="check the disk (full? removed?); the last complete transaction is kept",
        )
    return StoreError(
        f"{path}: not a readable decision store ({text})",
        hint="the file is corrupt or is not a dealscreen store; restore it from a backup",
    )


def _disk_full(path: Path) -> bool:
    """Is the store's filesystem (nearly) out of space? SQLite reports a failed -shm or -wal
    extension as an I/O error, not as SQLITE_FULL."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _read_only_place(path: Path) -> bool:
    """Is the store's filesystem mounted read-only, or its file or folder not writable by us?"""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    targets = [path.parent] + ([path] if path.exists() else [])
    return not all(os.access(t, os.W_OK) for t in targets)


class SQLiteStore(Store):
    """A store in one SQLite file."""

    backend = "sqlite"

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool):
        super().__init__()
        self.path = path
        self.name = str(path)
        self.conn = conn
        self.readonly = readonly
        self.version = SCHEMA_VERSION

    # ---------------------------------------------------------------- opening
    @classmethod
    def connect(cls, path: Path, *, create: bool = True) -> SQLiteStore:
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, expected a decision store file")
        if not path.exists():
            if not create:
                raise StoreError(
                    f"{path}: no decision store here",
                    hint="record results first with `dealscreen score CASES --record`, "
                    "or point --store / $DEALSCREEN_STORE at the store",
                )
            _create(path)
        elif path.stat().st_size == 0:
            raise StoreError(
                f"{path}: empty file, not a decision store (dealscreen never leaves one empty)",
                hint="remove it to start a new store here, or point --store at the real one",
            )
        else:
            _check_magic(path)
        readonly = not create
        try:
            if readonly:
                conn = _open_readonly(path)
            else:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise _problem(exc, path, "open it", writing=not readonly) from None
        store = cls(path, conn, readonly=readonly)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            conn.close()
            doing = "read it" if readonly else "write to it"
            raise _problem(exc, path, doing, writing=not readonly) from None
        except StoreError:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        c = self.conn
        if not self.readonly:
            c.execute("PRAGMA foreign_keys = ON")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        self._check_version(version, c.execute("PRAGMA application_id").fetchone()[0])
        self.version = version
        if version == SCHEMA_VERSION or self.readonly:
            return  # reading commands read older layouts as they are (see _read_columns)
        if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the store to WAL mode")
        with self._write():
            version = c.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            self._check_version(version, c.execute("PRAGMA application_id").fetchone()[0])
            _migrate(c, version)
        self.version = SCHEMA_VERSION

    def _check_version(self, version: int, app: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store has schema version {version}; this dealscreen "
                f"understands up to version {SCHEMA_VERSION}",
                hint="upgrade dealscreen to read it; the store was not changed",
            )
        if app != APPLICATION_ID or version == 0:
            raise StoreError(
                f"{self.path}: this SQLite file is not a dealscreen decision store",
                hint="point --store / $DEALSCREEN_STORE at a decision store",
            )

    # ---------------------------------------------------------------- backend hooks
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            doing = "read it" if self.readonly else "write to it"
            raise _problem(exc, self.path, doing, writing=not self.readonly) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from the start (BEGIN IMMEDIATE)."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened for reading only")
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        self._pending_texts = set()
        try:
            yield c
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
                with contextlib.suppress(sqlite3.Error):
                    c.execute("ROLLBACK")
            raise
        self._texts_seen |= self._pending_texts

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        c = self.conn
        if c.in_transaction:
            yield
            return
        c.execute("BEGIN")
        try:
            yield
        finally:
            if c.in_transaction:
                c.execute("ROLLBACK")

    def _locked_head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT id, hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def _clock(self) -> str:
        return now_utc()

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        with self._errors():
            cursor = self.conn.execute(sql, params)
            cursor.arraysize = STREAM_BATCH
            while rows := cursor.fetchmany():
                yield from rows

    def _read_columns(self) -> tuple[str, ...]:
        if self.version >= 2:
            return READ_COLUMNS
        return tuple(c for c in READ_COLUMNS if c != "db_role")  # older layout, read as is

    def _backend_checks(self, count: int, last_id: int, last_hash: str) -> Verification:
        """Page-level integrity (`PRAGMA quick_check`): random bytes in a page show up here
        even where no record field was touched."""
        out = Verification(True, count, last_hash)
        rows = [r[0] for r in self.conn.execute("PRAGMA quick_check(20)")]
        if rows != ["ok"]:
            out.problems.append((None, "the file is damaged: " + "; ".join(rows)))
        else:
            out.checks.append("SQLite page check (quick_check) ok")
        return out


BACKENDS["sqlite"] = lambda where, create: SQLiteStore.connect(where, create=create)


def _check_magic(path: Path) -> None:
    """A file that is not SQLite at all is named as such, before SQLite guesses."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the decision store ({exc.strerror})") from None
    if head != SQLITE_MAGIC:
        raise StoreError(
            f"{path}: not a SQLite file, so not a decision store",
            hint="point --store / $DEALSCREEN_STORE at a decision store",
        )


def _open_readonly(path: Path) -> sqlite3.Connection:
    """Open for reading only. On a read-only filesystem or a full disk SQLite cannot create the
    WAL index (-shm); when no write-ahead log is pending (no -wal file, or an empty one) the file
    is complete on its own and is read as immutable."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        wal = Path(str(path) + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not (
            name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_IOERR"))
            or "unable to open" in str(exc)
            or "disk I/O" in str(exc)
        ):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


def _migrate(c: sqlite3.Connection, version: int) -> None:
    for v in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[v].split(";"):
            if statement.strip():
                c.execute(statement)
    c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create(path: Path) -> None:
    """Build a new, complete store in a temporary file beside `path` and link it into place
    (never replacing a file another process created meanwhile)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".dealscreen-new-", suffix=".db", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot create the decision store ({exc.strerror})",
            hint="check that the folder may be written"
            + (" (the disk is full)" if exc.errno == errno.ENOSPC else ""),
        ) from None
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            _migrate(conn, 0)
            conn.execute("COMMIT")
        finally:
            conn.close()
        try:
            os.link(tmp, path)  # atomic, and never replaces a store another process created
        except FileExistsError:
            pass  # another process created it first: use that one
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV):
                raise
            if not path.exists():  # a filesystem without hard links: rename, nearly as safe
                os.rename(tmp, path)
    except sqlite3.Error as exc:
        raise _problem(exc, path, "create it", writing=True) from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the decision store ({exc.strerror})") from None
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
