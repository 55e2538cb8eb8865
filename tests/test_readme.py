"""The README's examples run as written (issue 15 / issue 9 acceptance).

Every ```sh block preceded by a `<!-- runnable ... -->` comment is run line by line in a copy of
the repository's `cases/` and `rules/`: `dealscreen ...` lines in-process, split as bash splits
them (quotes, comments, globs; a plain `> FILE` is written by the test), lines with pipes or
other redirections through bash with the installed `dealscreen` first on PATH. A line that needs
a tool this machine lacks (e.g. `dot`) is skipped by name; every other line must exit 0.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, run_cli

MARKER = re.compile(r"^<!-- runnable\b.*-->\s*$")
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "&"}


def runnable_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(line number, command lines) of each marked ```sh block."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not MARKER.match(line):
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        assert j < len(lines) and lines[j].strip() == "```sh", f"README:{i + 1}: marker not on sh"
        k = j + 1
        body = []
        while lines[k].strip() != "```":
            body.append((k + 1, lines[k]))
            k += 1
        out.append((j + 1, [f"{n}\t{b}" for n, b in body if b.strip()]))
    return out


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _commands() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = [tuple(entry.split("\t", 1)) for _, block in runnable_blocks(text) for entry in block]
    return [(f"README.md:{n}", cmd) for n, cmd in found]


COMMANDS = _commands()


def test_the_readme_marks_the_main_examples_runnable() -> None:
    text = " ".join(cmd for _, cmd in COMMANDS)
    assert len(COMMANDS) >= 20
    for must in ("dealscreen score cases/", "dealscreen rank cases/", "dealscreen lint",
                 "dealscreen eval", "--filter 'stage>=phase2'"):  # fmt: skip
        assert must in text, must


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "cases", work / "cases")
    shutil.copytree(ROOT / "src" / "screen" / "rules", work / "rules")
    return work


@pytest.mark.parametrize(("where", "command"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_readme_command_runs_as_written(where: str, command: str, workdir: Path) -> None:
    tokens = _tokens(command)
    env = {"DEALSCREEN_STORE": str(workdir / "store.db")}
    operators = [t for t in tokens if t in SHELL_OPERATORS or t[:1] in ("<", ">")]  # `>=x`
    redirect_to = None
    if operators == [">"] and len(tokens) > 2 and tokens[-2] == ">":  # `cmd > FILE`: in-process
        tokens, redirect_to, operators = tokens[:-2], tokens[-1], []
    if operators or tokens[0] not in ("dealscreen", "python"):
        tools = [t for t in tokens if t not in SHELL_OPERATORS]
        after_pipe = [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t == "|"]
        missing = [t for t in [tools[0], *after_pipe] if t != "dealscreen" and not shutil.which(t)]
        if missing:
            pytest.skip(f"{where}: needs {', '.join(missing)}, not installed here")
        bindir = str(Path(sys.executable).parent)
        full_env = {**os.environ, **env, "PATH": bindir + os.pathsep + os.environ["PATH"]}
        if not shutil.which("dealscreen", path=full_env["PATH"]):
            pytest.skip("the dealscreen console script is not installed")
        run = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=workdir,
                             env=full_env, capture_output=True, text=True, timeout=120)  # fmt: skip
    else:
        args = tokens[1:] if tokens[0] == "dealscreen" else tokens[3:]  # python -m screen ...
        assert tokens[0] == "dealscreen" or tokens[:3] == ["python", "-m", "screen"], command
        expanded: list[str] = []
        for arg in args:  # bash expands unquoted globs; quoted ones never reach here as globs
            hits = sorted(glob.glob(arg, root_dir=workdir)) if glob.has_magic(arg) else []
            expanded.extend(hits or [arg])
        run = run_cli(*expanded, cwd=workdir, env=env)
        if redirect_to:
            (workdir / redirect_to).write_text(run.stdout, encoding="utf-8")
    assert run.returncode == 0, f"{where}: {command}\n{run.stderr}"
    assert not (workdir / "=phase2").exists(), "an unquoted '>' redirected output to a file"
