"""Commands for rule-set authors: `lint`, `test` (with `--coverage`) and `graph`.

Thin shells over `screen.authoring` (`lint`, `ruletests`, `graph`), which a notebook or CI
script can call directly. Only click is imported at module level, so `dealscreen --help` stays
fast; `cli/app.py` registers `COMMANDS`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from screen.cli.common import EXIT_FAILED, guard, write_output


@click.command()
@click.argument("rules", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: file:line:col: severity: message, one per line; json: a document.",
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--notes", is_flag=True, help="Also print notes (informational, never fail).")
@guard
def lint(rules: tuple[str, ...], fmt: str, strict: bool, notes: bool) -> None:
    """Check RULES (rule-set files or folders; default: the bundled thesis) for mistakes.

    Errors are what the loader rejects (the rule set cannot screen); warnings are what loads
    but is probably wrong: unused parameters and derived facts, bands and table rows that can
    never match, gaps in tables over stages / enums, weights that do not add up, rationales
    citing no thesis point or source.

    Exit codes: 0 clean or warnings only, 1 errors (or warnings with --strict).
    """
    from screen.authoring.lint import lint_paths

    start = time.perf_counter()
    report = lint_paths(list(rules) or None)
    seconds = time.perf_counter() - start
    if fmt == "json":
        write_output(report.json(), None)
    else:
        write_output(report.text(notes=notes), None)
        hidden = "" if notes or not report.notes else " (show with --notes)"
        click.echo(
            f"{', '.join(rules) or 'rules/'}: {report.errors} errors, {report.warnings} "
            f"warnings, {report.notes} notes{hidden} in {seconds:.2f}s",
            err=True,
        )
    sys.exit(report.exit_code(strict))


def _is_test_path(path: str) -> bool:
    """A test file has a top-level `tests:` key; a folder of them holds such files."""
    p = Path(path)
    files = sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    for f in files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(line.startswith("tests:") for line in text.splitlines()):
            return True
    return False


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--coverage", is_flag=True, help="Report bands, rows and gates no test exercised.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    help="With --coverage: exit 1 when coverage is below this percentage.",
)
@guard
def test_command(paths: tuple[str, ...], coverage: bool, fail_under: float | None) -> None:
    """Run rule-set tests: dealscreen test [RULES] [TESTS...].

    RULES is a rule-set file or folder (default: the bundled thesis); TESTS are test files or
    folders (default: the tests/ folder next to the rules). Each failing expectation prints
    file:line:col with the expected and the actual value. Exit 1 if a test fails.
    """
    from screen.authoring.ruletests import run_tests

    rules = [p for p in paths if not _is_test_path(p)]
    tests = [p for p in paths if p not in rules]
    if len(rules) > 1:
        raise click.UsageError(
            f"one rule set at a time, got {', '.join(rules)} (test files have a 'tests:' key)"
        )
    run = run_tests(rules[0] if rules else None, list(tests))
    write_output(run.text(), None)
    if coverage:
        write_output(run.coverage_text(), None)
    failed = not run.ok or (coverage and fail_under is not None and run.percent < fail_under)
    sys.exit(EXIT_FAILED if failed else 0)


@click.command()
@click.argument("rules", required=False, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "dot", "mermaid"]),
    default="text",
    show_default=True,
    help="text: each node and what it feeds; dot: Graphviz; mermaid: Markdown diagrams.",
)
@click.option("--impact", "field", metavar="FIELD", help="List everything downstream of FIELD.")
@click.option("--no-params", is_flag=True, help="Leave parameters out of the picture.")
@guard
def graph(rules: str | None, fmt: str, field: str | None, no_params: bool) -> None:
    """Print the dependency graph of RULES: case fields -> derived facts -> tables ->
    criteria and gates -> decision (default: the bundled thesis).

    \b
    dealscreen graph --format dot rules/ | dot -Tsvg > rules.svg
    dealscreen graph --impact asset.epidemiology.us
    """
    from screen.authoring import graph as g
    from screen.engine.loader import load_ruleset

    rs = load_ruleset(rules)
    picture = g.build_graph(rs, params=not no_params)
    if field:
        write_output(g.impact_text(picture, rs, field), None)
    elif fmt == "dot":
        write_output(g.to_dot(picture, rs.name), None)
    elif fmt == "mermaid":
        write_output(g.to_mermaid(picture), None)
    else:
        write_output(g.to_text(picture), None)


COMMANDS = [lint, test_command, graph]
