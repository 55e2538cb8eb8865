"""What would change the call: `why-not` (the smallest fact changes that reach a decision)
and `diff` (which cases a new thesis changes, and the rules responsible).

Thin shells over `audit.whynot` and `audit.thesis_diff`; only click is imported at module level
(cli/app.py loads this module when one of its commands runs or is listed).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from screen.cli.common import (
    RULES_HELP,
    echo_error,
    echo_json,
    echo_rule_errors,
    echo_text,
    fail_if_damaged,
    format_option,
    guard,
    load_rules,
    open_store,
)


@click.command("why-not")
@click.argument("case", type=click.Path())
@click.option(
    "--target",
    type=click.Choice(["advance", "watch", "decline"]),
    default="advance",
    show_default=True,
    help="The decision to reach (advance/watch: at least that good).",
)
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--max-changes",
    type=click.IntRange(1, 2),
    default=2,
    show_default=True,
    help="Largest set of facts changed together: 1 (single facts) or 2 (pairs).",
)
@click.option(
    "--limit", type=click.IntRange(1), default=12, show_default=True, help="Lines per section."
)
@format_option("table: for people; json: for programs.", people="table")
@guard
def why_not(
    case: str, target: str, rules: str | None, max_changes: int, limit: int, fmt: str
) -> None:
    """Smallest sets of fact changes (one fact, then pairs) that would move CASE to --target,
    and which unknown facts matter most. Facts in the rule set's `fixed:` list are not changed."""
    from screen.audit.whynot import format_why_not
    from screen.audit.whynot import why_not as search
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case
    from screen.engine.result import outcome_rule_errors

    rs = load_rules(rules)
    loaded = load_case(case)
    found = search(rs, loaded.case, target=target, max_changes=max_changes)
    if fmt == "json":
        echo_json(found.as_dict())
    else:
        echo_text(format_why_not(found, limit=limit), nl=False)
    screened = evaluate_case(rs, loaded.case, trace=False)
    if echo_rule_errors(outcome_rule_errors(loaded.path, screened)):  # searched on a defect
        sys.exit(2)


# --------------------------------------------------------------------------- diff


@click.command("diff")
@click.argument("cases", nargs=-1, type=click.Path())
@click.option("--old", "old", type=click.Path(), help="The current rule set (default: bundled).")
@click.option("--new", "new", type=click.Path(), required=True, help="The proposed rule set.")
@click.option(
    "--store",
    "store",
    metavar="PATH|URL",
    help="Re-screen every recorded case (latest record per case) from this store under --new.",
)
@click.option(
    "--from-store",
    is_flag=True,
    help="Use the store at $DEALSCREEN_STORE / the default path (like --store).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list cases that do not change.")
@format_option("table: for people; json: for programs.", people="table")
@guard
def diff(
    cases: tuple[str, ...],
    old: str | None,
    new: str,
    store: str | None,
    from_store: bool,
    show_all: bool,
    fmt: str,
) -> None:
    """Which cases a new thesis changes, and the rules responsible.

    CASES are case files, folders, or recorded screenings ('#16': the case text stored with
    record 16, from --store or $DEALSCREEN_STORE).

    \b
      dealscreen diff --old rules/ --new proposal.yaml cases/
      dealscreen diff --new proposal.yaml '#16' '#17'
      dealscreen diff --new proposal.yaml --store .dealscreen/decisions.db
    """
    from screen.audit.history import is_record_ref
    from screen.audit.thesis_diff import diff_cases, diff_store, same_label_warning

    refs = [c for c in cases if is_record_ref(c)]
    if refs:
        from screen.audit.history import recorded_case
        from screen.audit.store import Store

        with Store.open(store, create=False) as s:
            recorded = [recorded_case(s, ref) for ref in refs]
        files = [c for c in cases if not is_record_ref(c)]
        report = diff_cases(load_rules(old), load_rules(new), files, recorded)
        _print_diff(report, fmt, show_all)
        return
    if (store or from_store) and cases:
        raise click.UsageError("give CASES or --store, not both")
    if not (store or from_store or cases):
        raise click.UsageError("give CASES (files or folders) or --store")
    new_rs = load_rules(new)
    if store or from_store:
        if old:
            raise click.UsageError(
                "with --store the old rule set is the one stored with each record; drop --old"
            )
        with open_store(store) as s:
            report = diff_store(s, new_rs)
        _print_diff(report, fmt, show_all)
        fail_if_damaged(report.damaged)
        return
    else:
        old_rs = load_rules(old)
        warning = same_label_warning(old_rs, new_rs)
        if warning:
            echo_text(warning, err=True)
        report = diff_cases(old_rs, new_rs, list(cases))
    _print_diff(report, fmt, show_all)


def _print_diff(report: Any, fmt: str, show_all: bool) -> None:
    from screen.audit.thesis_diff import format_diff

    if fmt == "json":
        echo_json(report.as_dict(show_all))
    else:
        echo_text(format_diff(report, show_all), nl=False)
    for e in report.errors:
        echo_error(e)
    if report.errors:
        sys.exit(2)


COMMANDS = [why_not, diff]
