"""The decision store: every screening result and every human decision, hash-chained, in SQLite.

One file (default `.dealscreen/decisions.db`), stdlib `sqlite3` in WAL mode, so months later an
associate can see exactly what was decided, under which rule set, on which case data, and prove
the record was not altered.

Layout (schema version `SCHEMA_VERSION`, kept in `PRAGMA user_version`; `MIGRATIONS` upgrade older
files in place, a newer file is refused):

- `texts`: content-addressed rule-set and case texts, stored once, keyed by the same sha256 the
  result JSON carries (`ruleset.sha256`, `case.sha256`), so a result points at its exact inputs.
  A rule set is stored as canonical JSON `{"files": {name: text}}` (a rule set may be a folder).
- `records`: one row per write. `kind` is `screen` (the engine's result, from `score --record` or
  the memo command) or `decision` (the firm's call, from `decide`, next to the engine's decision
  at that moment). The full result JSON is kept zlib-compressed; its sha256 is a column.

Tamper evidence: each record's `hash` is sha256 over the canonical JSON (sorted keys, no spaces,
UTF-8) of its columns plus the previous record's hash. `verify` recomputes the chain, the result
digests and the text digests, and names the first record that does not match. Because a rewrite
of the whole tail would produce a new, self-consistent chain, every write returns the new head
hash; keeping it elsewhere (the memo, the IC minutes) and passing it to `verify(head=...)` closes
that gap.

Writers take the write lock up front (`BEGIN IMMEDIATE`) and read the chain head inside the
transaction, so concurrent processes serialise cleanly instead of failing with "database is
locked" half-way through; a crash mid-write rolls back to the last complete transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screen.model.errors import ScreenError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x44534352  # "DSCR": marks the file as a dealscreen store
DEFAULT_STORE = Path(".dealscreen") / "decisions.db"
STORE_ENV = "DEALSCREEN_STORE"
ZLIB_LEVEL = 1  # result JSON compresses ~8x even at level 1; higher levels cost write time
GENESIS = "0" * 64  # the "previous hash" of the first record
BUSY_TIMEOUT_S = 60.0  # how long a writer waits for another process's transaction
HUMAN_DECISIONS = ("advance", "watch", "decline", "park")  # park: more diligence first
DECISION_ALIASES = {"pass": "decline"}  # "we passed" = declined, in VC speech

# Columns covered by the record hash, in table order (`id` included, so rows cannot be renumbered).
HASHED_COLUMNS = (
    "id",
    "kind",
    "created_at",
    "who",
    "case_id",
    "company",
    "case_path",
    "case_sha256",
    "ruleset_name",
    "ruleset_version",
    "ruleset_sha256",
    "engine_version",
    "decision",
    "score",
    "engine_decision",
    "engine_score",
    "reason",
    "note",
    "refers_to",
    "result_sha256",
    "prev_hash",
)

READ_COLUMNS = (*HASHED_COLUMNS, "hash", "result_z")

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
}


class StoreError(ScreenError):
    """The store cannot be used: missing, corrupt, not ours, or from a newer dealscreen."""


# --------------------------------------------------------------------------- encoding


def canonical_json(value: Any) -> str:
    """The one encoding hashes are computed over: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_hash(columns: dict[str, Any]) -> str:
    """Hash of one record: its hashed columns (which include the previous record's hash)."""
    return sha256_text(canonical_json({k: columns[k] for k in HASHED_COLUMNS}))


def result_text(result: dict[str, Any]) -> str:
    """The stored form of a result: compact JSON, key order kept (explain depends on it)."""
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def ruleset_digest(files: dict[str, bytes]) -> str:
    """The rule-set hash exactly as `loader.load_ruleset` computes it (file name + bytes)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): still record something honest
        return "unknown"


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """`--store PATH`, else $DEALSCREEN_STORE, else .dealscreen/decisions.db in the cwd."""
    if path:
        return Path(path)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


# --------------------------------------------------------------------------- records


@dataclass
class Record:
    """One row of the store, as read back (the result JSON is decoded on demand)."""

    id: int
    kind: str
    created_at: str
    who: str
    case_id: str
    company: str
    case_path: str | None
    case_sha256: str
    ruleset_name: str
    ruleset_version: str
    ruleset_sha256: str
    engine_version: str
    decision: str
    score: float | None
    engine_decision: str
    engine_score: float | None
    reason: str | None
    note: str | None
    refers_to: int | None
    result_sha256: str
    prev_hash: str
    hash: str
    result_z: bytes = field(repr=False, default=b"")

    @property
    def override(self) -> bool:
        """A human decision that differs from the engine's (insufficient information included)."""
        return self.kind == "decision" and self.decision != self.engine_decision

    def result(self) -> dict[str, Any]:
        return json.loads(zlib.decompress(self.result_z).decode("utf-8"))

    def summary(self) -> dict[str, Any]:
        """The record without its result JSON (what `audit list --format json` prints)."""
        out = {k: getattr(self, k) for k in HASHED_COLUMNS}
        out["hash"] = self.hash
        out["override"] = self.override
        return out


