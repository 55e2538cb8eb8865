"""`dealscreen history`: one company's recorded screenings and decisions over time.

Only click is imported at module level (cli/app.py registers COMMANDS at start-up).
"""

from __future__ import annotations

import click

from screen.cli.common import (
    echo_json,
    echo_text,
    fail_if_damaged,
    format_option,
    guard,
    open_store,
    store_option,
)


@click.command()
@click.argument("company")
@format_option("text: for people; json: for programs.")
@store_option
@guard
def history(company: str, fmt: str, store: str | None) -> None:
    """Every recorded screening and decision of COMPANY (a case id, or the company's name or
    part of it), oldest first.

    \b
    Each record: when, who, rule-set version, the engine's decision and score, and for
    `decide` records the firm's call, reason and note. Between consecutive records whose case
    text or rule set differ: which case facts changed (from the stored case texts) and which
    rules moved the score.
      dealscreen history kestrel-bio
      dealscreen history "Kestrel" --format json
    Compare two of them in full: dealscreen compare '#12' '#16'.
    """
    from screen.audit.history import format_history
    from screen.audit.history import history as company_history

    with open_store(store) as s:
        steps = company_history(s, company)
    if fmt == "json":
        doc = [step.as_dict() for step in steps]
        echo_json(doc)
    else:
        echo_text(format_history(steps), nl=False)
    fail_if_damaged([st.record.id for st in steps if st.record.damage(result=False)])


COMMANDS = [history]
