"""What a user would write without losscli: pandas.read_csv + torch's loss modules.

    python bench/peers/pandas_torch.py --task bce|ce PATH

The CSV has score columns and a ``label`` column (bce: one score column ``logit`` and 0/1
labels; ce: K score columns and class indices). Prints the mean loss (float64, full
precision). Float64 keeps the comparison with losscli exact to ~1e-12.
"""

from __future__ import annotations

import argparse

import pandas as pd
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with pandas + torch")
    ap.add_argument("--task", choices=["bce", "ce"], required=True)
    ap.add_argument("path")
    a = ap.parse_args()

    df = pd.read_csv(a.path)
    y = df.pop("label")
    if a.task == "bce":
        x = torch.tensor(df.iloc[:, 0].to_numpy(dtype="float64"))
        t = torch.tensor(y.to_numpy(dtype="float64"))
        loss = torch.nn.BCEWithLogitsLoss()(x, t)
    else:
        x = torch.tensor(df.to_numpy(dtype="float64"))
        t = torch.tensor(y.to_numpy(dtype="int64"))
        loss = torch.nn.CrossEntropyLoss()(x, t)
    print(repr(loss.item()))


if __name__ == "__main__":
    main()
