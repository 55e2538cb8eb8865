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
