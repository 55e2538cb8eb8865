"""The `dealscreen` command line: a thin shell over the library.

Every command is a few lines calling functions a notebook could call too. Heavy modules
(pydantic models, networkx, jinja2) are imported inside the commands, so `dealscreen --help`
starts fast. User errors print `file:line:col: message (hint)` and exit 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from screen.cli.common import (
    EXIT_USAGE,
    RULES_HELP,
    guard,
    record,
    record_options,
    write_output,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dealscreen", prog_name="dealscreen")
def main() -> None:
    """Screen biotech investment candidates against the firm's thesis.

    \b
    Screen and explain:
      dealscreen score cases/                  ranked screening of every case file
      dealscreen explain cases/x.yaml          decision <- criteria <- rules <- facts
      dealscreen memo cases/ --format html -o out/memos
    \b
    Pipeline:     rank, sensitivity, compare, due (the watch list)
    Audit trail:  score --record, decide, audit, history, why-not, diff
    Rule sets:    lint, test --coverage, graph, schema
    Sources:      import ctgov (ClinicalTrials.gov records into case files)

    Exit codes: 0 success, 2 bad input (file:line:col message), 70 internal error.
    """


def _score_all(
    paths: tuple[str, ...], rules: str | None, trace: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """Score every case; errors in single files are collected, the rest still scored."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import expand_case_paths, load_case, load_ruleset
    from screen.engine.result import build_result, rule_errors
    from screen.model.errors import ScreenError

    rs = load_ruleset(rules)
    results, errors = [], []
    for path in expand_case_paths(list(paths)):
        try:
            loaded = load_case(path)
        except ScreenError as err:
            errors.append(str(err))
            continue
        outcome = evaluate_case(rs, loaded.case, trace=trace)
        results.append(build_result(rs, loaded, outcome))
        errors.extend(rule_errors(results[-1]))  # the case is still scored, the exit code is 2
    return results, errors


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: ranked screening; json: one result object per case.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)
@record_options
@guard
def score(
    cases: tuple[str, ...],
    rules: str | None,
    fmt: str,
    output: str | None,
    record_results: bool,
    store: str | None,
    who: str | None,
) -> None:
    """Score CASES (case files, or folders of them) against the thesis.

    Files that fail to load are reported as file:line:col and the others are still scored;
    the exit code is then 2. With --record the results that were scored are stored, and the
    new head hash of the audit chain is printed on stderr (keep it: `audit verify --head`).
    """
    from screen.engine.result import dumps
    from screen.report import console as report

    results, errors = _score_all(cases, rules)
    if results or fmt == "json":
        write_output(dumps(results) if fmt == "json" else report.table(results), output)
    if record_results and results:
        record(results, rules=rules, store=store, who=who)
    for e in errors:
        click.echo(e, err=True)
    if errors:
        sys.exit(EXIT_USAGE)


@main.command()
@click.argument("case", type=click.Path())
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@guard
def explain(case: str, rules: str | None) -> None:
    """Explain CASE (a case file, or a folder: each file in turn): decision <- criteria <- rules
    <- facts, then the diligence questions."""
    from screen.report import console as report

    results, errors = _score_all((case,), rules)
    for r in results:
        click.echo(report.explain(r), nl=False)
    if errors:
        _exit_with(errors)


def _exit_with(errors: list[str]) -> NoReturn:
    for e in errors:
        click.echo(e, err=True)
    sys.exit(EXIT_USAGE)


@main.command()
@click.argument("kind", type=click.Choice(["case", "rules"]))
@guard
def schema(kind: str) -> None:
    """Print the JSON Schema of a case file or a rule-set file (for editor autocompletion).

    \b
    Save it and point the YAML language server at it, e.g. first line of a case file:
      # yaml-language-server: $schema=./case.schema.json
    """
    import json

    if kind == "case":
        from screen.model.case import Case

        data = Case.model_json_schema()
    elif kind == "rules":
        from screen.model.ruleset import RuleSetFile

        data = RuleSetFile.model_json_schema()
    else:
        raise click.UsageError(
            "the result schema is documented in the README (section 'Result JSON')"
        )
    click.echo(json.dumps(data, indent=2, sort_keys=True))


# Commands of other features live in their own modules (screen/cli/<name>.py), each exposing
# COMMANDS, a list of click commands. They import only click at module level, so --help stays fast.
COMMAND_MODULES = ("memo", "audit", "authoring", "pipeline", "sources", "watch", "history")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"screen.cli.{name}")
        for command in module.COMMANDS:
            main.add_command(command)


_register_commands()
