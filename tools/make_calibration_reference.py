"""Generate tests/fixtures/calibration.json: Brier, ECE, MCE and reliability bins computed by
scikit-learn and torchmetrics, for tests/unit/test_calibration.py.

How to rerun (private venv outside the repo; torch 2.13.0 CPU from the local wheel -- a plain
``pip install torch`` would download gigabytes):

    python3 -m venv /work/refvenv
    /work/refvenv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl \\
        torchmetrics scikit-learn numpy
    /work/refvenv/bin/python tools/make_calibration_reference.py

(from the repository root; the output path is resolved relative to this file). Deterministic:
fixed numpy Generators, everything in float64. Used: torch 2.13.0, torchmetrics 1.9.0,
scikit-learn 1.9.1.

Where the numbers come from
---------------------------
brier       sklearn.metrics.brier_score_loss: binary ``(y, p)``; multi-label on the flattened
            n*K elements; multiclass ``(index, probs, labels=range(C), scale_by_half=False)``
            -- the spec's mean of sum_c (p_c - y_c)^2 (sklearn's default would halve it
            for C = 2).
ece / mce   binary and multi-label: torchmetrics.classification.BinaryCalibrationError
            (norm='l1' / 'max') on float64 tensors (multi-label flattened, as torchmetrics
            flattens extra dimensions); it keeps float64 throughout (asserted below).
            multiclass: MulticlassCalibrationError casts the confidences to float32 in its
            update (``_multiclass_calibration_error_update`` ends with ``.float()``), so the
            float64 values come from the same steps without that cast: top-class
            probability and argmax == target through torchmetrics' own ``_ce_compute``.
            The class's float32 result is stored next to it ("torchmetrics_float32").
bins        torchmetrics' ``_binning_bucketize`` on the same inputs: per-bin mean accuracy
            and confidence, and the count (prop_bin * N); empty bins left out. lo/hi are
            torch.linspace(0, 1, bins + 1) edges; the extra confidence-1.0 bin has lo = hi = 1.

torch.linspace's CPU kernel is vectorised on AVX2/AVX-512: there the upper half of the edges
comes from ``base + j*step`` and differs by an ulp from torch's scalar formula (used on CUDA
and on CPUs without SIMD) for most bin counts >= 7. To make the fixture independent of the
machine, this script runs torch with ATEN_CPU_CAPABILITY=default (the scalar formula) and
then reruns every case under the machine's native capability: "native_capability_differences"
lists the cases whose numbers change there (confidences sitting exactly on an edge), and
"native_capability_edge_only_differences" counts those where only some lo/hi differ by an ulp.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

if __name__ == "__main__" and "--native" not in sys.argv:
    os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before torch is imported

import numpy as np
import sklearn
import torch
import torchmetrics
from sklearn.metrics import brier_score_loss
from torchmetrics.classification import BinaryCalibrationError, MulticlassCalibrationError
from torchmetrics.functional.classification.calibration_error import _binning_bucketize, _ce_compute

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "calibration.json"
)
BIN_COUNTS = (1, 2, 3, 5, 10, 15, 100)


def T(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)


def edges(bins: int) -> torch.Tensor:
    return torch.linspace(0, 1, bins + 1, dtype=torch.float64)


# ----------------------------------------------------------------------------------------
# the cases: (id, mode, input, scores, labels, bins)


def binary_cases() -> list[tuple]:
    rng = np.random.default_rng(20261202)
    out = [("binary-torchmetrics-doc", [0.25, 0.25, 0.55, 0.75, 0.75], [0, 0, 1, 1, 1], (2,))]
    p = rng.uniform(size=300)
    out.append(("binary-calibrated", p, (rng.uniform(size=300) < p).astype(int), BIN_COUNTS))
    q = rng.uniform(size=250)
    out.append(("binary-overconfident", q, (rng.uniform(size=250) < 0.5 + (q - 0.5) * 0.4), BIN_COUNTS))
    # every edge of each bin count, written as the decimal k/B (the float nearest k/B) and
    # as torch's edge value, plus exact 0 and 1
    for b in (3, 5, 10, 15, 100):
        dec = [k / b for k in range(b + 1)]
        tor = edges(b).tolist()
        pts = sorted(set(dec) | set(tor))
        lab = [int(i % 2) for i in range(len(pts))]
        out.append((f"binary-edges-{b}", pts, lab, (b,)))
    out.append(
        (
            "binary-edges-mixed-bins",
            [0.0, 0.2, 0.25, 0.5, 0.6, 0.75, 0.8, 1.0],
            [0, 1, 0, 1, 1, 0, 1, 1],
            BIN_COUNTS,
        )
    )
    out.append(("binary-n1-one", [1.0], [1], (1, 15, 100)))
    out.append(("binary-n1-zero", [0.0], [1], (1, 15)))
    out.append(("binary-n1-mid", [0.7], [0], (15,)))
    out.append(("binary-all-ones", [1.0, 1.0, 1.0], [1, 0, 1], (1, 15)))
    out.append(("binary-ties", [0.35] * 7 + [0.9] * 5, [1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0], (1, 15, 100)))
    out.append(("binary-one-class", [0.1, 0.4, 0.8], [0, 0, 0], (15,)))
    return [(i, "binary", "probs", s, y, b) for i, s, y, b in out]


def binary_logit_cases() -> list[tuple]:
    x = [-1000.0, -40.0, -3.0, -0.5, 0.0, 0.5, 2.0, 40.0, 1000.0]
    y = [0, 0, 1, 0, 1, 1, 0, 1, 1]
    return [("binary-logits-extreme", "binary", "logits", x, y, (1, 15, 100))]


def multiclass_cases() -> list[tuple]:
    rng = np.random.default_rng(7)
    out = [
        (
            "multiclass-torchmetrics-doc",
            "probs",
            [[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]],
            [0, 1, 2, 0],
            (3,),
        )
    ]
    for c, n in ((3, 300), (5, 200), (10, 150), (2, 120)):
        pr = rng.dirichlet(np.full(c, 0.6), size=n)
        lab = [int(rng.choice(c, p=row)) for row in pr]
        out.append((f"multiclass-dirichlet-c{c}", "probs", pr, lab, BIN_COUNTS))
    ties = [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.4, 0.2, 0.4], [0.4, 0.2, 0.4]]
    out.append(("multiclass-ties", "probs", ties, [0, 1, 2, 0, 2], (1, 3, 15)))
    onehot = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    out.append(("multiclass-certain", "probs", onehot, [0, 1, 0, 1], (1, 15)))
    at_edge = [[0.6, 0.4, 0.0], [0.4, 0.3, 0.3], [0.2, 0.8, 0.0], [0.7, 0.3, 0.0], [0.5, 0.25, 0.25]]
    out.append(("multiclass-edges", "probs", at_edge, [0, 1, 1, 1, 0], (5, 10, 15)))
    out.append(("multiclass-n1", "probs", [[0.2, 0.7, 0.1]], [2], (1, 15)))
    lg = [[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0], [-2.0, 3.0, 0.5], [5.0, -5.0, 5.0], [0.1, 0.2, 0.3]]
    out.append(("multiclass-logits-extreme", "logits", lg, [0, 1, 1, 2, 0], (1, 15, 100)))
    return [(i, "multiclass", inp, s, y, b) for i, inp, s, y, b in out]


def multilabel_cases() -> list[tuple]:
    rng = np.random.default_rng(11)
    p = rng.uniform(size=(80, 4))
    y = (rng.uniform(size=(80, 4)) < p).astype(int)
    edge = [[0.0, 0.2, 1.0], [0.4, 0.6, 1.0], [0.3, 0.9, 0.1]]
    return [
        ("multilabel-uniform", "multilabel", "probs", p, y, BIN_COUNTS),
        ("multilabel-edges", "multilabel", "probs", edge, [[0, 1, 1], [1, 0, 1], [0, 1, 0]], (1, 5, 10, 15)),
        (
            "multilabel-logits",
            "multilabel",
            "logits",
            [[-1000.0, 0.0, 3.0], [1000.0, -2.0, 0.25]],
            [[0, 1, 1], [1, 0, 0]],
            (1, 15),
        ),
    ]


# ----------------------------------------------------------------------------------------
# reference values


def confidences(mode: str, inp: str, scores: torch.Tensor, labels: torch.Tensor):
    """(confidence, accuracy) float64 tensors as torchmetrics forms them, without its float32
    cast for multiclass."""
    if mode == "multiclass":
        probs = torch.softmax(scores, dim=1) if inp == "logits" else scores
        conf, pred = probs.max(dim=1)
        assert torch.equal(pred, torch.from_numpy(np.argmax(probs.numpy(), axis=1))), "tie rule"
        return conf, pred.eq(labels).to(torch.float64)
    p = torch.sigmoid(scores) if inp == "logits" else scores
    return p.flatten(), labels.flatten().to(torch.float64)


def calibration_values(mode: str, inp: str, scores, labels, bins: int) -> dict:
    s = T(scores)
    y = torch.tensor(np.asarray(labels, dtype=np.int64))
    if mode == "multiclass":
        ece = float(_ce_compute(*confidences(mode, inp, s, y), bins, norm="l1"))
        mce = float(_ce_compute(*confidences(mode, inp, s, y), bins, norm="max"))
    else:
        vals = []
        for norm in ("l1", "max"):
            m = BinaryCalibrationError(n_bins=bins, norm=norm)
            m.update(s, y)
            assert m.confidences[0].dtype == torch.float64, "torchmetrics kept float64"
            vals.append(float(m.compute()))
        ece, mce = vals
        if inp == "probs":  # the class API on probabilities == the functional path below
            assert ece == float(_ce_compute(*confidences(mode, inp, s, y), bins, norm="l1"))
    conf, acc = confidences(mode, inp, s, y)
    acc_bin, conf_bin, prop_bin = _binning_bucketize(conf, acc, edges(bins))
    e = [*edges(bins).tolist(), 1.0]
    rows = []
    for k in range(bins + 1):
        nk = round(float(prop_bin[k]) * len(conf))
        if nk:
            lo, hi = e[k], e[k + 1]
            rows.append(
                {"lo": lo, "hi": hi, "n": nk, "confidence": float(conf_bin[k]), "accuracy": float(acc_bin[k])}
            )
    assert sum(r["n"] for r in rows) == len(conf)
    return {"ece": ece, "mce": mce, "bins": rows}


def brier(mode: str, inp: str, scores, labels) -> float:
    s = T(scores)
    if mode == "multiclass":
        probs = torch.softmax(s, dim=1) if inp == "logits" else s
        c = probs.shape[1]
        return brier_score_loss(labels, probs.numpy(), labels=list(range(c)), scale_by_half=False)
    p = (torch.sigmoid(s) if inp == "logits" else s).numpy().ravel()
    return brier_score_loss(np.asarray(labels).ravel(), p, labels=[0, 1])


def float32_multiclass(inp: str, scores, labels, bins: int) -> dict:
    """MulticlassCalibrationError as users call it (computes in float32)."""
    out = {}
    for norm, key in (("l1", "ece"), ("max", "mce")):
        m = MulticlassCalibrationError(num_classes=len(scores[0]), n_bins=bins, norm=norm)
        m.update(T(scores), torch.tensor(np.asarray(labels, dtype=np.int64)))
        out[key] = float(m.compute())
    return out


def all_cases() -> list[tuple]:
    return binary_cases() + binary_logit_cases() + multiclass_cases() + multilabel_cases()


def build() -> tuple[dict, list[dict]]:
    """The data sets (scores, labels, brier) and one case per (data set, bin count)."""
    datasets, cases = {}, []
    for cid, mode, inp, scores, labels, bin_counts in all_cases():
        sc = np.asarray(scores, dtype=np.float64).tolist()
        lab = np.asarray(labels).astype(int).tolist()
        datasets[cid] = {
            "mode": mode,
            "input": inp,
            "scores": sc,
            "labels": lab,
            "brier": brier(mode, inp, sc, lab),
        }
        for bins in bin_counts:
            case = {"id": f"{cid}-b{bins}", "data": cid, "bins": bins}
            case["expected"] = calibration_values(mode, inp, sc, lab, bins)
            if mode == "multiclass":
                case["torchmetrics_float32"] = float32_multiclass(inp, sc, lab, bins)
            cases.append(case)
    return datasets, cases


def native_values() -> dict:
    """ece/mce/bins of every case under the machine's own CPU capability (child process)."""
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    out = subprocess.run(
        [sys.executable, __file__, "--native"], env=env, capture_output=True, check=True, text=True
    )
    return json.loads(out.stdout)


