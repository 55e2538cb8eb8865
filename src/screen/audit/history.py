"""One company's screenings over time, from the audit trail; recorded cases as inputs.

A company is screened again each quarter. `history` lists every record of it (screens and the
firm's calls) and, between consecutive records whose case text or rule set differ, which case
facts changed (from the stored case texts, so nothing depends on files still on disk) and which
rules moved the score (`thesis_diff.responsible` on the stored results, as `diff` reports).

`recorded_case` turns a record id (`#16`) into a loaded case from its stored text, so `compare`
and `diff` accept a recorded screening wherever they accept a case file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from screen.audit.store import Record, Store, StoreError
from screen.audit.thesis_diff import responsible
from screen.engine.loader import LoadedCase
from screen.model.errors import did_you_mean
from screen.model.numbers import display

RECORD_REF = re.compile(r"^#(\d+)$")


def is_record_ref(text: str) -> bool:
    """`#16`: a recorded screening, not a file name."""
    return bool(RECORD_REF.match(text.strip()))


def recorded_case(store: Store, ref: str | int, *, intact: bool = True) -> LoadedCase:
    """The case of record `ref` (`#16` or 16), loaded from the stored text under the name `#16`.

    The text was validated when it was recorded; it is validated again (a store written by an
    older dealscreen may hold a case today's model refuses: that is reported, not hidden).
    With `intact` (the default) a record whose fields fail their hash is refused; `history`,
    which shows every record and warns about damaged ones itself, passes False."""
    from screen.engine.loader import load_case_text

    rid = int(str(ref).strip().lstrip("#"))
    record = store.get(rid)
    damage = record.damage(result=False) if intact else []
    if damage:  # `#16` as input to compare or diff: an altered record is not screened again
        raise StoreError(f"#{rid}: " + "; ".join(damage), hint="`dealscreen audit verify`")
    loaded = load_case_text(store.text(record.case_sha256), f"#{rid}")
    if loaded.sha256 != record.case_sha256:
        raise StoreError(f"#{rid}: stored case text does not match its sha256", hint="audit verify")
    return loaded


@dataclass
class Step:
    """One record in a company's history, with what changed since the previous one."""

    record: Record
    facts: list[str] = field(default_factory=list)  # "path: old -> new"
    rules: list[str] = field(default_factory=list)  # rules that moved the score
    changed_case: bool = False
    changed_rules: bool = False

    def as_dict(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "kind": r.kind,
            "created_at": r.created_at,
            "who": r.who,
            "case_id": r.case_id,
            "company": r.company,
            "ruleset": {"name": r.ruleset_name, "version": r.ruleset_version},
            "engine": {"decision": r.engine_decision, "score": r.engine_score},
            "firm": (
                {"decision": r.decision, "reason": r.reason, "note": r.note}
                if r.kind == "decision"
                else None
            ),
            "changed_facts": self.facts,
            "moved_by": self.rules,
        }


def find_records(store: Store, query: str) -> list[Record]:
    """The records of one company: by case id, else company name (exact, then contained).

    Several companies matching a partial name is an error naming them, not a merged history."""
    records = store.records()
    for match in (
        lambda r: r.case_id == query,
        lambda r: r.company.casefold() == query.casefold(),
        lambda r: query.casefold() in r.company.casefold() or query.casefold() in r.case_id,
    ):
        found = [r for r in records if match(r)]
        if found:
            break
    else:
        names = {r.company for r in records} | {r.case_id for r in records}
        hint = did_you_mean(query, names) or (
            "companies: " + ", ".join(sorted({r.company for r in records}))
            if records
            else "the store is empty"
        )
        raise StoreError(f"no records of '{query}' in {store.name}", hint=hint)
    cases = sorted({r.case_id for r in found})
    if len(cases) > 1:
        raise StoreError(
            f"'{query}' matches {len(cases)} cases: " + ", ".join(cases),
            hint="give the case id",
        )
    return found


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("value"), int | float):  # a figure reads as its number,
            out[path] = value["value"]  # so `30` and `{value: 30, source: x}` agree on it
            for k, v in value.items():
                if k != "value":
                    out[f"{path}.{k}"] = v
            return
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        for i, item in enumerate(value):
            key = item.get("id") or item.get("nct_id") or item.get("name") or i
            _flatten(item, f"{path}[{key}]", out)
    else:
        out[path] = value


def case_facts(loaded: LoadedCase) -> dict[str, Any]:
    """Every fact of a case as `path -> value` (lists of objects keyed by id / NCT id / name)."""
    data = loaded.case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    out: dict[str, Any] = {}
    _flatten(data, "", out)
    return out


def _show(v: Any) -> str:
    if v is None:
        return "absent"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def fact_changes(old: LoadedCase, new: LoadedCase) -> list[str]:
    a, b = case_facts(old), case_facts(new)
    return [
        f"{k}: {_show(a.get(k))} -> {_show(b.get(k))}"
        for k in [*a, *(k for k in b if k not in a)]
        if a.get(k) != b.get(k)
    ]


def history(store: Store, query: str) -> list[Step]:
    """Every record of one company, oldest first, each with its changes since the previous."""
    steps: list[Step] = []
    prev: Record | None = None
    prev_case: LoadedCase | None = None
    for r in find_records(store, query):
        step = Step(r)
        case = prev_case
        if prev is None or r.case_sha256 != prev.case_sha256:
            case = recorded_case(store, r.id, intact=False)  # the caller warns about damage
        if prev is not None and prev_case is not None and case is not None:
            step.changed_case = r.case_sha256 != prev.case_sha256
            step.changed_rules = r.ruleset_sha256 != prev.ruleset_sha256
            if step.changed_case:
                step.facts = fact_changes(prev_case, case)
            if step.changed_case or step.changed_rules:
                step.rules = responsible(prev.result(), r.result())
        steps.append(step)
        prev, prev_case = r, case
    return steps


def format_history(steps: list[Step]) -> str:
    first = steps[0].record
    out = [f"{first.company} ({first.case_id}): {len(steps)} record(s)"]
    for s in steps:
        r = s.record
        when = r.created_at[:19].replace("T", " ")
        score = display(r.engine_score) if r.engine_score is not None else "?"
        line = (
            f"#{r.id}  {when}  {r.who}  {r.ruleset_name} {r.ruleset_version}  "
            f"engine {r.engine_decision} {score}"
        )
        if r.kind == "decision":
            call = f"firm {r.decision}"
            if r.reason:
                call += f" ({r.reason})"
            if r.override:
                call += " OVERRIDE"
            line += f"  {call}"
            if r.note:
                line += f": {r.note}"
        out.append("")
        out.append(line)
        if s.changed_rules:
            out.append("  rule set changed")
        if s.facts:
            out.append("  facts changed:")
            out.extend(f"    {f}" for f in s.facts)
        if s.rules:
            out.append("  score moved by:")
            out.extend(f"    {x}" for x in s.rules)
        elif s.changed_case or s.changed_rules:
            out.append("  score moved by: nothing (same decision and score)")
    return "\n".join(out) + "\n"
