"""Memory benchmark: does peak RSS grow with the batch? (issue 12, goal 3: within 1.25x)

    .venv/bin/python bench/memory_bench.py [--sizes 1000,20000] [--seed 7] [--keep DIR]
        [--absent 0.1] [--src DIR] [--only rank,score_record,audit_list,...] [--json [PATH]]

For each size N: writes N generated case files (bench.py's seeded CaseFactory, as
pipeline_bench does; `--keep DIR` reuses them across runs), then runs each command in a fresh
process, output to /dev/null, and reads that process's own peak RSS (`ru_maxrss` from
`os.wait4`):

- `rank DIR --format json -j 1` (one process: no worker RSS to add up)
- `score DIR --record --store N.db --format json` (records every result in a new SQLite store)
  and `score DIR --record` with its default table (into another new store)
- `audit list --store N.db` (the table: two streamed passes) and `audit list --format json`
- `audit verify --store N.db`

and prints each command's RSS at every size and the ratio largest / smallest. `--src` runs
older code (PYTHONPATH=DIR, same interpreter and packages) for a before/after in one run.
Nothing asserts; the run fails only if a command fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

COMMANDS = (
    "rank",
    "score_record",
    "score_record_table",
    "audit_list",
    "audit_list_json",
    "audit_verify",
)


def _screen(*args: str) -> list[str]:
    return [sys.executable, "-m", "screen", *args]


def run(cmd: list[str], src: str | None) -> dict[str, Any]:
    """Run `cmd` with stdout to /dev/null; its wall time and own peak RSS (MB)."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        if proc.returncode not in (0, 2):
            err.seek(0)
            tail = err.read().decode(errors="replace")[-800:]
            raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {tail}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}


def folder_for(root: Path, size: int, seed: int, absent: float) -> Path:
    from pipeline_bench import write_files

    folder = root / f"cases-{size}-{seed}-{absent:g}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_files(folder, size, seed, absent)
        done.write_text("ok")
    return folder


def commands_for(folder: Path, db: Path) -> dict[str, list[str]]:
    store = ["--store", str(db)]
    return {
        "rank": _screen("rank", str(folder), "--format", "json", "-j", "1"),
        "score_record": _screen("score", str(folder), "--record", *store, "--format", "json"),
        "score_record_table": _screen(
            "score", str(folder), "--record", "--store", str(db) + ".table.db"
        ),
        "audit_list": _screen("audit", "list", *store),
        "audit_list_json": _screen("audit", "list", *store, "--format", "json"),
        "audit_verify": _screen("audit", "verify", *store),
    }


def measure(
    root: Path, sizes: list[int], seed: int, absent: float, src: str | None, only: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sizes:
        folder = folder_for(root, size, seed, absent)
        with tempfile.TemporaryDirectory(prefix="dealscreen-mem-") as tmp:
            db = Path(tmp) / "decisions.db"
            cmds = commands_for(folder, db)
            row = {}
            for name in COMMANDS:
                if name not in only:
                    continue
                if name.startswith("audit") and not db.exists():  # needs a store to read
                    run(cmds["score_record"], src)
                row[name] = run(cmds[name], src)
                print(f"  {size:>6} {name:<16} {row[name]['peak_rss_mb']:7.1f} MB "
                      f"{row[name]['wall_s']:7.1f} s", file=sys.stderr, flush=True)  # fmt: skip
            out[str(size)] = row
    return out


def report(res: dict[str, Any], sizes: list[int]) -> None:
    lo, hi = str(min(sizes)), str(max(sizes))
    print(f"peak RSS (MB), own process, {lo} vs {hi} cases/records (goal: ratio <= 1.25)")
    print(f"{'command':<18}" + "".join(f"{s:>10}" for s in sizes) + f"{'ratio':>8}")
    for name in COMMANDS:
        if name not in res[lo]:
            continue
        cells = "".join(f"{res[str(s)][name]['peak_rss_mb']:10.1f}" for s in sizes)
        ratio = res[hi][name]["peak_rss_mb"] / res[lo][name]["peak_rss_mb"]
        print(f"{name:<18}{cells}{ratio:8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,20000")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--absent",
        type=float,
        default=0.1,
        help="share of optional fields left out (0: complete data, the fast path: ~10x "
        "quicker to run; memory per case is what is measured either way)",
    )
    ap.add_argument("--keep", metavar="DIR", help="keep the generated case files here")
    ap.add_argument("--src", metavar="DIR", help="run this src/ instead (PYTHONPATH)")
    ap.add_argument("--only", default=",".join(COMMANDS), help="comma-separated commands")
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    from pipeline_bench import precompile

    precompile(args.src)
    only = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="dealscreen-memcases-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        res = measure(root, sizes, args.seed, args.absent, args.src, only)
    report(res, sizes)
    if args.json:
        meta = {"sizes": sizes, "seed": args.seed, "absent": args.absent}
        text = json.dumps({**meta, "rss": res}, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
