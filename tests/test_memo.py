"""`dealscreen memo`: golden files, sections, citations, escaping, overrides, errors, browser.

Goldens render frozen copies of two bundled cases and of the thesis (tests/golden/memo/inputs/),
so edits to cases/ or rules/ by others never move them; only changes to the memo code or the
templates do. After an intended change, regenerate and review them:
    DEALSCREEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_memo.py
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT, make_case, run_cli, write_yaml
from screen import memo as memos
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset
from screen.engine.result import build_result
from screen.model.errors import ScreenError

GOLDEN = Path(__file__).parent / "golden" / "memo"
INPUTS = GOLDEN / "inputs"
GOLDEN_CASES = ("kestrel-bio", "silverpine-bio")
UPDATE = os.environ.get("DEALSCREEN_UPDATE_GOLDEN") == "1"
INJECTION = "<script>alert(1)</script> {{ 7*7 }}"

MD_SECTIONS = [
    "## Executive summary",
    "## The product",
    "## Thesis fit",
    "## Need magnitude and market",
    "## International competitiveness",
    "## BD readiness and suggested deal model",
    "## Risks and red flags",
    "## Open diligence questions",
    "## Appendix A: sources",
    "## Appendix B: rule trace",
]
HTML_SECTIONS = [
    "summary",
    "scorecard",
    "product",
    "thesis-fit",
    "market",
    "competitiveness",
    "bd",
    "risks",
    "questions",
    "sources",
    "trace",
]


def screened(path: Path, rules: Path | None = None) -> tuple[Any, dict[str, Any]]:
    rs = load_ruleset(rules)
    loaded = load_case(path)
    return loaded, build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))


@pytest.fixture(scope="module")
def golden_inputs() -> dict[str, tuple[Any, dict[str, Any]]]:
    cwd = Path.cwd()
    os.chdir(INPUTS)  # case paths in the memo are then stable ("kestrel-bio.yaml")
    try:
        return {name: screened(Path(f"{name}.yaml"), Path("rules")) for name in GOLDEN_CASES}
    finally:
        os.chdir(cwd)


def render(loaded: Any, result: dict[str, Any], fmt: str, **kw: Any) -> str:
    out = memos.render(loaded, result, fmt, **kw)
    assert isinstance(out, str)
    return out


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_memo_matches_reviewed_golden_file(golden_inputs, name: str, fmt: str) -> None:
    text = render(*golden_inputs[name], fmt)
    golden = GOLDEN / f"{name}.{fmt}"
    if UPDATE or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"wrote {golden.name}: review it, then commit")
    assert text == golden.read_text(encoding="utf-8"), (
        f"memo differs from {golden}; if intended, regenerate with DEALSCREEN_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_markdown_memo_has_every_section_in_order(golden_inputs, name: str) -> None:
    text = render(*golden_inputs[name], "md")
    positions = [text.find("\n" + s + "\n") for s in MD_SECTIONS]
    assert -1 not in positions, [s for s, p in zip(MD_SECTIONS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert text.startswith("# Investment memo: ")
    header = text[: positions[0]]
    for item in ("Company", "Assets", "Data as of", "Rule set", "**Decision**", "sha256"):
        assert item in header


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_html_memo_has_every_section(golden_inputs, name: str) -> None:
    text = render(*golden_inputs[name], "html")
    for section in HTML_SECTIONS:
        assert f'<section id="{section}"' in text
    assert "<svg" in text and 'class="scorecard"' in text


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_every_sourced_figure_is_cited_and_every_other_flagged(golden_inputs, name: str) -> None:
    loaded, result = golden_inputs[name]
    ctx = memos.memo_context(loaded, result)
    md, page = render(loaded, result, "md"), render(loaded, result, "html")
    assert ctx["citations"], "the case has figures"
    for c in ctx["citations"]:
        if c.sourced:
            assert f"{memos.md_escape(c.text)}[^{c.source.num}]" in md, c.path
            assert f"\n[^{c.source.num}]: " in md
            fig = f'<span class="fig">{html.escape(c.text, quote=False)}</span>'
            assert f'{fig}<a class="cite" href="#src-{c.source.num}"' in page, c.path
            assert f'id="src-{c.source.num}"' in page
        elif c.needs_source:
            assert f"{memos.md_escape(c.text)} **[unsourced]**" in md, c.path
            assert c.path in md  # listed among the unsourced figures and diligence questions
    for fact in result["assets"][0]["provenance"]:  # every figure the rules read is in the memo
        assert any(c.path.endswith(fact["fact"].split(".", 1)[1]) for c in ctx["citations"])


def test_estimates_and_stale_figures_are_flagged(golden_inputs) -> None:
    loaded, result = golden_inputs["kestrel-bio"]
    md = render(loaded, result, "md")
    # EU patients: ECIS 2022-12-31, 27 months before the case's as_of 2025-03-31.
    assert "15,500 patients per year[^5] *(estimate; stale: as of 2022-12-31, 27 months" in md
    assert "6,100 patients per year[^4] *(estimate)*" in md
    relaxed = render(loaded, result, "md", stale_months=36)
    assert "stale:" not in relaxed


def test_silverpine_memo_asks_for_the_missing_epidemiology(golden_inputs) -> None:
    loaded, result = golden_inputs["silverpine-bio"]
    md = render(loaded, result, "md")
    questions = md.split("## Open diligence questions", 1)[1].split("## Appendix", 1)[0]
    for region in ("China", "EU", "US"):
        assert f"have in {'the ' if region != 'China' else ''}{region}" in questions
    assert "spans the watch threshold 2.5" in md
    assert "Insufficient information" in md


def test_memo_is_deterministic_and_dated_only_on_request(golden_inputs) -> None:
    loaded, result = golden_inputs["kestrel-bio"]
    first = render(loaded, result, "md")
    assert first == render(loaded, result, "md")
    assert "Memo date" not in first
    dated = render(loaded, result, "md", date=dt.date(2025, 4, 2))
    assert "| Memo date | 2025-04-02 |" in dated


def _injected_case(tmp_path: Path) -> Path:
    case = make_case(
        asset={
            "name": f"Asset {INJECTION}",
            "indication": "**bold** [link](javascript:alert(1)) | pipe",
            "competition": {
                "same_target_programs": [
                    {"name": INJECTION, "company": "# Heading", "stage": "phase3"}
                ]
            },
        },
        company={"name": INJECTION, "description": "1. not a list\n<img src=x onerror=alert(1)>"},
        sources=[
            {"id": "deck", "title": INJECTION, "url": "javascript:alert(1)"},
        ],
    )
    return write_yaml(tmp_path / "inject.yaml", case)


def test_case_text_renders_literally_in_html(tmp_path: Path) -> None:
    page = render(*screened(_injected_case(tmp_path)), "html")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in page
    assert f"<title>Investment memo: {html.escape(INJECTION)}</title>" in page
    assert 'href="javascript:' not in page
    assert "{{ 7*7 }}" in page and ">49<" not in page  # template code in data stays text


def test_case_text_renders_literally_in_markdown(tmp_path: Path) -> None:
    md = render(*screened(_injected_case(tmp_path)), "md")
    assert "# Investment memo: \\<script>alert(1)\\</script> {{ 7\\*7 }}" in md
    assert "<script" not in md.replace("\\<script", "")
    assert "\\*\\*bold\\*\\* [link\\](javascript:alert(1)) \\| pipe" in md
    assert "\n1\\. not a list \\<img src=x onerror=alert(1)>" in md
    assert "<javascript:" not in md  # only http(s) URLs become autolinks
    assert "| \\# Heading |" in md


def test_markdown_escaping_keeps_plain_text_readable() -> None:
    assert memos.md_escape("KST-201 (Claudin18.2 ADC), v1.0.0, life_threatening") == (
        "KST-201 (Claudin18.2 ADC), v1.0.0, life_threatening"
    )
    assert memos.md_escape("- item") == "\\- item"
    assert memos.md_escape("2. item") == "2\\. item"
    assert memos.md_escape("_x_ a|b") == "\\_x\\_ a\\|b"
    assert memos.md_code("a`b") == "``a`b``"


def _firm_templates(tmp_path: Path, md: str | None = None, page: str | None = None) -> Path:
    d = tmp_path / "firm"
    d.mkdir()
    if md is not None:
        (d / "memo.md.j2").write_text(md, encoding="utf-8")
    if page is not None:
        (d / "memo.html.j2").write_text(page, encoding="utf-8")
    return d


def test_firm_template_overrides_one_block_and_keeps_the_rest(golden_inputs, tmp_path) -> None:
    firm = _firm_templates(
        tmp_path,
        md='{% extends "default/memo.md.j2" %}\n'
        "{% block summary %}\n## Partner view\n\nFor {{ memo.company.name|md }}.\n"
        "{% endblock %}\n",
        page='{% extends "default/memo.html.j2" %}\n'
        '{% block summary %}<section id="partner">{{ memo.company.name }}</section>'
        "{{ super() }}{% endblock %}\n",
    )
    loaded, result = golden_inputs["kestrel-bio"]
    md = render(loaded, result, "md", template_dir=firm)
    assert "## Partner view\n\nFor Kestrel Biotherapeutics." in md
    assert "## Executive summary" not in md
    for section in MD_SECTIONS[1:]:
        assert section in md
    page = render(loaded, result, "html", template_dir=firm)
    assert '<section id="partner">Kestrel Biotherapeutics</section>' in page
    assert '<section id="summary">' in page  # super() kept the default block


def test_firm_template_override_escapes_case_text_too(tmp_path: Path) -> None:
    firm = _firm_templates(
        tmp_path,
        page='{% extends "default/memo.html.j2" %}{% block summary %}'
        "<p>{{ memo.company.name }}</p>{% endblock %}",
    )
    page = render(*screened(_injected_case(tmp_path)), "html", template_dir=firm)
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}</p>" in page


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (
            '{% extends "default/memo.md.j2" %}\n\n{% block summary %}{% if %}{% endblock %}\n',
            3,
            "template syntax error",
        ),
        (
            '{% extends "default/memo.md.j2" %}\n{% block summary %}\n\n{{ memo.no_such_key }}\n'
            "{% endblock %}\n",
            4,
            "template error: 'dict object' has no attribute 'no_such_key'",
        ),
    ],
)
def test_template_errors_name_template_and_line(
    golden_inputs, tmp_path: Path, source: str, line: int, message: str
) -> None:
    firm = _firm_templates(tmp_path, md=source)
    with pytest.raises(ScreenError) as err:
        render(*golden_inputs["kestrel-bio"], "md", template_dir=firm)
    assert err.value.location is not None
    assert err.value.location.file == str(firm / "memo.md.j2")
    assert err.value.location.line == line
    assert message in err.value.message


def test_template_error_on_the_command_line_is_located_without_traceback(tmp_path: Path) -> None:
    firm = _firm_templates(tmp_path, md="line 1\n{{ memo.company.nmae }}\n")
    case = write_yaml(tmp_path / "c.yaml", make_case())
    proc = run_cli("memo", str(case), "--template", str(firm))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{firm / 'memo.md.j2'}:2: template error: ")
    assert "nmae" in proc.stderr and "Traceback" not in proc.stderr


def test_sandbox_refuses_python_internals_in_firm_templates(golden_inputs, tmp_path) -> None:
    firm = _firm_templates(tmp_path, md="{{ memo.__class__.__mro__ }}\n")
    with pytest.raises(ScreenError, match="template error"):
        render(*golden_inputs["kestrel-bio"], "md", template_dir=firm)


def test_cli_writes_one_memo_per_case_into_a_folder_identically_twice(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    write_yaml(cases / "a.yaml", make_case(id="alpha"))
    write_yaml(cases / "b.yaml", make_case())
    for fmt in ("md", "html"):
        runs = []
        for n in (1, 2):
            out = tmp_path / f"out{n}-{fmt}"
            proc = run_cli("memo", str(cases), "--format", fmt, "-o", str(out))
            assert proc.returncode == 0, proc.stderr
            assert f"wrote 2 {fmt} memos to {out}" in proc.stderr
            runs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
        assert sorted(runs[0]) == [f"alpha.{fmt}", f"testco.{fmt}"]  # file names: case ids
        assert runs[0] == runs[1]


def test_cli_several_cases_need_an_output_folder(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", make_case())
    b = write_yaml(tmp_path / "b.yaml", make_case())
    proc = run_cli("memo", str(a), str(b))
    assert proc.returncode == 2 and "-o DIR" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_bad_case_is_located_and_the_others_still_written(tmp_path: Path) -> None:
    good = write_yaml(tmp_path / "good.yaml", make_case())
    bad = write_yaml(tmp_path / "bad.yaml", make_case(asset={"stage": "phase9"}))
    proc = run_cli("memo", str(good), str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: .*phase9", proc.stderr)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["testco.md"]


def test_cli_single_case_to_stdout_and_to_a_file(tmp_path: Path) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case())
    proc = run_cli("memo", str(case), "--date", "2025-01-02")
    assert proc.returncode == 0 and proc.stdout.startswith("# Investment memo: Testco Bio")
    assert "| Memo date | 2025-01-02 |" in proc.stdout
    target = tmp_path / "memo.html"
    proc = run_cli("memo", str(case), "--format", "html", "-o", str(target))
    assert proc.returncode == 0 and target.read_text().startswith("<!DOCTYPE html>")
    assert run_cli("memo", str(case), "--date", "2025-13-01").returncode == 2


def test_memo_file_names_come_from_case_ids_safely() -> None:
    assert memos.file_name("kestrel-bio", "md") == "kestrel-bio.md"
    assert memos.file_name("../../etc/passwd", "html") == "etc-passwd.html"
    assert memos.file_name("...", "pdf") == "memo.pdf"


def test_pdf_without_weasyprint_says_how_to_install(tmp_path: Path) -> None:
    case = write_yaml(tmp_path / "c.yaml", make_case())
    code = (
        "import sys; sys.modules['weasyprint'] = None; from screen.cli.app import main; "
        f"main(['memo', {str(case)!r}, '--format', 'pdf', '-o', {str(tmp_path / 'x.pdf')!r}])"
    )
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'dealscreen[pdf]'" in proc.stderr and "pango" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_pdf_is_written_and_fetches_data_urls_only(tmp_path: Path) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    fetcher = memos.data_url_fetcher()
    fetch = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher
    with pytest.raises(ValueError):
        fetch("file:///etc/hostname")
    with pytest.raises(ValueError):
        fetch("https://example.com/x.png")
    assert weasyprint is not None
    case = write_yaml(tmp_path / "c.yaml", make_case())
    out = tmp_path / "c.pdf"
    proc = run_cli("memo", str(case), "--format", "pdf", "-o", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_bundled_cases_all_render(tmp_path: Path) -> None:
    """Acceptance: every bundled case gives a memo with >= 6 headings, questions, citations."""
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        loaded, result = screened(path)
        md = render(loaded, result, "md")
        assert len(re.findall(r"^#{1,6} ", md, flags=re.M)) >= 6, path
        assert "## Open diligence questions" in md
        assert re.search(r"\[\^\d+\]", md), path
        page = render(loaded, result, "html")
        assert "<svg" in page and "http://" not in page.split("<body>")[0]


def test_memo_html_in_a_headless_browser(golden_inputs, tmp_path: Path) -> None:
    from browser import open_html, skip_without_browser

    skip_without_browser()
    loaded, result = golden_inputs["kestrel-bio"]
    page = tmp_path / "kestrel-bio.html"
    page.write_text(render(loaded, result, "html"), encoding="utf-8")
    report = open_html(
        page,
        tmp_path / "kestrel-bio.png",
        evaluate={
            "bars": "document.querySelectorAll('svg.scorecard rect.bar').length",
            "svgs": "document.querySelectorAll('svg.scorecard').length",
            "bar_ids": "[...document.querySelectorAll('svg.scorecard rect.bar')]"
            ".map(b => b.dataset.criterion)",
            "gates": "document.querySelectorAll('svg.scorecard g.gate').length",
        },
    )
    assert report.title == "Investment memo: Kestrel Biotherapeutics"
    assert report.console_errors == []
    assert report.requests == []
    assert report.values["svgs"] == 1
    assert report.values["bars"] == len(result["criteria"])
    assert report.values["bar_ids"] == [c["id"] for c in result["criteria"]]
    assert report.values["gates"] == len(result["gates"])
    assert report.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_injected_memo_runs_no_script_in_a_browser(tmp_path: Path) -> None:
    from browser import open_html, skip_without_browser

    skip_without_browser()
    page = tmp_path / "inject.html"
    page.write_text(render(*screened(_injected_case(tmp_path)), "html"), encoding="utf-8")
    report = open_html(
        page,
        tmp_path / "inject.png",
        evaluate={
            "scripts": "document.scripts.length",
            "h1": "document.querySelector('h1').textContent",
        },
    )
    assert report.title == f"Investment memo: {INJECTION}"
    assert report.values == {"scripts": 0, "h1": f"Investment memo: {INJECTION}"}
    assert report.console_errors == [] and report.requests == []
