"""Commands of the audit trail: `decide`, `audit list|show|verify|replay|stats|copy|init`.

Thin shells over `store` and `audit` (`why-not` and `diff` are in whatif.py). Only click is
imported at module level (cli/app.py loads it when one of its commands runs or is listed, and
`dealscreen --help` must stay fast).
Exit codes: 0 success; 1 a check failed (verify found a broken chain, replay differs); 2 bad
input (unknown record, corrupt store, bad reason code); 70 internal error.

Long module: one thin command per audit verb (decide, audit list/show/verify/replay/stats/
copy/init); each is short, there are many.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

import click

from screen.cli.common import EXIT_FAILED as EXIT_CHECK_FAILED
from screen.cli.common import (
    RULES_HELP,
    echo_json,
    echo_text,
    fail_if_damaged,
    format_option,
    guard,
    load_rules,
    open_store,
    store_option,
)
from screen.model.numbers import display


class _RecordId(click.ParamType):
    """A record id as `audit list` prints it: 12 or #12."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip().lstrip("#")
        if not text.isdigit():
            self.fail(f"{value!r} is not a record id (e.g. 12 or #12)", param, ctx)
        return int(text)


RECORD_ID = _RecordId()


def _score_one(case: str, rules: str | None) -> tuple[Any, Any, dict[str, Any]]:
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case
    from screen.engine.result import build_result

    rs = load_rules(rules)
    loaded = load_case(case)
    return rs, loaded, build_result(rs, loaded, evaluate_case(rs, loaded.case))


# --------------------------------------------------------------------------- decide


@click.command()
@click.argument("case", type=click.Path())
@click.option(
    "--decision",
    required=True,
    type=click.Choice(["advance", "watch", "decline", "pass", "park"]),
    help="The firm's call ('pass' = decline; 'park' = more diligence before a call, needs the "
    "case's `revisit: {on: DATE}`).",
)
@click.option("--reason", help="Reason code from the rule set's `reasons:` list.")
@click.option("--note", help="Free text: what the reason code does not say.")
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@click.option("--who", help="Who made the call (default: the OS user name).")
@store_option
@guard
def decide(
    case: str,
    decision: str,
    reason: str | None,
    note: str | None,
    rules: str | None,
    who: str | None,
    store: str | None,
) -> None:
    """Record the firm's decision on CASE next to the engine's.

    The case is screened again under the rule set, and the human call is stored with that
    result; a call that differs from the engine's is an override (see `audit stats`).

    \b
      dealscreen decide cases/x.yaml --decision pass --reason crowded_target \\
          --note "three phase 3 rivals; revisit after the 2026 readout"
    """
    from screen.audit.store import DECISION_ALIASES, record_decision
    from screen.model.errors import ScreenError, did_you_mean

    rs, loaded, result = _score_one(case, rules)
    if decision == "park" and loaded.case.revisit is None:
        from screen.model.errors import Location

        raise ScreenError(
            "--decision park needs a revisit date in the case file",
            Location(case),
            'add e.g. `revisit: {on: 2026-06-30, when: "after the phase 2 readout"}`',
        )
    if reason is not None and reason not in rs.reasons:
        if not rs.reasons:
            raise ScreenError(
                f"--reason {reason}: the rule set '{rs.name}' defines no reason codes",
                hint="add a `reasons:` section to the rule set, or leave --reason out",
            )
        raise ScreenError(
            f"--reason: unknown reason code '{reason}'",
            hint=did_you_mean(reason, rs.reasons) or "codes: " + ", ".join(rs.reasons),
        )
    if reason == "other" and not (note and note.strip()):
        raise ScreenError("--reason other needs a --note saying what the reason is")
    passing = DECISION_ALIASES.get(decision, decision) == "decline"
    if passing and reason is None and rs.reasons:  # checked before anything is written
        raise ScreenError(
            f"--decision {decision} needs --reason: a pass is recorded with a reason code",
            hint="codes: " + ", ".join(rs.reasons) + " (with `other`, say why in --note)",
        )
    written = record_decision(
        result,
        decision,
        reason=reason,
        note=note,
        rules=rules,
        store=store,
        who=who,
        case_texts={loaded.sha256: loaded.text},
    )
    firm = DECISION_ALIASES.get(decision, decision)
    engine = result["decision"]
    flag = "" if firm == engine else f"  OVERRIDE of the engine's {engine}"
    echo_text(
        f"#{written.ids[0]} {result['case']['company']}: firm decision {firm}"
        f" (engine: {engine}, score {display(result['score'])}){flag}"
    )
    if firm == "park":
        revisit = loaded.case.revisit
        when = f" ({revisit.when})" if revisit.when else ""
        echo_text(f"parked until {revisit.on.isoformat()}{when}; `dealscreen due` lists it then")
    if firm == "decline" and not reason:  # only when the rule set defines no reason codes
        echo_text("note: a pass without --reason counts as undocumented in `audit stats`", err=True)
    echo_text(f"head {written.head}", err=True)


