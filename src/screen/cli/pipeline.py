"""`dealscreen rank`, `sensitivity` and `compare`: the pipeline view's commands.

Only click is imported at module level (cli/app.py registers COMMANDS at start-up, and
`dealscreen --help` must stay fast); each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from screen.cli.common import (
    RULES_HELP,
    echo_error,
    echo_rule_errors,
    existing_paths,
    format_option,
    guard,
    kept_unwritten,
    load_rules,
    refuse_overwriting_cases,
    store_option,
    write_chunks,
    write_output,
)
from screen.model.errors import plural
from screen.report.safety import terminal_text


def _jobs_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-j/--jobs N: worker processes (0 = decide from the batch size and the cores)."""
    return click.option(
        "-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True, help=help_text
    )


PROGRESS_MIN_FILES = 30  # fewer files finish before a progress bar would be worth drawing
FORMAT_BY_SUFFIX = {
    ".csv": "csv", ".json": "json", ".html": "html", ".htm": "html", ".xlsx": "xlsx",
}  # fmt: skip


def _evaluate_with_progress(
    rs: Any, paths: list[Any], rules: str | None, jobs: int, evaluate: Any, label: str
) -> tuple[list[Any], list[Any]]:
    """Evaluate files (in parallel if asked); progress bar on a terminal for larger batches."""
    good: list[Any] = []
    failed = _evaluate_each(rs, paths, rules, jobs, evaluate, label, good.append)
    return good, failed


def _evaluate_each(
    rs: Any,
    paths: list[Any],
    rules: str | None,
    jobs: int,
    evaluate: Any,
    label: str,
    keep: Callable[[Any], None],
) -> list[Any]:
    """Hand each file's evaluation to `keep` as it comes (input order); return the failures."""
    from screen.pipeline import rank as pipeline

    n_jobs = pipeline.default_jobs(len(paths)) if jobs == 0 else jobs
    show = len(paths) > PROGRESS_MIN_FILES and sys.stderr.isatty()
    failed = []

    def consume(progress: Callable[[int], None] | None) -> None:
        for item in pipeline.evaluate_files(
            rs, paths, rules=rules, jobs=n_jobs, evaluate=evaluate, progress=progress
        ):
            if isinstance(item, pipeline.Failure):
                failed.append(item)
            else:
                keep(item)

    if show:
        with click.progressbar(length=len(paths), label=label, file=sys.stderr) as bar:
            consume(bar.update)
    else:
        consume(None)
    return failed


def _report_failures(failed: list[Any], total: int) -> None:
    for f in failed:
        echo_error(f.message)
    if failed and len(failed) == total:
        echo_error(f"none of the {plural(total, 'case file')} could be loaded")
    elif failed:
        click.echo(
            f"{len(failed)} of {total} case file(s) could not be loaded; the others were ranked",
            err=True,
        )


