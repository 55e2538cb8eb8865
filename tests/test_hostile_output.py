"""Hostile output conditions: full disks, terminal escapes, spreadsheet formulas and links built
from case data (issue 16: 6, 8, 9).

Every writer goes through one path (`cli.common.write_output`), so every writer is tested on
`/dev/full`; every text view is tested with escape sequences in every kind of text it shows
(case text, rule-file text, file names); every CSV cell, headers included, passes the guard.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from helpers import MINI_RULES, make_case, run_cli, write_yaml
from screen.report.safety import terminal_cell, terminal_text

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


@pytest.fixture
def case(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "case.yaml", make_case())


# --------------------------------------------------------------------------- 6: every writer


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ("score", "{case}", "-o", "/dev/full"),
        ("score", "{case}", "--format", "json", "-o", "/dev/full"),
        ("memo", "{case}", "-o", "/dev/full"),
        ("memo", "{case}", "--format", "html", "-o", "/dev/full"),
        ("rank", "{case}", "--format", "csv", "-o", "/dev/full"),
        ("rank", "{case}", "--format", "json", "-o", "/dev/full"),
        ("rank", "{case}", "--format", "html", "-o", "/dev/full"),
        ("rank", "{case}", "--format", "xlsx", "-o", "/dev/full"),
        ("memo", "{case}", "--format", "docx", "-o", "/dev/full"),
        ("sensitivity", "{case}", "-o", "/dev/full"),
    ],
    ids=lambda a: " ".join(a).replace("{case}", "CASE"),
)
def test_every_file_writer_reports_a_full_disk_as_a_user_error(case, args):
    proc = run_cli(*(a.format(case=case) for a in args))
    assert proc.returncode == 2, proc.stderr
    assert "/dev/full: cannot write: No space left on device" in proc.stderr
    assert "internal error" not in proc.stderr


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ("score", "{case}"),  # write_output
        ("explain", "{case}"),  # write_chunks
        ("memo", "{case}"),  # bytes through write_output
        ("lint",),  # the authoring commands' writer
        ("schema", "case"),
        ("--help",),  # click writes these itself: cli.common.Group
        ("--version",),
    ],
    ids=lambda a: a[0],
)
def test_every_stdout_writer_reports_a_full_disk_and_exits_2(case, args):
    """A real process: the interpreter's own final flush must not turn exit 2 into 120."""
    env = {k: v for k, v in os.environ.items() if k != "DEALSCREEN_DEBUG"}
    with FULL.open("w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "screen", *(a.format(case=case) for a in args)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert "No space left on device" in proc.stderr
    assert "<stdout>: " in proc.stderr  # where, as for a file: `<stdout>: cannot write: ...`
    assert "internal error" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_read_only_target_is_a_user_error_naming_the_file(case, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root)")
        proc = run_cli("memo", str(case), "-o", str(locked / "m.md"))
        assert proc.returncode == 2
        assert f"{locked / 'm.md'}: cannot write: Permission denied" in proc.stderr
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------- 8: terminal escapes

ESCAPES = [
    "\x1b]0;pwned\x07",  # OSC: window title
    "\x1b]52;c;ZWNobyBoaQ==\x07",  # OSC 52: clipboard write
    "\x1b[2J\x1b[H",  # clear screen
    "\x9b31m",  # C1 CSI
    "\u202eevil",  # right-to-left override
    "\rOVERWRITE",  # carriage return rewrites the line
]
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


ESCAPE_IDS = ["osc-title", "osc-clipboard", "csi", "c1", "rlo", "cr"]


@pytest.mark.parametrize("seq", ESCAPES, ids=ESCAPE_IDS)
def test_text_views_show_control_characters_instead_of_obeying_them(tmp_path, seq):
    plain = seq.replace("\u202e", "")  # bidi controls are refused in names (test_hostile_model)
    case = make_case(
        {"indication": f"NSCLC {seq} 2L", "target": f"HER3{seq}", "id": f"A{plain}1"},
        notes=f"note {seq}",
        company={"name": f"Evil{plain}Bio"},
    )
    path = write_yaml(tmp_path / f"case{seq.replace('/', '')}.yaml", case)
    rules = MINI_RULES.replace('rationale: "T1: unmet need first"', f'rationale: "T1 {_y(seq)}"')
    rules = rules.replace("AUTHOR QUESTION", f"QUESTION {_y(seq)}")
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    no_need = write_yaml(
        tmp_path / "noneed.yaml", make_case({"unmet_need": {"addressed": None}}, id="noneed")
    )
    for args in (
        ("score", str(path), str(no_need)),
        ("explain", str(path)),
        ("explain", str(no_need)),
        ("rank", str(path), str(no_need)),
    ):
        proc = run_cli(*args, "--rules", str(tmp_path / "rules.yaml"))
        assert proc.returncode == 0, proc.stderr
        assert not RAW.search(proc.stdout), (args, proc.stdout)
    explained = run_cli("explain", str(path), "--rules", str(tmp_path / "rules.yaml")).stdout
    assert terminal_cell(seq)[:6] in explained or terminal_text(seq)[:6] in explained


@pytest.mark.parametrize("seq", ESCAPES[:4], ids=ESCAPE_IDS[:4])
def test_every_other_text_view_shows_control_characters_too(tmp_path, seq):
    """due, compare, sensitivity, decide, history and audit list / show / stats print names
    and notes from case files and records: the same escapes as score and explain."""
    case = make_case(
        {"id": f"A{seq}1"},
        company={"name": f"Evil{seq}Bio"},
        revisit={"on": "2020-01-01", "when": f"after {seq} readout"},
    )
    path = str(write_yaml(tmp_path / "case.yaml", case))
    store = ["--store", str(tmp_path / "s.db")]
    assert run_cli("score", path, "--record", *store).returncode == 0
    for args in (
        ("due", path),
        ("compare", path, path),
        ("sensitivity", path, "--samples", "5"),
        ("decide", path, "--decision", "watch", "--note", f"n{seq}", *store),
        ("history", "evil", *store),
        ("audit", "list", *store),
        ("audit", "show", "1", *store),
        ("audit", "stats", *store),
    ):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        assert not RAW.search(proc.stdout), (args, proc.stdout)
        assert "Evil" in proc.stdout or args[:2] == ("audit", "stats"), args


@pytest.mark.parametrize("seq", ESCAPES[:4], ids=ESCAPE_IDS[:4])
def test_eval_and_documents_on_a_terminal_show_control_characters(tmp_path, seq, monkeypatch):
    """eval is a text view; a memo printed to a terminal (not to a file or a pipe, which keep
    the document's text) shows the case's escapes instead of obeying them:
    an OSC 52 in an indication wrote to the clipboard through `dealscreen memo x.yaml`."""
    from screen.cli import common

    path = str(write_yaml(tmp_path / "case.yaml", make_case({"indication": f"NSCLC {seq} 2L"})))
    shown = run_cli("eval", "asset.indication", path)
    assert shown.returncode == 0, shown.stderr
    assert not RAW.search(shown.stdout) and "NSCLC" in shown.stdout
    piped = run_cli("memo", path)
    assert seq in piped.stdout  # a pipe keeps the document as written
    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)
    for args in (("memo", path), ("memo", path, "--format", "html")):
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert not RAW.search(proc.stdout), args


