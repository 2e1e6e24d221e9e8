"""Deterministic benchmark inputs for bench/run.py.

Every input is made once into ``bench/out/`` (git-ignored) and reused while its sidecar
``<name>.meta.json`` says it was made by the same generator version and parameters and the
file still has the recorded size. ``python bench/gen.py [--scale F] [--big] [CASE ...]``
makes them alone.

CSV values are written with ``%.6f``, so every tool parses exactly the same decimal text.
Binary inputs (``.npy``, Parquet) hold float32 scores, as model outputs usually are.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

GEN_VERSION = 2
CHUNK = 1_000_000
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
PAD = -100  # the ignore-index of padded token positions (Hugging Face's convention)


@dataclass(frozen=True)
class Input:
    """One generated input: ``kind`` decides the files, ``shape`` their size.

    kind: ``csv_binary`` (shape (n,)), ``csv_multiclass`` (n, k), ``npy_multiclass`` (n, k),
    ``npy_binary`` (n,), ``npy_tokens`` (n, t, c), ``parquet_binary`` (n, parts).
    """

    key: str
    kind: str
    shape: tuple[int, ...]
    seed: int
    dtype: str = "float32"  # of binary scores

    def scaled(self, scale: float) -> Input:
        """The same input with its first axis (rows / sequences) times ``scale``."""
        if scale == 1.0:
            return self
        n = max(10, int(self.shape[0] * scale))
        return Input(self.key, self.kind, (n, *self.shape[1:]), self.seed, self.dtype)

    @property
    def stem(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        return f"{self.kind}_{dims}" + ("" if self.dtype == "float32" else f"_{self.dtype}")


def paths(inp: Input, out_dir: str = OUT_DIR) -> dict[str, str]:
    """The files of ``inp``: ``scores`` (a path or a quoted-glob pattern) and maybe ``labels``."""
    base = os.path.join(out_dir, inp.stem)
    if inp.kind.startswith("csv"):
        return {"scores": base + ".csv"}
    if inp.kind == "parquet_binary":
        return {"scores": os.path.join(base, "part-*.parquet"), "dir": base}
    return {"scores": base + ".logits.npy", "labels": base + ".labels.npy"}


def _files(inp: Input, out_dir: str) -> list[str]:
    p = paths(inp, out_dir)
    if "dir" in p:
        return sorted(glob.glob(p["scores"]))
    return [p[k] for k in ("scores", "labels") if k in p]


def _meta(inp: Input) -> dict[str, object]:
    return {"gen_version": GEN_VERSION, "kind": inp.kind, "shape": list(inp.shape), "seed": inp.seed}


def _is_current(inp: Input, out_dir: str) -> bool:
    base = os.path.join(out_dir, inp.stem)
    try:
        with open(base + ".meta.json", encoding="utf-8") as f:
            meta = json.load(f)
        sizes = [os.path.getsize(p) for p in _files(inp, out_dir)]
    except (OSError, ValueError):
        return False
    return all(meta.get(k) == v for k, v in _meta(inp).items()) and meta.get("bytes") == sizes and bool(sizes)


# ---------------------------------------------------------------------------------------
# Writers. Each draws from its own seeded generator in fixed-size blocks, so a file's
# content depends only on its parameters.


def _binary_blocks(rng: np.random.Generator, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Logits ~ N(0, 2) and labels drawn from sigmoid(logit): calibrated, like a real model."""
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        x = rng.normal(0.0, 2.0, m)
        y = (rng.random(m) < 1.0 / (1.0 + np.exp(-x))).astype(np.int64)
        yield x, y


def _multiclass_block(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    z = rng.normal(0.0, 1.5, (m, k))
    y = rng.integers(0, k, m)
    z[np.arange(m), y] += 1.5  # some signal for the true class
    return z, y


def _write_csv_binary(inp: Input, out: str) -> None:
    line = "%.6f,%d\n".__mod__
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write("logit,label\n")
        for x, y in _binary_blocks(np.random.default_rng(inp.seed), inp.shape[0]):
            f.write("".join(map(line, zip(x.tolist(), y.tolist(), strict=True))))


def _write_csv_multiclass(inp: Input, out: str) -> None:
    n, k = inp.shape
    rng = np.random.default_rng(inp.seed)
    line = (("%.6f," * k) + "%d\n").__mod__
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join([f"c{i}" for i in range(k)] + ["label"]) + "\n")
        for start in range(0, n, CHUNK):
            z, y = _multiclass_block(rng, min(CHUNK, n - start), k)
            rows = [(*r, int(c)) for r, c in zip(z.tolist(), y.tolist(), strict=True)]
            f.write("".join(map(line, rows)))