# --------------------------------------------------------------------------- audit


@click.group()
def audit() -> None:
    """The decision store: list, show, verify, replay, stats, copy, init."""


def _label(r: Any) -> str:
    if r.kind == "screen":
        return r.decision
    return f"{r.decision} (OVERRIDE: engine {r.engine_decision})" if r.override else r.decision


@audit.command("list")
@click.option("--company", help="Company name or case id contains this (case-insensitive).")
@click.option(
    "--decision",
    type=click.Choice(["advance", "watch", "decline", "pass", "park", "insufficient_information"]),
    help="Only records with this decision (the firm's for `decide` records).",
)
@click.option("--since", help="Only records written on or after this date (YYYY-MM-DD).")
@click.option(
    "--kind",
    type=click.Choice(["screen", "decision"]),
    help="screen: engine results; decision: the firm's calls.",
)
@click.option("--overrides", is_flag=True, help="Only firm decisions that overrule the engine.")
@format_option("table: for people; json: for programs.", people="table")
@store_option
@guard
def list_records(
    company: str | None,
    decision: str | None,
    since: str | None,
    kind: str | None,
    overrides: bool,
    fmt: str,
    store: str | None,
) -> None:
    """List recorded results and decisions, oldest first.

    The table shows the start of each note (first 40 characters); `--format json` and
    `audit show ID` give the whole note.
    """
    from screen.audit.replay import format_table_streamed

    since_key = _since(since) if since else None
    filters = {"company": company, "decision": decision, "since": since_key, "kind": kind}
    with open_store(store) as s:
        # Streamed: one record in memory at a time (the table takes two passes: widths, rows).
        def records(up_to: int | None = None) -> Any:
            found = s.iter_records(**filters, up_to_id=up_to)
            return (r for r in found if r.override) if overrides else found

        damaged: set[int] = set()
        if fmt == "json":
            _json_lines(_summaries(records(), damaged))
            fail_if_damaged(sorted(damaged))
            return
        up_to = s.last_id()  # records written while we list are not half in the table
        headers = [
            "id",
            "when (UTC)",
            "who",
            "kind",
            "company",
            "decision",
            "score",
            "reason",
            "note",
            "rules",
        ]
        text = format_table_streamed(
            headers,
            lambda: (
                _list_row(r, r.id in damaged) for r in _noting_damage(records(up_to), damaged)
            ),
        )
        if text is None:
            echo_text("no records match", err=True)
            return
        for line in text:
            echo_text(line)
    fail_if_damaged(sorted(damaged), marked=True)


def _summaries(found: Iterable[Any], damaged: set[int]) -> Iterator[dict[str, Any]]:
    """`audit list --format json`'s rows; a row not `intact` adds its id to `damaged` (the
    summary has checked the record already)."""
    for r in found:
        row = r.summary()
        if not row["intact"]:
            damaged.add(r.id)
        yield row


def _noting_damage(found: Iterable[Any], damaged: set[int]) -> Iterator[Any]:
    """The records as they stream by, the ids of those that fail their own check
    (`Record.damage`, fields only: a listing reads no results) added to `damaged`."""
    for r in found:
        if r.damage(result=False):
            damaged.add(r.id)
        yield r


def _list_row(r: Any, damaged: bool) -> list[str]:
    from screen.report.safety import terminal_cell  # widths are measured on what is shown

    cells = [
        f"#{r.id}" + ("!" if damaged else ""),
        r.created_at[:19].replace("T", " "),
        r.who,
        r.kind,
        r.company,
        _label(r),
        display(r.engine_score) if r.engine_score is not None else "",
        r.reason or "",
        _short_note(r.note),
        f"{r.ruleset_name} {r.ruleset_version}",
    ]
    return [terminal_cell(c) for c in cells]


def _json_lines(items: Any) -> None:
    """A JSON array written item by item, byte-identical to `echo_json(list(items))`."""
    import json

    first = True
    for item in items:
        body = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        click.echo(("[\n  " if first else ",\n  ") + body, nl=False)
        first = False
    click.echo("[]" if first else "\n]")


NOTE_WIDTH = 40  # `audit list` shows the start of a note; `--format json` / `audit show` all