@dataclass
class Entry:
    """One record to write: a result, plus the human call when `kind` is `decision`."""

    result: dict[str, Any]
    case_text: str
    ruleset_files: dict[str, str]
    kind: str = "screen"
    decision: str | None = None
    reason: str | None = None
    note: str | None = None


@dataclass
class Written:
    ids: list[int]
    head: str


@dataclass
class Verification:
    ok: bool
    records: int
    head: str
    problem: str | None = None
    broken_id: int | None = None
    head_record: int | None = None  # the record whose hash equals the head kept elsewhere
    since_head: int = 0  # records written after that head


# --------------------------------------------------------------------------- the store


class Store:
    """A decision store at `path`. Open with `Store.open(path)` (write) or `Store.open(path,
    create=False)` (read-only use: a missing file is an error, not a new empty store)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self._texts_seen: set[str] = set()  # texts known to be committed in this store
        self._pending_texts: set[str] = set()  # texts written by the open transaction

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
        p = store_path(path)
        if not p.exists():
            if not create:
                raise StoreError(
                    f"{p}: no decision store here",
                    hint="record results first with `dealscreen score CASES --record`, "
                    "or point --store / $DEALSCREEN_STORE at the store",
                )
            p.parent.mkdir(parents=True, exist_ok=True)
        elif p.is_dir():
            raise StoreError(f"{p}: is a directory, expected a decision store file")
        try:
            conn = sqlite3.connect(p, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{p}: cannot open the decision store ({exc})") from None
        store = cls(p, conn)
        try:
            store._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(
                f"{p}: not a readable decision store ({exc})",
                hint="the file is corrupt or is not a dealscreen store; restore it from a backup",
            ) from None
        except StoreError:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prepare(self) -> None:
        c = self.conn
        c.execute("PRAGMA foreign_keys = ON")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        app = c.execute("PRAGMA application_id").fetchone()[0]
        self._check_version(version, app)
        if version == SCHEMA_VERSION:
            return
        if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the store to WAL mode")
        with self.write():
            version = c.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            self._check_version(version, c.execute("PRAGMA application_id").fetchone()[0])
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[v].split(";"):
                    if statement.strip():
                        c.execute(statement)
            c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_version(self, version: int, app: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store has schema version {version}; this dealscreen "
                f"understands up to version {SCHEMA_VERSION}",
                hint="upgrade dealscreen to read it; the store was not changed",
            )
        if app not in (0, APPLICATION_ID) or (app == 0 and version > 0):
            raise StoreError(
                f"{self.path}: this SQLite file is not a dealscreen decision store",
                hint="point --store / $DEALSCREEN_STORE at a decision store",
            )
        if app == 0 and version == 0:
            tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(
                    f"{self.path}: this SQLite file is not a dealscreen decision store",
                    hint="point --store / $DEALSCREEN_STORE at a decision store",
                )

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from the start (BEGIN IMMEDIATE)."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        self._pending_texts = set()
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        self._texts_seen |= self._pending_texts

    # ---------------------------------------------------------------- writing
    def head(self) -> str:
        row = self.conn.execute("SELECT hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS

    def append(self, entries: Sequence[Entry], *, who: str | None = None) -> Written:
        """Write `entries` in one transaction, chained after the current head; return new head."""
        who = who or default_who()
        ids: list[int] = []
        try:
            with self.write() as c:
                row = c.execute("SELECT id, hash FROM records ORDER BY id DESC LIMIT 1").fetchone()
                last_id, prev = (row[0], row[1]) if row else (0, GENESIS)
                for e in entries:
                    last_id += 1
                    cols = self._columns(e, last_id, who, prev)
                    text = result_text(e.result)
                    cols["result_sha256"] = sha256_text(text)
                    cols["hash"] = record_hash(cols)
                    cols["result_z"] = zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)
                    self._put_text(c, e.result["case"]["sha256"], "case", lambda e=e: e.case_text)
                    self._put_text(
                        c,
                        e.result["ruleset"]["sha256"],
                        "ruleset",
                        lambda e=e: canonical_json({"files": e.ruleset_files}),
                    )
                    names = ", ".join(cols)
                    marks = ", ".join("?" * len(cols))
                    c.execute(
                        f"INSERT INTO records ({names}) VALUES ({marks})", list(cols.values())
                    )
                    ids.append(last_id)
                    prev = cols["hash"]
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"{self.path}: could not write to the decision store ({exc})"
            ) from None
        return Written(ids, prev)

    def _columns(self, e: Entry, rid: int, who: str, prev: str) -> dict[str, Any]:
        r = e.result
        human = e.kind == "decision"
        refers = None
        if human:
            hit = self.conn.execute(
                "SELECT id FROM records WHERE kind = 'screen' AND case_sha256 = ? "
                "AND ruleset_sha256 = ? ORDER BY id DESC LIMIT 1",
                (r["case"]["sha256"], r["ruleset"]["sha256"]),
            ).fetchone()
            refers = hit[0] if hit else None
        return {
            "id": rid,
            "kind": e.kind,
            "created_at": now_utc(),
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

    def _put_text(
        self, c: sqlite3.Connection, sha: str, kind: str, body: Callable[[], str]
    ) -> None:
        """Store a text once (content-addressed); `body` is only built when it is new."""
        if sha in self._texts_seen:
            return
        if c.execute("SELECT 1 FROM texts WHERE sha256 = ?", (sha,)).fetchone() is None:
            c.execute(
                "INSERT INTO texts (sha256, kind, body) VALUES (?, ?, ?)", (sha, kind, body())
            )
        self._pending_texts.add(sha)

    # ---------------------------------------------------------------- reading
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Record]:
        cols = (*HASHED_COLUMNS, "hash", "result_z")
        try:
            rows = self.conn.execute(
                f"SELECT {', '.join(cols)} FROM records {sql}", params
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot read the decision store ({exc})") from None
        return [Record(**dict(zip(cols, row, strict=True))) for row in rows]

    def get(self, record_id: int) -> Record:
        found = self._read("WHERE id = ?", (record_id,))
        if not found:
            last = self.conn.execute("SELECT max(id) FROM records").fetchone()[0]
            hint = f"records are numbered 1..{last}" if last else "the store is empty"
            raise StoreError(f"{self.path}: no record #{record_id}", hint=hint)
        return found[0]

    def records(
        self,
        *,
        company: str | None = None,
        decision: str | None = None,
        since: str | None = None,
        kind: str | None = None,
        case_id: str | None = None,
    ) -> list[Record]:
        """Records in write order, filtered: company name (case-insensitive substring), decision
        (`pass` = decline), created on or after `since` (ISO date or timestamp), kind, case id."""
        where, params = [], []
        if company:
            where.append("(company LIKE ? ESCAPE '\\' OR case_id LIKE ? ESCAPE '\\')")
            like = "%" + company.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [like, like]
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
        sql = ("WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return self._read(sql, params)

    def text(self, sha: str) -> str:
        row = self.conn.execute("SELECT body FROM texts WHERE sha256 = ?", (sha,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: stored text {sha[:12]} is missing")
        return row[0]

    def ruleset_files(self, sha: str) -> dict[str, str]:
        return json.loads(self.text(sha))["files"]

    # ---------------------------------------------------------------- verifying
    def verify(self, head: str | None = None) -> Verification:
        """Recompute the chain, result digests and stored texts; name the first broken record.

        With `head` (a hash printed by an earlier write, kept elsewhere), also check that it is
        a record of this chain: a rewritten tail would not contain it."""
        prev, count, last_hash = GENESIS, 0, GENESIS
        found_head: int | None = None
        want = head.strip().lower() if head else None
        try:
            checked_texts: dict[str, bool] = {}
            cursor = self.conn.execute(f"SELECT {', '.join(READ_COLUMNS)} FROM records ORDER BY id")
            expected_id = 1
            for row in cursor:
                rec = Record(**dict(zip(READ_COLUMNS, row, strict=True)))
                count += 1
                problem = self._check(rec, prev, expected_id, checked_texts)
                if problem:
                    return Verification(
                        False,
                        count,
                        last_hash,
                        f"record #{rec.id} ({rec.company}, {rec.created_at}): {problem}",
                        rec.id,
                    )
                if want and rec.hash.startswith(want) and found_head is None:
                    found_head = rec.id
                prev = last_hash = rec.hash
                expected_id = rec.id + 1
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot read the decision store ({exc})") from None
        result = Verification(True, count, last_hash)
        if want is not None:
            if len(want) < 12 or any(ch not in "0123456789abcdef" for ch in want):
                raise StoreError(
                    f"--head {head!r} is not a hash", hint="give at least 12 hex digits of it"
                )
            if want == GENESIS and count == 0:
                return result
            if found_head is None:
                result.ok = False
                result.problem = (
                    f"head {want[:16]} is not in the chain: records up to it were rewritten "
                    "or removed"
                )
            else:
                result.head_record = found_head
                result.since_head = count - found_head
        return result

    def _check(
        self, rec: Record, prev: str, expected_id: int, texts: dict[str, bool]
    ) -> str | None:
        if rec.id != expected_id:
            return f"records #{expected_id}..#{rec.id - 1} are missing"
        if rec.prev_hash != prev:
            return (
                "its link to the previous record is broken "
                "(a record before it was removed or rewritten)"
            )
        cols = {k: getattr(rec, k) for k in HASHED_COLUMNS}
        if record_hash(cols) != rec.hash:
            return "hash mismatch: the record's fields were altered after it was written"
        try:
            text = zlib.decompress(rec.result_z).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            return "the stored result JSON is unreadable"
        if sha256_text(text) != rec.result_sha256:
            return "the stored result JSON was altered after it was written"
        for sha, kind in ((rec.case_sha256, "case"), (rec.ruleset_sha256, "ruleset")):
            if sha not in texts:
                texts[sha] = self._text_ok(sha, kind)
            if not texts[sha]:
                return f"the stored {kind} text {sha[:12]} is missing or was altered"
        return None

    def text_ok(self, sha: str, kind: str) -> bool:
        """Does the stored text still hash to the sha256 it is filed under?"""
        return self._text_ok(sha, kind)

    def _text_ok(self, sha: str, kind: str) -> bool:
        row = self.conn.execute("SELECT body FROM texts WHERE sha256 = ?", (sha,)).fetchone()
        if row is None:
            return False
        if kind == "case":
            return sha256_text(row[0]) == sha
        try:
            files = json.loads(row[0])["files"]
        except (ValueError, KeyError, TypeError):
            return False
        return ruleset_digest({n: t.encode("utf-8") for n, t in files.items()}) == sha


# --------------------------------------------------------------------------- public helpers


def read_ruleset_files(rules: str | os.PathLike[str] | None) -> dict[str, str]:
    """The text of each file of a rule set (the bundled thesis when `rules` is None)."""
    from screen.engine.loader import default_rules_path, rule_files

    root = Path(rules) if rules is not None else default_rules_path()
    out = {}
    for f in rule_files(root):
        out[f.name] = _decode(f.read_bytes(), str(f))
    return out


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise StoreError(f"{display}: not UTF-8 text, cannot be stored") from None


def _check_ruleset(files: dict[str, str], result: dict[str, Any], rules: Any) -> None:
    digest = ruleset_digest({n: t.encode("utf-8") for n, t in files.items()})
    if digest != result["ruleset"]["sha256"]:
        raise StoreError(
            f"{rules or 'the bundled rule set'}: changed on disk while it was being used; "
            "nothing was recorded",
            hint="run the command again",
        )


def _case_text(result: dict[str, Any], case_texts: dict[str, str] | None) -> str:
    sha = result["case"]["sha256"]
    if case_texts and sha in case_texts:
        return case_texts[sha]
    path = result["case"]["path"]
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot read the case file to store it ({exc.strerror})"
        ) from None
    if hashlib.sha256(raw).hexdigest() != sha:
        raise StoreError(
            f"{path}: changed on disk while it was being scored; nothing was recorded",
            hint="run the command again",
        )
    return _decode(raw, path)


def record_results(
    results: Sequence[dict[str, Any]],
    *,
    rules: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    who: str | None = None,
    case_texts: dict[str, str] | None = None,
) -> Written:
    """Record engine results (as `result.build_result` made them) in one transaction.

    `rules` is the rule-set path the results were computed with (None: the bundled thesis); its
    files are stored once, content-addressed, and must still hash to `ruleset.sha256`. Case texts
    come from `case_texts` (sha256 -> text, e.g. `LoadedCase.text`) or are re-read from
    `case.path` and checked against `case.sha256`. Returns the new record ids and head hash.
    """
    if not results:
        with Store.open(store) as s:
            return Written([], s.head())
    files = read_ruleset_files(rules)
    entries = []
    for r in results:
        _check_ruleset(files, r, rules)
        entries.append(Entry(r, _case_text(r, case_texts), files))
    with Store.open(store) as s:
        return s.append(entries, who=who)


def record_decision(
    result: dict[str, Any],
    decision: str,
    *,
    reason: str | None,
    note: str | None,
    rules: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    who: str | None = None,
    case_texts: dict[str, str] | None = None,
) -> Written:
    """Record the firm's call on a case, next to the engine's result for the same inputs."""
    decision = DECISION_ALIASES.get(decision, decision)
    if decision not in HUMAN_DECISIONS:
        raise StoreError(
            f"unknown decision '{decision}'", hint="advance, watch, decline, pass or park"
        )
    files = read_ruleset_files(rules)
    _check_ruleset(files, result, rules)
    entry = Entry(result, _case_text(result, case_texts), files, "decision", decision, reason, note)
    with Store.open(store) as s:
        return s.append([entry], who=who)
