"""Cost of exact reachability (issue 10): exact evaluation vs a single three-valued pass.

    .venv/bin/python bench/reach_bench.py [--cases 2000] [--seed 10] [--absent 0.1] [--reps 1]

Populations, all under the bundled thesis:

- the bundled case files (`cases/*.yaml`);
- N generated complete cases (every fact the thesis reads is present: the fast path runs);
- the same N cases with each optional field removed with probability `--absent` (~10%), at
  every level of nesting, seeded: partial cases, as real deals are.

Contenders, per asset, from the same extracted fact table (`extract_facts`, `try_fast_path`):

- exact: `evaluate_with_facts(..., exact=True)`, the default: the single pass, then the joint
  enumeration of unknown finite-domain facts (`engine/reach.py`), and, when the case has
  unknowns, the provisional call and the question ranking (`could_reach`, `swing`,
  `decided_by`) that need the same machinery;
- single pass: `evaluate_with_facts(..., exact=False)`: one three-valued pass with interval
  arithmetic, no enumeration, no ranking. That is the evaluation before reachability.
  (Monkeypatching `reach.MAX_COMBINATIONS = 0` instead would still run the provisional call
  and the ranking and only skip the enumeration, so it would hide most of the added cost.)

Each contender runs without trace (ranking, `score_asset`-like use) and with trace (what
`dealscreen score --format json` and `explain` do: the ranking runs for every case with
unknowns; `--trace` adds those rows for the generated cases). Times are CPU µs per asset
(`time.process_time`, robust on a shared machine), best of `--reps`. Nothing asserts on time;
the only check is that exactness only narrows: every decision the exact evaluation reaches is
one the single pass also allowed.
"""

from __future__ import annotations

import argparse
import copy
import gc
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from screen.engine.evaluate import evaluate_with_facts, extract_facts, try_fast_path
from screen.engine.loader import expand_case_paths, load_case, load_ruleset
from screen.engine.outcome import INSUFFICIENT, AssetOutcome
from screen.model.case import Case
from screen.model.vocab import ASSET_STAGES

ROOT = Path(__file__).resolve().parents[1]

AREAS = ["oncology", "hematology", "metabolic", "autoimmune", "neurology", "ophthalmology"]
# keys a case needs to validate (never removed): names and ids, a figure's value, ...
REQUIRED = {"name", "id", "value", "agency", "endpoint", "title", "document", "company", "assets"}


