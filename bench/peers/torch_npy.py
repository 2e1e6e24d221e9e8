"""What a PyTorch user writes for ``.npy`` model outputs: np.load, then torch's functional loss.

    python bench/peers/torch_npy.py bce|ce LOGITS.npy LABELS.npy [--ignore-index I]

Computed in the file's own precision (float32; float16 is upcast to float32, as CPU
training code does): this is the speed a user gets, and its mean still matches a float64
computation to ~1e-7. (N, T, C) logits are flattened to (N·T, C), as Hugging Face does.
bce: F.binary_cross_entropy_with_logits; ce: F.cross_entropy. Prints the mean loss.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with torch on .npy")
    ap.add_argument("task", choices=["bce", "ce"])
    ap.add_argument("logits")
    ap.add_argument("labels")
    ap.add_argument("--ignore-index", type=int, default=-100)
    a = ap.parse_args()
    x = torch.from_numpy(np.load(a.logits))
    y = torch.from_numpy(np.load(a.labels))
    if x.dtype == torch.float16:
        x = x.float()
    if a.task == "bce":
        loss = F.binary_cross_entropy_with_logits(x, y.to(x.dtype))
    else:
        loss = F.cross_entropy(x.reshape(-1, x.shape[-1]), y.reshape(-1).long(), ignore_index=a.ignore_index)
    print(repr(loss.item()))


if __name__ == "__main__":
    main()
