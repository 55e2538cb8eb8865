"""What every `dealscreen` command shares: error handling, exit codes, common options, output.

Kept separate from `cli/app.py` (which registers the feature commands) so feature modules can import
it without a circular import, and light (click only) so `dealscreen --help` stays fast.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

EXIT_FAILED = 1  # a check the user asked for failed (lint errors, tests, verify)
EXIT_USAGE = 2  # bad input: file:line:col message
EXIT_INTERNAL = 70  # a bug in dealscreen

RULES_HELP = "Rule set: a YAML file or a folder of them (default: the bundled thesis)."
STORE_HELP = (
    "Decision store: a SQLite file or a postgresql:// URL "
    "[env DEALSCREEN_STORE; default .dealscreen/decisions.db]."
)


class Group(click.Group):
    """The command group: output that cannot be written (`dealscreen --help > /dev/full`) is
    a user error, as in every command (`guard`), not click's traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # A batch allocates millions of short-lived objects beside long-lived memos (the shared
        # step memos, the compiled thesis): at the default 700 allocations per young
        # collection, the older generations are rescanned often. 10,000 measured 5-6% less
        # CPU on 2,000 partial cases (score 10.35 -> 9.82 s, rank 5.59 -> 5.34 s), the same on
        # complete ones; what stays alive per case (flat memory) is unchanged.
        gc.set_threshold(10_000, 10, 10)
        try:
            return super().main(*args, **kwargs)
        except OSError as err:
            _silence_stdout()
            click.echo(f"<stdout>: cannot write: {err.strerror or err}", err=True)
            sys.exit(EXIT_USAGE)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Our errors print `file:line:col: message (hint)` and exit 2; a bug prints one line and
    exits 70 (DEALSCREEN_DEBUG=1 shows its traceback). Never a traceback for bad input."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from screen.model.errors import ScreenError

        try:
            return fn(*args, **kwargs)
        except ScreenError as err:
            echo_error(err)
            sys.exit(EXIT_USAGE)
        except (click.ClickException, SystemExit):
            raise
        except (BrokenPipeError, KeyboardInterrupt):
            sys.exit(EXIT_FAILED)
        except OSError as err:  # the environment (full disk, closed stdout), not a bug
            _silence_stdout()
            where = f"{err.filename}: " if err.filename else ""
            click.echo(f"{where}error: {err.strerror or err}", err=True)
            sys.exit(EXIT_USAGE)
        except RecursionError:
            click.echo("error: input nested too deeply", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as err:  # a bug in dealscreen, not in the input
            if "DEALSCREEN_DEBUG" in os.environ:
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} "
                "(set DEALSCREEN_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


def store_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--store PATH|URL (env DEALSCREEN_STORE). Plain text, never a click.Path: a PostgreSQL URL
    is not a file name (see `store.location`)."""
    return click.option(
        "--store", "store", metavar="PATH|URL", envvar="DEALSCREEN_STORE", help=STORE_HELP,
    )(fn)  # fmt: skip


def record_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--record, --store, --who: store what a command screened in the audit trail."""
    fn = click.option("--who", help="Who is recording (default: the OS user name).")(fn)
    fn = store_option(fn)
    return click.option(
        "--record",
        "record_results",
        is_flag=True,
        help="Also record each screening result in the decision store (see `dealscreen audit`).",
    )(fn)


def record(results: Any, **kwargs: Any) -> None:
    """Record results (a list, or a `ResultSpool` of a large batch) and print where, with the
    new head hash (keep it: `audit verify --head`)."""
    from screen.audit.store import display_name, record_results

    written = record_results(results, **kwargs)
    first, last = written.ids[0], written.ids[-1]
    ids = f"#{first}" if first == last else f"#{first}..#{last}"
    click.echo(
        f"recorded {len(written.ids)} result{'s' if len(written.ids) != 1 else ''} as {ids} "
        f"in {display_name(kwargs.get('store'))}; head {written.head}",
        err=True,
    )


def format_option(
    help_text: str | None = None, *, people: str = "text"
) -> Callable[[Callable[..., Any]], Any]:
    """The --format option of the commands that print `people` (text or a table) for people
    or JSON for programs; `people` is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice([people, "json"]),
        default=people,
        show_default=True,
        help=help_text,
    )


def echo_json(data: Any) -> None:
    """A JSON document on stdout, as the audit commands print theirs (indented, UTF-8 kept)."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def open_store(store: str | None) -> Any:
    """The decision store at `store` (or the default / $DEALSCREEN_STORE); never created
    by a command that only reads it."""
    from screen.audit.store import Store

    return Store.open(store, create=False)


def echo_text(text: str, *, nl: bool = True, err: bool = False) -> None:
    """Part of a text view (a table, a record, a report line): control characters that came
    from a case or a record are shown as escapes, never obeyed by the terminal (safety.py)."""
    from screen.report.safety import terminal_text

    click.echo(terminal_text(text), nl=nl, err=err)


def fail_if_damaged(ids: list[int], *, marked: bool = False, counted: bool = False) -> None:
    """Records shown (`marked` '!' in a table) or `counted` that fail their own check
    (`Record.damage`): say so on stderr and exit 1, as `audit verify` does."""
    if ids:
        shown = ", ".join(f"#{i}" for i in ids)
        how = " (marked '!')" if marked else " (counted as they now read)" if counted else ""
        echo_error(
            f"warning: record(s) {shown} fail their integrity check{how}: their fields or "
            "stored result were altered after they were written; run `dealscreen audit verify`"
        )
        sys.exit(EXIT_FAILED)


def echo_error(message: object) -> None:
    """An error or warning line on stderr; control characters from input shown, not obeyed."""
    from screen.report.safety import terminal_text

    click.echo(terminal_text(str(message)), err=True)


