"""The HTML pipeline page in a real headless browser: loads cleanly, sorts on header clicks."""

from __future__ import annotations

from pathlib import Path

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


def test_pipeline_page_fits_a_1200px_window_and_uses_a_wide_one(tmp_path: Path) -> None:
    """Every column (memo links last) is on screen at 1200 px, without a horizontal scroll
    bar, long names and reasons wrap into rows of a few lines; at 2400 px it still fits."""
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
    for width in (1200, 2400):
        report = open_html(page, tmp_path / f"p{width}.png", {"fit": FITS}, width=width)
        fit = report.values["fit"]
        assert fit["page"] <= fit["view"], fit  # no horizontal scrolling
        assert fit["last"] <= fit["view"], fit  # the memo column is on screen
        assert fit["reason"] >= 180, fit  # the reason column is not squeezed to a sliver
        assert fit["tallest"] <= 170, fit  # rows stay a few lines tall
