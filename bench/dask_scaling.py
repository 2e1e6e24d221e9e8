"""Serial engine vs the Dask engine on 10M rows in 20 Parquet files: the engine's overhead
and the worker count vs throughput curve.

    python bench/dask_scaling.py [--rows 10000000] [--files 20] [--runs 3] [--workers 1,2]

Times whole ``losscli bce --logits 'DIR/*.parquet' -q`` processes (median of --runs):
the serial engine; ``--engine dask --workers N`` (a LocalCluster started and closed by the
run); and ``--engine dask --scheduler`` on a cluster of N workers started beforehand (what a
user with a running cluster pays). Every run must print the serial engine's mean (to 1e-15).
Prints a Markdown table (``--out FILE`` writes it too).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LOSSCLI = [sys.executable, "-m", "losscli"]


def make_data(folder: Path, rows: int, files: int) -> str:
    """``files`` Parquet files of (logit, label), seeded; reused when already there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    per = rows // files
    rng = np.random.default_rng(20261202)
    for i in range(files):
        path = folder / f"part-{i:03d}.parquet"
        x = rng.normal(0.0, 2.0, per)
        y = (rng.random(per) < 1 / (1 + np.exp(-x))).astype(np.int64)
        if not path.exists():
            pq.write_table(pa.table({"logit": x, "label": y}), path, row_group_size=1 << 17)
    return str(folder / "*.parquet")


def timed(args: list[str]) -> tuple[float, float]:
    """(seconds, the mean printed) of one losscli process."""
    t = time.perf_counter()
    out = subprocess.run(LOSSCLI + args, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t, float(out.strip())


def median_run(args: list[str], runs: int, reference: float | None) -> float:
    times = []
    for _ in range(runs):
        s, mean = timed(args)
        if reference is not None and abs(mean - reference) > 1e-15 * abs(reference):
            raise SystemExit(f"{' '.join(args)}: mean {mean!r} differs from the serial {reference!r}")
        times.append(s)
    return statistics.median(times)


class Cluster:
    """``dask scheduler`` + N ``dask worker`` processes on 127.0.0.1, stopped on exit."""

    def __init__(self, workers: int, port: int) -> None:
        self.address = f"tcp://127.0.0.1:{port}"
        dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.procs = [
            subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
        ]
        time.sleep(2)
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--host", "127.0.0.1"]
        for _ in range(workers):
            self.procs.append(subprocess.Popen([*worker, "--nthreads", "1", "--no-dashboard"], **quiet))
        from distributed import Client

        with Client(self.address, timeout=30) as c:
            c.wait_for_workers(workers, timeout=60)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--data", default="/tmp/losscli-bench-dask")
    ap.add_argument("--out")
    a = ap.parse_args()
    pattern = make_data(Path(a.data), a.rows, a.files)
    base = ["bce", "--logits", pattern, "-q"]
    _, reference = timed(base)  # warm the page cache
    serial = median_run(base, a.runs, None)
    lines = [
        f"{a.rows:,} rows in {a.files} Parquet files; median of {a.runs} runs; "
        f"{os.cpu_count()} cores; whole processes, start to exit.",
        "",
        "| engine | workers | seconds | × serial | rows/s |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| serial | – | {serial:.2f} | 1.00 | {a.rows / serial:,.0f} |",
    ]
    for n in (int(w) for w in a.workers.split(",")):
        local = median_run([*base, "--engine", "dask", "--workers", str(n)], a.runs, reference)
        lines.append(
            f"| dask, local cluster per run | {n} | {local:.2f} | {local / serial:.2f} "
            f"| {a.rows / local:,.0f} |"
        )
        with Cluster(n, 8790 + n) as c:
            joined = median_run([*base, "--engine", "dask", "--scheduler", c.address], a.runs, reference)
        lines.append(
            f"| dask, running cluster (--scheduler) | {n} | {joined:.2f} | {joined / serial:.2f} "
            f"| {a.rows / joined:,.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
