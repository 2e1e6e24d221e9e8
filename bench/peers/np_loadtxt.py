"""NumPy's own CSV parser: ``np.loadtxt`` and the stable formulas, all in float64.

    python bench/peers/np_loadtxt.py bce|ce PATH

The last column is the label; the others are scores. This is the parse limit of a
NumPy-only program, the figure losscli's plain install (no pyarrow) is measured against.
Prints the mean loss (float64, full precision).
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with np.loadtxt")
    ap.add_argument("task", choices=["bce", "ce"])
    ap.add_argument("path")
    a = ap.parse_args()
    t = np.loadtxt(a.path, delimiter=",", skiprows=1, ndmin=2)
    z, y = t[:, :-1], t[:, -1]
    if a.task == "bce":
        x = z[:, 0]
        loss = np.logaddexp(0.0, x) - y * x
    else:
        m = z.max(axis=1, keepdims=True)
        loss = m[:, 0] + np.log(np.exp(z - m).sum(axis=1)) - z[np.arange(len(y)), y.astype(np.intp)]
    print(repr(float(loss.mean())))


if __name__ == "__main__":
    main()
