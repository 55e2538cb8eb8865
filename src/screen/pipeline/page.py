"""The pipeline as one self-contained HTML page: a sortable table and a score chart.

Everything is inline (CSS, a small script, an SVG chart), so the file can be mailed or opened
from a shared drive and makes no network request. Text from case files reaches the page only
through Jinja's autoescaping. The page is deterministic: same rows, same bytes.

The chart shows, for each company, its total score split into what each criterion contributes
(the lead asset's), the range the unknowns still allow, and the watch / advance thresholds.

A company declined by a failed gate keeps its bar (the score is still informative) but drawn
faded and hatched with a "gate failed" mark, so it never reads as a company past the watch line.

Layout: the table fits a 1024 px window without sideways scrolling (criteria as narrow shaded
columns with short labels, explained in one legend that also gives the chart's colours; long
text wraps), uses the width of wider windows up to a readable measure, and prints in landscape
without the filter box. Headers sort on click, Enter or Space (they are in the tab order); the
filter box hides table rows and chart bars together and recounts the decisions line.

The page carries a Content-Security-Policy that allows only its own inline style and script,
by their sha256 hashes (not nonces: a nonce would change the bytes on every run). So the page
has no `style=` attributes: per-criterion colours and cell shades are classes in the style
block, and SVG colours are presentation attributes (`fill`), which CSP does not govern.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from screen.engine.plan import CompiledRuleSet
from screen.memo.wording import label as vocab_label
from screen.model.numbers import display, display_signed
from screen.model.vocab import Stage
from screen.pipeline.rank import PipelineRow
from screen.report.console import DECISION_LABEL, DECISION_ORDER

TEMPLATE = "page.html.j2"
STYLE_TEMPLATE = "page.css.j2"
SCRIPT = "page.js"
MEMO_SUFFIXES = (".html", ".md", ".pdf")  # preferred first
MAX_CHART_ROWS = 300  # beyond this the chart would be unreadable; the table has every row
# Colour-blind-safe qualitative palette (Okabe-Ito plus greys), one colour per criterion.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#000000",
    "#666666",
)
BAR_HEIGHT = 16
ROW_GAP = 6
LABEL_WIDTH = 220
PLOT_WIDTH = 520
PLOT_TOP = 18  # room above the bars for the threshold labels
SHADE_STEPS = 20  # cell shades are classes s0..s20 (a CSP without 'unsafe-inline' bars style=)


def find_memos(rows: Sequence[PipelineRow], memo_dir: Path, page_dir: Path) -> dict[str, str]:
    """Case path -> link (relative to the page) to its memo, for memos found in `memo_dir`.

    A memo is `<case id>.<ext>` or `<case file stem>.<ext>`, ext one of MEMO_SUFFIXES."""
    links: dict[str, str] = {}
    if not memo_dir.is_dir():
        return links
    present = {p.name for p in memo_dir.iterdir() if p.is_file()}
    for r in rows:
        for stem in dict.fromkeys((r.case_id, Path(r.path).stem)):
            name = next((stem + s for s in MEMO_SUFFIXES if stem + s in present), None)
            if name:
                links[r.path] = relative_link(memo_dir / name, page_dir)
                break
    return links


def relative_link(target: Path, page_dir: Path) -> str:
    """A relative URL from the page to `target`, every segment percent-encoded.

    File names come from case ids, which are input: `javascript:alert(1).html` must stay a
    file name, never become a scheme, so `:` (like `?`, `#`, `%` and spaces) is encoded."""
    rel = Path(os.path.relpath(target, page_dir)).as_posix()
    return "/".join(quote(segment, safe="") for segment in rel.split("/"))


def _criteria(rs: CompiledRuleSet) -> list[dict[str, Any]]:
    """Per criterion: short label (as in the text table), name, weight, max and chart colour."""
    from screen.pipeline.report import abbreviations

    return [
        {
            "id": c.id,
            "abbr": abbr,
            "name": c.name or c.id,
            "weight": f"{c.weight:g}",
            "max": c.max,
            "color": PALETTE[k % len(PALETTE)],
            "cls": f"c{k}",
        }
        for k, (c, abbr) in enumerate(zip(rs.criteria, abbreviations(rs), strict=True))
    ]


def _shade(score: float | None, top: float) -> str:
    """Cell shade class for a criterion score: the darker, the closer to the maximum."""
    if score is None or top <= 0:
        return ""
    share = min(max(score / top, 0.0), 1.0)
    return f"s{round(share * SHADE_STEPS)}"


def _shades() -> list[str]:
    """Background alpha of shade class s0..s20 (s{i} is the i-th entry)."""
    return [f"{0.06 + 0.44 * i / SHADE_STEPS:.2f}" for i in range(SHADE_STEPS + 1)]


def csp_hash(text: str) -> str:
    """The CSP source that allows exactly this inline script or style element's text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style: str, script: str) -> str:
    """Nothing but the page's own style and script: no remote loads, no other inline code."""
    return (
        f"default-src 'none'; style-src {csp_hash(style)}; script-src {csp_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _chart(rs: CompiledRuleSet, rows: Sequence[PipelineRow]) -> dict[str, Any]:
    shown = rows[:MAX_CHART_ROWS]
    unit = PLOT_WIDTH / rs.scale
    bars = []
    for i, r in enumerate(shown):
        y = PLOT_TOP + i * (BAR_HEIGHT + ROW_GAP)
        x = 0.0
        segments = []
        for k, (c, contribution, score) in enumerate(
            zip(rs.criteria, r.contributions, r.criteria, strict=True)
        ):
            width = contribution * unit
            shown_score = "unknown" if score is None else f"{score:g}/{c.max:g}"
            segments.append(
                {
                    "x": round(LABEL_WIDTH + x, 2),
                    "width": round(width, 2),
                    "color": PALETTE[k % len(PALETTE)],
                    "title": f"{r.company}: {c.name} {shown_score} "
                    f"({display_signed(contribution)})",
                }
            )
            x += width
        gate_failed = r.decision == "decline" and bool(r.failed_gates)
        bars.append(
            {
                "y": y,
                "rank": i + 1,  # the table row's data-rank, so the filter can match them
                "label": r.company,
                "decision": r.decision,
                "segments": segments,
                "score": r.score,
                "bar_width": round(x, 2),
                # the label sits at the score; the range runs under the bar, clear of it
                "score_x": round(LABEL_WIDTH + r.score * unit + 4, 2),
                "range_y": y + BAR_HEIGHT + 1.5,
                "gate_failed": gate_failed,
                "gate_text": r.top_reason if gate_failed else "",
                "range_text": f"{display(r.score_low)}-{display(r.score_high)}",
                "range": None
                if r.score_low == r.score_high
                else (
                    round(LABEL_WIDTH + r.score_low * unit, 2),
                    round(LABEL_WIDTH + r.score_high * unit, 2),
                ),
            }
        )
    height = PLOT_TOP + len(shown) * (BAR_HEIGHT + ROW_GAP) + 24
    ticks = [
        {"x": round(LABEL_WIDTH + t * unit, 2), "label": f"{t:g}"} for t in range(int(rs.scale) + 1)
    ]
    watch, advance = rs.decision.watch, rs.decision.advance
    close = (advance - watch) * unit < 70  # labels would overlap: watch's goes left of its line
    thresholds = [
        {
            "x": round(LABEL_WIDTH + watch * unit, 2),
            "label": f"watch {watch:g}",
            "anchor": "end" if close else "middle",
        },
        {
            "x": round(LABEL_WIDTH + advance * unit, 2),
            "label": f"advance {advance:g}",
            "anchor": "start" if close else "middle",
        },
    ]
    return {
        "bars": bars,
        "height": height,
        "width": LABEL_WIDTH + PLOT_WIDTH + 60,
        "plot_top": PLOT_TOP,
        "plot_left": LABEL_WIDTH,
        "step": BAR_HEIGHT + ROW_GAP,
        "plot_bottom": height - 20,
        "ticks": ticks,
        "thresholds": thresholds,
        "bar_height": BAR_HEIGHT,
        "label_x": LABEL_WIDTH - 6,
        "omitted": len(rows) - len(shown),
    }


def render(
    rs: CompiledRuleSet,
    rows: Sequence[PipelineRow],
    *,
    memo_links: dict[str, str] | None = None,
    failures: Sequence[Any] = (),
    title: str = "Pipeline",
) -> str:
    """The page as text (UTF-8 when written)."""
    import jinja2

    from screen.engine.loader import default_rules_path

    templates = default_rules_path().parent / "templates" / "pipeline"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = display  # the one display rounding (half away from zero, 2 places)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.decision] = counts.get(r.decision, 0) + 1
    criteria = _criteria(rs)
    # Rendered apart so their exact bytes can be hashed into the CSP; they hold no case text.
    style = env.get_template(STYLE_TEMPLATE).render(criteria=criteria, shades=_shades())
    script = (templates / SCRIPT).read_text(encoding="utf-8")
    return env.get_template(TEMPLATE).render(
        title=title,
        rs=rs,
        rows=rows,
        labels=DECISION_LABEL,
        order=DECISION_ORDER,
        counts=[(DECISION_LABEL[d], counts[d], d) for d in DECISION_ORDER if d in counts],
        stage_rank=lambda s: "" if s is None else int(Stage[s]),
        memo_links=memo_links or {},
        failures=failures,
        chart=_chart(rs, rows),
        criteria=criteria,
        shade=_shade,
        palette=PALETTE,
        vocab_label=vocab_label,
        style=Markup(style),
        script=Markup(script),
        csp=content_security_policy(style, script),
    )
