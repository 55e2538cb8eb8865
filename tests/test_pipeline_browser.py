"""The HTML pipeline page in a real headless browser: loads cleanly, sorts on header clicks."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import open_html, skip_without_browser
from helpers import ROOT, run_cli

SORT_BY = """(() => {
  const heads = [...document.querySelectorAll('#pipeline thead th')];
  const th = heads.find(h => h.textContent.trim() === '%s');
  const read = () => [...document.querySelectorAll('#pipeline tbody tr')]
      .map(r => r.cells[heads.indexOf(th)].getAttribute('data-v'));
  th.click();
  const first = {order: read(), state: th.getAttribute('aria-sort')};
  th.click();
  return {first, second: {order: read(), state: th.getAttribute('aria-sort')}};
})()"""


def test_pipeline_page_loads_without_errors_and_sorts(tmp_path: Path) -> None:
    skip_without_browser()
    page = tmp_path / "pipeline.html"
    proc = run_cli("rank", str(ROOT / "cases"), "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    report = open_html(
        page,
        tmp_path / "pipeline.png",
        evaluate={
            "score": SORT_BY % "Score",
            "company": SORT_BY % "Company",
            "bars": "document.querySelectorAll('#chart g.bar').length",
            "rows": "document.querySelectorAll('#pipeline tbody tr').length",
        },
    )
    assert report.console_errors == []
    assert report.requests == []
    n = len(list((ROOT / "cases").glob("*.yaml")))
    assert report.values["rows"] == n and report.values["bars"] == n

    score = report.values["score"]
    ascending = [float(v) for v in score["first"]["order"]]
    assert score["first"]["state"] == "ascending" and ascending == sorted(ascending)
    descending = [float(v) for v in score["second"]["order"]]
    assert score["second"]["state"] == "descending" and descending == sorted(descending)[::-1]

    names = report.values["company"]["first"]["order"]
    assert (
        names == sorted(names, key=str.lower)
        and names != report.values["company"]["second"]["order"]
    )
    assert report.screenshot.stat().st_size > 0


FITS = """(() => {
  const heads = [...document.querySelectorAll('#pipeline thead th')];
  const right = h => Math.round(h.getBoundingClientRect().right);
  const rows = [...document.querySelectorAll('#pipeline tbody tr')];
  return {
    page: document.documentElement.scrollWidth,
    view: window.innerWidth,
    last: right(heads[heads.length - 1]),
    reason: Math.round(heads.find(h => h.textContent.trim() === 'Top reason')
      .getBoundingClientRect().width),
    tallest: Math.max(...rows.map(r => r.getBoundingClientRect().height)),
  };
})()"""


def test_pipeline_page_fits_a_1024px_window_and_uses_a_wide_one(tmp_path: Path) -> None:
    """Every column (memo links last) is on screen at 1024 px (item 15) and 1200 px, without a
    horizontal scroll bar, long names and reasons wrap into rows of a few lines; at 2400 px it
    still fits."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import DELETE, make_case, write_yaml

    folder = tmp_path / "cases"
    long_name = "Very Long Company Name Biopharmaceutical Holdings International Limited"
    write_yaml(folder / "a.yaml", make_case(id="a", company={"name": long_name}))
    write_yaml(
        folder / "b.yaml",
        make_case(
            {"name": "B-1 (a rather long asset description, bispecific antibody-drug conjugate)",
             "epidemiology": {"us": DELETE, "china": DELETE}},
            id="b",
        ),
    )  # fmt: skip
    for p in sorted((ROOT / "cases").glob("*.yaml")):
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    page = tmp_path / "pipeline.html"
    memos = tmp_path / "memos"
    memos.mkdir()
    (memos / "a.html").write_text("<p>memo</p>", encoding="utf-8")
    proc = run_cli("rank", str(folder), "-o", str(page), "--memos", str(memos))
    assert proc.returncode == 0, proc.stderr
    memo_link = "document.querySelector('#pipeline a').getBoundingClientRect().right"
    for width in (1024, 1200, 2400):
        report = open_html(
            page, tmp_path / f"p{width}.png", {"fit": FITS, "link": memo_link}, width=width
        )
        fit = report.values["fit"]
        assert fit["page"] <= fit["view"] == width, fit  # no horizontal scrolling
        assert fit["last"] <= fit["view"], fit  # the memo column is on screen
        assert 0 < report.values["link"] <= width, fit  # ... and so is the link in it
        assert fit["reason"] >= (150 if width < 1200 else 180), fit  # not squeezed to a sliver
        assert fit["tallest"] <= (200 if width < 1200 else 170), fit  # rows stay a few lines


