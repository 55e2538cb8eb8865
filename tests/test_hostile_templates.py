"""Hostile firm templates: bounded work, no files from outside the template folder, and a Jinja
without known sandbox escapes (issue 16: 5, 9, 13).

Each kind of unbounded work a template can ask for (a huge range, repetition, power, width,
growth across loop iterations, nested loops, mutation of built-in lists) is a located
`template:line` error, exit 2, never exit 70 and never a hang.
"""

from __future__ import annotations

import os
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from helpers import ROOT, make_case, run_cli, write_yaml
from screen.memo import sandbox


@pytest.fixture
def case(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "case.yaml", make_case())


def firm(tmp_path: Path, body: str, name: str = "memo.md.j2") -> Path:
    folder = tmp_path / "firm"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("# memo\n" + body + "\n", encoding="utf-8")
    return folder


BOMBS = {
    "huge range": "{{ range(10**10)|list|length }}",
    "range of range": "{% for i in range(10**6) %}{% endfor %}",
    "text repetition": "{{ 'x' * 1000000000 }}",
    "float repetition": "{{ ('x' * 1000) * 10**7 }}",
    "list repetition": "{{ [1, 2] * 10**8 }}",
    "power tower": "{{ 9**(9**9) }}",
    "constant power": "{{ 10 ** 100000 }}",
    "method width": "{{ 'x'.center(10**9) }}",
    "ljust width": "{{ 'x'.ljust(10**9) }}",
    "percent width": "{{ '%*s' % (10**9, 'x') }}",
    "format width": "{{ '{:>1000000000}'.format('x') }}",
    "filter width": "{{ 'x'|center(10**9) }}",
    "filter amplification": "{{ 'x' * 1000|replace('x', 'x' * 1000)|replace('x', 'x' * 1000) }}",
    "namespace doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}"
    ),
    "list mutation": (
        "{% set l = [] %}{% for i in range(10) %}{{ l.append('x' * 999999) }}{% endfor %}"
    ),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_unbounded_template_work_is_a_located_error(tmp_path, case, name):
    proc = run_cli("memo", str(case), "--template", str(firm(tmp_path, BOMBS[name])))
    assert proc.returncode == 2, (proc.stdout[:200], proc.stderr)
    assert proc.stderr.startswith(f"{tmp_path / 'firm' / 'memo.md.j2'}:2:"), proc.stderr
    assert "internal error" not in proc.stderr


def test_nested_loops_stop_at_the_render_deadline(tmp_path, case, monkeypatch):
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.2)
    loops = (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    proc = run_cli("memo", str(case), "--template", str(firm(tmp_path, loops)))
    assert proc.returncode == 2
    assert "longer than 0.2 s" in proc.stderr and ":2:" in proc.stderr


def test_endless_output_stops_at_the_output_cap(tmp_path, case, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 100_000)
    many = (
        "{% for i in range(10000) %}{% for j in range(10000) %}xxxxxxxxxx{% endfor %}{% endfor %}"
    )
    proc = run_cli("memo", str(case), "--template", str(firm(tmp_path, many)))
    assert proc.returncode == 2
    assert "longer than 100,000 characters" in proc.stderr


def test_modest_template_work_within_the_limits_still_renders(tmp_path, case):
    body = (
        "{% set ns = namespace(n=0) %}{% for i in range(100) %}{% set ns.n = ns.n + i %}"
        "{% endfor %}{{ ns.n }} {{ 'ab' * 3 }} {{ 2 ** 10 }} {{ '%5s' % 'x' }}|{{ 'x'.center(5) }}|"
        "{{ memo.company.name }}"
    )
    proc = run_cli("memo", str(case), "--template", str(firm(tmp_path, body)))
    assert proc.returncode == 0, proc.stderr
    assert "4950 ababab 1024     x|  x  |Testco Bio" in proc.stdout


def test_the_default_templates_render_inside_the_bounded_sandbox(case):
    from screen.memo.render import environment

    assert isinstance(environment(None), sandbox.BoundedSandbox)
    assert run_cli("memo", str(case), "--format", "html").returncode == 0


# --------------------------------------------------------------------------- links


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
@pytest.mark.parametrize("how", ["template itself", "included", "extended", "imported"])
def test_templates_linked_from_outside_the_folder_are_refused(tmp_path, case, how):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    folder = tmp_path / "firm"
    folder.mkdir()
    if how == "template itself":
        (folder / "memo.md.j2").symlink_to(secret)
    else:
        (folder / "part.j2").symlink_to(secret)
        tag = {"included": "include", "extended": "extends", "imported": "import"}[how]
        suffix = " as p" if tag == "import" else ""
        (folder / "memo.md.j2").write_text(f'{{% {tag} "part.j2"{suffix} %}}\n')
    proc = run_cli("memo", str(case), "--template", str(folder))
    assert proc.returncode == 2
    assert "outside the template folder" in proc.stderr
    assert "TOP-SECRET-LINE" not in proc.stdout + proc.stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_links_that_stay_inside_the_folder_are_followed(tmp_path, case):
    folder = firm(tmp_path, "inside-part", name="real.j2")
    (folder / "memo.md.j2").symlink_to(folder / "real.j2")
    proc = run_cli("memo", str(case), "--template", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "inside-part" in proc.stdout


# --------------------------------------------------------------------------- 13: Jinja floor


def test_jinja_floor_excludes_releases_with_sandbox_escapes():
    """3.1.0-3.1.5 have sandbox escapes (CVE-2024-56326, CVE-2025-27516)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = [d.replace(" ", "") for d in project["project"]["dependencies"]]
    jinja = next(d for d in deps if d.lower().startswith("jinja2"))
    assert ">=3.1.6" in jinja, jinja
    installed = tuple(int(p) for p in metadata.version("jinja2").split(".")[:3])
    assert installed >= (3, 1, 6)
