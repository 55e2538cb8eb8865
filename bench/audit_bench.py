"""Audit-trail benchmark: decision-store write rate, verify time, why-not cost, read memory.

    .venv/bin/python bench/audit_bench.py              # 10,000 records, why-not on bundled cases
    .venv/bin/python bench/audit_bench.py --n 2000     # quicker
    .venv/bin/python bench/audit_bench.py --memory     # peak RSS of audit list/verify/stats,
                                                       # 1,000 vs 20,000 records (streamed reads)
    .venv/bin/python bench/audit_bench.py --memory --pg postgresql://...  # same on a server
                                                       # (each size in a database it creates)

`--writers 4 --runs 250 --store URL` is issue 13's concurrency check at full size: 4 processes
each run `score CASE --record` 250 times (in-process CLI calls), then `audit verify`.

`--memory` runs each command as a separate process that reports its own peak RSS
(VmHWM) at exit; the goal (issue 12) is a ratio 20k / 1k within 1.25. The same script
runs against an older checkout (PYTHONPATH=OLD/src) for the before figures.

Writes go to a fresh store in a temporary folder. Two write patterns are timed: one transaction
per record (the worst case: `decide`, or a memo per case) and batches of 11 (what
`score cases/ --record` does). Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
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
    ap.add_argument("--memory", action="store_true", help="peak RSS of reading commands")
    ap.add_argument("--sizes", default="1000,20000", help="store sizes for --memory")
    ap.add_argument("--pg", help="a PostgreSQL superuser URL: measure --memory there too")
    ap.add_argument("--dir", help="keep the --memory SQLite stores here and reuse them")
    ap.add_argument("--writers", type=int, help="parallel `score --record` processes")
    ap.add_argument("--runs", type=int, default=250, help="`score --record` runs per writer")
    ap.add_argument("--store", help="the store for --writers (a path or a postgresql:// URL)")
    args = ap.parse_args()
    if args.writers:
        writers(args.writers, args.runs, args.store)
        return
    if args.memory:
        memory([int(n) for n in args.sizes.split(",")], args.pg, args.dir)
        return

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


def _score_record_loop(store: str, runs: int, case: str) -> None:
    from click.testing import CliRunner

    from screen.cli.app import main

    for _ in range(runs):
        done = CliRunner().invoke(main, ["score", case, "--record", "--store", store])
        assert done.exit_code == 0, done.output


def writers(n: int, runs: int, store: str | None) -> None:
    import multiprocessing

    from screen.audit.store import display_name

    if not store:
        raise SystemExit("--writers needs --store (an empty store)")
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    with Store.open(store) as s:
        before = s.last_id()
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_score_record_loop, args=(store, runs, case)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    dt = time.perf_counter() - t0
    with Store.open(store, create=False) as s:
        v = s.verify()
    print(
        f"{n} writers x {runs} `score --record` on {display_name(store)}: {dt:.1f} s, "
        f"{n * runs / dt:.1f} runs/s; verify: {'ok' if v.ok else 'BROKEN'}, "
        f"{v.records - before} new record(s), {v.records} in all; " + "; ".join(v.checks)
    )


def _entries() -> list[Entry]:
    rs = load_ruleset()
    files = read_ruleset_files(None)
    out = []
    for path in expand_case_paths([str(ROOT / "cases")]):
        loaded = load_case(path)
        out.append(
            Entry(build_result(rs, loaded, evaluate_case(rs, loaded.case)), loaded.text, files)
        )
    return out


def _fill(store: str, n: int, entries: list[Entry]) -> None:
    with Store.open(store) as s:
        written = 0
        while written < n:
            k = min(500, n - written)
            s.append([entries[(written + i) % len(entries)] for i in range(k)], who="bench")
            written += k


# VmHWM (this process image's peak RSS), not getrusage: Linux carries ru_maxrss across exec, so
# a child would report the parent's size at fork time.
_MEASURED = (
    "import atexit, sys\n"
    "def hwm():\n"
    "    kb = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
    "    print('peak-rss-kb', kb[0], file=sys.stderr, flush=True)\n"
    "atexit.register(hwm)\n"
    "from screen.cli.app import main\n"
    "sys.argv[0] = 'dealscreen'\n"
    "main()\n"
)


def _peak_rss_mb(args: list[str]) -> float:
    """Peak RSS of one `dealscreen ARGS` process (output discarded), in MB, read by the process
    itself at exit."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("peak-rss-kb ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"dealscreen {' '.join(args[:2])} failed: {done.stderr}")
    return int(lines[-1].split()[1]) / 1024


def _pg_database(url: str, name: str) -> str:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo(**params)


def memory(sizes: list[int], pg: str | None, keep: str | None = None) -> None:
    entries = _entries()
    commands = {
        "audit list": ["audit", "list"],
        "audit list --format json": ["audit", "list", "--format", "json"],
        "audit verify": ["audit", "verify"],
        "audit stats": ["audit", "stats"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        backends = {"sqlite": lambda n: str(folder / f"m{n}.db")}
        if pg:
            backends["postgresql"] = lambda n: _pg_database(pg, f"dealscreen_bench_{n}")
        for backend, where in backends.items():
            stores = {}
            for n in sizes:
                t0 = time.perf_counter()
                stores[n] = where(n)
                if keep and backend == "sqlite" and Path(stores[n]).exists():
                    print(f"{backend}: {n:,} records: reusing {stores[n]}")
                    continue
                _fill(stores[n], n, entries)
                print(f"{backend}: {n:,} records written in {time.perf_counter() - t0:.1f} s")
            for label, args in commands.items():
                peaks = {n: _peak_rss_mb([*args, "--store", stores[n]]) for n in sizes}
                lo, hi = peaks[min(sizes)], peaks[max(sizes)]
                row = "  ".join(f"{n:,}: {peaks[n]:6.1f} MB" for n in sizes)
                print(f"  {backend:10} {label:26} peak RSS {row}  ratio {hi / lo:.2f}")
            if pg and backend == "postgresql":
                import psycopg

                with psycopg.connect(pg, autocommit=True) as conn:
                    for n in sizes:
                        conn.execute(f"DROP DATABASE IF EXISTS dealscreen_bench_{n} WITH (FORCE)")


if __name__ == "__main__":
    main()
