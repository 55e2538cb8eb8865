"""`dealscreen due`: the watch list (cases whose `revisit:` date has come).

Only click is imported at module level (cli/app.py registers COMMANDS at start-up).
"""

from __future__ import annotations

import sys

import click

from screen.cli.common import (
    EXIT_USAGE,
    RULES_HELP,
    echo_error,
    echo_text,
    format_option,
    guard,
    load_rules,
)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    import datetime as dt

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command()
@click.argument("cases", nargs=-1, type=click.Path())
@click.option(
    "--within",
    default="0d",
    show_default=True,
    metavar="PERIOD",
    help="Also list cases due within this period: 30d, 2w, 3m (a month counts 30 days: 3m = 90).",
)
@click.option("--today", callback=_date, metavar="DATE", help="Reference date [default: today].")
@click.option("--rules", type=click.Path(), help=RULES_HELP)
@format_option("text: for people; json: for programs.")
@guard
def due(cases: tuple[str, ...], within: str, today: object, rules: str | None, fmt: str) -> None:
    """Cases due (or overdue) for another look: their `revisit: {on: DATE, when: ...}` has
    come. CASES are files or folders [default: cases/].

    \b
    Each is listed with its revisit date, what it waits for, the last screen and the
    diligence questions still open on its core asset(s), most overdue first.
      dealscreen due                      # due today or overdue, from cases/
      dealscreen due --within 30d pipeline/
    Files that fail to load are reported (file:line:col) and the exit code is 2.
    """
    from pathlib import Path

    from screen.engine.loader import expand_case_paths
    from screen.pipeline import due as watch

    days = watch.parse_within(within)
    if not cases:
        if not Path("cases").is_dir():
            raise click.UsageError("give CASES (files or folders); there is no cases/ folder here")
        cases = ("cases",)
    rs = load_rules(rules)
    found, errors = watch.due_cases(
        rs, expand_case_paths(list(cases)), today=today, within_days=days
    )
    if fmt == "json":
        sys.stdout.write(watch.to_json(found, today, days))
    else:
        echo_text(watch.to_text(found, today, days), nl=False)
    for e in errors:
        echo_error(e)
    if errors:
        sys.exit(EXIT_USAGE)


COMMANDS = [due]