def complete_case(rng: random.Random, n: int) -> dict[str, Any]:
    """A complete case: every field the bundled thesis reads is present, values varied."""
    assets = []
    for k in range(rng.choice([1, 1, 1, 2, 3])):
        china = rng.choice([20_000, 80_000, 250_000, 400_000, 900_000])
        assets.append(
            {
                "id": f"X{n}-{k}",
                "name": f"XB-{n}-{k}",
                "role": "core" if k == 0 else rng.choice(["core", "non_core", "non_core"]),
                "modality": rng.choice(["adc", "small_molecule", "monoclonal_antibody"]),
                "target": rng.choice(["HER3", "CLDN18.2", "TROP2", "GLP-1R"]),
                "indication": "generated indication",
                "therapeutic_area": rng.choice(AREAS),
                "stage": rng.choice([s.name for s in ASSET_STAGES]),
                "standard_of_care": {
                    "description": "standard therapy",
                    "adequacy": rng.choice(["no_option", "poor", "partial", "adequate"]),
                },
                "unmet_need": {
                    "addressed": rng.random() < 0.85,
                    "severity": rng.choice(["life_threatening", "severe", "moderate", "mild"]),
                },
                "epidemiology": {
                    "us": {"value": china // rng.choice([2, 3, 5]), "source": "src"},
                    "eu": china // rng.choice([2, 3, 4]),
                    "china": {"value": china, "source": "src", "status": "estimate"},
                    "rest_of_world": rng.choice([0, 10_000, 50_000]),
                },
                "competition": {
                    "same_target_programs": [
                        {"name": f"R{j}", "stage": rng.choice([s.name for s in ASSET_STAGES])}
                        for j in range(rng.randint(0, 4))
                    ],
                    "first_in_class": rng.random() < 0.25,
                    "best_in_class": rng.random() < 0.4,
                },
                "regulatory": {
                    "fda_ind": rng.choice(["none", "planned", "submitted", "cleared"]),
                    "designations": rng.sample(["orphan_drug", "fast_track", "prime"], 1)
                    if rng.random() < 0.3
                    else [],
                    "approvals": [{"agency": "nmpa"}] if rng.random() < 0.1 else [],
                },
                "data_origin": rng.choice(["china", "global", "mixed"]),
                "bd": {"plan": {"market_scope": rng.choice(["global", "domestic"])}},
            }
        )
    return {
        "id": f"gen-{n}",
        "company": {
            "name": f"Generated {n}",
            "overseas_capability": rng.choice(["own", "partner", "none"]),
            "domestic_sales_growth": rng.choice([0.0, 0.1, 0.35]),
            "cash_runway_months": rng.randint(6, 48),
        },
        "assets": assets,
        "sources": [{"id": "src", "title": "generated source", "document": "gen.pdf"}],
    }


def remove_fields(rng: random.Random, node: Any, p: float) -> Any:
    """Drop each optional key with probability p, at every level of nesting."""
    if isinstance(node, list):
        return [remove_fields(rng, x, p) for x in node]
    if not isinstance(node, dict):
        return node
    return {
        k: remove_fields(rng, v, p) for k, v in node.items() if k in REQUIRED or rng.random() >= p
    }


def populations(n: int, seed: int, absent: float) -> dict[str, list[Case]]:
    rng = random.Random(seed)
    complete = [complete_case(rng, i) for i in range(n)]
    partial = [remove_fields(rng, copy.deepcopy(c), absent) for c in complete]
    bundled = [load_case(p).case for p in expand_case_paths([str(ROOT / "cases")])]
    return {
        "bundled cases": bundled,
        "generated complete": [Case.model_validate(c) for c in complete],
        "generated partial": [Case.model_validate(c) for c in partial],
    }


def run(rs: Any, cases: list[Case], *, exact: bool, trace: bool) -> list[AssetOutcome]:
    out = []
    for case in cases:
        for asset in case.assets:
            facts = extract_facts(rs, case, asset)
            fast = try_fast_path(rs, facts)
            out.append(evaluate_with_facts(rs, case, asset, facts, trace, fast, exact=exact))
    return out


def best_of(reps: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(reps):
        gc.collect()
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000, help="generated cases (default 2000)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--absent", type=float, default=0.1, help="share of fields removed")
    ap.add_argument("--reps", type=int, default=1, help="best of this many runs")
    ap.add_argument(
        "--trace", action="store_true", help="also time the generated cases with trace (slower)"
    )
    args = ap.parse_args(argv)

    rs = load_ruleset()
    pops = populations(args.cases, args.seed, args.absent)
    started = time.perf_counter()
    for cases in pops.values():  # warm the compiled paths and caches once
        run(rs, cases[:20], exact=True, trace=True)
    print(f"reach_bench: python {platform.python_version()}, {platform.machine()}, "
          f"{args.cases} generated cases (seed {args.seed}, {args.absent:.0%} of fields "
          f"removed), best of {args.reps}")  # fmt: skip
    header = (
        f"{'population':<20} {'assets':>6} {'unknown':>8} | {'trace':<5} {'single µs':>10} "
        f"{'exact µs':>9} {'exact/single':>12} | {'insuff. single':>14} {'exact':>6} {'approx':>6}"
    )
    print(header)
    print("-" * len(header))
    per_asset: dict[tuple[str, bool], float] = {}
    for name, cases in pops.items():
        for trace in (False, True) if args.trace or name == "bundled cases" else (False,):
            t_single, single = best_of(
                args.reps, lambda c=cases, t=trace: run(rs, c, exact=False, trace=t)
            )
            t_exact, exact = best_of(
                args.reps, lambda c=cases, t=trace: run(rs, c, exact=True, trace=t)
            )
            n = len(exact)
            for s, e in zip(single, exact, strict=True):  # exactness only narrows
                assert e.decisions <= s.decisions, (e.asset.id, e.decisions, s.decisions)
            unknown = sum(1 for e in exact if e.unknowns)
            ins_single = sum(1 for s in single if s.decision == INSUFFICIENT)
            ins_exact = sum(1 for e in exact if e.decision == INSUFFICIENT)
            approx = sum(1 for e in exact if e.approximate)
            us_single, us_exact = t_single / n * 1e6, t_exact / n * 1e6
            per_asset[(name, trace)] = us_exact
            print(
                f"{name:<20} {n:>6} {unknown:>8} | {'yes' if trace else 'no':<5} "
                f"{us_single:>10.0f} {us_exact:>9.0f} {us_exact / us_single:>11.2f}x | "
                f"{ins_single:>14} {ins_exact:>6} {approx:>6}"
            )
    print()
    for trace in (False, True) if args.trace else (False,):
        ratio = per_asset[("generated partial", trace)] / per_asset[("generated complete", trace)]
        print(
            f"partial vs complete (exact, trace {'on' if trace else 'off'}): {ratio:.1f}x per asset"
        )
    print(f"wall time {time.perf_counter() - started:.0f} s; µs are CPU time (time.process_time)")
    print("columns: unknown = assets with open questions; insuff. = insufficient_information "
          "decisions (single pass / exact); approx = above reach.MAX_COMBINATIONS")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
