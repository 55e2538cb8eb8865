"""The team backend: the decision store in a PostgreSQL database (psycopg 3, optional extra
`dealscreen[postgres]`), so associates and partners share one chain.

Same records, canonical JSON and hashes as the SQLite file (`records.py`), with what a shared
server needs on top:

- One linear chain under concurrency: a one-row table `chain_head` is locked with
  `SELECT ... FOR UPDATE` as the first statement of every write; ids and `prev_hash` are taken
  from it under that lock (measured with 4 writers: no lost writes, no forks, no retries).
  `UNIQUE(prev_hash)` makes a writer that skips the lock fail instead of forking the chain. Ids
  are not a sequence (a rolled-back sequence value would leave a gap that `verify` reports).
- Scores are `double precision`, so a float comes back bit for bit and the hash still matches
  (`real` turns 1234.5678 into 1234.5677).
- `created_at` is the server's clock (`clock_timestamp()`, taken under the lock, so times follow
  ids); `db_role` records the database role next to the `--who` the user typed.
- Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE on `records`; `verify` checks it is
  still in place (and enabled) and says so, and that `chain_head` matches the last record (a
  superuser who disables the trigger and cuts the tail is caught there, or by `--head`).
- Schema version in `dealscreen_schema` (migrations under an advisory lock, so two first writers
  do not both create it); a store from a newer dealscreen is refused.
- Reads stream through a server-side cursor in one REPEATABLE READ snapshot.

Connection details come from the URL or conninfo as libpq reads them (also PGPASSWORD,
~/.pgpass, PGSERVICE). They are only ever shown through `location.display_name`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from screen.audit.store.base import BACKENDS, STREAM_BATCH, Store
from screen.audit.store.location import POSTGRES_INSTALL_HINT, display_name, redact
from screen.audit.store.records import GENESIS, StoreError, Verification

SCHEMA_VERSION = 2  # kept equal to the SQLite layout's version: same fields at the same version
APPLICATION = "dealscreen decision store"
MIGRATION_LOCK = 0x44534352  # advisory lock key ("DSCR") held while the schema is created
CONNECT_TIMEOUT_S = 10
TRIGGER = "dealscreen_records_append_only"

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE texts (
        sha256 text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('ruleset', 'case')),
        body text NOT NULL
    );
    CREATE TABLE records (
        id bigint PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('screen', 'decision')),
        created_at text NOT NULL,
        who text NOT NULL,
        case_id text NOT NULL,
        company text NOT NULL,
        case_path text,
        case_sha256 text NOT NULL REFERENCES texts(sha256),
        ruleset_name text NOT NULL,
        ruleset_version text NOT NULL,
        ruleset_sha256 text NOT NULL REFERENCES texts(sha256),
        engine_version text NOT NULL,
        decision text NOT NULL,
        score double precision,
        engine_score double precision,
        engine_decision text NOT NULL,
        reason text,
        note text,
        refers_to bigint,
        result_sha256 text NOT NULL,
        result_z bytea NOT NULL,
        prev_hash text NOT NULL UNIQUE,
        hash text NOT NULL UNIQUE
    );
    CREATE INDEX records_case ON records(case_id);
    CREATE INDEX records_company ON records(company);
    CREATE INDEX records_created ON records(created_at);
    CREATE TABLE chain_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        last_id bigint NOT NULL,
        hash text NOT NULL
    );
    INSERT INTO chain_head (one, last_id, hash) VALUES (true, 0, '{genesis}');
    CREATE FUNCTION dealscreen_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'decision records are append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON records
        FOR EACH ROW EXECUTE FUNCTION dealscreen_refuse_change();
    CREATE TRIGGER {trigger}_truncate BEFORE TRUNCATE ON records
        FOR EACH STATEMENT EXECUTE FUNCTION dealscreen_refuse_change();
    """,
    2: """
    ALTER TABLE records ADD COLUMN db_role text;
    """,
}


def _driver() -> Any:
    try:
        import psycopg
        import psycopg.conninfo
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs the psycopg driver, which is not installed",
            hint=POSTGRES_INSTALL_HINT,
        ) from None
    return psycopg