def main() -> None:
    if "--native" in sys.argv:
        got = {c["id"]: c["expected"] for c in build()[1]}
        print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "values": got}))
        return
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    datasets, cases = build()
    native = native_values()
    diffs, edge_only = [], 0
    for c in cases:
        nv, want = native["values"][c["id"]], c["expected"]
        if nv == want:
            continue
        counts = [b["n"] for b in nv["bins"]] == [b["n"] for b in want["bins"]]
        if counts and (nv["ece"], nv["mce"]) == (want["ece"], want["mce"]):
            edge_only += 1  # only some lo/hi differ, by an ulp
        else:
            diffs.append({"id": c["id"], "native": nv})
    used = sorted({c["bins"] for c in cases})
    doc = {
        "generator": "tools/make_calibration_reference.py",
        "versions": {
            "torch": torch.__version__,
            "torchmetrics": torchmetrics.__version__,
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "native_capability": native["capability"],
        "native_capability_differences": diffs,
        "native_capability_edge_only_differences": edge_only,
    }
    with open(OUT, "w") as f:
        f.write(json.dumps(doc, indent=1)[:-2] + ',\n "edges": {\n')
        hexed = {str(b): [float(v).hex() for v in edges(b).tolist()] for b in used}
        f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in hexed.items()))
        f.write('\n },\n "datasets": {\n')
        f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in datasets.items()))
        f.write('\n },\n "cases": [\n')
        f.write(",\n".join(f"  {json.dumps(c)}" for c in cases))
        f.write("\n ]\n}\n")
    cap = native["capability"]
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
    print(f"under {cap}: {len(diffs)} cases give other numbers, {edge_only} only other lo/hi bits")
    for d in diffs:
        print("  differs natively:", d["id"])


if __name__ == "__main__":
    main()