# --------------------------------------------------------------------------- what a reader sees
# One small pipeline with every case the page draws differently: advance, advance with a range
# left open by unknowns, watch, declined by a failed gate (score past the advance line), declined
# on score, and a phase 1/2 asset whose indication is the only place a word appears.


def _reader_cases() -> dict[str, dict]:
    from helpers import DELETE, make_case

    weak = {"first_in_class": False, "best_in_class": False}
    return {
        "alpha": make_case(id="alpha", company={"name": "Alpha Oncology"}),
        "open": make_case(
            {"id": "U1", "epidemiology": {"us": DELETE, "china": DELETE}},
            id="open",
            company={"name": "Open Questions Bio"},
        ),
        "wren": make_case(
            {"id": "W1", "competition": weak, "regulatory": {"fda_ind": "planned"}},
            id="wren",
            company={"name": "Wren Therapeutics", "overseas_capability": "none"},
        ),
        "gated": make_case(
            {
                "id": "G1",
                "unmet_need": {"addressed": False},
                "standard_of_care": {"adequacy": "adequate"},
            },
            id="gated",
            company={"name": "Gated Pharma"},
        ),
        "fibro": make_case(
            {
                "id": "F1",
                "stage": "phase1_2",
                "indication": "idiopathic pulmonary fibrosis",
                "therapeutic_area": "metabolic",
                "regulatory": {"fda_ind": "none"},
                "competition": weak,
                "epidemiology": {"us": 2000, "eu": 2000, "china": 3000, "rest_of_world": 1000},
            },
            id="fibro",
            company={"name": "Fibrotix", "overseas_capability": "none"},
        ),
    }


@pytest.fixture(scope="module")
def reader_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page for `_reader_cases`, with a memo for one company (so the memo column shows).
    The five companies were chosen for their decisions under thesis 1.0.1 (two advance, one
    watch, two decline), so the page is drawn with that rule set and the v1 cases."""
    from helpers import THESIS_1_0, write_yaml

    root = tmp_path_factory.mktemp("reader")
    for name, case in _reader_cases().items():
        write_yaml(root / "cases" / f"{name}.yaml", case, v2=False)
    (root / "alpha.html").write_text("<p>memo</p>", encoding="utf-8")
    page = root / "pipeline.html"
    proc = run_cli("rank", str(root / "cases"), "-o", str(page), "--rules", str(THESIS_1_0))
    assert proc.returncode == 0, proc.stderr
    return page


def _decision_of(page_values: dict, company: str) -> str:
    return next(r["decision"] for r in page_values["rows"] if r["company"] == company)


ROWS = """[...document.querySelectorAll('#pipeline tbody tr')].filter(r => !r.hidden).map(r => ({
  company: r.cells[1].textContent, decision: r.dataset.d,
  color: getComputedStyle(r.cells[2]).color,
  stage: r.cells[r.cells.length - 4].innerText}))"""
# a bar counts as drawn when the browser gives it a box on screen
BARS = """[...document.querySelectorAll('#chart g.bar')]
  .filter(g => g.getBoundingClientRect().height > 0).map(g => {
  const [name, score] = [g.querySelector('text'), g.querySelector('text.score')];
  const segs = [...g.querySelectorAll('rect.seg')];
  const box = e => e.getBoundingClientRect();
  return {
    company: name.textContent, fill: getComputedStyle(name).fill,
    top: Math.round(box(g).top - box(g.ownerSVGElement).top),
    bar_right: Math.max(...segs.map(s => box(s).right)),
    seg_opacity: Math.max(...segs.map(s => parseFloat(getComputedStyle(s).fillOpacity))),
    hatch: g.querySelector('rect.hatch') ? box(g.querySelector('rect.hatch')).width : 0,
    score_left: box(score.firstChild.parentNode).left,
    score_text: score.childNodes[0].textContent,
    range_right: g.querySelector('line.range') ? box(g.querySelector('line.range')).right : null,
    mark: [...g.querySelectorAll('tspan')].map(t => [t.firstChild.textContent,
      getComputedStyle(t).fill, box(t).width > 0, box(t).left]),
  };
})"""
COUNTS = """[...document.querySelectorAll('#counts > span')].filter(s => !s.hidden)
  .map(s => s.innerText)"""


def test_chart_names_are_painted_in_their_decision_colour(
    reader_page: Path, tmp_path: Path
) -> None:
    """Item 12: SVG text takes `fill`, not `color`; each name has its decision's table colour."""
    report = open_html(reader_page, tmp_path / "names.png", {"rows": ROWS, "bars": BARS})
    assert report.console_errors == [] and report.requests == []
    colour = {r["decision"]: r["color"] for r in report.values["rows"]}
    assert len(set(colour.values())) == 3  # advance, watch, decline
    for bar in report.values["bars"]:
        assert bar["fill"] == colour[_decision_of(report.values, bar["company"])], bar


