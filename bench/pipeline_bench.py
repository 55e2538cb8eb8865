"""Pipeline benchmark: rank many case files, evaluate loaded cases, sensitivity, CLI start-up.

    .venv/bin/python bench/pipeline_bench.py [--files 10000] [--seed 7] [--json [PATH]]
        [--baseline-src DIR] [--rss-files 1000,20000] [--quick]

1. writes N synthetic case files (bench.py's seeded CaseFactory, ~10% of fields absent, or
   `--absent` of them: 0 gives complete cases, which take the generated fast path);
0. the CLI end to end, each command a fresh process: `rank --format json -j 1` and
   `score --format json` over the N files (cases/s per core = cases / CPU seconds of the process),
   the plain `yaml.load(CSafeLoader)` of the same files (read + parse only) and the ratio of the
   whole screen to it; `score one-case.yaml` and `--help` wall times (best of 5). With
   `--baseline-src DIR` (e.g. the `src/` of an older checkout) every command also runs against
   that code (PYTHONPATH=DIR, same interpreter and packages), in the same run, for before/after
   ratios. `--rss-files` adds peak RSS of rank and score at those batch sizes (files generated);
2. ranks them end to end (read, parse YAML, validate, evaluate, rank) in one process and with
   one worker per core, each in a fresh subprocess that reports its peak RSS; the same at N/5
   files shows whether memory grows with the number of cases;
3. splits the single-process time into read+YAML parse, validation and evaluation;
4. times evaluation of already-loaded cases (assets/s) as `rank` does it (`score_case`);
5. times sensitivity on 200 cases x 1000 samples (evaluation included);
6. times `dealscreen --help` (best of 5 fresh processes).

Targets (issue 6): >= 1,000 files/s per core end to end; >= 10,000 assets/s per core for loaded
cases; memory flat in N beyond the result table; sensitivity 200 x 1000 < 60 s; --help < 0.3 s.
Nothing asserts on time; the run fails only if parallel and serial rankings differ.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

TARGETS = {
    "files_per_s_per_core": 1000,
    "assets_per_s_per_core": 10000,
    "sensitivity_s": 60,
    "help_s": 0.3,
}
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_files(folder: Path, n: int, seed: int, absent: float = 0.1) -> int:
    from bench import CaseFactory  # bench/bench.py

    factory = CaseFactory(seed, absent)
    total = 0
    for i in range(n):
        d = factory.case(i)
        text = yaml.dump(d, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        (folder / f"case-{i:05d}.yaml").write_text(text, encoding="utf-8")
        total += len(text)
    return total


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- child runs


def child_rank(folder: str, jobs: int, limit: int) -> dict[str, Any]:
    """Rank the first `limit` files; runs in a fresh interpreter so RSS is its own."""
    from screen.engine.loader import expand_case_paths, load_ruleset
    from screen.pipeline import rank as pipeline
    from screen.pipeline import report as pipeline_report

    rss_start = peak_rss_mb()
    t0 = time.perf_counter()
    rs = load_ruleset()
    paths = expand_case_paths([folder])[:limit]
    rows, failed = [], 0
    for item in pipeline.evaluate_files(rs, paths, jobs=jobs):
        if isinstance(item, pipeline.Failure):
            failed += 1
        else:
            rows.append(item)
    csv_text = pipeline_report.to_csv(rs, pipeline.rank(rows))
    secs = time.perf_counter() - t0
    return {
        "files": len(paths),
        "failed": failed,
        "seconds": secs,
        "files_per_s": len(paths) / secs,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_children_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
        "csv_sha": __import__("hashlib").sha256(csv_text.encode()).hexdigest(),
    }


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


# --------------------------------------------------------------------------- in-process parts


def stage_split(folder: Path, n: int) -> dict[str, Any]:
    """Where single-process time goes: read + YAML parse, validation, evaluation (best of 3)."""
    from screen.engine.loader import LoadedCase, load_ruleset
    from screen.model.case import Case
    from screen.model.validation import validate_doc
    from screen.model.yamlsource import parse_yaml_bytes
    from screen.pipeline import rank as pipeline

    rs = load_ruleset()
    paths = sorted(folder.glob("*.yaml"))[:n]
    best = {"read_parse": 1e9, "validate": 1e9, "evaluate": 1e9}
    for _ in range(3):
        gc.collect()
        t = time.perf_counter()
        docs = [parse_yaml_bytes(p.read_bytes(), str(p)) for p in paths]
        best["read_parse"] = min(best["read_parse"], time.perf_counter() - t)
        t = time.perf_counter()
        cases = [validate_doc(Case, d) for d in docs]
        best["validate"] = min(best["validate"], time.perf_counter() - t)
        loaded = [LoadedCase(str(p), "", "", c) for p, c in zip(paths, cases, strict=True)]
        t = time.perf_counter()
        for lc in loaded:
            pipeline.row_for(rs, lc)
        best["evaluate"] = min(best["evaluate"], time.perf_counter() - t)
    total = sum(best.values())
    return {
        "files": len(paths),
        "seconds": best,
        "share": {k: round(v / total, 3) for k, v in best.items()},
        "yaml_parse_files_per_s": len(paths) / best["read_parse"],
    }


def loaded_evaluation(folder: Path, n: int) -> dict[str, Any]:
    """Assets/s for cases already in memory: the ranking path and the full evaluator."""
    from screen.engine.evaluate import evaluate_case
    from screen.engine.loader import load_case, load_ruleset
    from screen.pipeline import rank as pipeline

    rs = load_ruleset()
    loaded = [load_case(p) for p in sorted(folder.glob("*.yaml"))[:n]]
    assets = sum(len(lc.case.assets) for lc in loaded)
    gc.freeze()
    out: dict[str, Any] = {"cases": len(loaded), "assets": assets}
    for name, fn in {
        "score_case": lambda lc: pipeline.score_case(rs, lc),
        "row_for": lambda lc: pipeline.row_for(rs, lc),
        "evaluate_case_no_trace": lambda lc: evaluate_case(rs, lc.case, trace=False),
    }.items():
        best = 1e9
        for _ in range(3):
            t = time.perf_counter()
            for lc in loaded:
                fn(lc)
            best = min(best, time.perf_counter() - t)
        out[f"{name}_assets_per_s"] = assets / best
    fast = 0
    for lc in loaded:
        for a in pipeline.score_assets(rs, lc):
            fast += not a.unknowns and not a.unknown_gates and a.low == a.high
    out["complete_data_share"] = fast / assets
    gc.unfreeze()
    return out


def sensitivity_time(folder: Path, n: int, samples: int) -> dict[str, Any]:
    from screen.engine.loader import load_case, load_ruleset
    from screen.pipeline import rank as pipeline
    from screen.pipeline import sensitivity

    t0 = time.perf_counter()
    rs = load_ruleset()
    cases = [pipeline.score_case(rs, load_case(p)) for p in sorted(folder.glob("*.yaml"))[:n]]
    t1 = time.perf_counter()
    report = sensitivity.analyse(rs, cases, spread=0.2, samples=samples, seed=0, thresholds=True)
    t2 = time.perf_counter()
    return {
        "cases": n,
        "samples": samples,
        "load_and_evaluate_s": t1 - t0,
        "samples_s": t2 - t1,
        "total_s": t2 - t0,
        "companies_with_flips": sum(1 for c in report.companies if c.flips),
    }


def help_startup(reps: int = 5) -> dict[str, Any]:
    exe = ROOT / ".venv" / "bin" / "dealscreen"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "screen"]
    best = 1e9
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run([*cmd, "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--absent",
        type=float,
        default=0.1,
        help="share of optional fields left out (0: complete cases, the fast path's case)",
    )
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH")
    ap.add_argument("--child", nargs=3, metavar=("FOLDER", "JOBS", "LIMIT"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline-src", metavar="DIR", help="also run the CLI from this src/ folder")
    ap.add_argument(
        "--rss-files", metavar="N,N", help="peak RSS of rank and score at these batch sizes"
    )
    ap.add_argument(
        "--quick", action="store_true", help="only the CLI part (0.): skip the in-process parts"
    )
    ap.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.child:
        folder, jobs, limit = args.child
        print(json.dumps(child_rank(folder, int(jobs), int(limit))))
        return

    n = args.files
    res: dict[str, Any] = {
        "files": n,
        "seed": args.seed,
        "absent": args.absent,
        "cores": cores(),
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="dealscreen-pipeline-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        res["mean_bytes"] = write_files(folder, n, args.seed, args.absent) / n
        secs = time.perf_counter() - t
        print(
            f"wrote {n} case files ({res['mean_bytes']:.0f} B mean, {args.absent:.0%} of optional "
            f"fields absent) in {secs:.1f} s"
        )
        precompile(args.baseline_src)
        res["cli"] = cli_end_to_end(folder, args.baseline_src)
        if args.rss_files:
            sizes = [int(x) for x in args.rss_files.split(",")]
            res["rss"] = rss_by_size(folder, sizes, args.seed, args.baseline_src, args.absent)
        if args.quick:
            report_cli(res)
            _emit_json(res, args.json)
            return

        serial = run_child(str(folder), "1", str(n))
        small = run_child(str(folder), "1", str(max(1, n // 5)))
        parallel = run_child(str(folder), str(res["cores"]), str(n))
        if parallel["csv_sha"] != serial["csv_sha"]:
            raise SystemExit("parallel ranking differs from the single-process ranking")
        res["rank_serial"], res["rank_small"], res["rank_parallel"] = serial, small, parallel
        res["stages"] = stage_split(folder, min(n, 2000))
        res["loaded"] = loaded_evaluation(folder, min(n, 2000))
        res["sensitivity"] = sensitivity_time(folder, min(n, 200), 1000)
    res["help"] = help_startup()
    report_cli(res)
    report(res)
    _emit_json(res, args.json)


def _emit_json(res: dict[str, Any], where: str | None) -> None:
    if where:
        text = json.dumps(res, indent=2)
        if where == "-":
            print(text)
        else:
            Path(where).write_text(text + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- CLI end to end


def measure(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd` (output to /dev/null); its wall time, CPU time and peak RSS (own process)."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{cmd}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024}


def _run_measured(cmd: list[str], src: str | None) -> dict[str, Any]:
    """`measure` in a fresh wrapper process, so RUSAGE_CHILDREN is this command's alone."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src  # before site-packages: that code, same packages
    out = subprocess.run(
        [sys.executable, __file__, "--measure", *cmd],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout)


