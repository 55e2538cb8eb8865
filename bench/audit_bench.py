"""Audit-trail benchmark: decision-store write rate, verify time, why-not cost.

    .venv/bin/python bench/audit_bench.py              # 10,000 records, why-not on bundled cases
    .venv/bin/python bench/audit_bench.py --n 2000     # quicker

Writes go to a fresh store in a temporary folder. Two write patterns are timed: one transaction
per record (the worst case: `decide`, or a memo per case) and batches of 11 (what
`score cases/ --record` does). Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from screen.audit.store import Entry, Store, read_ruleset_files
from screen.audit.whynot import why_not
from screen.engine.evaluate import evaluate_case
from screen.engine.loader import expand_case_paths, load_case, load_ruleset
from screen.engine.result import build_result

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="records to write per pattern")
    args = ap.parse_args()

    rs = load_ruleset()
    files = read_ruleset_files(None)
    entries = []
    for path in expand_case_paths([str(ROOT / "cases")]):
        loaded = load_case(path)
        result = build_result(rs, loaded, evaluate_case(rs, loaded.case))
        entries.append(Entry(result, loaded.text, files))
    size = sum(len(str(e.result)) for e in entries) // len(entries)
    print(f"results: {len(entries)} bundled cases, ~{size // 1000} kB of result JSON each")

    with tempfile.TemporaryDirectory() as tmp:
        for label, batch in (("1 record per transaction", 1), ("11 records per transaction", 11)):
            db = Path(tmp) / f"b{batch}.db"
            with Store.open(db) as s:
                t0 = time.perf_counter()
                written = 0
                while written < args.n:
                    k = min(batch, args.n - written)
                    s.append([entries[(written + i) % len(entries)] for i in range(k)], who="bench")
                    written += k
                dt = time.perf_counter() - t0
                print(f"record {args.n} ({label}): {dt:.2f} s, {args.n / dt:,.0f} records/s")
                t0 = time.perf_counter()
                v = s.verify()
                dv = time.perf_counter() - t0
                assert v.ok, v.problem
                print(
                    f"verify {v.records} records: {dv:.2f} s ({v.records / dv:,.0f} records/s); "
                    f"store {db.stat().st_size / 1e6:.1f} MB"
                )

    print("why-not (target advance), bundled thesis:")
    for path in expand_case_paths([str(ROOT / "cases")]):
        case = load_case(path).case
        t0 = time.perf_counter()
        w = why_not(rs, case, target="advance")
        dt = time.perf_counter() - t0
        found = f"{len(w.singles)} single(s)" if w.singles else f"{len(w.pairs)} pair(s)"
        if w.reached:
            found = "already advance"
        print(
            f"  {path.name:32} {w.decision:25} {w.evaluations:6} evaluations "
            f"{dt * 1000:7.0f} ms  {found}"
        )


if __name__ == "__main__":
    main()
