"""The memo scorecard (issue 15 item 17), read in a headless browser: each criterion's weight is
drawn (bar height) and written (a column), the bar colours and marks have a legend, and the
weighted total is drawn against the watch and advance thresholds; Markdown has the total row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from browser import open_html
from helpers import DELETE, make_case, write_yaml
from screen import memo as memos
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import load_case, load_ruleset
from screen.engine.result import build_result
from screen.model.numbers import display

CASES = {
    # strong and middling criteria, advance
    "plain": make_case(id="plain"),
    # unknowns: dashed bars, a total that could still rise
    "open": make_case({"epidemiology": {"us": DELETE, "china": DELETE}}, id="open"),
    # a failed gate: declined whatever the total says; weak criteria too
    "gated": make_case(
        {
            "unmet_need": {"addressed": False},
            "standard_of_care": {"adequacy": "adequate"},
            "regulatory": {"fda_ind": "none"},
            "competition": {"first_in_class": False, "best_in_class": False},
        },
        id="gated",
        company={"overseas_capability": "none"},
    ),
}

READ = """(() => {
  const svg = document.querySelector('svg.scorecard');
  const box = e => e.getBoundingClientRect();
  const crit = [...svg.querySelectorAll('g.criterion')].map(g => ({
    id: g.dataset.criterion,
    weight_text: g.querySelector('text.weight').textContent,
    bar_height: box(g.querySelector('rect.bar')).height,
    bar_class: g.querySelector('rect.bar').getAttribute('class'),
    bar_fill: getComputedStyle(g.querySelector('rect.bar')).fill,
    adds: g.querySelector('text.value[text-anchor="end"]').textContent,
  }));
  const total = svg.querySelector('g.total');
  const track = box(total.querySelector('rect.track'));
  const lines = Object.fromEntries([...total.querySelectorAll('line.threshold')]
    .map(l => [l.dataset.threshold, (box(l).left + box(l).right) / 2 - track.left]));
  const legend = document.querySelector('.scorecard-legend');
  return {
    crit,
    total: {
      track: track.width, bar: box(total.querySelector('rect.total-bar')).width,
      lines, labels: [...total.querySelectorAll('text.threshold-label')].map(t => t.textContent),
      value: total.querySelector('text.total-value').textContent,
      verdict: total.querySelector('text.verdict').textContent,
      range: total.querySelector('rect.total-range')
        ? box(total.querySelector('rect.total-range')).right - track.left : null,
    },
    legend: {
      text: legend.innerText, shown: box(legend).height > 0,
      swatches: Object.fromEntries([...legend.querySelectorAll('i')].map(i =>
        [i.className, getComputedStyle(i).backgroundColor])),
    },
  };
})()"""


def _screen(folder: Path, name: str) -> tuple[Any, dict[str, Any]]:
    rs = load_ruleset(None)
    loaded = load_case(write_yaml(folder / f"{name}.yaml", CASES[name]))
    return loaded, build_result(rs, loaded, evaluate_case(rs, loaded.case, trace=True))


@pytest.mark.parametrize("name", sorted(CASES))
def test_scorecard_draws_weights_legend_and_total_against_thresholds(
    name: str, tmp_path: Path
) -> None:
    loaded, result = _screen(tmp_path, name)
    page = tmp_path / f"{name}.html"
    page.write_text(memos.render(loaded, result, "html"), encoding="utf-8")
    report = open_html(page, tmp_path / f"{name}.png", {"card": READ})
    assert report.console_errors == [] and report.requests == []
    card = report.values["card"]
    lead = next(a for a in result["assets"] if a["id"] == result["lead_asset"])
    weights = {c["id"]: c["weight"] for c in lead["criteria"]}
    heaviest = max(weights.values())
    tallest = max(c["bar_height"] for c in card["crit"])
    for c in card["crit"]:
        # a 0.05 criterion is drawn a fifth as tall as a 0.25 one, and says its weight
        assert c["bar_height"] == pytest.approx(tallest * weights[c["id"]] / heaviest, abs=0.6)
        assert float(c["weight_text"]) == weights[c["id"]]
    assert len({c["bar_height"] for c in card["crit"]}) > 1

    # every bar colour on the card is explained by a legend swatch of the same colour
    legend = card["legend"]
    assert legend["shown"]
    for c in card["crit"]:
        kind = c["bar_class"].split()[-1]
        if kind != "unknown":
            assert legend["swatches"][kind] == c["bar_fill"], (kind, legend)
    for words in ("strong", "80%", "weak", "40%", "not yet scorable", "weight", "threshold"):
        assert words in legend["text"]

    # the total: bar length is score / scale, threshold lines at watch and advance
    total, scale = card["total"], result["scale"]
    assert total["bar"] == pytest.approx(total["track"] * lead["score"] / scale, abs=1)
    for t in ("watch", "advance"):
        at = total["track"] * result["thresholds"][t] / scale
        assert total["lines"][t] == pytest.approx(at, abs=1.5), t
        assert f"{t} {result['thresholds'][t]:g}" in total["labels"]
    assert total["value"].startswith(f"{display(lead['score'])} / {scale:g}")  # one rounding
    low, high = lead["score_range"]
    if high > low:
        assert total["range"] == pytest.approx(total["track"] * high / scale, abs=1)
        assert "once the unknowns are known" in total["verdict"]
    if name == "gated":
        assert lead["score"] >= result["thresholds"]["watch"]  # the case needs a high total
        assert total["verdict"] == "Decline: a gate failed, whatever the score"


def test_markdown_thesis_fit_table_ends_with_the_total_against_thresholds(
    tmp_path: Path,
) -> None:
    for name, expected in (
        ("plain", r"\| \*\*Total \(weighted\)\*\* \| \*\*[\d.]+ / 5\*\*: advance >= 3.5, "
                  r"watch >= 2.5 \| 1 \| [\d.]+ \| Advance \|"),
        ("open", r"\*\*[\d.]+ / 5\*\* \(could reach [\d.]+\): advance >= 3.5"),
        ("gated", r"\| Decline \(a gate failed\) \|"),
    ):  # fmt: skip
        md = memos.render(*_screen(tmp_path, name), "md")
        assert re.search(expected, md), (name, [ln for ln in md.splitlines() if "Total" in ln])