class PostgresStore(Store):
    """A store in a PostgreSQL database (tables in the connection's default schema)."""

    backend = "postgresql"

    def __init__(self, conninfo: str, conn: Any, *, readonly: bool):
        super().__init__()
        self.conninfo = conninfo
        self.name = display_name(conninfo)
        self.conn = conn
        self.readonly = readonly
        self._role_name: str | None = None
        self._cursor_names = itertools.count(1)

    # ---------------------------------------------------------------- opening
    @classmethod
    def connect(cls, conninfo: str, *, create: bool = True) -> PostgresStore:
        psycopg = _driver()
        name = display_name(conninfo)
        try:
            psycopg.conninfo.conninfo_to_dict(conninfo)
        except psycopg.Error:  # its message quotes the string, password and all: not shown
            raise StoreError(
                f"{name}: not a valid PostgreSQL URL or key=value connection string",
                hint="e.g. postgresql://user@host:5432/dbname (password in ~/.pgpass or "
                "$PGPASSWORD)",
            ) from None
        try:
            conn = psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="dealscreen",
            )
        except psycopg.Error as exc:
            raise StoreError(
                f"{name}: cannot connect to the decision store ({_first_line(exc, conninfo)})",
                hint="check the server is running and the URL, user and password are right; "
                "nothing was written",
            ) from None
        store = cls(conninfo, conn, readonly=not create)
        try:
            with store._errors():
                store._prepare(create)
        except BaseException:
            conn.close()
            raise
        return store

    def _schema_version(self) -> int | None:
        exists = self.conn.execute("SELECT to_regclass('dealscreen_schema') IS NOT NULL").fetchone()
        if not exists[0]:
            return None
        row = self.conn.execute("SELECT version, application FROM dealscreen_schema").fetchone()
        if row is None or row[1] != APPLICATION:
            raise StoreError(
                f"{self.name}: this database is not a dealscreen decision store",
                hint="point --store / $DEALSCREEN_STORE at a decision store",
            )
        return int(row[0])

    def _prepare(self, create: bool) -> None:
        version = self._schema_version()
        if version is None and not create:
            raise StoreError(
                f"{self.name}: no decision store in this database",
                hint="create it once with `dealscreen audit init --store URL` as the database "
                "owner (see README, Team store)",
            )
        if version is not None:
            self._check_version(version)
        if version == SCHEMA_VERSION:
            return
        if not create:
            raise StoreError(
                f"{self.name}: the store has schema version {version}; this dealscreen writes "
                f"version {SCHEMA_VERSION}",
                hint="run any recording command (or `dealscreen audit init`) once as the "
                "database owner to upgrade it",
            )
        # A session lock taken before the transaction, not a transaction lock inside it: a
        # transaction reads the catalog as of its start, so one that waited inside for another
        # process's migration would not see the tables that process just created.
        self.conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            self._migrate()
        finally:
            with contextlib.suppress(Exception):  # a lost connection has released it already
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    def _migrate(self) -> None:
        with self.conn.transaction():
            version = self._schema_version()  # another process may have won
            if version is None:
                if self._foreign_tables():
                    raise StoreError(
                        f"{self.name}: the database already has tables named like the store's "
                        "(records, texts, chain_head) but no dealscreen schema",
                        hint="use an empty database (or schema) for the decision store",
                    )
                self.conn.execute(
                    "CREATE TABLE dealscreen_schema (version integer NOT NULL, "
                    "application text NOT NULL)"
                )
                self.conn.execute("INSERT INTO dealscreen_schema VALUES (0, %s)", (APPLICATION,))
                version = 0
            self._check_version(version)
            for v in range(version + 1, SCHEMA_VERSION + 1):
                sql = MIGRATIONS[v].replace("{genesis}", GENESIS).replace("{trigger}", TRIGGER)
                self.conn.execute(sql)
            self.conn.execute("UPDATE dealscreen_schema SET version = %s", (SCHEMA_VERSION,))

    def _foreign_tables(self) -> bool:
        row = self.conn.execute(
            "SELECT count(*) FROM (VALUES ('records'), ('texts'), ('chain_head')) t(n) "
            "WHERE to_regclass(t.n) IS NOT NULL"
        ).fetchone()
        return bool(row[0])

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.name}: the store has schema version {version}; this dealscreen "
                f"understands up to version {SCHEMA_VERSION}",
                hint="upgrade dealscreen to read it; the store was not changed",
            )

    # ---------------------------------------------------------------- backend hooks
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        psycopg = _driver()
        try:
            yield
        except psycopg.Error as exc:
            raise _problem(exc, self) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        if self.readonly:
            raise StoreError(f"{self.name}: opened for reading only")
        self._pending_texts = set()
        with self.conn.transaction():
            yield self.conn
        self._texts_seen |= self._pending_texts

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        if self.conn.info.transaction_status != 0:  # already inside one (IDLE == 0)
            yield
            return
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def _locked_head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT last_id, hash FROM chain_head FOR UPDATE").fetchone()
        if row is None:
            raise StoreError(
                f"{self.name}: the chain head row is missing",
                hint="the store was tampered with; run `dealscreen audit verify`",
            )
        return int(row[0]), row[1]

    def _set_head(self, last_id: int, head: str) -> None:
        self.conn.execute("UPDATE chain_head SET last_id = %s, hash = %s", (last_id, head))

    def _clock(self) -> str:
        row = self.conn.execute(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
        ).fetchone()
        return row[0]

    def _role(self) -> str | None:
        if self._role_name is None:
            self._role_name = self.conn.execute("SELECT current_user").fetchone()[0]
        return self._role_name

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        with self._errors(), self._snapshot():
            cursor = self.conn.cursor(name=f"dealscreen_read_{next(self._cursor_names)}")
            cursor.itersize = STREAM_BATCH
            try:
                cursor.execute(self._sql(sql), params)
                yield from cursor
            finally:
                cursor.close()

    def _backend_checks(self, count: int, last_id: int, last_hash: str) -> Verification:
        out = Verification(True, count, last_hash)
        rows = self.conn.execute(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t "
            "WHERE t.tgrelid = 'records'::regclass AND t.tgname IN (%s, %s)",
            (TRIGGER, TRIGGER + "_truncate"),
        ).fetchall()
        enabled = {name for name, state in rows if state != "D"}
        missing = [n for n in (TRIGGER, TRIGGER + "_truncate") if n not in enabled]
        if missing:
            out.problems.append(
                (
                    None,
                    "the append-only trigger is missing or disabled ("
                    + ", ".join(missing)
                    + "): records could be changed or deleted without a trace",
                )
            )
        else:
            out.checks.append("append-only trigger in place (UPDATE, DELETE, TRUNCATE refused)")
        head = self.conn.execute("SELECT last_id, hash FROM chain_head").fetchone()
        if head is None:
            out.problems.append((None, "the chain head row is missing"))
        elif (int(head[0]), head[1]) != (last_id, last_hash):
            out.problems.append(
                (
                    None,
                    f"the chain head row names record #{head[0]} ({head[1][:16]}) but the last "
                    f"record is #{last_id}: records were removed from the end or rewritten",
                )
            )
        else:
            out.checks.append(f"chain head row matches record #{last_id}")
        return out