@click.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "html", "xlsx"]),
    help="Output format [default: from the -o suffix, else table]. xlsx needs -o FILE and "
    "pip install 'dealscreen[xlsx]'.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=V[,V]",
    help="Keep rows whose decision / area / stage is one of the values; stage also takes "
    ">= and <= (quote it: 'stage>=phase2', or the shell reads > as a redirection). "
    "Repeat to combine (all must hold).",
)
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte-order mark (old Excel).")
@click.option(
    "--memos",
    type=click.Path(file_okay=False),
    help="HTML: folder of memos (<case-id>.html/.md/.pdf) to link [default: next to -o FILE].",
)
@_jobs_option("Worker processes; 0: one per core for large batches, else 1.")
@guard
def rank(
    cases: tuple[str, ...],
    rules: str | None,
    fmt: str | None,
    output: str | None,
    filters: tuple[str, ...],
    bom: bool,
    memos: str | None,
    jobs: int,
) -> None:
    """Rank CASES (files or folders): one row per company, best first.

    \b
    Rows are sorted by decision (advance, watch, insufficient information, decline), then score.
    Columns: decision, score (and the range unknowns allow), each criterion's score, lead asset,
    stage, therapeutic area, open questions, and the top reason (in words: gate and criterion
    names, the rule set's question; CSV and JSON add top_reason_ids with the rule ids and fact).
    Scores show 2 decimals in the table and the HTML page; CSV and JSON keep 4, as the result
    JSON does.
    \b
      dealscreen rank cases/
      dealscreen rank cases/ -o pipeline.csv --bom
      dealscreen rank cases/ -o pipeline.xlsx
      dealscreen rank cases/ --filter decision=advance,watch --filter 'stage>=phase2'
      dealscreen rank cases/ -o pipeline.html --memos memos/
    Case files that fail to load are reported on stderr (file:line:col: message), the others
    are still ranked, and the exit code is 2.
    """
    from pathlib import Path

    from screen.engine.loader import case_path_texts
    from screen.pipeline import rank as pipeline
    from screen.pipeline.spool import RowSpool

    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        if suffix and suffix not in FORMAT_BY_SUFFIX and suffix not in (".txt", ".text"):
            from screen.model.errors import Location, ScreenError

            raise ScreenError(
                f"cannot tell the format from '{suffix}'",
                Location(str(output)),
                "use .csv, .json, .html, .xlsx or .txt, or give --format",
            )
        fmt = FORMAT_BY_SUFFIX.get(suffix, "table")
    if fmt == "xlsx":
        if not output:
            raise click.UsageError("--format xlsx writes a binary file: give -o FILE.xlsx")
        from screen.pipeline.xlsx import require_xlsxwriter

        require_xlsxwriter()  # before any work
    row_filters = [pipeline.parse_filter(f) for f in filters]
    refuse_overwriting_cases(output, cases)
    rs = load_rules(rules)
    paths = case_path_texts(existing_paths(cases))  # text: ~100 bytes a file, not ~350
    rule_errors: list[str] = []  # as score: the case is ranked, the exit code is 2
    with RowSpool() as rows:  # flat memory: rows on disk, only their sort keys kept

        def keep(row: Any) -> None:
            rule_errors.extend(row.rule_errors)
            if all(f(row) for f in row_filters):
                rows.add(row)

        failed = _evaluate_each(rs, paths, rules, jobs, pipeline.row_for, "ranking", keep)
        if not kept_unwritten(output, len(paths) - len(failed)):
            _write_ranked(rs, rows, failed, fmt, output, bom, memos)
    _report_failures(failed, len(paths))
    if echo_rule_errors(rule_errors) or failed:
        sys.exit(2)


def _write_ranked(
    rs: Any,
    rows: Any,
    failed: list[Any],
    fmt: str,
    output: str | None,
    bom: bool,
    memos: str | None,
) -> None:
    """The ranked rows in `fmt`: JSON, CSV and the table streamed, the page and xlsx whole."""
    from pathlib import Path

    from screen.pipeline import report as pipeline_report

    what = f"{plural(len(rows), 'ranked row')} ({fmt})"
    if fmt == "xlsx":
        from screen.pipeline import xlsx

        listed = list(rows)
        data = xlsx.to_xlsx(rs, listed, xlsx.open_questions(rs, listed))
        write_output(data, str(output), what=what)
        return
    if fmt == "csv":
        chunks = pipeline_report.csv_chunks(rs, rows)
    elif fmt == "json":
        chunks = pipeline_report.json_chunks(rs, rows, failed)
    elif fmt == "html":
        from screen.pipeline import page as pipeline_html

        page_dir = Path(output).resolve().parent if output else Path.cwd()
        memo_dir = Path(memos).resolve() if memos else page_dir
        if memos and not memo_dir.is_dir():
            click.echo(
                f"warning: --memos {memos} is not a folder; the page has no memo links",
                err=True,
            )
        listed = list(rows)
        links = pipeline_html.find_memos(listed, memo_dir, page_dir)
        chunks = iter([pipeline_html.render(rs, listed, memo_links=links, failures=failed)])
    else:
        chunks = pipeline_report.table_chunks(rs, rows)
    if memos and fmt != "html":
        click.echo(f"warning: --memos is used only by the HTML page, not by {fmt}", err=True)
    write_chunks(chunks, output, bom=bom and fmt == "csv", what=what)


@click.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--spread",
    type=click.FloatRange(0.0, 0.95),
    default=0.2,
    show_default=True,
    help="Each weight is multiplied by a factor drawn from [1-spread, 1+spread].",
)
@click.option(
    "--samples",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="How many random weight sets to try.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same report.")