@pytest.mark.parametrize("seq", ESCAPES[:4], ids=ESCAPE_IDS[:4])
def test_json_on_a_terminal_escapes_control_characters_and_stays_the_same_json(
    tmp_path, seq, monkeypatch
):
    """score and rank as JSON to a terminal: a C1 CSI (which JSON leaves raw) is written as
    a JSON escape, so nothing reaches the terminal raw and the document parses to the same
    text; to a pipe the bytes are JSON's own."""
    from screen.cli import common

    path = str(write_yaml(tmp_path / "case.yaml", make_case({"indication": f"NSCLC {seq} 2L"})))
    piped = {
        args: run_cli(*args, path, "--format", "json").stdout for args in (("score",), ("rank",))
    }
    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)
    for args, before in piped.items():
        proc = run_cli(*args, path, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert not RAW.search(proc.stdout), args
        assert json.loads(proc.stdout) == json.loads(before), args
    assert seq[0] < " " or seq in piped[("score",)]  # a pipe gets JSON's own bytes (raw C1)


def _y(text: str) -> str:
    """Text for inside a YAML double-quoted scalar."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def test_machine_formats_keep_the_text_as_it_is(tmp_path):
    seq = "\x1b]0;t\x07"
    path = write_yaml(tmp_path / "case.yaml", make_case({"indication": f"NSCLC{seq}"}))
    doc = json.loads(run_cli("score", str(path), "--format", "json").stdout)
    assert doc[0]["assets"][0]["indication"] == f"NSCLC{seq}"
    out = tmp_path / "p.csv"
    assert run_cli("rank", str(path), "-o", str(out)).returncode == 0
    assert f"NSCLC{seq}" in out.read_text(encoding="utf-8")


def test_error_messages_show_control_characters(tmp_path):
    bad = write_yaml(tmp_path / "bad.yaml", make_case())
    with bad.open("a", encoding="utf-8") as fh:
        fh.write('"evil\\e]0;title\\a": 1\n')  # an unknown key holding ESC and BEL
    proc = run_cli("score", str(bad))
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "\\x1b" in proc.stderr


def test_terminal_text_escapes_every_control_but_newline():
    every = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)])
    shown = terminal_text(every + "\u202e\u2066")
    assert not RAW.search(shown)
    assert shown.count("\n") == 1
    assert "\n" not in terminal_cell("a\nb") and terminal_text("ünï 恒瑞") == "ünï 恒瑞"


# --------------------------------------------------------------------------- 9: CSV and links

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_every_csv_cell_including_headers_and_id_lists_passes_the_formula_guard(tmp_path):
    rules = (
        MINI_RULES.replace("  - id: need\n", '  - id: "=1+1"\n')
        .replace("  - id: bd_ready\n", '  - id: "@SUM(A1)"\n')
        .replace("  - id: size\n", '  - id: "-2+3"\n')
    )
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    case = make_case(
        {"unmet_need": {"addressed": False}, "indication": "=HYPERLINK(1)"},
        analyst="+cmd",
        company={"name": "-Evil"},
    )
    path = write_yaml(tmp_path / "case.yaml", case)
    out = tmp_path / "p.csv"
    proc = run_cli("rank", str(path), "--rules", str(tmp_path / "rules.yaml"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    cells = [cell for row in rows for cell in row]
    assert "'=1+1" in rows[1][rows[0].index("failed_gates")]
    assert "'@SUM(A1)" in rows[0] and "'-2+3" in rows[0]
    for cell in cells:
        assert not cell.startswith(FORMULA) or re.fullmatch(r"-?[0-9.]+(e[-+]?[0-9]+)?", cell), cell


def test_csv_numbers_stay_numbers(tmp_path):
    path = write_yaml(tmp_path / "case.yaml", make_case())
    out = tmp_path / "p.csv"
    run_cli("rank", str(path), "-o", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    float(rows[1][rows[0].index("score")])  # no leading quote


@pytest.mark.parametrize(
    "case_id",
    ["javascript:alert(1)", "data:text", "vbscript:x", "https:evil", "a?b#c", "50% off", "x y"],
)
def test_memo_links_on_the_page_are_relative_paths_never_a_scheme(tmp_path, case_id):
    path = write_yaml(tmp_path / "case.yaml", make_case(id=case_id))
    memos = tmp_path / "memos"
    memos.mkdir()
    (memos / f"{case_id}.html").write_text("memo")
    page = tmp_path / "page.html"
    proc = run_cli("rank", str(path), "-o", str(page), "--memos", str(memos))
    assert proc.returncode == 0, proc.stderr
    hrefs = re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8"))
    memo_links = [h for h in hrefs if "memos" in h]
    assert memo_links, hrefs
    for href in memo_links:
        parts = urlsplit(href.replace("&amp;", "&"))
        assert parts.scheme == "" and parts.netloc == "" and not parts.query and not parts.fragment
        target = (page.parent / unquote(parts.path)).resolve()
        assert target == (memos / f"{case_id}.html").resolve()
