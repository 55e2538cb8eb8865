"""The same screening rules in other engines: hand-written Python, CEL, GoRules ZEN, dealscreen.

    .venv/bin/pip install -e '.[bench]'          # the peers: common-expression-language, zen-engine
    .venv/bin/python bench/peers_bench.py [--n 400] [--seed 7] [--reps 3] [--json [PATH]]

One population of complete-data assets (bench.py's seeded CaseFactory with nothing absent, so
every engine sees every fact) and bench.py's SMALL_RULES (3 gates, 1 derived fact, 1 decision
table, 6 weighted criteria with bands, thresholds: 12 rules) written for each engine:

- hand-written Python on the pydantic objects (`bench.hand_screen`): the floor, 1x;
- CEL (`common-expression-language`, Rust): one compiled program per rule, the weighted score
  and decision in Python;
- ZEN (`zen-engine`, Rust): one decision graph (an expression node per rule, then score and
  decision), without and with its trace;
- dealscreen: `score_asset` (decision and score), `evaluate_case` with trace, plus
  `build_result` (the result object), plus `dumps_text` (the JSON text).

The peers read a flat dict per asset made once before timing (their input format); dealscreen
reads the case as loaded. Every engine's decision and score (6 dp) are checked equal to the
hand-written ones on every asset first: the run fails if one disagrees. Timings are CPU time
per asset, best of --reps, interleaved, reported as ratios to the floor in the same run.
Missing peers are reported as such (pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402 - bench/bench.py: SMALL_RULES, hand_screen, CaseFactory

from screen.engine import evaluate as engine  # noqa: E402
from screen.engine.loader import LoadedCase  # noqa: E402
from screen.engine.result import build_result, dumps_text  # noqa: E402
from screen.model.vocab import Stage  # noqa: E402

WEIGHTS = {"need": 0.25, "comp": 0.2, "us": 0.2, "market": 0.1, "ready": 0.15, "overseas": 0.1}
P3, P12, IND, P2 = (int(Stage[s]) for s in ("phase3", "phase1_2", "ind_enabling", "phase2"))

# The rules, one expression each, in CEL syntax (ZEN's differs in a few tokens, see _zen_expr).
RULES = {
    "gp": "x.us + x.eu + x.china + x.row",
    "g_need": "x.addressed == true",
    "g_soc": "x.adequacy != 'adequate'",
    "g_runway": "x.runway >= 12.0 || x.financing == 'public'",
    "need": "gp >= 500000.0 && x.severity in ['life_threatening', 'severe'] ? 5.0"
    " : gp >= 500000.0 ? 4.0 : gp >= 50000.0 ? 2.5 : 1.0",
    "comp": f"size(x.comp_stages.filter(s, s >= {P3})) > 2 && !x.fic ? 1.0"
    " : x.fic ? 5.0 : x.bic ? 3.5 : 1.5",
    "us": "x.fda_ind == 'cleared' && size(x.designations) > 0 ? 5.0"
    " : x.fda_ind == 'cleared' ? 4.0 : x.fda_ind in ['planned', 'submitted'] ? 2.0 : 0.5",
    "market": "x.market_scope == 'global' ? 5.0 : x.china >= 300000.0 ? 3.0 : 1.0",
    "ready": f"x.role == 'non_core' ? (x.stage <= {P12} ? 4.0 : 5.0) : x.stage <= {IND} ? 1.0"
    f" : x.stage <= {P12} ? 2.0 : x.stage == {P2} ? 3.5 : 5.0",
    "overseas": "x.overseas == 'own' ? 5.0 : x.overseas == 'partner' ? 4.0 : 2.0",
}


def flat(case: Any, asset: Any) -> dict[str, Any]:
    """The asset's facts as the peers read them (complete data: every field present)."""

    def v(fig: Any) -> float:
        return float(fig.value) if fig is not None else 0.0

    epi, comp, reg, co = asset.epidemiology, asset.competition, asset.regulatory, case.company
    plan = asset.bd.plan if asset.bd is not None else None
    return {
        "us": v(epi.us),
        "eu": v(epi.eu),
        "china": v(epi.china),
        "row": v(epi.rest_of_world),
        "addressed": bool(asset.unmet_need.addressed),
        "severity": asset.unmet_need.severity.value if asset.unmet_need.severity else "",
        "adequacy": asset.standard_of_care.adequacy.value,
        "runway": v(co.cash_runway_months) if co.cash_runway_months is not None else -1.0,
        "financing": co.financing_stage.value if co.financing_stage else "",
        "fic": bool(comp.first_in_class and comp.first_in_class.value),
        "bic": bool(comp.best_in_class and comp.best_in_class.value),
        "comp_stages": [int(p.stage) for p in comp.same_target_programs or []],
        "fda_ind": reg.fda_ind.value if reg.fda_ind else "",
        "designations": [str(d) for d in reg.designations or []],
        "market_scope": plan.market_scope.value if plan and plan.market_scope else "",
        "role": asset.role.value if asset.role else "",
        "stage": int(asset.stage),
        "overseas": co.overseas_capability.value if co.overseas_capability else "",
    }


def decide(gates: bool, score: float) -> str:
    if not gates:
        return "decline"
    return "advance" if score >= 3.5 else "watch" if score >= 2.5 else "decline"


def cel_screen() -> Callable[[dict[str, Any]], tuple[str, float]] | None:
    try:
        import cel
    except ImportError:
        return None
    progs = {k: cel.compile(src) for k, src in RULES.items()}
    gp, gates = progs["gp"], [progs["g_need"], progs["g_soc"], progs["g_runway"]]
    crits = [(progs[k], w) for k, w in WEIGHTS.items()]

    def run(x: dict[str, Any]) -> tuple[str, float]:
        ctx = {"x": x}
        ctx["gp"] = gp.execute(ctx)
        ok = all(g.execute(ctx) for g in gates)
        score = sum(p.execute(ctx) * w for p, w in crits)
        return decide(ok, score), score

    return run


