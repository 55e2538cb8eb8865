"""The `dealscreen` command line: a thin shell over the library.

Every command is a few lines calling functions a notebook could call too. Heavy modules
(pydantic models, networkx, jinja2) are imported inside the commands, so `dealscreen --help`
starts fast. User errors print `file:line:col: message (hint)` and exit 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import click

from screen.cli.common import (
    EXIT_USAGE,
    RULES_HELP,
    Group,
    echo_error,
    guard,
    kept_unwritten,
    load_rules,
    record,
    record_options,
    refuse_overwriting_cases,
    show_warnings,
    write_chunks,
    write_output,
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    Rule sets:    lint, test --coverage, graph, eval, schema
    Sources:      import ctgov (ClinicalTrials.gov records into case files)

    Exit codes: 0 success, 1 a check found problems (lint, test, audit verify), 2 bad input
    (file:line:col message), 70 internal error.
    """


def _iter_scored(
    paths: tuple[str, ...], rules: str | None, trace: bool = True
) -> Iterator[dict[str, Any] | str]:
    """Each case's result, in input order, as it is made; a file that fails to load yields its
    located message (str) instead and the rest are still scored. Nothing is kept: a batch of
    20,000 cases costs the memory of one."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import case_path_texts, load_case
    from screen.engine.result import build_result, rule_errors
    from screen.model.errors import ScreenError

    rs = load_rules(rules)
    for path in case_path_texts(list(paths)):  # text, not Path objects: ~2 MB for 20,000
        try:
            loaded = load_case(path)
        except ScreenError as err:
            yield str(err)
            continue
        show_warnings(loaded)
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=trace))
        yield result
        yield from rule_errors(result)  # the case is still scored; the exit code is 2


def _score_all(
    paths: tuple[str, ...], rules: str | None, trace: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """Score every case; errors in single files are collected, the rest still scored."""
    results, errors = [], []
    for item in _iter_scored(paths, rules, trace):
        (errors if isinstance(item, str) else results).append(item)
    return results, errors


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default=None,
    help="table: ranked screening; json: one result object per case "
    "[default: json for -o FILE.json, else table].",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)
@record_options
@guard
def score(
    cases: tuple[str, ...],
    rules: str | None,
    fmt: str | None,
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
    refuse_overwriting_cases(output, cases)
    if record_results:  # a path that is no store fails now, not after the whole batch is shown
        from screen.audit.store import Store

        Store.open(store, create=True).close()
    if fmt is None:  # as rank does: the -o suffix says it (a .json file never holds a table)
        fmt = "json" if output and output.lower().endswith(".json") else "table"
    # Kept only what is needed after the loop: for the table the results' summaries; the
    # results to record (--record) go to a spool on disk and JSON goes out case by case (flat
    # memory in the batch size).
    with contextlib.ExitStack() as stack:
        pending = stack.enter_context(_spool()) if record_results else None
        scored = _iter_scored(cases, rules, trace=fmt == "json" or record_results)
        errors = _score_out(scored, fmt, output, pending)
        if pending:
            record(pending, rules=rules, store=store, who=who)
    for e in errors:
        echo_error(e)
    if errors:
        sys.exit(EXIT_USAGE)


def _spool() -> Any:
    from screen.audit.store.spool import ResultSpool

    return ResultSpool()


def _score_out(scored: Iterator[Any], fmt: str, output: str | None, pending: Any) -> list[str]:
    """Write the scored results as `fmt` (JSON streamed; the table after the last), each also
    added to `pending` (results to record) when given; return the load errors."""
    from screen.engine.result import rule_errors
    from screen.model.errors import plural
    from screen.report import console as report

    errors: list[str] = []

    def to_record(result: dict[str, Any]) -> None:
        """A result whose rules failed is shown, never recorded: the audit trail holds the
        thesis's judgement, not a rule set's defect (the next run, fixed, records it)."""
        if pending is None:
            return
        if rule_errors(result):
            errors.append(f"{result['case']['path']}: not recorded: a rule failed on it")
        else:
            pending.add(result)

    if fmt == "json":
        emitted = 0
        with json_stream(output, keep_old_when_empty=True) as emit:
            for item in scored:
                if isinstance(item, str):
                    errors.append(item)
                    continue
                emit(item)
                emitted += 1
                to_record(item)
        if output and not kept_unwritten(output, emitted):  # as write_output says it
            click.echo(f"wrote {plural(emitted, 'result')} (json) to {output}", err=True)
        return errors
    from screen.report.spool import SortedSpool

    with SortedSpool() as rows:  # the table's cells on disk, only sort keys in memory
        for item in scored:
            if isinstance(item, str):
                errors.append(item)
                continue
            rows.add(*report.table_row(item))
            to_record(item)
        if not kept_unwritten(output, len(rows)) and len(rows):
            what = f"{plural(len(rows), 'result')} (table)"
            write_chunks(report.table_chunks(rows), output, what=what)
    return errors


@contextlib.contextmanager
def json_stream(
    output: str | None, *, keep_old_when_empty: bool = False
) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Write a JSON list item by item: the bytes of `result.dumps(items)`, without holding them.

    To FILE through a temporary sibling renamed at the end (a failed run leaves the old file,
    never half a list; with `keep_old_when_empty`, a run that wrote no item leaves it too: no
    case loaded, see `kept_unwritten`); else to stdout. OS errors are user errors naming the
    file."""
    import os
    import tempfile
    from pathlib import Path

    from screen.cli import common
    from screen.engine.result import dumps_nested
    from screen.model.errors import Location, ScreenError

    count = 0
    fh: Any = sys.stdout
    tmp: str | None = None
    if output:
        path = Path(os.path.realpath(output))  # through a link: replace what it points at
        if path.is_dir():
            raise ScreenError("is a folder; name a file to write", Location(output))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and not path.is_file():  # /dev/stdout, a FIFO: write to it
                fh = path.open("wb")
            else:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fd, 0o666 & ~umask)  # as a plain open would (mkstemp makes 0600)
                fh = os.fdopen(fd, "wb")
        except OSError as exc:
            raise ScreenError(f"cannot write: {exc.strerror}", Location(output)) from None
    write: Callable[[bytes], Any] = fh.write if output else sys.stdout.buffer.write
    on_terminal = not output and common.stdout_is_terminal()  # a C1 CSI is shown, not obeyed

    def emit(item: dict[str, Any]) -> None:
        nonlocal count
        # json.dumps(list, indent=2) is "[\n" + items at two more spaces joined by ",\n" +
        # "\n]"; written as bytes, never decoded and encoded again (a result is ~64 KB)
        write(b"[\n  " if not count else b",\n  ")
        data = dumps_nested(item, 1, rounded=True)
        write(common.terminal_bytes(data) if on_terminal else data)
        count += 1

    try:
        if not output:
            sys.stdout.flush()  # text written before goes first, as in write_chunks
        yield emit
        write(b"\n]\n" if count else b"[]\n")
        fh.flush()
        if output:
            fh.close()
        if tmp is not None and (count or not keep_old_when_empty):
            os.replace(tmp, path)
            tmp = None
    except BrokenPipeError:
        raise  # the reader went away (`| head`): guard exits quietly
    except OSError as exc:
        raise ScreenError(f"cannot write: {exc.strerror}", Location(output or "<stdout>")) from None
    finally:
        if output and not fh.closed:
            with contextlib.suppress(OSError):
                fh.close()
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@guard
def explain(cases: tuple[str, ...], rules: str | None) -> None:
    """Explain CASES (case files, or folders: each file in turn): decision <- criteria <- rules
    <- facts, then the diligence questions.

    An unknown criterion says what it counts for meanwhile (the rule set's unknown policy, e.g.
    its lowest reachable score). Files that fail to load are reported as file:line:col, the
    others are still explained, and the exit code is then 2.
    """
    from screen.report import console as report

    results, errors = _score_all(cases, rules)
    # the one stdout writer: a full disk or a closed pipe is said as for every other command
    write_chunks((("\n" if i else "") + report.explain(r) for i, r in enumerate(results)), None)
    if errors:
        _exit_with(errors)