def _write_npy(inp: Input, p: dict[str, str], block: Callable[[np.random.Generator, int], tuple]) -> None:
    """Score and label arrays written block by block through open_memmap: flat memory even for 4 GB."""
    rng = np.random.default_rng(inp.seed)
    n = inp.shape[0]
    per_row = int(np.prod(inp.shape[1:], dtype=np.int64)) or 1
    rows = max(1, (64 << 20) // (8 * per_row))  # ~64 MiB of float64 per block
    x_out = np.lib.format.open_memmap(p["scores"] + ".tmp", "w+", np.dtype(inp.dtype), inp.shape)
    y_shape = inp.shape[:2] if inp.kind == "npy_tokens" else inp.shape[:1]
    y_dtype = np.int8 if inp.kind == "npy_binary" else np.int64
    y_out = np.lib.format.open_memmap(p["labels"] + ".tmp", "w+", y_dtype, y_shape)
    for a in range(0, n, rows):
        m = min(rows, n - a)
        x, y = block(rng, m)
        x_out[a : a + m] = x
        y_out[a : a + m] = y
    x_out.flush()
    y_out.flush()
    del x_out, y_out
    os.replace(p["scores"] + ".tmp", p["scores"])
    os.replace(p["labels"] + ".tmp", p["labels"])


def _write_npy_kind(inp: Input, p: dict[str, str]) -> None:
    if inp.kind == "npy_binary":

        def block(rng: np.random.Generator, m: int) -> tuple:
            xs, ys = zip(*_binary_blocks(rng, m), strict=True)
            return np.concatenate(xs), np.concatenate(ys)

    elif inp.kind == "npy_multiclass":

        def block(rng: np.random.Generator, m: int) -> tuple:
            return _multiclass_block(rng, m, inp.shape[1])

    else:  # npy_tokens: (n, t, c) logits, (n, t) labels; each sequence padded after a random length
        _, t, c = inp.shape

        def block(rng: np.random.Generator, m: int) -> tuple:
            z, y = _multiclass_block(rng, m * t, c)
            y = y.reshape(m, t)
            lengths = rng.integers(t // 4, t + 1, m)
            y[np.arange(t)[None, :] >= lengths[:, None]] = PAD
            return z.reshape(m, t, c), y

    _write_npy(inp, p, block)


def _write_parquet(inp: Input, p: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, parts = inp.shape
    os.makedirs(p["dir"], exist_ok=True)
    for old in glob.glob(os.path.join(p["dir"], "*")):
        os.unlink(old)
    rng = np.random.default_rng(inp.seed)
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    for i in range(parts):
        m = int(bounds[i + 1] - bounds[i])
        xs, ys = zip(*_binary_blocks(rng, m), strict=True)
        table = pa.table(
            {"logit": np.concatenate(xs).astype(inp.dtype), "label": np.concatenate(ys).astype(np.int8)}
        )
        pq.write_table(table, os.path.join(p["dir"], f"part-{i:03d}.parquet"))


def ensure(inp: Input, out_dir: str = OUT_DIR, log: object = sys.stderr) -> tuple[dict[str, str], bool]:
    """Make ``inp``'s files unless current ones exist. Returns (paths, generated)."""
    p = paths(inp, out_dir)
    if _is_current(inp, out_dir):
        return p, False
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.perf_counter()
    if inp.kind in ("csv_binary", "csv_multiclass"):
        write = _write_csv_binary if inp.kind == "csv_binary" else _write_csv_multiclass
        write(inp, p["scores"] + ".tmp")
        os.replace(p["scores"] + ".tmp", p["scores"])
    elif inp.kind == "parquet_binary":
        _write_parquet(inp, p)
    else:
        _write_npy_kind(inp, p)
    sizes = [os.path.getsize(f) for f in _files(inp, out_dir)]
    with open(os.path.join(out_dir, inp.stem) + ".meta.json", "w", encoding="utf-8") as f:
        json.dump(_meta(inp) | {"bytes": sizes}, f, indent=1)
    print(f"generated {inp.stem} ({sum(sizes) / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s", file=log)
    return p, True


def total_bytes(inp: Input, out_dir: str = OUT_DIR) -> int:
    return sum(os.path.getsize(f) for f in _files(inp, out_dir))


def main() -> None:
    import cases  # bench/cases.py: the inputs the benchmark uses

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every input's rows")
    ap.add_argument("--big", action="store_true", help="also the 4 GB wide .npy")
    ap.add_argument("--out-dir", default=OUT_DIR)
    ap.add_argument("case", nargs="*", help="case keys (default: all)")
    a = ap.parse_args()
    for case in cases.select(a.case, a.big):
        _, made = ensure(case.input.scaled(a.scale), a.out_dir)
        if not made:
            print(f"reused {case.input.scaled(a.scale).stem}", file=sys.stderr)


if __name__ == "__main__":
    main()