def _zen_expr(src: str) -> str:
    out = src.replace("&&", "and").replace("||", "or").replace("!x.", "not x.")
    out = out.replace(
        f"size(x.comp_stages.filter(s, s >= {P3}))", f"len(filter(x.comp_stages, # >= {P3}))"
    )
    return out.replace("size(", "len(").replace("gp ", "$.gp ")


def zen_screen(trace: bool) -> Callable[[dict[str, Any]], tuple[str, float]] | None:
    try:
        import zen
    except ImportError:
        return None
    exprs = [{"id": k, "key": k, "value": _zen_expr(src)} for k, src in RULES.items()]
    score = " + ".join(f"$.{k} * {w}" for k, w in WEIGHTS.items())
    exprs.append({"id": "score", "key": "score", "value": score})
    exprs.append({"id": "gates", "key": "gates", "value": "$.g_need and $.g_soc and $.g_runway"})
    pos = {"x": 0, "y": 0}
    graph = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "in", "position": pos},
            {"id": "rules", "type": "expressionNode", "name": "rules", "position": pos,
             "content": {"expressions": exprs}},
            {"id": "out", "type": "outputNode", "name": "out", "position": pos},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"},
        ],
    }  # fmt: skip
    decision = zen.ZenEngine().create_decision(json.dumps(graph))
    opts = {"trace": trace}

    def run(x: dict[str, Any]) -> tuple[str, float]:
        r = decision.evaluate({"x": x}, opts)["result"]
        return decide(r["gates"], r["score"]), r["score"]

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="companies (1-3 assets each)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH")
    args = ap.parse_args()

    rs = bench.compile_small()
    _, cases = bench.build_cases(args.n, args.seed, 0.0)
    pairs = [(c, a) for c in cases for a in c.assets]
    flats = [flat(c, a) for c, a in pairs]
    loaded = [LoadedCase(f"bench-{i}.yaml", "0" * 64, "", c) for i, c in enumerate(cases)]
    want = [bench.hand_screen(c.company, a) for c, a in pairs]

    peers: dict[str, Callable[[dict[str, Any]], tuple[str, float]] | None] = {
        "CEL, one program per rule": cel_screen(),
        "ZEN decision graph": zen_screen(False),
        "ZEN decision graph, with trace": zen_screen(True),
    }
    missing = [k for k, f in peers.items() if f is None]
    for name, fn in peers.items():  # agreement first: a fast wrong answer is no answer
        if fn is None:
            continue
        for x, (d, s), pair in zip(flats, want, pairs, strict=True):
            got = fn(x)
            if got[0] != d or round(got[1], 6) != round(s, 6):
                raise SystemExit(f"{name} disagrees on {pair[1].id}: {got} != {(d, s)}")
    for (c, a), (d, s) in zip(pairs, want, strict=True):
        got = engine.score_asset(rs, c, a)
        if got[0] != d or round(got[1], 6) != round(s, 6):
            raise SystemExit(f"dealscreen disagrees on {a.id}: {got} != {(d, s)}")

    contenders: dict[str, Callable[[], Any]] = {
        "hand-written Python (floor)": lambda: [bench.hand_screen(c.company, a) for c, a in pairs],
    }
    for name, fn in peers.items():
        if fn is not None:
            contenders[name] = lambda fn=fn: [fn(x) for x in flats]
    contenders.update(
        {
            "dealscreen score_asset, no trace": lambda: [
                engine.score_asset(rs, c, a) for c, a in pairs
            ],
            "dealscreen evaluate_case, with trace": lambda: [
                engine.evaluate_case(rs, lc.case, trace=True) for lc in loaded
            ],
            "dealscreen + build_result": lambda: [
                build_result(rs, lc, engine.evaluate_case(rs, lc.case, trace=True)) for lc in loaded
            ],
            "dealscreen + JSON text": lambda: [
                dumps_text(build_result(rs, lc, engine.evaluate_case(rs, lc.case, trace=True)))
                for lc in loaded
            ],
        }
    )
    gc.collect()
    gc.freeze()
    best = dict.fromkeys(contenders, 1e9)
    for _ in range(args.reps):  # interleaved, so background load hits all alike
        for name, fn in contenders.items():
            t = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t)
    gc.unfreeze()
    floor = best["hand-written Python (floor)"]
    n = len(pairs)
    print(f"{n} assets ({len(cases)} companies, complete data), CPU time, best of {args.reps}:")
    print(f"  {'implementation':<40} {'us/asset':>9} {'x floor':>8}")
    for name, secs in best.items():
        print(f"  {name:<40} {secs / n * 1e6:9.1f} {secs / floor:8.1f}")
    trace_cost = best["dealscreen evaluate_case, with trace"]
    zen_trace = best.get("ZEN decision graph, with trace")
    extra = (best["dealscreen + JSON text"] - trace_cost) / trace_cost
    print(f"  result object + JSON text = {extra:.1f}x the trace cost (target <= 3x)")
    if zen_trace:
        print(f"  trace vs ZEN with trace: {trace_cost / zen_trace:.2f}x (target <= 1x)")
    for name in missing:
        print(f"  {name}: not installed (pip install -e '.[bench]')")
    if args.json:
        data = {
            "assets": n,
            "us_per_asset": {k: v / n * 1e6 for k, v in best.items()},
            "ratio": {k: v / floor for k, v in best.items()},
            "missing": missing,
        }
        text = json.dumps(data, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
