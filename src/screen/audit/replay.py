"""Reading the audit trail: replay a stored decision, compare results, answer partners' questions.

Works on `store.Record`s and result documents (the JSON of `result.build_result`), so what the
`audit` commands print and what a notebook computes are the same thing.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screen.audit.store import Record, Store

# Keys of a result that depend on where or with what it ran, not on what was decided.
CONTEXT_KEYS = {("case", "path"), ("engine", "version")}
MAX_DIFFERENCES = 40


# --------------------------------------------------------------------------- comparing results


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """Lists of objects with ids compare by id (criteria, gates, assets, trace entries)."""
    if not all(isinstance(x, dict) for x in items):
        return None
    if all("rule" in x and "asset" in x for x in items):
        return {f"{x['asset']}/{x['rule']}": x for x in items}
    if all("id" in x for x in items):
        return {str(x["id"]): x for x in items}
    if all("fact" in x for x in items):
        return {f"{x.get('asset') or ''}/{x['fact']}": x for x in items}
    return None


def _show(v: Any) -> str:
    if isinstance(v, dict | list):
        text = str(v)
        return text if len(text) <= 60 else text[:57] + "..."
    return "null" if v is None else str(v)


def result_differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Human-readable differences between two result documents, most important first.

    `case.path` and `engine.version` are context, not outcome, and are not compared."""
    out: list[str] = []
    _diff(old, new, path, out)
    head = [d for d in out if d.split(":")[0] in ("decision", "score", "score_range", "lead_asset")]
    rest = [d for d in out if d not in head]
    return head + rest


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{k}" if path else str(k)
            if tuple(sub.split(".")) in CONTEXT_KEYS:
                continue
            if k not in new:
                out.append(f"{sub}: removed (was {_show(old[k])})")
            elif k not in old:
                out.append(f"{sub}: added ({_show(new[k])})")
            else:
                _diff(old[k], new[k], sub, out)
        return
    if isinstance(old, list) and isinstance(new, list) and old != new:
        ko, kn = _keyed(old), _keyed(new)
        if ko is not None and kn is not None and len(ko) == len(old) and len(kn) == len(new):
            for k in list(ko) + [k for k in kn if k not in ko]:
                sub = f"{path}[{k}]"
                if k not in kn:
                    out.append(f"{sub}: removed")
                elif k not in ko:
                    out.append(f"{sub}: added")
                else:
                    _diff(ko[k], kn[k], sub, out)
            return
        out.append(f"{path}: {_show(old)} -> {_show(new)}")
        return
    if old != new:
        out.append(f"{path}: {_show(old)} -> {_show(new)}")


# --------------------------------------------------------------------------- replay


@dataclass
class Replay:
    record: Record
    identical: bool
    differences: list[str]
    stored: dict[str, Any]
    replayed: dict[str, Any] | None
    engine_then: str
    engine_now: str
    error: str | None = None


def evaluate_texts(
    ruleset_files: dict[str, str], case_text: str, case_name: str, trace: bool = True
) -> dict[str, Any]:
    """Evaluate a case text under a rule-set text with the current engine (via a temp folder,
    so loading, hashing and error messages are exactly those of files on disk)."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.engine.result import build_result

    with tempfile.TemporaryDirectory(prefix="dealscreen-") as tmp:
        rules_dir = Path(tmp) / "rules"
        rules_dir.mkdir()
        for name, text in ruleset_files.items():
            (rules_dir / Path(name).name).write_bytes(text.encode("utf-8"))
        case_path = Path(tmp) / Path(case_name).name
        case_path.write_bytes(case_text.encode("utf-8"))
        rs = load_ruleset(rules_dir)
        loaded = load_case(case_path)
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=trace))
    return result


def replay(store: Store, record: Record) -> Replay:
    """Re-evaluate the stored case text under the stored rule-set text with today's engine."""
    from screen import __version__
    from screen.model.errors import ScreenError

    stored = record.result()
    case_name = record.case_path or f"{record.case_id}.yaml"
    for sha, kind in ((record.case_sha256, "case"), (record.ruleset_sha256, "rule-set")):
        if not store.text_ok(sha, kind):  # a replay of altered inputs would prove nothing
            return Replay(
                record, False, [], stored, None, record.engine_version, __version__,
                error=f"the stored {kind} text {sha[:12]} is missing or was altered; "
                "run `dealscreen audit verify`",
            )  # fmt: skip
    try:
        fresh = evaluate_texts(
            store.ruleset_files(record.ruleset_sha256), store.text(record.case_sha256), case_name
        )
    except ScreenError as err:
        return Replay(
            record, False, [], stored, None, record.engine_version, __version__,
            error=f"the stored inputs no longer load with this engine:\n{err}",
        )  # fmt: skip
    fresh["case"]["path"] = stored["case"]["path"]
    diffs = result_differences(stored, fresh)
    return Replay(record, not diffs, diffs, stored, fresh, record.engine_version, __version__)