def _exit_with(errors: list[str]) -> NoReturn:
    for e in errors:
        echo_error(e)
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
    else:  # click.Choice allows only case and rules
        from screen.model.ruleset import RuleSetFile

        data = RuleSetFile.model_json_schema()
    write_output(json.dumps(data, indent=2, sort_keys=True) + "\n", None)


# Commands of other features live in their own modules (screen/cli/<name>.py), each exposing
# COMMANDS, a list of click commands. A module is imported when one of its commands runs or is
# listed (`--help`): `dealscreen score` does not pay for defining the audit, memo and authoring
# commands. The names of each module's commands are listed here (a test checks them).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "memo": ("memo",),
    "audit": ("decide", "audit"),
    "whatif": ("why-not", "diff"),
    "authoring": ("lint", "test", "graph", "eval"),
    "pipeline": ("rank", "sensitivity", "compare"),
    "sources": ("import",),
    "watch": ("due",),
    "history": ("history",),
}
_MODULE_OF = {command: module for module, names in COMMAND_MODULES.items() for command in names}


def _load_commands(module_name: str) -> None:
    import importlib

    module = importlib.import_module(f"screen.cli.{module_name}")
    for command in module.COMMANDS:
        main.add_command(command)


def _list_commands(ctx: click.Context) -> list[str]:
    return sorted({*main.commands, *_MODULE_OF})


def _get_command(ctx: click.Context, name: str) -> click.Command | None:
    if name not in main.commands:
        if name in _MODULE_OF:
            _load_commands(_MODULE_OF[name])
        else:  # a typo: click suggests from every command ("Did you mean 'rank'?")
            for module_name in COMMAND_MODULES:
                _load_commands(module_name)
    return main.commands.get(name)


main.list_commands = _list_commands  # type: ignore[method-assign]
main.get_command = _get_command  # type: ignore[method-assign]
