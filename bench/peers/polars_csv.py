"""What a user writes with polars: lazy ``scan_csv`` / ``scan_parquet`` or eager ``read_csv``.

    python bench/peers/polars_csv.py --mode lazy|eager bce|ce PATH

The input has score columns and a ``label`` column (bce: one score column and 0/1 labels;
ce: K score columns and class indices). PATH may be a Parquet glob (lazy mode).
lazy: the whole loss as a polars expression, so polars' engine streams and parallelises it:
  bce = max(x, 0) - x·y + log(1 + exp(-|x|))   (BCEWithLogitsLoss's stable formula)
  ce  = m + log Σ exp(z - m) - z[label], m the row max.
eager: ``read_csv`` into a DataFrame, then the same formulas in NumPy.
Prints the mean loss (float64, full precision).
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl


def lazy_mean(task: str, path: str) -> float:
    lf = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path)
    cols = [c for c in lf.collect_schema().names() if c != "label"]
    z = [pl.col(c).cast(pl.Float64) for c in cols]
    if task == "bce":
        x, y = z[0], pl.col("label").cast(pl.Float64)
        loss = pl.max_horizontal(x, pl.lit(0.0)) - x * y + (1.0 + (-x.abs()).exp()).log()
    else:
        m = pl.max_horizontal(z)
        lse = m + pl.sum_horizontal([(c - m).exp() for c in z]).log()
        loss = lse - pl.concat_list(z).list.get(pl.col("label"))
    return float(lf.select(loss.mean()).collect().item())


def eager_mean(task: str, path: str) -> float:
    df = pl.read_csv(path)
    y = df.get_column("label").to_numpy()
    scores = df.drop("label").to_numpy().astype(np.float64, copy=False)
    if task == "bce":
        x = scores[:, 0]
        return float((np.logaddexp(0.0, x) - y * x).mean())
    m = scores.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
    return float((lse - scores[np.arange(len(y)), y.astype(np.intp)]).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with polars")
    ap.add_argument("--mode", choices=["lazy", "eager"], required=True)
    ap.add_argument("task", choices=["bce", "ce"])
    ap.add_argument("path")
    a = ap.parse_args()
    print(repr(lazy_mean(a.task, a.path) if a.mode == "lazy" else eager_mean(a.task, a.path)))


if __name__ == "__main__":
    main()