def test_filter_narrows_table_chart_and_counts_and_finds_indications(
    reader_page: Path, tmp_path: Path
) -> None:
    """Item 13: typing in the filter box hides bars too, recounts the decisions line, matches
    words only the indication holds, and stage as memos write it (or its key)."""

    def typing(page) -> dict:
        seen = {}
        for query in ("fibrosis", "phase 1/2", "phase1_2", "Pharma", ""):
            page.fill("#q", query)  # types into the box: fires `input` as a keyboard would
            seen[query] = {
                "rows": page.evaluate(ROWS),
                "bars": page.evaluate(BARS),
                "counts": page.evaluate(COUNTS),
                "height": page.evaluate("document.getElementById('chart').getBBox().height"),
            }
        return seen

    report = open_html(reader_page, tmp_path / "filter.png", actions=typing)
    assert report.console_errors == []
    everything = report.values[""]
    assert len(everything["rows"]) == len(everything["bars"]) == 5
    assert everything["counts"] == ["Advance: 2", "Watch: 1", "Decline: 2"]
    for query in ("fibrosis", "phase 1/2", "phase1_2"):
        seen = report.values[query]
        assert [r["company"] for r in seen["rows"]] == ["Fibrotix"], query
        assert [b["company"] for b in seen["bars"]] == ["Fibrotix"], query
        assert seen["counts"][:3] == ["Advance: 0 of 2", "Watch: 0 of 1", "Decline: 1 of 2"]
        assert "showing 1 of 5" in seen["counts"][3]
        # the one bar moves up to the first row and the chart shrinks around it
        assert seen["bars"][0]["top"] == everything["bars"][0]["top"]
        assert seen["height"] < everything["height"]
    pharma = report.values["Pharma"]
    assert [b["company"] for b in pharma["bars"]] == ["Gated Pharma"]
    assert pharma["counts"][2] == "Decline: 1 of 2"
    assert pharma["counts"][3] == "showing 1 of 5 (filter: \u201cPharma\u201d)"  # as typed


def test_stage_reads_as_in_memos(reader_page: Path, tmp_path: Path) -> None:
    """Item 13: the stage column says "phase 1/2", never the key `phase1_2`."""
    report = open_html(reader_page, tmp_path / "stage.png", {"rows": ROWS})
    stages = {r["company"]: r["stage"] for r in report.values["rows"]}
    assert stages["Fibrotix"] == "phase 1/2" and stages["Alpha Oncology"] == "phase 2"
    assert not any("_" in s for s in stages.values())