# --------------------------------------------------------------------------- stats


def documented(r: Record) -> bool:
    """A reason code, and for `other` a note saying what it is."""
    if not r.reason:
        return False
    return r.reason != "other" or bool(r.note and r.note.strip())


def stats(records: Iterable[Record]) -> dict[str, Any]:
    """Counts partners ask for. Human decisions count once per case (the latest call).

    One pass over `records` (a stream from `Store.iter_records` is fine): memory grows with the
    number of cases, not of records."""
    total = human = 0
    screen_decisions: Counter[str] = Counter()
    screened: set[str] = set()
    latest: dict[str, Record] = {}
    for r in records:
        total += 1
        if r.kind == "screen":
            screen_decisions[r.decision] += 1
            screened.add(r.case_id)
        elif r.kind == "decision":
            human += 1
            latest[r.case_id] = r
    calls = sorted(latest.values(), key=lambda r: r.id)
    passes = [r for r in calls if r.decision == "decline"]
    with_reason = [r for r in passes if documented(r)]
    overrides = [r for r in calls if r.override]
    return {
        "records": total,
        "screens": sum(screen_decisions.values()),
        "screened_cases": len(screened),
        "screen_decisions": dict(sorted(screen_decisions.items())),
        "human_decisions": human,
        "decided_cases": len(calls),
        "calls": dict(sorted(Counter(r.decision for r in calls).items())),
        "passes": len(passes),
        "passes_with_reason": len(with_reason),
        "share_of_passes_with_reason": round(len(with_reason) / len(passes), 4) if passes else None,
        "pass_reasons": dict(Counter(r.reason or "(none)" for r in passes).most_common()),
        "overrides": [
            {
                "id": r.id,
                "company": r.company,
                "case_id": r.case_id,
                "engine": r.engine_decision,
                "engine_score": r.engine_score,
                "firm": r.decision,
                "reason": r.reason,
                "note": r.note,
                "who": r.who,
                "created_at": r.created_at,
            }
            for r in overrides
        ],
        "override_kinds": dict(
            sorted(Counter(f"{r.engine_decision} -> {r.decision}" for r in overrides).items())
        ),
    }


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    table = [headers, *rows]
    widths = [max(len(r[c]) for r in table) for c in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def format_table_streamed(
    headers: list[str], rows: Callable[[], Iterable[list[str]]]
) -> Iterator[str] | None:
    """`format_table` over rows that are produced twice (`rows()` is called once for the column
    widths, once to print), so a long listing never sits in memory. None when there are no rows.
    The lines are those of `format_table`, without their newlines."""
    widths = [len(h) for h in headers]
    count = 0
    for row in rows():
        count += 1
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    if not count:
        return None

    def lines() -> Iterator[str]:
        yield "  ".join(c.ljust(w) for c, w in zip(headers, widths, strict=True)).rstrip()
        yield "  ".join("-" * w for w in widths)
        for row in rows():
            yield "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return lines()
