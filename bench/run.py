"""Benchmark a losscli source tree against the programs people write without it.

    python bench/run.py [--tree PATH] [--installs plain,fast] [--runs 5] [--big] [CASE ...]

Installs the tree twice as users do (``pip install TREE`` and ``pip install 'TREE[fast]'``,
regular installs into venvs of their own), the peers (polars, DuckDB, NumPy, pandas, torch)
into a third, generates the inputs (gen.py), checks that every command prints the reference
mean (1e-6 relative), then times whole processes, commands alternated run by run, and writes
a Markdown report with the issue's targets and PASS / MISS. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import re
import subprocess
import sys
import time

import cases
import envs
import gen
import proc
import report

HERE = os.path.dirname(os.path.abspath(__file__))
REL_TOL = 1e-6


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_mean(parse: str, stdout: str) -> float | None:
    """The mean a command printed: its last line, the table's ``mean`` line, or a CSV column's mean."""
    try:
        if parse == "table":
            m = re.search(r"^mean\s+(\S+)\s*$", stdout, re.M)
            return float(m.group(1)) if m else None
        if parse == "csv_loss":
            col = [float(r["loss"]) for r in csv.DictReader(io.StringIO(stdout))]
            return sum(col) / len(col) if col else None
        lines = stdout.strip().splitlines()
        return float(lines[-1]) if lines else None
    except (ValueError, KeyError):
        return None


def machine(a: argparse.Namespace, lc: dict[str, str], peer_py: str | None) -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kib = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
    blas = os.environ.get("OPENBLAS_CORETYPE", "unset")
    state = "as installed earlier (--no-install)" if a.no_install else envs.tree_state(a.tree, a.commit)
    out = [
        f"- machine: {cpu} · {len(os.sched_getaffinity(0))} cores (of {os.cpu_count()}) · "
        f"{mem_kib / 2**20:.1f} GiB RAM · Linux {platform.release()} · OPENBLAS_CORETYPE={blas}"
        " (element-wise work: it does not matter, recorded all the same)",
        f"- tree: `{a.tree}` ({state})",
    ]
    for w, exe in lc.items():
        py = envs.venv_python(os.path.dirname(os.path.dirname(exe)))
        v = envs.versions(py, "losscli", "numpy", "pyarrow", "click", "rich", "dask", "distributed")
        out.append(f"- losscli {w} install: `{exe}` ({v})")
    if peer_py:
        v = envs.versions(peer_py, "numpy", "pyarrow", "pandas", "polars", "duckdb", "torch")
        out.append(f"- peers: `{peer_py}` ({v})")
    out.append(f"- harness: Python {platform.python_version()}, numpy {gen.np.__version__}")
    rss = (
        "GNU time -v maximum resident set size"
        if proc.have_gnu_time()
        else "ru_maxrss of os.wait4 (no GNU time)"
    )
    out.append(
        f"- method: {a.runs} timed runs per command after one check run (mean compared, page cache warmed); "
        f"commands alternated run by run within a case; wall = perf_counter around the whole process, "
        f"stdout and stderr to pipes; peak RSS = {rss}; a command whose check run took more than "
        f"{a.slow:g} s is timed by that run alone"
        + (f"; PYTHONDONTWRITEBYTECODE={os.environ['PYTHONDONTWRITEBYTECODE']}" if os.environ.get(
            "PYTHONDONTWRITEBYTECODE") else "")
        + (f"; inputs scaled by {a.scale:g}" if a.scale != 1.0 else "")
    )  # fmt: skip
    return out


def program(cmd: cases.Command, lc: dict[str, str], peer_py: str | None) -> list[str] | None:
    if cmd.who == "peer":
        return [peer_py, *cmd.args] if peer_py else None
    return [lc[cmd.who], *cmd.args] if cmd.who in lc else None


def check_run(t: report.Timed, a: argparse.Namespace) -> tuple[proc.Result, float | None]:
    r = proc.run(t.argv, None, a.timeout, a.mem_limit_mib)
    mean = parse_mean(t.cmd.parse, r.stdout) if r.code == 0 else None
    if r.killed:
        t.status, t.note = "killed", r.killed + f" after {r.wall:.1f} s"
    elif r.code != 0:
        tail = (r.stderr.strip().splitlines() or ["(no stderr)"])[-1][:200]
        t.status, t.note = ("refused" if r.code == 2 else "failed"), f"exit {r.code}: {tail}"
    elif mean is None:
        t.status, t.note = "failed", f"no mean in output: {r.stdout[-120:]!r}"
    log(f"  check {t.cmd.key:14} {r.wall:8.3f} s  {r.rss_kib or 0:>9} KiB  {t.status} {t.note}")
    return r, mean


def agree(res: report.CaseResult, first: dict[str, tuple[proc.Result, float | None]]) -> None:
    """Mark every command whose mean differs from the reference's; note the largest gap."""
    ref_key = res.case.reference
    ref = first.get(ref_key, (None, None))[1]
    if ref is None:  # the reference failed: fall back to the first peer that printed a mean
        ref_key, ref = next(((k, m) for k, (_, m) in first.items() if m is not None), (ref_key, None))
        res.notes.append(f"reference {res.case.reference} gave no mean; compared with {ref_key}")
    worst = 0.0
    for t in res.timed:
        m = first.get(t.cmd.key, (None, None))[1]
        if m is None or ref is None or t.status != "ok":
            continue
        rel = abs(m - ref) / max(abs(m), abs(ref), 1e-300)
        worst = max(worst, rel)
        if not rel <= REL_TOL:
            t.status, t.note = "mismatch", f"mean {m!r} vs {ref_key} {ref!r} (rel {rel:.1e})"
    res.notes.append(f"means agree with {ref_key} ({ref!r}) to {worst:.1e} relative")