BACKENDS["postgresql"] = lambda where, create: PostgresStore.connect(where, create=create)


def _first_line(exc: BaseException, conninfo: str) -> str:
    text = str(exc).strip().splitlines()
    return redact(text[0] if text else type(exc).__name__, conninfo)


def _problem(exc: Any, store: PostgresStore) -> StoreError:
    """One psycopg error as the user should read it (SQLSTATE classes, never the password)."""
    psycopg = _driver()
    message = _first_line(exc, store.conninfo)
    state = getattr(exc, "sqlstate", None) or ""
    if (isinstance(exc, psycopg.OperationalError) and not state) or state.startswith("08"):
        return StoreError(
            f"{store.name}: lost the connection to the decision store ({message})",
            hint="the transaction in progress was not committed; what was acknowledged is kept",
        )
    if state == "42501":
        return StoreError(
            f"{store.name}: the database role '{store._role_name or 'in use'}' may not do this "
            f"({message})",
            hint="writers need INSERT and SELECT on records and texts, SELECT and UPDATE on "
            "chain_head (README, Team store)",
        )
    if state == "23505":
        return StoreError(
            f"{store.name}: another record already continues this chain ({message})",
            hint="a writer bypassed the chain lock; nothing was written; run the command again",
        )
    if state.startswith("53"):
        return StoreError(f"{store.name}: the database server is out of resources ({message})")
    return StoreError(f"{store.name}: the decision store failed ({message})")