def test_gate_failed_bar_is_hatched_marked_and_labelled_at_its_score(
    reader_page: Path, tmp_path: Path
) -> None:
    """Item 14: a decline by a failed gate is faded and hatched with a red "gate failed" mark
    (a decline on score is not); every score label sits at the end of its solid bar, also
    where unknowns leave a range beyond it."""
    report = open_html(reader_page, tmp_path / "gate.png", {"bars": BARS, "rows": ROWS})
    bars = {b["company"]: b for b in report.values["bars"]}
    gated = bars["Gated Pharma"]
    assert gated["seg_opacity"] < 0.5 and gated["hatch"] > 0
    assert [m[0] for m in gated["mark"]] == ["gate failed"]
    _, fill, drawn, left = gated["mark"][0]
    assert drawn and fill == "rgb(176, 0, 32)" and left > gated["score_left"]
    for name in ("Alpha Oncology", "Fibrotix", "Wren Therapeutics", "Open Questions Bio"):
        assert bars[name]["mark"] == [] and bars[name]["hatch"] == 0, name
        assert bars[name]["seg_opacity"] == 1, name
    for bar in bars.values():
        assert 0 <= bar["score_left"] - bar["bar_right"] <= 8, bar
    ranged = bars["Open Questions Bio"]
    assert ranged["range_right"] is not None and ranged["score_left"] < ranged["range_right"] - 20


def test_headers_sort_from_the_keyboard(reader_page: Path, tmp_path: Path) -> None:
    """Item 15: Tab reaches every header; Enter sorts ascending, Space descending (without
    scrolling the page); `aria-sort` says which column and which way."""

    def keyboard(page) -> dict:
        heads = page.evaluate(
            "[...document.querySelectorAll('#pipeline thead th')].map(h => h.tabIndex)"
        )
        page.fill("#q", "")  # focus the filter box: headers are the next stops
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == "Score":
                break
        read = (
            "[...document.querySelectorAll('#pipeline tbody tr')].map(r => +r.cells[3].dataset.v)"
        )
        state = "document.activeElement.getAttribute('aria-sort')"
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("Enter")
        enter = {"order": page.evaluate(read), "state": page.evaluate(state)}
        page.keyboard.press(" ")
        space = {"order": page.evaluate(read), "state": page.evaluate(state)}
        sorted_heads = page.evaluate(
            "[...document.querySelectorAll('#pipeline th[aria-sort]')].length"
        )
        return {
            "tabindex": heads,
            "focused": page.evaluate("document.activeElement.textContent.trim()"),
            "enter": enter,
            "space": space,
            "sorted_heads": sorted_heads,
            "scrolled": page.evaluate("window.scrollY"),
        }

    v = open_html(reader_page, tmp_path / "keys.png", actions=keyboard).values
    assert all(t == 0 for t in v["tabindex"]), v["tabindex"]
    assert v["focused"] == "Score"
    assert v["enter"]["state"] == "ascending" and v["enter"]["order"] == sorted(v["enter"]["order"])
    assert v["space"]["state"] == "descending"
    assert v["space"]["order"] == sorted(v["space"]["order"], reverse=True)
    assert v["sorted_heads"] == 1 and v["scrolled"] == 0


CSP = "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content"
INJECT = """(() => {
  const s = document.createElement('script');
  s.textContent = 'window.injected = 1';
  document.body.appendChild(s);
  const p = document.createElement('p');
  p.setAttribute('style', 'color: rgb(255, 0, 0)');
  p.id = 'styled';
  document.body.appendChild(p);
  return [window.injected === undefined, getComputedStyle(p).color];
})()"""


def test_content_security_policy_allows_only_the_pages_own_style_and_script(
    reader_page: Path, tmp_path: Path
) -> None:
    """Item 16: the page's own inline style and script run (their hashes are in the policy:
    no console error, styles applied, sorting works), anything else inline is refused."""
    clean = open_html(
        reader_page,
        tmp_path / "csp.png",
        {
            "csp": CSP,
            "h1": "getComputedStyle(document.querySelector('h1')).fontSize",
            "sorted": SORT_BY % "Company",
        },
    )
    assert clean.console_errors == [] and clean.requests == []
    policy = dict((part.split()[0], part.split()[1:]) for part in clean.values["csp"].split("; "))
    assert policy["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert len(policy[directive]) == 1 and policy[directive][0].startswith("'sha256-")
    assert clean.values["h1"] == "20px"  # the style block ran
    assert clean.values["sorted"]["first"]["state"] == "ascending"  # the script ran

    attacked = open_html(reader_page, tmp_path / "csp2.png", {"inject": INJECT})
    blocked, colour = attacked.values["inject"]
    assert blocked and colour != "rgb(255, 0, 0)"
    assert len(attacked.console_errors) == 2
    assert all("Content Security Policy" in e for e in attacked.console_errors)
