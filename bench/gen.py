"""Deterministic benchmark inputs for bench/run.py.

Each file is written once into ``bench/out/`` (git-ignored) and reused while its sidecar
``<name>.meta.json`` says it was made by the same generator version, seed and row count and
the file still has the recorded size. ``python bench/gen.py [--quick]`` makes them alone.

Values are written with ``%.6f``, so every tool parses exactly the same decimal text.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

import numpy as np

GEN_VERSION = 1
CHUNK = 1_000_000
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


@dataclass(frozen=True)
class Spec:
    key: str  # short id used by run.py
    name: str  # file name in bench/out/
    kind: str  # "binary" | "multiclass"
    rows: int
    classes: int
    seed: int
    big: bool  # skipped by --quick
    label: str  # human description for the report


SPECS: tuple[Spec, ...] = (
    Spec("bin_1k", "binary_1k.csv", "binary", 1_000, 1, 1001, False, "binary 1k rows"),
    Spec("bin_10m", "binary_10m.csv", "binary", 10_000_000, 1, 1002, True, "binary 10M rows"),
    Spec("mc_1k", "multiclass_1k_x10.csv", "multiclass", 1_000, 10, 1003, False, "multiclass 1k×10"),
    Spec("mc_1m", "multiclass_1m_x10.csv", "multiclass", 1_000_000, 10, 1004, True, "multiclass 1M×10"),
)


def path_of(spec: Spec, out_dir: str = OUT_DIR) -> str:
    return os.path.join(out_dir, spec.name)


def _meta(spec: Spec) -> dict[str, object]:
    return {
        "gen_version": GEN_VERSION,
        "kind": spec.kind,
        "rows": spec.rows,
        "classes": spec.classes,
        "seed": spec.seed,
    }


def _is_current(spec: Spec, path: str) -> bool:
    try:
        with open(path + ".meta.json", encoding="utf-8") as f:
            meta = json.load(f)
        size = os.path.getsize(path)
    except (OSError, ValueError):
        return False
    want = _meta(spec)
    return all(meta.get(k) == v for k, v in want.items()) and meta.get("bytes") == size


def _binary_chunks(spec: Spec) -> Iterator[str]:
    rng = np.random.default_rng(spec.seed)
    line = "%.6f,%d\n".__mod__
    yield "logit,label\n"
    for start in range(0, spec.rows, CHUNK):
        n = min(CHUNK, spec.rows - start)
        x = rng.normal(0.0, 2.0, n)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-x))).astype(np.int64)  # calibrated labels
        yield "".join(map(line, zip(x.tolist(), y.tolist(), strict=True)))


def _multiclass_chunks(spec: Spec) -> Iterator[str]:
    rng = np.random.default_rng(spec.seed)
    k = spec.classes
    line = (("%.6f," * k) + "%d\n").__mod__
    yield ",".join([f"c{i}" for i in range(k)] + ["label"]) + "\n"
    for start in range(0, spec.rows, CHUNK):
        n = min(CHUNK, spec.rows - start)
        z = rng.normal(0.0, 1.5, (n, k))
        y = rng.integers(0, k, n)
        z[np.arange(n), y] += 1.5  # some signal for the true class
        rows = np.column_stack([z, y]).tolist()
        for r in rows:
            r[-1] = int(r[-1])
        yield "".join(map(line, map(tuple, rows)))


def ensure(spec: Spec, out_dir: str = OUT_DIR, log: TextIO = sys.stderr) -> tuple[str, bool]:
    """Make ``spec``'s file unless a current one exists. Returns (path, generated)."""
    path = path_of(spec, out_dir)
    if _is_current(spec, path):
        return path, False
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.perf_counter()
    chunks = _binary_chunks(spec) if spec.kind == "binary" else _multiclass_chunks(spec)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        for block in chunks:
            f.write(block)
    os.replace(tmp, path)
    size = os.path.getsize(path)
    meta = _meta(spec) | {"bytes": size}
    with open(path + ".meta.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    print(
        f"generated {path} ({size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s",
        file=log,
    )
    return path, True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the small files")
    ap.add_argument("--out-dir", default=OUT_DIR)
    a = ap.parse_args()
    for spec in SPECS:
        if a.quick and spec.big:
            continue
        path, made = ensure(spec, a.out_dir)
        if not made:
            print(f"reused {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