@click.option("--thresholds", is_flag=True, help="Also perturb the advance and watch thresholds.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default=None,
    help="[default: csv or json for -o FILE.csv / FILE.json, else table]",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@_jobs_option("Worker processes for loading the cases; 0: auto.")
@guard
def sensitivity(
    cases: tuple[str, ...],
    rules: str | None,
    spread: float,
    samples: int,
    seed: int,
    thresholds: bool,
    fmt: str | None,
    output: str | None,
    jobs: int,
) -> None:
    """How robust is the ranking? Perturb the criterion weights, re-rank, count changes.

    \b
    For each company: its decision and rank with the thesis weights, its margin (the score's
    distance above or below the nearest threshold; a company declined by a failed gate is
    declined at any weights and has none), in how many samples the decision changes (and to
    what), and the range of ranks and scores it takes. The table shows 2 decimals; CSV and
    JSON keep 4, as the result JSON does.
    Every case is evaluated once; samples only re-weigh. Seeded: the same seed gives the
    same report.
      dealscreen sensitivity cases/ --spread 0.2 --samples 1000 --seed 7
      dealscreen sensitivity cases/ --thresholds --format csv -o robustness.csv
    """
    from screen.engine.loader import expand_case_paths
    from screen.pipeline import rank as pipeline
    from screen.pipeline import sensitivity as sens
    from screen.pipeline import sensitivity_report

    if fmt is None:  # as rank and score: the -o suffix says it (a .csv file never holds a table)
        from pathlib import Path

        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".csv": "csv", ".json": "json"}.get(suffix, "table")
    refuse_overwriting_cases(output, cases)
    rs = load_rules(rules)
    paths = expand_case_paths(existing_paths(cases))
    good, failed = _evaluate_with_progress(
        rs, paths, rules, jobs, pipeline.score_case, "evaluating"
    )
    report = sens.analyse(
        rs, good, spread=spread, samples=samples, seed=seed, thresholds=thresholds
    )
    render = {
        "table": sensitivity_report.to_table,
        "csv": sensitivity_report.to_csv,
        "json": sensitivity_report.to_json,
    }[fmt]
    text = render(rs, report)
    if fmt == "table":  # a text view: names from case files must not drive the terminal
        text = terminal_text(text)
    if not kept_unwritten(output, len(good)):
        write_output(text, output, what=f"sensitivity report ({fmt})")
    _report_failures(failed, len(paths))
    lines = (line for cs in good for line in pipeline.scores_rule_errors(cs.path, cs.assets))
    if echo_rule_errors(lines) or failed:
        sys.exit(2)


def load_case_or_record(arg: str, store: str | None) -> Any:
    """A case file, or `#16`: the case text stored with record 16 of the decision store."""
    from screen.audit.history import is_record_ref

    if is_record_ref(arg):
        from screen.audit.history import recorded_case
        from screen.audit.store import Store

        with Store.open(store, create=False) as s:
            return recorded_case(s, arg)
    from screen.engine.loader import load_case

    return load_case(arg)


@click.command()
@click.argument("case_a", type=click.Path())
@click.argument("case_b", type=click.Path())
@click.option("--rules", type=click.Path(), help=RULES_HELP)
@format_option("text: for people; json: for programs.")
@click.option(
    "--differences",
    is_flag=True,
    help="Only the criteria whose score differs (the same score from another band or row "
    "counts as equal).",
)
@store_option
@guard
def compare(
    case_a: str, case_b: str, rules: str | None, fmt: str, differences: bool, store: str | None
) -> None:
    """Two candidates side by side: criterion by criterion, the facts that differ, and the
    rules that make the difference (e.g. a new deal against one the firm already did).

    Compares the lead assets (the ones each company decision follows). Scores and points show
    2 decimals; differences are computed before rounding. JSON keeps 4 decimals. A case may
    be a recorded screening, '#16' (its stored case text, from --store): e.g. the same company
    last quarter against today's file, `dealscreen compare '#16' cases/x.yaml`.
    """
    from screen.model.errors import ScreenError, ScreenErrors
    from screen.pipeline import compare as cmp

    rs = load_rules(rules)
    loaded, errors = [], []
    for path in (case_a, case_b):
        try:
            loaded.append(load_case_or_record(path, store))
        except ScreenError as err:
            errors.append(err)
    if errors:
        raise ScreenErrors(errors)
    from screen.engine.evaluate import evaluate_case
    from screen.engine.result import outcome_rule_errors

    a, b = ((x, evaluate_case(rs, x.case, trace=False)) for x in loaded)
    result = cmp.compare_outcomes(rs, a, b)
    if fmt == "json":
        write_output(cmp.to_json(result), None)
    else:
        write_output(terminal_text(cmp.to_text(result, all_criteria=not differences)), None)
    if echo_rule_errors(line for x, o in (a, b) for line in outcome_rule_errors(x.path, o)):
        sys.exit(2)


COMMANDS = [rank, sensitivity, compare]
