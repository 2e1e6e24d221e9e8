"""What a user would write without losscli: polars.read_csv + NumPy's stable formulas.

    python bench/peers/polars_numpy.py --task bce|ce PATH

bce: loss = logaddexp(0, x) - y·x  (= softplus(x) - y·x, BCEWithLogitsLoss's formula)
ce:  loss = logsumexp(z) - z[label], logsumexp taken with the row max subtracted.
Prints the mean loss (float64, full precision).
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with polars + numpy")
    ap.add_argument("--task", choices=["bce", "ce"], required=True)
    ap.add_argument("path")
    a = ap.parse_args()

    df = pl.read_csv(a.path)
    y = df.get_column("label").to_numpy()
    scores = df.drop("label").to_numpy().astype(np.float64, copy=False)
    if a.task == "bce":
        x = scores[:, 0]
        loss = np.logaddexp(0.0, x) - y * x
    else:
        m = scores.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
        loss = lse - scores[np.arange(len(y)), y.astype(np.intp)]
    print(repr(float(loss.mean())))


if __name__ == "__main__":
    main()