def run_case(res: report.CaseResult, a: argparse.Namespace) -> None:
    log(f"== {res.case.key}: check runs")
    first = {}
    for t in res.timed:
        if t.status == "skipped":
            continue
        r, mean = check_run(t, a)
        first[t.cmd.key] = (r, mean)
        if mean is not None:
            t.means.append(mean)
            if r.wall > a.slow:
                t.one_run = True
                t.walls.append(r.wall)
                t.peaks_kib.append(r.tree_kib if t.cmd.tree_rss else r.rss_kib or r.tree_kib)
    agree(res, first)
    live = [t for t in res.timed if t.status == "ok" and not t.one_run]
    for i in range(a.runs):
        for t in live:
            r = proc.run(t.argv, None, a.timeout, a.mem_limit_mib)
            log(
                f"  run {i + 1}/{a.runs} {t.cmd.key:14} {r.wall:8.3f} s  {r.rss_kib or 0:>9} KiB"
                f"  exit {r.code}"
            )
            mean = parse_mean(t.cmd.parse, r.stdout) if r.code == 0 else None
            if mean is None:
                res.notes.append(
                    f"{t.cmd.key} run {i + 1} failed: exit {r.code} {r.killed} {r.stderr[-200:]!r}"
                )
                continue
            # losscli must print the same bits every run; a peer's parallel sum (DuckDB, polars)
            # may move in the last digits, which is only worth a note beyond 1e-12
            gap = abs(mean - t.means[0]) / max(abs(mean), abs(t.means[0]), 1e-300)
            if gap > (1e-12 if t.cmd.who == "peer" else 0.0):
                res.notes.append(f"{t.cmd.key} run {i + 1} printed {mean!r}, not {t.means[0]!r}")
            t.walls.append(r.wall)
            t.peaks_kib.append(r.tree_kib if t.cmd.tree_rss else r.rss_kib or r.tree_kib)


def has_engine(lc: dict[str, str], who: str) -> bool:
    exe = lc.get(who)
    if not exe:
        return False
    r = subprocess.run([exe, "bce", "--help"], capture_output=True, text=True, timeout=120)
    return "--engine" in r.stdout


def prepare(case: cases.Case, a: argparse.Namespace, lc: dict[str, str], peer_py: str | None,
            opts: cases.Options) -> report.CaseResult:  # fmt: skip
    res = report.CaseResult(case, targets=cases.targets_of(case, opts))
    if case.needs_engine and not has_engine(lc, cases._pick(opts)):
        res.skipped = "`losscli bce --help` offers no `--engine` (the Dask engine is not in this tree yet)"
        return res
    inp = case.input.scaled(a.scale)
    r = subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--scale", repr(a.scale),
                        "--out-dir", a.out_dir, case.key])  # fmt: skip
    if r.returncode != 0:
        res.skipped = f"gen.py failed (exit {r.returncode})"
        return res
    paths = gen.paths(inp, a.out_dir)
    res.size = f"{gen.total_bytes(inp, a.out_dir) / 1e6:,.0f} MB"
    if inp != case.input:
        res.size += f", scaled to {'×'.join(map(str, inp.shape))}"
    for cmd in case.commands(paths, opts):
        argv = program(cmd, lc, peer_py)
        t = report.Timed(cmd, argv or [])
        if argv is None:
            t.status, t.note = "skipped", f"no {cmd.who} environment"
        elif cmd.who == "peer" and not peer_ok(peer_py, cmd):
            t.status, t.note = "skipped", "its imports fail in the peers' Python"
        res.timed.append(t)
    return res


