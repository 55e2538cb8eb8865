"""What a record is, independent of where it is kept: fields, canonical JSON, hashes.

Both backends (SQLite, PostgreSQL) store exactly these fields and hash them the same way, so a
record copied from one to the other keeps its hash and verifies the same on both.

A record's `hash` is sha256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
`HASHED_COLUMNS` plus the previous record's hash (`prev_hash` is one of them). `db_role` (the
database role that wrote it, PostgreSQL only) joins the hashed fields only when it is set, so
every record written before it existed keeps its hash.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from screen.model.errors import ScreenError

GENESIS = "0" * 64  # the "previous hash" of the first record
HUMAN_DECISIONS = ("advance", "watch", "decline", "park")  # park: more diligence first
DECISION_ALIASES = {"pass": "decline"}  # "we passed" = declined, in VC speech
ZLIB_LEVEL = 1  # result JSON compresses ~8x even at level 1; higher levels cost write time

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
OPTIONAL_HASHED = ("db_role",)  # hashed when not None (added in schema version 2)
SUMMARY_COLUMNS = (*HASHED_COLUMNS, *OPTIONAL_HASHED, "hash")
READ_COLUMNS = (*SUMMARY_COLUMNS, "result_z")


class StoreError(ScreenError):
    """The store cannot be used: missing, corrupt, not ours, unreachable, or from a newer
    dealscreen."""


def canonical_json(value: Any) -> str:
    """The one encoding hashes are computed over: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_hash(columns: dict[str, Any]) -> str:
    """Hash of one record: its hashed columns (which include the previous record's hash)."""
    hashed = {k: columns[k] for k in HASHED_COLUMNS}
    for k in OPTIONAL_HASHED:
        if columns.get(k) is not None:
            hashed[k] = columns[k]
    return sha256_text(canonical_json(hashed))


def result_text(result: dict[str, Any]) -> str:
    """The stored form of a result: compact JSON, key order kept (explain depends on it)."""
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def ruleset_digest(files: dict[str, bytes]) -> str:
    """The rule-set hash exactly as `loader.load_ruleset` computes it (file name + bytes)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def text_digest_ok(sha: str, kind: str, body: str) -> bool:
    """Does a stored text still hash to the sha256 it is filed under?"""
    if kind == "case":
        return sha256_text(body) == sha
    try:
        files = json.loads(body)["files"]
    except (ValueError, KeyError, TypeError):
        return False
    return ruleset_digest({n: t.encode("utf-8") for n, t in files.items()}) == sha


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): still record something honest
        return "unknown"


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
    db_role: str | None = None
    result_z: bytes = field(repr=False, default=b"")

    @property
    def override(self) -> bool:
        """A human decision that differs from the engine's (insufficient information included)."""
        return self.kind == "decision" and self.decision != self.engine_decision

    def result_text(self) -> str | None:
        """The stored result JSON as text; None when it cannot be decompressed or decoded."""
        try:
            return zlib.decompress(self.result_z).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            return None

    def damage(self, *, result: bool = True) -> list[str]:
        """What is wrong with this record on its own, [] when intact: its fields against its
        hash and (`result`, for a record read with its result) its stored result against the
        result's hash; `Store.problems` adds the chain and the stored texts. Every command
        that shows a record checks this, so an altered decision is never shown as the
        record's without a warning."""
        out = []
        cols = {k: getattr(self, k) for k in (*HASHED_COLUMNS, "db_role")}
        if record_hash(cols) != self.hash:
            out.append("hash mismatch: the record's fields were altered after it was written")
        if not result:
            return out
        text = self.result_text()
        if text is None:
            out.append("the stored result JSON is unreadable")
        elif sha256_text(text) != self.result_sha256:
            out.append("the stored result JSON was altered after it was written")
        return out

    def result(self) -> dict[str, Any]:
        """The stored result; a ScreenError when it is unreadable or was altered."""
        text = self.result_text()
        if text is None or sha256_text(text) != self.result_sha256:
            what = "unreadable" if text is None else "altered after it was written"
            raise ScreenError(
                f"record #{self.id}: its stored result JSON is {what}",
                hint="`dealscreen audit verify` checks the whole store",
            )
        return json.loads(text)

    def columns(self) -> dict[str, Any]:
        """The stored columns (what a copy to another store writes)."""
        return {k: getattr(self, k) for k in READ_COLUMNS}

    def summary(self) -> dict[str, Any]:
        """The record without its result JSON (what `audit list --format json` prints)."""
        out = {k: getattr(self, k) for k in HASHED_COLUMNS}
        out["db_role"] = self.db_role
        out["hash"] = self.hash
        out["override"] = self.override
        out["intact"] = not self.damage(result=False)  # its fields match its hash
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
    result_json: str | None = None  # `result_text(result)`, when the caller already has it


@dataclass
class Written:
    ids: list[int]
    head: str


@dataclass
class Verification:
    """What `verify` found. `problems` lists every broken record (id, what is wrong); `checks`
    are backend checks that passed (e.g. the append-only trigger), said out loud."""

    ok: bool
    records: int
    head: str
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    head_record: int | None = None  # the record whose hash equals the head kept elsewhere
    since_head: int = 0  # records written after that head

    @property
    def problem(self) -> str | None:
        """The first problem (kept for callers that show one)."""
        return self.problems[0][1] if self.problems else None

    @property
    def broken_id(self) -> int | None:
        return next((rid for rid, _ in self.problems if rid is not None), None)

    @property
    def broken_ids(self) -> list[int]:
        return [rid for rid, _ in self.problems if rid is not None]