def _short_note(note: str | None) -> str:
    """A note on one line, cut at NOTE_WIDTH characters with an ellipsis."""
    text = " ".join((note or "").split())
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1] + "…"


def _since(text: str) -> str:
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--since"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S") if "T" in text or " " in text else text[:10]


@audit.command()
@click.argument("record_id", type=RECORD_ID)
@format_option("text: record header and the explanation; json: the record and its stored result.")
@store_option
@guard
def show(record_id: int, fmt: str, store: str | None) -> None:
    """Show record RECORD_ID: who, when, under which rule set, and the stored explanation
    exactly as `dealscreen explain` printed it then."""
    from screen.report import console as report

    with open_store(store) as s:
        r = s.get(record_id)
        result = r.result()
    if fmt == "json":
        echo_json({"record": r.summary(), "result": result})
        fail_if_damaged([r.id] if r.damage() else [])
        return
    lines = [
        f"record #{r.id} ({r.kind}) written {r.created_at} by {r.who}"
        + (f" (database role {r.db_role})" if r.db_role else ""),
        f"case {r.case_id} ({r.company}), file {r.case_path}, sha256 {r.case_sha256}",
        f"rule set {r.ruleset_name} {r.ruleset_version}, sha256 {r.ruleset_sha256}; "
        f"engine {r.engine_version}",
    ]
    if r.kind == "decision":
        if r.override:
            lines.append(
                f"firm decision: {r.decision.upper()} - OVERRIDES the engine's "
                f"{r.engine_decision} (score {r.engine_score})"
            )
        else:
            lines.append(f"firm decision: {r.decision.upper()} (agrees with the engine)")
        lines.append(f"reason: {r.reason or '(none given)'}")
        if r.note:
            lines.append(f"note: {r.note}")
        if r.refers_to:
            lines.append(f"screen record: #{r.refers_to}")
    lines.append(f"hash {r.hash} (previous {r.prev_hash[:16]})")
    echo_text("\n".join(lines))
    echo_text("")
    echo_text(report.explain(result), nl=False)
    fail_if_damaged([r.id] if r.damage() else [])


@audit.command()
@click.option("--head", "head", help="A head hash kept elsewhere (printed by an earlier write).")
@store_option
@guard
def verify(head: str | None, store: str | None) -> None:
    """Check the hash chain, stored results and texts; list every broken record.

    On PostgreSQL also checks the append-only trigger and the chain head row. Exit 0 when
    intact, 1 when not."""
    with open_store(store) as s:
        v = s.verify(head)
    if not v.ok:
        for _, problem in v.problems:
            echo_text(f"BROKEN: {problem}", err=True)
        ids = v.broken_ids
        if ids:
            shown = ", ".join(f"#{i}" for i in ids[:50]) + (" ..." if len(ids) > 50 else "")
            echo_text(f"checked {v.records} record(s): {len(ids)} broken ({shown})", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    echo_text(f"ok: {v.records} record(s), chain intact; head {v.head}")
    for check in v.checks:
        echo_text(f"ok: {check}")
    if v.head_record is not None:
        since = f"; {v.since_head} record(s) written since" if v.since_head else ""
        echo_text(f"ok: the given head is record #{v.head_record}{since}")


@audit.command("copy")
@click.option("--from", "source", required=True, metavar="PATH|URL", help="The store to copy.")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="PATH|URL",
    help="The store to copy into (created when missing; empty or a prefix of the same chain).",
)
@guard
def copy_cmd(source: str, target: str) -> None:
    """Copy a decision store into another: a personal SQLite file into the team's PostgreSQL
    store, or back. Records keep their ids and hashes; both ends are verified; running it
    again copies only what is new.

    \b
      dealscreen audit copy --from .dealscreen/decisions.db --to "$DEALSCREEN_STORE"
    """
    from screen.audit.store import Store, copy_store

    with Store.open(source, create=False) as src, Store.open(target) as dst:
        done = copy_store(src, dst)
        src_name, dst_name = src.name, dst.name
    if done.copied:
        echo_text(
            f"copied {done.copied} record(s) from {src_name} to {dst_name} "
            f"(it had {done.target_before}); both verify; head {done.head}"
        )
    else:
        echo_text(
            f"nothing to copy: {dst_name} already holds all {done.source_records} record(s) "
            f"of {src_name}; head {done.head}"
        )


@audit.command("init")
@store_option
@guard
def init_cmd(store: str | None) -> None:
    """Create an empty decision store (or upgrade an older one) and say where.

    Recording commands do this on their own; on PostgreSQL run it once as the database owner,
    then grant the writer and reader roles (README, Team store)."""
    from screen.audit.store import Store

    with Store.open(store) as s:
        echo_text(f"ok: decision store ready at {s.name} ({s.backend}, {s.last_id()} record(s))")