def precompile(*extra: str | None) -> None:
    """Byte-compile the measured source trees first. With PYTHONDONTWRITEBYTECODE set (as on
    this machine) nothing writes .pyc files, so each fresh process would compile every module
    of src/ from source again (~0.4 s of `score one-case.yaml`), which an installed package
    never pays: start-up figures without this measure the compiler, not dealscreen."""
    import compileall

    for tree in (ROOT / "src", *(Path(e) for e in extra if e)):
        compileall.compile_dir(str(tree), quiet=1)


def _screen(*args: str) -> list[str]:
    return [sys.executable, "-m", "screen", *args]


def csafe_parse(folder: Path, limit: int | None = None) -> dict[str, Any]:
    """Read + `yaml.load(CSafeLoader)` of the files alone (CPU seconds, best of 3)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    paths = sorted(folder.glob("*.yaml"))[:limit]
    best = 1e9
    for _ in range(3):
        t = time.process_time()
        for p in paths:
            yaml.load(p.read_bytes(), Loader=loader)  # noqa: S506 - the safe C loader
        best = min(best, time.process_time() - t)
    return {"files": len(paths), "cpu_s": best, "us_per_file": best / len(paths) * 1e6}


def cli_end_to_end(folder: Path, baseline: str | None) -> dict[str, Any]:
    """rank / score --format json over the folder, one case, --help; optionally the baseline."""
    n = len(list(folder.glob("*.yaml")))
    one = str(sorted(folder.glob("*.yaml"))[0])
    commands = {
        "rank_json": _screen("rank", str(folder), "--format", "json", "-j", "1"),
        "score_json": _screen("score", str(folder), "--format", "json"),
    }
    quick = {"score_one": _screen("score", one), "help": _screen("--help")}
    out: dict[str, Any] = {"files": n, "csafe": csafe_parse(folder)}
    for label, src in (("after", None), ("before", baseline)):
        if label == "before" and not baseline:
            continue
        part: dict[str, Any] = {}
        for name, cmd in commands.items():
            m = _run_measured(cmd, src)
            m["cases_per_cpu_s"] = n / m["cpu_s"]
            m["ratio_to_csafe"] = m["cpu_s"] / out["csafe"]["cpu_s"]
            part[name] = m
        for name, cmd in quick.items():  # best of 5 wall times
            part[name] = min((_run_measured(cmd, src) for _ in range(5)), key=lambda m: m["wall_s"])
        out[label] = part
    return out


def rss_by_size(
    folder: Path, sizes: list[int], seed: int, baseline: str | None, absent: float = 0.1
) -> dict[str, Any]:
    """Peak RSS of `rank --format json -j 1` and `score --format json` at each batch size."""
    out: dict[str, Any] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="dealscreen-rss-") as tmp:
            sub = Path(tmp)
            write_files(sub, size, seed, absent)
            row: dict[str, Any] = {}
            for label, src in (("after", None), ("before", baseline)):
                if label == "before" and not baseline:
                    continue
                rank_cmd = _screen("rank", str(sub), "--format", "json", "-j", "1")
                score_cmd = _screen("score", str(sub), "--format", "json")
                row[label] = {
                    "rank_json": _run_measured(rank_cmd, src),
                    "score_json": _run_measured(score_cmd, src),
                }
            out[str(size)] = row
    return out


def report_cli(r: dict[str, Any]) -> None:
    c = r["cli"]
    out = print
    out(f"\nCLI end to end ({c['files']} files, one process each, CPU time):")
    out(
        f"  yaml.load(CSafeLoader) alone: {c['csafe']['us_per_file']:.0f} us/file "
        f"({c['files'] / c['csafe']['cpu_s']:.0f} files/s)"
    )
    labels = [k for k in ("before", "after") if k in c]
    for name in ("rank_json", "score_json"):
        for label in labels:
            m = c[label][name]
            # per case beyond the fixed start (imports, compile: `score one-case` CPU)
            extra = max(m["cpu_s"] - c[label]["score_one"]["cpu_s"], 1e-9) / max(c["files"] - 1, 1)
            m["marginal_cases_per_cpu_s"] = 1 / extra
            m["marginal_ratio_to_csafe"] = extra / (c["csafe"]["cpu_s"] / c["csafe"]["files"])
            out(
                f"  {name:<10} {label:<6} {m['cases_per_cpu_s']:6.0f} cases/s per core  "
                f"{m['ratio_to_csafe']:5.2f}x CSafeLoader  peak RSS {m['peak_rss_mb']:.0f} MB;  "
                f"beyond start-up {m['marginal_cases_per_cpu_s']:5.0f}/s, "
                f"{m['marginal_ratio_to_csafe']:4.2f}x"
            )
        if len(labels) == 2:
            b, a = c["before"][name], c["after"][name]
            out(f"  {name:<10} speed-up {b['cpu_s'] / a['cpu_s']:.2f}x")
    out(f"  target >= {TARGETS['files_per_s_per_core']} cases/s per core, below 1x CSafeLoader")
    for name, what in (("score_one", "score one-case.yaml"), ("help", "--help")):
        cells = "  ".join(f"{label} {c[label][name]['wall_s'] * 1000:.0f} ms" for label in labels)
        out(f"  {what:<20} {cells} (best of 5, wall)")
    if "rss" in r:
        out("\npeak RSS by batch size (rank --format json -j 1, score --format json):")
        for size, row in r["rss"].items():
            for label, m in row.items():
                rank_mb, score_mb = m["rank_json"]["peak_rss_mb"], m["score_json"]["peak_rss_mb"]
                head = f"  {int(size):>6} files {label:<6}"
                out(f"{head} rank {rank_mb:5.0f} MB  score {score_mb:5.0f} MB")


def report(r: dict[str, Any]) -> None:
    s, p, sm = r["rank_serial"], r["rank_parallel"], r["rank_small"]
    st, ld, se = r["stages"], r["loaded"], r["sensitivity"]
    out = print
    out(f"\nrank end to end ({r['files']} files, bundled thesis):")
    out(
        f"  1 process    {s['files_per_s']:6.0f} files/s  {s['seconds']:6.2f} s  "
        f"peak RSS {s['peak_rss_mb']:.0f} MB"
    )
    out(
        f"  {r['cores']} processes  {p['files_per_s']:6.0f} files/s  {p['seconds']:6.2f} s  "
        f"peak RSS parent {p['peak_rss_mb']:.0f} MB, worker {p['peak_rss_children_mb']:.0f} MB"
    )
    out(
        f"  memory: {sm['files']} files peak {sm['peak_rss_mb']:.0f} MB, "
        f"{s['files']} files {s['peak_rss_mb']:.0f} MB"
    )
    out(f"  serial and parallel CSV identical (sha256 {s['csv_sha'][:12]})")
    out(f"  target >= {TARGETS['files_per_s_per_core']} files/s per core")
    out(f"\nwhere one process spends its time ({st['files']} files, best of 3):")
    for k, v in st["seconds"].items():
        out(f"  {k:<11} {v:6.2f} s  {100 * st['share'][k]:5.1f}%")
    out(f"  YAML read+parse alone: {st['yaml_parse_files_per_s']:.0f} files/s")
    out(
        f"\nevaluation of loaded cases ({ld['cases']} cases, {ld['assets']} assets, "
        f"{100 * ld['complete_data_share']:.0f}% with complete data):"
    )
    for k in ("score_case", "row_for", "evaluate_case_no_trace"):
        out(f"  {k:<24} {ld[k + '_assets_per_s']:8.0f} assets/s")
    out(f"  target >= {TARGETS['assets_per_s_per_core']} assets/s per core")
    out(f"\nsensitivity {se['cases']} cases x {se['samples']} samples (weights and thresholds):")
    out(
        f"  load+evaluate {se['load_and_evaluate_s']:.2f} s, samples {se['samples_s']:.2f} s, "
        f"total {se['total_s']:.2f} s (target < {TARGETS['sensitivity_s']} s)"
    )
    ms, target = r["help"]["seconds"] * 1000, TARGETS["help_s"] * 1000
    out(f"\ndealscreen --help: {ms:.0f} ms (target < {target:.0f} ms)")


if __name__ == "__main__":
    main()
