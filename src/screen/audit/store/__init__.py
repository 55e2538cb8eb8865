"""The decision store: every screening result and every human decision, hash-chained.

So months later an associate can see exactly what was decided, under which rule set, on which
case data, and prove the record was not altered. Two backends behind one interface (`Store`):

- `sqlite`: one file per person (default `.dealscreen/decisions.db`), stdlib only;
- `postgres`: the team's shared chain on a PostgreSQL server (`--store postgresql://...`).

Modules: `records` (fields, canonical JSON, hashes), `base` (appending, streamed reads,
verify), `sqlite`, `postgres` (each registers itself in `base.BACKENDS` on import),
`location` (paths vs URLs, password-free display names), `recording` (what commands call to
record), `copying` (`audit copy`).

Tamper evidence: each record's `hash` covers its fields and the previous record's hash; `verify`
recomputes the chain, the result digests and the text digests and lists every record that does
not match. Because a rewrite of the whole tail would produce a new, self-consistent chain, every
write returns the new head hash; keeping it elsewhere (the memo, the IC minutes) and passing it
to `verify(head=...)` closes that gap.
"""

from screen.audit.store import postgres as _postgres  # noqa: F401 (registers the backend)
from screen.audit.store.base import Store
from screen.audit.store.copying import Copied, copy_store
from screen.audit.store.location import (
    DEFAULT_STORE,
    STORE_ENV,
    display_name,
    is_postgres,
    store_name,
    store_path,
)
from screen.audit.store.recording import (
    read_ruleset_files,
    record_decision,
    record_results,
    stored_case_text,
)
from screen.audit.store.records import (
    DECISION_ALIASES,
    GENESIS,
    HASHED_COLUMNS,
    HUMAN_DECISIONS,
    READ_COLUMNS,
    Entry,
    Record,
    StoreError,
    Verification,
    Written,
    canonical_json,
    record_hash,
    result_text,
    ruleset_digest,
    sha256_text,
)
from screen.audit.store.sqlite import APPLICATION_ID, BUSY_TIMEOUT_S, SCHEMA_VERSION, SQLiteStore

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_S",
    "DECISION_ALIASES",
    "DEFAULT_STORE",
    "GENESIS",
    "HASHED_COLUMNS",
    "HUMAN_DECISIONS",
    "READ_COLUMNS",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "Copied",
    "Entry",
    "Record",
    "SQLiteStore",
    "Store",
    "StoreError",
    "Verification",
    "Written",
    "canonical_json",
    "copy_store",
    "display_name",
    "is_postgres",
    "read_ruleset_files",
    "record_decision",
    "record_hash",
    "record_results",
    "result_text",
    "ruleset_digest",
    "sha256_text",
    "store_name",
    "store_path",
    "stored_case_text",
]
