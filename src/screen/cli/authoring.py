"""Commands for rule-set authors: `lint`, `test` (with `--coverage`) and `graph`.

Thin shells over `screen.authoring` (`lint`, `ruletests`, `graph`), which a notebook or CI
script can call directly. Only click is imported at module level, so `dealscreen --help` stays
fast; `cli/app.py` registers `COMMANDS`.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import click

from screen.cli.common import (
    EXIT_FAILED,
    RULES_HELP,
    echo_text,
    existing_paths,
    format_option,
    guard,
    write_output,
)


@click.command()
@click.argument("rules", nargs=-1, type=click.Path())
@format_option("text: file:line:col: severity: message, one per line; json: a document.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--notes", is_flag=True, help="Also print notes (informational, never fail).")
@click.option(
    "--show-suppressed",
    is_flag=True,
    help="Also print findings silenced by a `# noqa: CODE` comment in the rule file.",
)
@guard
def lint(
    rules: tuple[str, ...], fmt: str, strict: bool, notes: bool, show_suppressed: bool
) -> None:
    """Check RULES (rule-set files or folders; default: the bundled thesis) for mistakes.

    Errors are what the loader rejects (the rule set cannot screen); warnings are what loads
    but is probably wrong: unused parameters and derived facts, bands and table rows that can
    never match, gaps in tables over stages / enums, weights that do not add up, rationales
    citing no thesis point or source.

    A warning or note is silenced by a comment naming its check on the item's line (or its
    `- id:` line), e.g. `# noqa: shadowed-band`; silenced findings do not count, and
    --show-suppressed lists them.

    Exit codes: 0 clean or warnings only, 1 errors (or warnings with --strict).
    """
    from screen.authoring.lint import lint_paths
    from screen.model.errors import plural

    start = time.perf_counter()
    report = lint_paths(existing_paths(rules) or None)  # a missing path: exit 2, as elsewhere
    seconds = time.perf_counter() - start
    if fmt == "json":
        write_output(report.json(), None)
    else:
        write_output(report.text(notes=notes, show_suppressed=show_suppressed), None)
        hidden = "" if notes or not report.notes else " (show with --notes)"
        if report.suppressed:
            hidden += f", {report.suppressed} suppressed" + (
                "" if show_suppressed else " (show with --show-suppressed)"
            )
        click.echo(
            f"{', '.join(rules) or 'rules/'}: {plural(report.errors, 'error')}, "
            f"{plural(report.warnings, 'warning')}, {plural(report.notes, 'note')}{hidden} "
            f"in {seconds:.2f}s",
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
    help="Exit 1 (and say so) when coverage is below this percentage; implies --coverage.",
)
@click.option(
    "-k",
    "keyword",
    metavar="EXPR",
    help="Only tests whose name matches EXPR: words (any case, part of the name) joined by "
    "and / or / not, e.g. -k 'T6 and not hematology'.",
)
@click.option("-v", "--verbose", is_flag=True, help="One line per test with its outcome.")
@guard
def test_command(
    paths: tuple[str, ...],
    coverage: bool,
    fail_under: float | None,
    keyword: str | None,
    verbose: bool,
) -> None:
    """Run rule-set tests: dealscreen test [RULES] [TESTS...].

    RULES is a rule-set file or folder (default: the bundled thesis); TESTS are test files or
    folders (default: the tests/ folder next to the rules). Each failing expectation prints
    file:line:col with the expected and the actual value. Exit 1 if a test fails.
    """
    from screen.authoring.ruletests import run_tests
    from screen.authoring.selection import keyword_matcher

    paths = tuple(existing_paths(paths))  # a missing file is named, not taken for rules
    rules = [p for p in paths if not _is_test_path(p)]
    tests = [p for p in paths if p not in rules]
    if len(rules) > 1:
        raise click.UsageError(
            f"one rule set at a time, got {', '.join(rules)} (test files have a 'tests:' key)"
        )
    select = keyword_matcher(keyword) if keyword is not None else None
    run = run_tests(rules[0] if rules else None, list(tests), select=select)
    write_output(run.text(verbose=verbose), None)
    if coverage or fail_under is not None:
        write_output(run.coverage_text(), None)
    below = fail_under is not None and run.percent < fail_under
    if below:
        shown = math.floor(run.percent * 10) / 10  # 99.96% must not read as 100.0% < 100%
        click.echo(f"FAIL: coverage {shown:.1f}% is below --fail-under {fail_under:g}%", err=True)
    none_matched = keyword is not None and not run.results
    if none_matched:
        click.echo(f"no test name matches -k {keyword!r}", err=True)
    sys.exit(EXIT_FAILED if not run.ok or below or none_matched else 0)


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


@click.command(name="eval")
@click.argument("expression")
@click.argument("case", type=click.Path())
@click.option("--asset", "asset", metavar="ID", help="Asset to evaluate for (default: the lead).")
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@format_option("text: the value, then each fact read; json: a document.")
@guard
def eval_command(
    expression: str, case: str, asset: str | None, rules: str | None, fmt: str
) -> None:
    """Evaluate one EXPRESSION against CASE, as a rule would (the `opa eval` of dealscreen).

    The expression is checked by the rule set's compiler (names, types, sandbox) and evaluated
    on the asset's facts: case fields, params.*, derived.*, lookup('TABLE'), criteria.* and
    gates.*. Prints the value, or unknown with the missing facts, then every fact it read.

    \b
      dealscreen eval 'derived.global_patients >= params.large_population' cases/x.yaml
      dealscreen eval "asset.stage >= 'phase2'" cases/x.yaml --asset KB-101
    """
    import json

    from screen.authoring.evalexpr import eval_expression
    from screen.engine.loader import load_case, load_ruleset

    rs = load_ruleset(rules)
    found = eval_expression(rs, load_case(case).case, expression, asset)
    if fmt == "json":
        click.echo(json.dumps(found.as_dict(), indent=2, sort_keys=True))
    else:
        echo_text(found.text(), nl=False)  # a text view: a case's control characters escaped


COMMANDS = [lint, test_command, graph, eval_command]
