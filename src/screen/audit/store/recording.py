"""Recording from commands: engine results (`score --record`, `memo --record`) and the firm's
calls (`decide`), with the exact texts they were computed from.

`stored_case_text` is the one function that decides the case text a record keeps, for every
recording command: the text must hash to the result's `case.sha256` (the sha256 of the file's
bytes), or `verify` would later report tampering. A loader that drops a UTF-8 byte-order mark
hands over the text without it; the mark is put back here, and a text that still does not match
is refused before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from screen.audit.store.base import Store
from screen.audit.store.records import (
    DECISION_ALIASES,
    HUMAN_DECISIONS,
    Entry,
    StoreError,
    Written,
    ruleset_digest,
    sha256_text,
)
from screen.audit.store.spool import ResultSpool

BOM = "\ufeff"


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
        return raw.decode("utf-8")  # not utf-8-sig: a BOM is part of the bytes that were hashed
    except UnicodeDecodeError:
        raise StoreError(f"{display}: not UTF-8 text, cannot be stored") from None


def _check_ruleset(digest: str, result: dict[str, Any], rules: Any) -> None:
    """The rule files read now must be the ones the result was computed with."""
    if digest != result["ruleset"]["sha256"]:
        raise StoreError(
            f"{rules or 'the bundled rule set'}: changed on disk while it was being used; "
            "nothing was recorded",
            hint="run the command again",
        )


def _files_digest(files: dict[str, str]) -> str:
    return ruleset_digest({n: t.encode("utf-8") for n, t in files.items()})


def stored_case_text(result: dict[str, Any], text: str | None = None) -> str:
    """The case text to store with `result`: exactly the bytes `case.sha256` was computed over.

    `text` is what the command loaded (e.g. `LoadedCase.text`, which may lack the file's
    byte-order mark); without it, or when it does not match, the file at `case.path` is read
    again and must still hash the same (else it changed while being scored)."""
    sha = result["case"]["sha256"]
    if text is not None:
        for candidate in (text, BOM + text):
            if sha256_text(candidate) == sha:
                return candidate
    path = result["case"]["path"]
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot read the case file to store it ({exc.strerror})"
        ) from None
    body = _decode(raw, path)
    if sha256_text(body) != sha:
        raise StoreError(
            f"{path}: changed on disk while it was being scored; nothing was recorded",
            hint="run the command again",
        )
    return body


def _case_text(result: dict[str, Any], case_texts: dict[str, str] | None) -> str:
    return stored_case_text(result, (case_texts or {}).get(result["case"]["sha256"]))


def record_results(
    results: Sequence[dict[str, Any]] | ResultSpool,
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
    `case.path`; either way through `stored_case_text`. Returns the new ids and head hash.

    `results` is read twice (a list, or a `ResultSpool` holding a large batch on disk): every
    result is checked before the store is opened, so a changed file records nothing and
    creates no store; the second pass writes, one result in memory at a time.
    """
    if not results:
        with Store.open(store) as s:
            return Written([], s.head())
    files = read_ruleset_files(rules)
    digest = _files_digest(files)  # once per batch, not once per result
    for r in results:
        _check_ruleset(digest, r, rules)
        _case_text(r, case_texts)  # the file still hashes as scored (else StoreError)
    pairs = results.items() if isinstance(results, ResultSpool) else ((r, None) for r in results)
    entries = (Entry(r, _case_text(r, case_texts), files, result_json=text) for r, text in pairs)
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
    _check_ruleset(_files_digest(files), result, rules)
    entry = Entry(result, _case_text(result, case_texts), files, "decision", decision, reason, note)
    with Store.open(store) as s:
        return s.append([entry], who=who)