def show_warnings(loaded: Any) -> None:
    """A loaded case's warnings on stderr."""
    for warning in getattr(loaded, "warnings", ()):
        echo_error(warning)


def write_output(
    data: str | bytes,
    output: str | Path | None,
    *,
    bom: bool = False,
    what: str = "output",
    say: bool = True,
) -> None:
    """Write command output to FILE (creating its folder) or stdout. The one path every writer
    takes: an I/O problem (disk full, read-only, no permission) is a user error naming the
    path and the OS reason, exit 2, never a traceback or an internal error. A file written
    says so on stderr (`wrote WHAT to FILE`), as every command that writes a file does."""
    from screen.model.errors import Location, ScreenError

    if isinstance(data, str):
        data = (("\ufeff" if bom else "") + data).encode("utf-8")
    if not output:
        if stdout_is_terminal():
            data = terminal_bytes(data)
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            _silence_stdout()
            raise ScreenError(f"cannot write: {exc.strerror}", Location("<stdout>")) from None
        return
    path = Path(output)
    if path.is_dir():
        raise ScreenError("is a folder; name a file to write", Location(str(output)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:  # close() inside the try: a full disk may fail only there
            fh.write(data)
    except OSError as exc:
        raise ScreenError(f"cannot write: {exc.strerror}", Location(str(output))) from None
    if say:  # with say=False the caller says once what it wrote (a memo per case)
        click.echo(f"wrote {what} to {output}", err=True)


def write_chunks(
    chunks: Iterable[str], output: str | Path | None, *, bom: bool = False, what: str = "output"
) -> None:
    """`write_output` for text made piece by piece (a ranked batch of 20,000 rows is never one
    string): the same bytes, the same errors and the same `wrote WHAT to FILE` line."""
    from screen.model.errors import Location, ScreenError

    where = str(output) if output else "<stdout>"
    pieces = iter(chunks)
    if bom:
        pieces = itertools.chain(["\ufeff"], pieces)
    if output:
        path = Path(output)
        if path.is_dir():
            raise ScreenError("is a folder; name a file to write", Location(where))
    try:
        if output:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:  # close() inside the try: a full disk may fail only there
                for piece in pieces:
                    fh.write(piece.encode("utf-8"))
        else:
            sys.stdout.flush()
            out = sys.stdout.buffer
            shown = stdout_is_terminal()  # as write_output shows a document on a terminal
            for piece in pieces:
                data = piece.encode("utf-8")
                out.write(terminal_bytes(data) if shown else data)
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        if not output:
            _silence_stdout()
        raise ScreenError(f"cannot write: {exc.strerror}", Location(where)) from None
    if output:
        click.echo(f"wrote {what} to {output}", err=True)


def echo_rule_errors(lines: Iterable[str]) -> bool:
    """Print the located lines of rules that failed at run time; whether there were any (the
    command then exits 2, as for any bad input: the results are shown, the defect said)."""
    shown = False
    for line in lines:
        echo_error(line)
        shown = True
    return shown


def refuse_overwriting_cases(output: str | Path | None, cases: Iterable[str]) -> None:
    """-o naming one of the case files read is an error before any work: the report would
    replace the case (nothing recorded is lost by a typo in an output path)."""
    if not output or not Path(output).is_file():
        return
    from screen.engine.loader import case_path_texts
    from screen.model.errors import Location, ScreenError

    target = os.path.realpath(output)
    if any(os.path.realpath(p) == target for p in case_path_texts(list(cases))):
        raise ScreenError(
            "is one of the case files read; the report would replace it",
            Location(str(output)),
            "name another output file",
        )


def kept_unwritten(output: str | Path | None, loaded: int) -> bool:
    """Whether to leave FILE as it was: no case of the batch could be loaded, so the output
    would hold nothing but the report's frame (an empty list, a header), and replacing the
    last good file with it loses what the user had. Says so on stderr."""
    if not output or loaded:
        return False
    click.echo(f"nothing written to {output}: no case could be loaded (left as it was)", err=True)
    return True


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal, which obeys escape sequences (a file or pipe keeps the
    document as it is: a memo file holds the case's own text)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_bytes(data: bytes) -> bytes:
    """A document shown on a terminal: control characters from a case (an OSC 52 clipboard
    write in an indication, a C1 CSI in a JSON string) shown as escapes, as every text view
    shows them, and a JSON document stays the same JSON (`safety.terminal_document`).
    Bytes that are not UTF-8 text (a spreadsheet) are left to the terminal's user."""
    from screen.report.safety import terminal_document

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return terminal_document(text).encode("utf-8")


def _silence_stdout() -> None:
    """After stdout failed, point it at /dev/null: the interpreter's final flush would fail
    again and turn our exit code into 120 with an 'Exception ignored' message."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a real file (e.g. click's test runner): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def existing_paths(items: tuple[str, ...] | list[str]) -> list[str]:
    """The paths as given, after checking that each exists: a missing file or folder is an
    error before any output (not an empty table and a count of what failed)."""
    from screen.model.errors import Location, ScreenError, ScreenErrors

    missing = [
        ScreenError("no such file or folder", Location(item))
        for item in items
        if not Path(item).exists()
    ]
    if missing:
        raise ScreenErrors(missing) if len(missing) > 1 else missing[0]
    return list(items)


def load_rules(path: str | Path | None) -> Any:
    """`load_ruleset` for a command that scores: the rule set's warnings (weights that do not
    sum to the declared total) go to stderr, located, once per load."""
    from screen.engine.loader import load_ruleset

    rs = load_ruleset(path)
    for warning in rs.warnings:
        echo_text(warning, err=True)
    return rs
