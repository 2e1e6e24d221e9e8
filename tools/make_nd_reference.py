"""Generate tests/fixtures/nd_reference.json: n-d losses computed by PyTorch itself.

Sequence and dense outputs: CrossEntropyLoss on (N, C, d1, …) with class-index targets
(N, d1, …), padding skipped with ignore_index=-100, class weights and label smoothing;
BCEWithLogitsLoss / BCELoss elementwise on (N, d1, …). The suite runs without torch and
compares losscli (class axis last, and PyTorch's layout with --class-axis 1) with these.

How to rerun (private venv outside the repo, torch 2.13.0 CPU from the wheel on disk):

    python3 -m venv /work/refvenv
    /work/refvenv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl numpy
    /work/refvenv/bin/python tools/make_nd_reference.py

Deterministic: a fixed NumPy generator makes the data; everything is float64.

Meaning of "expected": ``per_sample`` is PyTorch's reduction='none' flattened in C order over
(N, d1, …) for ce (null where the target is ignore_index) and, for bce, each row's mean over
its elements (reduction='none' then mean over every axis but the first); ``mean`` and ``sum``
are reduction='mean' and 'sum' on the same tensors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nd_reference.json"


def ce_case(cid: str, rng: np.random.Generator, shape: tuple[int, ...], c: int, **opts: object) -> dict:
    """Scores stored class axis last (N, d1…, C); torch gets (N, C, d1…)."""
    scores = rng.normal(scale=3.0, size=(*shape, c))
    labels = rng.integers(0, c, size=shape)
    pad = opts.pop("pad", 0.0)
    if pad:
        labels = np.where(rng.random(shape) < pad, -100, labels)
        labels.reshape(-1)[0] = 0  # at least one position enters the mean
    x = torch.tensor(np.moveaxis(scores, -1, 1))
    y = torch.tensor(labels)
    kw: dict = {}
    if "weight" in opts:
        kw["weight"] = torch.tensor(opts["weight"], dtype=torch.float64)
    if "label_smoothing" in opts:
        kw["label_smoothing"] = float(opts["label_smoothing"])  # type: ignore[arg-type]
    if pad:
        kw["ignore_index"] = -100
    none = F.cross_entropy(x, y, reduction="none", **kw).numpy().reshape(-1)
    valid = labels.reshape(-1) != -100
    return {
        "id": cid,
        "loss": "ce",
        "input": "logits",
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "options": {**opts, **({"ignore_index": -100} if pad else {})},
        "expected": {
            "per_sample": [float(v) if ok else None for v, ok in zip(none, valid, strict=True)],
            "n": int(valid.sum()),
            "mean": float(F.cross_entropy(x, y, reduction="mean", **kw)),
            "sum": float(F.cross_entropy(x, y, reduction="sum", **kw)),
        },
    }


def bce_case(cid: str, rng: np.random.Generator, shape: tuple[int, ...], probs: bool) -> dict:
    logits = rng.normal(scale=2.0, size=shape)
    labels = rng.integers(0, 2, size=shape).astype(np.float64)
    x, y = torch.tensor(logits), torch.tensor(labels)
    if probs:
        p = torch.sigmoid(x)
        scores, fn = p.numpy(), F.binary_cross_entropy
        arg = p
    else:
        scores, fn, arg = logits, F.binary_cross_entropy_with_logits, x
    none = fn(arg, y, reduction="none").numpy()
    return {
        "id": cid,
        "loss": "bce",
        "input": "probs" if probs else "logits",
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "options": {},
        "expected": {
            "per_sample": none.reshape(shape[0], -1).mean(axis=1).tolist(),
            "n": shape[0],
            "mean": float(fn(arg, y, reduction="mean")),
            "sum": float(fn(arg, y, reduction="sum")),
        },
    }


def main() -> None:
    rng = np.random.default_rng(20261202)
    cases = [
        ce_case("ce-tokens-NTC", rng, (3, 5), 4),
        ce_case("ce-tokens-padded", rng, (4, 6), 5, pad=0.3),
        ce_case("ce-tokens-weighted-padded", rng, (3, 7), 3, pad=0.25, weight=[0.5, 2.0, 1.0]),
        ce_case("ce-tokens-smoothing", rng, (2, 4), 3, label_smoothing=0.1),
        ce_case("ce-dense-NHWC", rng, (2, 3, 4), 3),
        ce_case("ce-dense-padded-weighted", rng, (2, 3, 3), 4, pad=0.2, weight=[1.0, 0.25, 3.0, 1.5]),
        ce_case("ce-wide-vocab", rng, (2, 3), 257),
        bce_case("bce-tokens-logits", rng, (4, 6), probs=False),
        bce_case("bce-dense-logits", rng, (2, 3, 4), probs=False),
        bce_case("bce-dense-probs", rng, (3, 2, 2), probs=True),
    ]
    doc = {"generated_by": "tools/make_nd_reference.py", "torch": torch.__version__, "cases": cases}
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