_IMPORTS_OK: dict[str, bool] = {}


def peer_ok(peer_py: str | None, cmd: cases.Command) -> bool:
    script = cmd.args[0]
    if script not in _IMPORTS_OK:
        with open(script, encoding="utf-8") as f:
            imports = [ln for ln in f if re.match(r"(import|from) \w", ln) and "__future__" not in ln]
        _IMPORTS_OK[script] = peer_py is not None and envs.probe(peer_py, "".join(imports)) is not None
    return _IMPORTS_OK[script]


def args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="*", help=f"cases to run (default: all but --big ones): "
                    f"{', '.join(c.key for c in cases.CASES)}")  # fmt: skip
    ap.add_argument("--tree", default=os.path.dirname(HERE), help="losscli source tree (default: this repo)")
    ap.add_argument(
        "--ref", default="HEAD", help="commit of --tree to install (git archive); 'worktree': its files"
    )
    ap.add_argument("--installs", "--extras", default="plain,fast", help="installs: plain, fast or both")
    ap.add_argument("--no-install", action="store_true", help="use the venvs as they are (no pip)")
    ap.add_argument("--venv-dir", default=os.path.join(gen.OUT_DIR, "venvs"))
    ap.add_argument(
        "--python", default=envs.default_base_python(), help="interpreter the venvs are made from"
    )
    ap.add_argument("--torch-wheel", default=envs.TORCH_WHEEL, help="torch comes from this file only")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    ap.add_argument("--big", action="store_true", help="also the 4 GB wide .npy (disk and time)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every input's rows")
    ap.add_argument("--quick", action="store_true", help="smoke test: --scale 0.01 --runs 2")
    ap.add_argument("--dask-workers", default="2", help="worker counts for the Dask rows, e.g. 1,2")
    ap.add_argument("--slow", type=float, default=60.0, help="a check run longer than this is the only run")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed")
    ap.add_argument(
        "--mem-limit-mib", type=int, default=12288, help="kill a run whose process tree grows past this"
    )
    ap.add_argument("--out-dir", default=gen.OUT_DIR, help="where inputs are generated")
    ap.add_argument("--out", help="report file (default bench/RESULTS.md for a full-size run)")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.runs = min(a.scale, 0.01), min(a.runs, 2)
    if a.out is None and a.scale == 1.0:
        a.out = os.path.join(HERE, "RESULTS.md")
    a.tree = os.path.abspath(a.tree)
    return a


def main() -> int:
    a = args()
    installs = tuple(w for w in a.installs.split(",") if w)
    if not installs or set(installs) - {"plain", "fast"}:
        raise SystemExit("error: --installs takes plain, fast or plain,fast")
    t0 = time.perf_counter()
    lc: dict[str, str] = {}
    a.commit = envs.resolve_ref(a.tree, a.ref)
    src = envs.copy_tree(a.tree, os.path.join(a.venv_dir, "src"), a.commit) if not a.no_install else ""
    for w in installs:
        venv = os.path.join(a.venv_dir, f"losscli-{w}")
        lc[w] = os.path.join(venv, "bin", "losscli") if a.no_install else envs.install_losscli(
            venv, src, w, a.python, log)  # fmt: skip
    peer_venv = os.path.join(a.venv_dir, "peers")
    peer_py = envs.venv_python(peer_venv) if a.no_install else envs.install_peers(
        peer_venv, a.python, a.torch_wheel, log)  # fmt: skip
    opts = cases.Options(installs, tuple(int(n) for n in a.dask_workers.split(",")))
    header = ["# losscli benchmark", "", *machine(a, lc, peer_py)]
    load0 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    for case in cases.select(a.case, a.big):
        res = prepare(case, a, lc, peer_py, opts)
        if not res.skipped:
            run_case(res, a)
        results.append(res)
    load1 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    header.append(f"- load average (1/5/15 min) at start {load0}, at end {load1}; "
                  f"whole run {(time.perf_counter() - t0) / 60:.1f} min")  # fmt: skip
    text = report.render(header, results)
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
        log(f"report written to {a.out}")
    missing = any(t.status in ("failed", "killed", "mismatch") for r in results for t in r.timed)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