@audit.command("replay")
@click.argument("record_id", type=RECORD_ID)
@format_option("text: IDENTICAL / DIFFERENT / BROKEN and the differences; json: for programs.")
@store_option
@guard
def replay_cmd(record_id: int, fmt: str, store: str | None) -> None:
    """Re-evaluate record RECORD_ID's stored case under its stored rule set with the current
    engine; report identical or different (with the differences). Exit 1 when different."""
    from screen.audit.replay import MAX_DIFFERENCES, replay

    with open_store(store) as s:
        record = s.get(record_id)
        damage = record.damage()
        if damage:  # replaying the stored result would vouch for fields it does not match
            if fmt == "json":
                echo_json({"id": record.id, "identical": False, "broken": damage})
            else:
                echo_text(f"BROKEN: record #{record.id} {record.company}: " + "; ".join(damage))
                echo_text("`dealscreen audit verify` checks the whole store")
            sys.exit(EXIT_CHECK_FAILED)
        rp = replay(s, record)
    r = rp.record
    if fmt == "json":
        echo_json(
            {
                "id": r.id,
                "identical": rp.identical,
                "differences": rp.differences,
                "error": rp.error,
                "engine_then": rp.engine_then,
                "engine_now": rp.engine_now,
            }
        )
    else:
        what = f"record #{r.id} {r.company} ({r.ruleset_name} {r.ruleset_version})"
        engines = (
            f"engine {rp.engine_then}"
            if rp.engine_then == rp.engine_now
            else f"engine {rp.engine_then} then, {rp.engine_now} now"
        )
        if rp.error:
            echo_text(f"DIFFERENT: {what}, {engines}\n{rp.error}")
        elif rp.identical:
            echo_text(
                f"IDENTICAL: {what}, {engines}: decision {rp.stored['decision']}, "
                f"score {rp.stored['score']}"
            )
        else:
            echo_text(f"DIFFERENT: {what}, {engines}: {len(rp.differences)} difference(s)")
            for d in rp.differences[:MAX_DIFFERENCES]:
                echo_text(f"  {d}")
            if len(rp.differences) > MAX_DIFFERENCES:
                echo_text(f"  ... {len(rp.differences) - MAX_DIFFERENCES} more (--format json)")
    if not rp.identical:
        sys.exit(EXIT_CHECK_FAILED)


@audit.command("stats")
@click.option("--since", help="Only records written on or after this date (YYYY-MM-DD).")
@format_option("table: for people; json: for programs.", people="table")
@store_option
@guard
def stats_cmd(since: str | None, fmt: str, store: str | None) -> None:
    """What share of our passes have a documented reason; where did we overrule the screen.

    Firm decisions count once per case: the latest `decide` for it."""
    from screen.audit.replay import format_table, stats

    damaged: set[int] = set()
    with open_store(store) as s:
        found = s.iter_records(since=_since(since) if since else None)
        data = stats(_noting_damage(found, damaged))
    if fmt == "json":
        echo_json(data)
        fail_if_damaged(sorted(damaged))
        return
    out = [
        f"records: {data['records']} ({data['screens']} screens of {data['screened_cases']} "
        f"case(s), {data['human_decisions']} firm decisions on {data['decided_cases']} case(s))",
        "engine decisions: " + _counts(data["screen_decisions"]),
        "firm decisions (latest per case): " + _counts(data["calls"]),
    ]
    if data["passes"]:
        share = data["share_of_passes_with_reason"]
        out.append(
            f"passes with a documented reason: {data['passes_with_reason']} of {data['passes']} "
            f"({share:.0%})"
        )
        out.append("pass reasons: " + _counts(data["pass_reasons"]))
    else:
        out.append("passes with a documented reason: no passes recorded")
    n = len(data["overrides"])
    out.append(
        f"overrides of the screen: {n}" + (f" ({_counts(data['override_kinds'])})" if n else "")
    )
    echo_text("\n".join(out))
    if n:
        rows = [
            [
                f"#{o['id']}",
                o["company"],
                f"{o['engine']} ({display(o['engine_score'])})",
                o["firm"],
                o["reason"] or "",
                o["who"],
                (o["note"] or "")[:60],
            ]
            for o in data["overrides"]
        ]
        echo_text("")
        echo_text(
            format_table(["id", "company", "engine", "firm", "reason", "who", "note"], rows),
            nl=False,
        )
    fail_if_damaged(sorted(damaged), counted=True)


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"


# --------------------------------------------------------------------------- why-not


COMMANDS = [decide, audit]
