"""The sensitivity report as a text table, CSV or JSON.

Scores and margins show 2 decimals in the table (as `score` and `rank` do); CSV and JSON keep 4,
as the result JSON does. A company that a failed gate declines has no margin (its decision does
not depend on the score): the table says so, CSV leaves the cell empty, JSON has null.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from screen.engine.plan import CompiledRuleSet
from screen.model.numbers import display, round_display
from screen.pipeline.sensitivity import CompanySensitivity, SensitivityReport
from screen.report.console import DECISION_LABEL, DECISION_ORDER

SCHEMA_VERSION = 1


def _margin(rs: CompiledRuleSet, c: CompanySensitivity) -> str:
    """`0.45 above advance` / `0.05 below advance`: the score's distance to the nearest
    threshold; `gate failed: declines at any weights` when the score does not matter."""
    if c.gated or c.margin is None:
        return "gate failed: declines at any weights"
    m = round_display(c.margin) + 0.0
    where = "at" if m == 0 else "above" if m > 0 else "below"
    text = f"{display(abs(m))} {where} {c.threshold}" if m else f"at {c.threshold}"
    if c.gate_unknown:
        text += " (a gate is unknown)"
    elif c.decision == "insufficient_information":
        text += " (unknowns open)"
    return text


def _shares(c: CompanySensitivity, samples: int) -> str:
    d = c.decisions or {}
    return ", ".join(
        f"{DECISION_LABEL[k].lower()} {100 * d[k] / samples:.0f}%"
        for k in DECISION_ORDER
        if d.get(k)
    )


def _settings(r: SensitivityReport) -> str:
    what = "weights and thresholds" if r.thresholds else "weights"
    return f"{r.samples} samples, {what} x [1-{r.spread:g}, 1+{r.spread:g}], seed {r.seed}"


def to_table(rs: CompiledRuleSet, r: SensitivityReport) -> str:
    head = ("#", "company", "decision", "score", "margin", "changes", "ranks", "decisions")
    rows = [head]
    for c in r.companies:
        rows.append(
            (
                str(c.rank),
                c.company,
                DECISION_LABEL[c.decision],
                display(c.score),
                _margin(rs, c),
                f"{100 * c.flip_share(r.samples):.1f}%",
                f"{c.rank_min}-{c.rank_max}" if c.rank_min != c.rank_max else str(c.rank_min),
                _shares(c, r.samples),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    robust = sum(1 for c in r.companies if c.flips == 0)
    lines.insert(0, f"sensitivity: {_settings(r)}")
    lines.insert(1, "")
    lines.append("")
    lines.append(
        f"{robust} of {len(r.companies)} decisions never change; "
        "'changes' is the share of samples in which the decision differs from the thesis weights'."
    )
    lines.append(
        "'margin' is the score's distance to the nearest threshold (thesis weights); a company "
        "declined by a failed gate stays declined at any weights."
    )
    return "\n".join(lines) + "\n"


def _row(c: CompanySensitivity, samples: int) -> dict[str, Any]:
    d = c.decisions or {}
    return {
        "rank": c.rank,
        "company": c.company,
        "case_id": c.case_id,
        "decision": c.decision,
        "score": c.score,
        "margin": c.margin,
        "margin_to": c.threshold,
        "gate_declines": c.gated,
        "changes": c.flips,
        "change_share": round(c.flip_share(samples), 4),
        "rank_min": c.rank_min,
        "rank_max": c.rank_max,
        "score_min": c.score_min,
        "score_max": c.score_max,
        "decisions": {k: d[k] for k in DECISION_ORDER if d.get(k)},
        "file": c.path,
    }


def to_json(rs: CompiledRuleSet, r: SensitivityReport) -> str:
    doc = {
        "schema": SCHEMA_VERSION,
        "ruleset": {"name": rs.name, "version": rs.version, "sha256": rs.sha256},
        "spread": r.spread,
        "samples": r.samples,
        "seed": r.seed,
        "thresholds_perturbed": r.thresholds,
        "companies": [_row(c, r.samples) for c in r.companies],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


CSV_COLUMNS = (
    "rank", "company", "case_id", "decision", "score", "margin", "margin_to", "gate_declines",
    "changes", "change_share", "rank_min", "rank_max", "score_min", "score_max",
)  # fmt: skip


def to_csv(rs: CompiledRuleSet, r: SensitivityReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    decisions = list(DECISION_ORDER)
    w.writerow([*CSV_COLUMNS, *(f"n_{d}" for d in decisions), "file"])
    for c in r.companies:
        row = _row(c, r.samples)
        row["gate_declines"] = "true" if c.gated else "false"
        w.writerow(
            [row[k] for k in CSV_COLUMNS]
            + [(c.decisions or {}).get(d, 0) for d in decisions]
            + [c.path]
        )
    return buf.getvalue()
