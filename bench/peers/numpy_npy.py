"""The few lines of NumPy a user writes for ``.npy`` model outputs, in float64.

    python bench/peers/numpy_npy.py bce|ce LOGITS.npy LABELS.npy [--ignore-index I]

bce (the 3-line script):  x = np.load(L).astype(float64); y = np.load(Y);
                          mean(logaddexp(0, x) - y·x)
ce: m + log Σ exp(z - m) - z[label] over (·, C) rows, positions labelled I skipped, in
    blocks of ~64 MiB of float64 from a memory-mapped file (a 4 GB input stays in reach).
Float64 throughout: this is the reference every other command's mean is checked against.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with NumPy on .npy")
    ap.add_argument("task", choices=["bce", "ce"])
    ap.add_argument("logits")
    ap.add_argument("labels")
    ap.add_argument("--ignore-index", type=int, default=None)
    a = ap.parse_args()
    if a.task == "bce":
        x = np.load(a.logits).astype(np.float64)
        y = np.load(a.labels)
        print(repr(float(np.mean(np.logaddexp(0.0, x) - y * x))))
        return
    x = np.load(a.logits, mmap_mode="r")
    z_all, y_all = x.reshape(-1, x.shape[-1]), np.load(a.labels).reshape(-1)
    step = max(1, (64 << 20) // (8 * z_all.shape[1]))
    total, n = 0.0, 0
    for s in range(0, len(y_all), step):
        z, y = z_all[s : s + step].astype(np.float64), y_all[s : s + step]
        keep = y != a.ignore_index if a.ignore_index is not None else np.ones(len(y), bool)
        m = z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        loss = lse - z[np.arange(len(y)), np.where(keep, y, 0)]
        total += float(loss[keep].sum())
        n += int(keep.sum())
    print(repr(total / n))


if __name__ == "__main__":
    main()
