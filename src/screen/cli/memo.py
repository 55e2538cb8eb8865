"""`dealscreen memo`: first-draft investment memos (Markdown, HTML or PDF) for screened cases.

Only click is imported at module level (cli/app.py registers this module on every start); the memo
machinery (jinja2, the engine) loads when the command runs.
"""

from __future__ import annotations

import click

from screen.cli.common import (
    EXIT_USAGE,
    RULES_HELP,
    echo_error,
    guard,
    load_rules,
    record,
    record_options,
    refuse_overwriting_cases,
    show_warnings,
    write_output,
)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "pdf", "docx"]),
    default=None,
    help="md: Markdown with footnotes; html: one self-contained page; pdf: needs "
    "dealscreen[pdf]; docx: Word, needs dealscreen[docx]. Default: from the -o file suffix, "
    "else md.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="FILE for one case; a DIR (created if missing: a new path with no suffix is one) "
    "for one or more. Default: stdout.",
)
@click.option("--rules", "rules", type=click.Path(), help=RULES_HELP)
@click.option(
    "--template",
    "template_dir",
    type=click.Path(),
    help="Folder of firm templates (memo.md.j2 / memo.html.j2) that may extend "
    '"default/memo.md.j2" and override single blocks.',
)
@click.option(
    "--date",
    callback=_date,
    help="Memo date (YYYY-MM-DD) printed in the header. Without it no date is printed, "
    "so the same inputs give the same bytes.",
)
@click.option(
    "--stale-months",
    type=click.IntRange(min=0),
    default=None,
    help="Flag figures older than this many months before the case's as_of date [default: 24].",
)
@record_options
@guard
def memo(
    cases: tuple[str, ...],
    fmt: str,
    output: str | None,
    rules: str | None,
    template_dir: str | None,
    date: object,
    stale_months: int | None,
    record_results: bool,
    store: str | None,
    who: str | None,
) -> None:
    """Write a first-draft investment memo for each of CASES (case files or folders).

    \b
    Examples:
      dealscreen memo cases/kestrel-bio.yaml                 Markdown to stdout
      dealscreen memo cases/ --format html -o out/memos      one .html per case
      dealscreen memo cases/x.yaml --template firm/ -o x.md  firm blocks over the defaults
      dealscreen memo cases/x.yaml -o x.docx                 Word (needs dealscreen[docx])

    Every figure cites its source (footnotes in Markdown, links in HTML); estimates, stale and
    unsourced figures are flagged; missing facts become diligence questions. Cases that fail to
    load are reported as file:line:col and the others are still written (exit code 2).
    """
    import sys
    from pathlib import Path

    from screen import memo as memos
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import expand_case_paths, load_case
    from screen.engine.result import build_result, rule_errors
    from screen.model.errors import Location, ScreenError

    stale = memos.STALE_AFTER_MONTHS if stale_months is None else stale_months
    paths = expand_case_paths(list(cases))
    out = Path(output) if output else None
    suffix_format = {
        ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf",
        ".docx": "docx",
    }  # fmt: skip
    named = suffix_format.get(out.suffix.lower()) if out is not None else None
    if fmt is None:
        fmt = named or "md"
    if len(paths) > 1 and named and out is not None and not out.is_dir():
        raise ScreenError(
            f"{len(paths)} cases give {len(paths)} memos, but '{output}' names one file",
            Location(str(output)),
            "give a folder, e.g. -o out/memos",
        )
    to_dir = out is not None and (
        len(paths) > 1
        or out.is_dir()
        or str(output).endswith(("/", "\\"))
        or (not out.suffix and not out.exists())  # `-o out/memos`: a folder, as --help says
    )
    if len(paths) > 1 and out is None:
        raise ScreenError(
            f"{len(paths)} cases give {len(paths)} memos: name an output folder",
            hint="add -o DIR, e.g. -o out/memos",
        )
    if to_dir and out is not None and out.exists() and not out.is_dir():
        raise ScreenError("is a file; several memos need a folder", Location(str(output)))
    if out is None and fmt in ("pdf", "docx") and sys.stdout.isatty():
        raise ScreenError(
            f"will not write a {fmt.upper()} file to the terminal", hint=f"add -o FILE.{fmt}"
        )
    if fmt == "docx":  # fail before any work when python-docx is missing
        try:
            import docx  # noqa: F401
        except ImportError:
            from screen.memo.docx import DOCX_INSTALL_HINT

            raise ScreenError(
                "Word output needs python-docx, which is not installed", hint=DOCX_INSTALL_HINT
            ) from None
    if fmt == "pdf":  # fail before any work when WeasyPrint is missing
        try:
            import weasyprint  # noqa: F401
        except (ImportError, OSError):
            raise ScreenError(
                "PDF output needs WeasyPrint, which is not installed", hint=memos.PDF_INSTALL_HINT
            ) from None

    if not to_dir:
        refuse_overwriting_cases(output, cases)
    rs = load_rules(rules)
    memos.environment(template_dir)  # a missing template folder fails before any work
    errors: list[str] = []
    written: dict[str, str] = {}
    recorded: list[dict[str, object]] = []
    case_texts: dict[str, str] = {}
    for path in paths:
        try:
            loaded = load_case(path)
        except ScreenError as err:
            errors.append(str(err))
            continue
        show_warnings(loaded)
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))
        failed_rules = rule_errors(result)  # as score: the memo is written, the exit code is 2
        errors.extend(failed_rules)
        if failed_rules and record_results:
            errors.append(f"{loaded.path}: not recorded: a rule failed on it (see above)")
        elif not failed_rules:
            recorded.append(result)
            case_texts[loaded.sha256] = loaded.text
        doc = memos.render(
            loaded,
            result,
            "html" if fmt == "docx" else fmt,
            template_dir=template_dir,
            date=date,
            stale_months=stale,
        )
        if fmt == "docx":
            from screen.memo.docx import html_to_docx

            doc = html_to_docx(str(doc), result)
        data = doc.encode("utf-8") if isinstance(doc, str) else doc
        if out is None:
            write_output(data, None)
            continue
        name = (
            memos.file_name(loaded.case_id, "md")[: -len(".md")] + ".docx"
            if fmt == "docx"
            else memos.file_name(loaded.case_id, fmt)
        )
        target = out / name if to_dir else out
        if str(target) in written:
            errors.append(
                f"{loaded.path}: case id '{loaded.case_id}' gives the same memo file as "
                f"{written[str(target)]} ({target}); give the cases distinct ids"
            )
            continue
        write_output(data, target, say=False)
        written[str(target)] = loaded.path
    if written:
        where = str(out) if to_dir else next(iter(written))
        n = len(written)
        click.echo(f"wrote {n} {fmt} memo{'s' if n != 1 else ''} to {where}", err=True)
    if record_results and recorded:
        record(recorded, rules=rules, store=store, who=who, case_texts=case_texts)
    for e in errors:
        echo_error(e)
    if errors:
        sys.exit(EXIT_USAGE)


COMMANDS = [memo]
