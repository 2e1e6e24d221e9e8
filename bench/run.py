"""Benchmark losscli against the scripts people write without it.

    python bench/run.py [--quick] [--out FILE] [--losscli CMD] [--peer-python PATH]

Generates deterministic inputs into bench/out/ (see gen.py), then times whole processes,
wall clock, of ``losscli bce|ce --logits FILE -q``, ``losscli bce --logits BIG --top 10
--sort loss`` and the two peer scripts in bench/peers/, alternating the commands run by run
(A B C A B C ...). Prints a Markdown report (median seconds, losscli/peer ratios, peak RSS)
and checks that every command's mean agrees with the peers' to 1e-6 relative.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import gen  # bench/gen.py: this script's folder is sys.path[0]

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = {
    "pandas": ("pandas+torch", os.path.join(HERE, "peers", "pandas_torch.py"), "import pandas, torch"),
    "polars": ("polars+numpy", os.path.join(HERE, "peers", "polars_numpy.py"), "import polars, numpy"),
}
REL_TOL = 1e-6
GNU_TIME = "/usr/bin/time"


@dataclass
class Cmd:
    key: str  # "losscli" | "losscli_table" | "pandas" | "polars"
    label: str  # shown in the report
    argv: list[str]
    parse: str  # "last_line" | "table"
    times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # added to the inherited environment


@dataclass
class Run:
    wall: float
    rss_kib: int | None
    code: int
    stdout: str
    stderr: str


# ---------------------------------------------------------------------------------------
# Running one process


def run_once(argv: list[str], rss_method: str, timeout: float, extra_env: dict[str, str]) -> Run:
    """Run ``argv`` to completion; wall time around the whole process, and its peak RSS."""
    env = {**os.environ, **extra_env} if extra_env else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        rss: int | None = None
        if rss_method == "time":
            fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
            os.close(fd)
            try:
                t0 = time.perf_counter()
                try:
                    code = subprocess.run(
                        [GNU_TIME, "-f", "%M", "-o", rss_file, "--", *argv],
                        stdout=out,
                        stderr=err,
                        stdin=subprocess.DEVNULL,
                        env=env,
                        timeout=timeout,
                    ).returncode
                except subprocess.TimeoutExpired:
                    code = -9
                wall = time.perf_counter() - t0
                with open(rss_file, encoding="utf-8") as f:
                    lines = [ln for ln in f.read().splitlines() if ln.strip()]
                if lines and lines[-1].strip().isdigit():
                    rss = int(lines[-1])
            finally:
                os.unlink(rss_file)
        else:  # wait4: reap the child ourselves and read its own rusage
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
            timer = threading.Timer(timeout, p.kill)
            timer.start()
            try:
                _, status, usage = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - t0
            code = os.waitstatus_to_exitcode(status)
            p.returncode = code  # already reaped: keep Popen from waiting again
            rss = int(usage.ru_maxrss)  # KiB on Linux
        out.seek(0)
        err.seek(0)
        return Run(wall, rss, code, out.read(), err.read())


def parse_mean(cmd: Cmd, stdout: str) -> float | None:
    if cmd.parse == "table":
        m = re.search(r"^mean\s+(\S+)\s*$", stdout, re.M)
        text = m.group(1) if m else ""
    else:
        lines = stdout.strip().splitlines()
        text = lines[-1].strip() if lines else ""
    try:
        return float(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Environment


def default_losscli() -> list[str]:
    found = shutil.which("losscli")
    return [found] if found else [sys.executable, "-m", "losscli"]


def interpreter_of(argv: list[str]) -> str | None:
    """The Python that runs ``argv``: argv[0] itself, or the shebang of a console script."""
    exe = argv[0]
    if re.search(r"python[\d.]*$", os.path.basename(exe)):
        return exe
    try:
        with open(shutil.which(exe) or exe, "rb") as f:
            first = f.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return None


def probe(python: str, code: str) -> str | None:
    try:
        r = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def repo_state() -> str:
    """The commit of the repo holding bench/, and whether losscli/ differs from it."""
    root = os.path.dirname(HERE)
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "losscli"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if not head:
        return "unknown"
    return f"commit {head}" + (" + uncommitted changes in losscli/" if dirty else ", losscli/ clean")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


VERSIONS = (
    "import sys, importlib.metadata as m\n"
    "out = ['Python ' + sys.version.split()[0]]\n"
    "for n in sys.argv[1:]:\n"
    "    try: out.append(n + ' ' + m.version(n))\n"
    "    except Exception: pass\n"
    "print(', '.join(out))\n"
)


def versions(python: str, *packages: str) -> str:
    try:
        r = subprocess.run([python, "-c", VERSIONS, *packages], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return r.stdout.strip() if r.returncode == 0 else "unknown"


# ---------------------------------------------------------------------------------------
# Report


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "—"


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def report(
    header: list[str],
    matrix: list[tuple[gen.Spec, str, list[Cmd]]],
    warnings: list[str],
    agreement: list[str],
) -> str:
    lines = [*header, ""]
    lines.append("| input | command | median s | ratio vs pandas+torch | ratio vs polars+numpy | peak MiB |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for spec, path, cmds in matrix:
        size = os.path.getsize(path)
        size_txt = f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
        peers = {c.key: median(c.times) for c in cmds if c.key in PEERS}
        for c in cmds:
            med = median(c.times)
            med_txt = f"{med:.3f}" if med is not None else "FAILED"
            if c.failures and med is not None:
                med_txt += f" ({len(c.failures)} failed)"
            ratios = ["—" if c.key == k else fmt_ratio(med, peers.get(k)) for k in ("pandas", "polars")]
            peak = f"{max(c.rss_kib) / 1024:.0f}" if c.rss_kib else "—"
            lines.append(
                f"| {spec.label} ({size_txt}) | {c.label} | {med_txt} | {ratios[0]} | {ratios[1]} | {peak} |"
            )
    lines.append("")
    lines.append("Ratios are this row's median / the peer's median: above 1 means slower than the peer.")
    lines.append("")
    lines.append("## Agreement of the printed means (tolerance 1e-6 relative)")
    lines.append("")
    lines += [f"- {a}" for a in agreement]
    if warnings:
        lines.append("")
        lines += [f"WARNING: {w}" for w in warnings]
    lines.append("")
    lines.append("## Every run (wall s / peak MiB, in run order)")
    lines.append("")
    for spec, _, cmds in matrix:
        for c in cmds:
            runs = ", ".join(
                f"{t:.3f}/{r / 1024:.0f}"
                for t, r in zip(c.times, c.rss_kib or [0] * len(c.times), strict=False)
            )
            lines.append(f"- {spec.label} · {c.label}: {runs or 'none'}")
            for fail in c.failures:
                lines.append(f"  - failed: {fail}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Time losscli against pandas+torch and polars+numpy scripts; print a Markdown report."
    )
    ap.add_argument("--quick", action="store_true", help="smoke mode: small files only, 2 runs, no warm-up")
    ap.add_argument("--runs", type=int, help="timed runs per command (default 5; --quick 2)")
    ap.add_argument("--warmup", type=int, help="untimed rounds before timing (default 1; --quick 0)")
    ap.add_argument("--out", metavar="FILE", help="also write the report to FILE")
    ap.add_argument(
        "--losscli",
        metavar="CMD",
        help="how to run losscli (default: losscli on PATH, else 'python -m losscli')",
    )
    ap.add_argument(
        "--peer-python",
        metavar="PATH",
        default=sys.executable,
        help="Python with pandas, polars, torch, numpy for the peers (default: this one)",
    )
    ap.add_argument(
        "--rss",
        choices=["auto", "time", "wait4"],
        default="auto",
        help="peak-RSS method: /usr/bin/time -f %%M, or os.wait4 of the child (auto: time if present)",
    )
    ap.add_argument(
        "--no-numpy-reader",
        action="store_true",
        help="with pyarrow in losscli's env, skip the extra LOSSCLI_READER=numpy rows on large files",
    )
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run before it is killed")
    ap.add_argument("--out-dir", default=gen.OUT_DIR, help="where inputs are generated")
    a = ap.parse_args()

    runs = a.runs if a.runs is not None else (2 if a.quick else 5)
    warmup = a.warmup if a.warmup is not None else (0 if a.quick else 1)
    losscli = shlex.split(a.losscli) if a.losscli else default_losscli()
    rss_method = a.rss
    if rss_method == "auto":
        rss_method = "time" if os.access(GNU_TIME, os.X_OK) else "wait4"

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # -- environment -------------------------------------------------------------------
    peers_ok = {}
    for key, (name, _, imports) in PEERS.items():
        peers_ok[key] = probe(a.peer_python, imports) is not None
        if not peers_ok[key]:
            log(f"note: {name} skipped: `{a.peer_python} -c '{imports}'` failed")
    lc_python = interpreter_of(losscli)
    try:
        r = subprocess.run([*losscli, "--version"], capture_output=True, text=True, timeout=120)
        lc_version = r.stdout.strip().replace(", version", "") or None
    except OSError as e:
        log(f"error: cannot run losscli as {shlex.join(losscli)}: {e}")
        return 2
    if r.returncode != 0:
        log(f"error: `{shlex.join(losscli)} --version` failed: {r.stderr.strip()}")
        return 2
    import numpy

    header = [
        "# losscli benchmark",
        "",
        (
            f"Machine: Python {platform.python_version()}, numpy {numpy.__version__} (harness) · "
            f"CPU: {cpu_model()} · nproc {nproc()} · {platform.system()} {platform.release()} · "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}"
        ),
        "",
        f"- losscli: `{shlex.join(losscli)}` ({lc_version}; "
        + (versions(lc_python, "numpy", "click", "rich", "pyarrow") if lc_python else "interpreter unknown")
        + ")",
        f"- repo: {repo_state()}"
        + (
            " · PYTHONDONTWRITEBYTECODE is set (no .pyc is written for uninstalled sources)"
            if os.environ.get("PYTHONDONTWRITEBYTECODE")
            else ""
        ),
        f"- peers: `{a.peer_python}` ({versions(a.peer_python, 'numpy', 'pandas', 'polars', 'torch')})",
        f"- method: {runs} timed runs per command after {warmup} warm-up round(s), commands "
        "alternated run by run within each input; wall clock = time.perf_counter() around the "
        "whole process; peak RSS = "
        + ("`/usr/bin/time -f %M`" if rss_method == "time" else "ru_maxrss from os.wait4 of the child")
        + (" · quick mode (small inputs only)" if a.quick else ""),
    ]

    # with pyarrow (losscli[fast]) large CSVs take the arrow reader; time NumPy's too
    has_arrow = lc_python is not None and probe(lc_python, "import pyarrow") is not None
    numpy_reader = has_arrow and not a.no_numpy_reader
    # -- inputs ------------------------------------------------------------------------
    matrix: list[tuple[gen.Spec, str, list[Cmd]]] = []
    for spec in gen.SPECS:
        if a.quick and spec.big:
            continue
        path, _ = gen.ensure(spec, a.out_dir, log=sys.stderr)
        task = "bce" if spec.kind == "binary" else "ce"
        cmds = [
            Cmd(
                "losscli",
                f"`losscli {task} --logits F -q`",
                [*losscli, task, "--logits", path, "-q"],
                "last_line",
            )
        ]
        if spec.big and numpy_reader:
            cmds.append(
                Cmd(
                    "losscli_numpy",
                    f"`LOSSCLI_READER=numpy losscli {task} --logits F -q`",
                    [*losscli, task, "--logits", path, "-q"],
                    "last_line",
                    env={"LOSSCLI_READER": "numpy"},
                )
            )
        if spec.key == "bin_10m":
            cmds.append(
                Cmd(
                    "losscli_table",
                    "`losscli bce --logits F --top 10 --sort loss`",
                    [*losscli, "bce", "--logits", path, "--top", "10", "--sort", "loss"],
                    "table",
                )
            )
        for key, (name, script, _) in PEERS.items():
            if peers_ok[key]:
                cmds.append(Cmd(key, name, [a.peer_python, script, "--task", task, path], "last_line"))
        matrix.append((spec, path, cmds))

    # -- timing ------------------------------------------------------------------------
    load_start = loadavg()
    for spec, _, cmds in matrix:
        for rnd in range(warmup + runs):
            timed = rnd >= warmup
            for c in cmds:
                res = run_once(c.argv, rss_method, a.timeout, c.env)
                tag = f"run {rnd - warmup + 1}/{runs}" if timed else "warm-up"
                log(f"{spec.key:8} {tag:9} {c.key:14} {res.wall:8.3f} s  exit {res.code}")
                if res.code != 0:
                    tail = (res.stderr.strip().splitlines() or ["(no stderr)"])[-1]
                    if timed:
                        c.failures.append(f"exit {res.code}: {tail}")
                    log(f"  ! {shlex.join(c.argv)} exited {res.code}: {tail}")
                    continue
                if not timed:
                    continue
                c.times.append(res.wall)
                if res.rss_kib is not None:
                    c.rss_kib.append(res.rss_kib)
                mean = parse_mean(c, res.stdout)
                if mean is None:
                    c.failures.append(f"no mean in output: {res.stdout[-200:]!r}")
                else:
                    c.means.append(mean)

    # -- agreement ---------------------------------------------------------------------
    warnings: list[str] = []
    agreement: list[str] = []
    for spec, _, cmds in matrix:
        peers = [c for c in cmds if c.key in PEERS and c.means]
        worst = 0.0
        for c in cmds:
            if not c.means:
                warnings.append(f"{spec.label}: {c.label} printed no mean")
                continue
            if max(c.means) != min(c.means):
                warnings.append(f"{spec.label}: {c.label} printed different means across runs: {c.means}")
            for p in peers:
                if p is c:
                    continue
                x, y = c.means[0], p.means[0]
                rel = abs(x - y) / max(abs(x), abs(y), 1e-300)
                worst = max(worst, rel)
                if not rel <= REL_TOL:
                    warnings.append(
                        f"{spec.label}: {c.label} mean {x!r} differs from {p.label} {y!r} "
                        f"(rel {rel:.2e} > 1e-6)"
                    )
        means = ", ".join(f"{c.label} {c.means[0]!r}" for c in cmds if c.means)
        agreement.append(f"{spec.label}: {means}; largest relative difference {worst:.1e}")

    header.append(
        f"- load average (1/5/15 min) at start: {load_start}; at end: {loadavg()} "
        f"(a busy machine widens the spread; see every run below)"
    )
    text = report(header, matrix, warnings, agreement)
    for w in warnings:
        log(f"WARNING: {w}")
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
        log(f"report written to {a.out}")
    failed = any(c.failures or not c.times for _, _, cmds in matrix for c in cmds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
