"""`dealscreen import ctgov`: trial facts from ClinicalTrials.gov records into case files.

Only click is imported at module level (cli/app.py registers COMMANDS at start-up and
`dealscreen --help` must stay fast). Nothing is written unless every input parsed and the merged
case file validates; the file is replaced atomically.
"""

from __future__ import annotations

import os
import sys

import click

from screen.cli.common import echo_text, guard

FETCH_URL_ENV = "DEALSCREEN_CTGOV_URL"  # tests point this at a local server


@click.group("import")
def import_group() -> None:
    """Import facts from outside records into case files (see `import ctgov --help`)."""


@import_group.command("ctgov")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--fetch",
    "fetch_ids",
    multiple=True,
    metavar="NCT_ID",
    help="Also read this study from the public ClinicalTrials.gov API (repeatable; needs a "
    f"network; env {FETCH_URL_ENV} names another server).",
)
@click.option(
    "--into",
    type=click.Path(dir_okay=False),
    help="Merge the trials into this case file, keeping its comments, key order and layout.",
)
@click.option("--asset", "asset_id", help="With --into: the asset the trials belong to.")
@click.option("--dry-run", is_flag=True, help="With --into: print the diff, write nothing.")
@click.option(
    "--prefer",
    type=click.Choice(["case", "record"]),
    default="case",
    show_default=True,
    help="When the case and the record disagree: keep the case's value (reported) or take "
    "the record's.",
)
@guard
def ctgov(
    files: tuple[str, ...],
    fetch_ids: tuple[str, ...],
    into: str | None,
    asset_id: str | None,
    dry_run: bool,
    prefer: str,
) -> None:
    """Read ClinicalTrials.gov API v2 study JSON (FILES: one study, or a page with
    `studies: [...]`) and write case-file `trials:` entries citing the record.

    \b
    Maps: NCT id, phase (PHASE1/PHASE2 ...), overall status, enrolment (actual or
    anticipated, as a figure citing the record, verified as of its last-update date),
    region (from the locations' countries). Start / primary completion dates, conditions,
    sponsor, collaborators and arms have no case field: they are written as a comment.
    \b
      dealscreen import ctgov NCT05123456.json > cases/new.yaml
      dealscreen import ctgov study.json --into cases/x.yaml --asset KB-101 --dry-run
      dealscreen import ctgov --fetch NCT05123456 --into cases/x.yaml
    Without --into, prints a new case file (company from the lead sponsor, one asset per
    intervention). With --into, prints the change as a unified diff and writes it (not with
    --dry-run); facts the record contradicts are reported on stderr and kept unless
    --prefer record. Bad input: `FILE: $.json.path: what is wrong`, exit 2, nothing written.
    """
    from screen.model.errors import ScreenError, ScreenErrors
    from screen.sources import ctgov as source

    if not files and not fetch_ids:
        raise click.UsageError("give study JSON FILES or --fetch NCT_ID")
    if (asset_id or dry_run) and not into:
        raise click.UsageError("--asset and --dry-run work with --into CASE")
    studies, displays, errors = [], [], []
    for path in files:
        try:
            found = source.parse_bytes(_read(path), path)
            studies.extend(found)
            displays.extend([path] * len(found))
        except ScreenError as err:
            errors.append(err)
    for nct in fetch_ids:
        try:
            raw = source.fetch(nct, base_url=os.environ.get(FETCH_URL_ENV))
            found = source.parse_bytes(raw, f"{nct} (fetched)")
            studies.extend(found)
            displays.extend([f"{nct} (fetched)"] * len(found))
        except ScreenError as err:
            errors.append(err)
    if errors:
        raise ScreenErrors(errors)
    source.one_record_each(studies, displays)
    note = source.sponsors_note(studies)
    if note:
        echo_text(note, err=True)
    if into:
        _merge_into(into, studies, asset_id, dry_run, prefer == "record")
    else:
        from screen.sources.merge import new_case_text

        text = new_case_text(source.new_case(studies), studies)
        _check_case(text, ", ".join(dict.fromkeys(displays)))
        sys.stdout.write(text)


def _read(path: str) -> bytes:
    from screen.model.yamlsource import read_bytes

    return read_bytes(path, path)


def _check_case(text: str, display: str) -> None:
    """The text must load as a case file, or nothing is written. A record the importer lets
    through that the case model refuses is named by the files it came from: a position in
    the case text the user never saw would point nowhere."""
    from screen.engine.loader import load_case_text
    from screen.model.errors import Location, ScreenError, ScreenErrors

    try:
        load_case_text(text, "<imported case>")
    except ScreenError as err:
        errors = getattr(err, "errors", [err])
        where = Location(display)
        raise ScreenErrors(
            [ScreenError(f"the imported case would not load: {e.message}", where, e.hint)
             for e in errors]
        ) from None  # fmt: skip


def _merge_into(
    into: str, studies: list, asset_id: str | None, dry_run: bool, prefer_record: bool
) -> None:
    import difflib
    from pathlib import Path

    from screen.engine.loader import load_case
    from screen.sources.merge import merge_trials

    loaded = load_case(into)  # the safe loader first: aliases, duplicates, bad files stop here
    merged = merge_trials(
        loaded.text, into, studies, asset_id=asset_id, prefer_record=prefer_record
    )
    _check_case(merged.text, into)
    diff = "".join(
        difflib.unified_diff(
            loaded.text.splitlines(keepends=True),
            merged.text.splitlines(keepends=True),
            fromfile=into,
            tofile=f"{into} (merged)",
        )
    )
    sys.stdout.write(diff)
    for c in merged.conflicts:
        click.echo(c, err=True)
    if not merged.layout_kept:
        click.echo(
            f"{into}: note: the file's indentation is irregular; lines ruamel.yaml could not "
            "reproduce are in the diff",
            err=True,
        )
    if not diff:
        click.echo(f"{into}: already up to date", err=True)
        return
    if dry_run:
        click.echo(f"{into}: not written (--dry-run)", err=True)
        return
    target = Path(into)
    tmp = target.with_name(f".{target.name}.import-tmp")
    try:
        tmp.write_bytes(merged.text.encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from screen.model.errors import Location, ScreenError

        raise ScreenError(f"cannot write: {exc.strerror}", Location(into)) from None
    click.echo(f"{into}: updated ({len(studies)} record(s))", err=True)


COMMANDS = [import_group]
