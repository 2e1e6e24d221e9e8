"""Generate tests/fixtures/reference.json: loss values computed by the real libraries.

The project's test-suite runs without torch; it compares losscli's numbers with the
values stored here.  This script is the only place where torch / scikit-learn are used.

How to rerun (private venv outside the repo; torch 2.13.0 CPU; no torchvision, no keras):

    python3 -m venv /work/refvenv && /work/refvenv/bin/pip install torch==2.13.0 scikit-learn numpy
    /work/refvenv/bin/python tools/make_reference.py

(run from the repository root; the output path is resolved relative to this file).
The output is deterministic: fixed torch seeds for the documented seed examples and a
fixed numpy Generator for the random data; everything is computed in float64.

Where the numbers come from, per convention
-------------------------------------------
* torch   -- torch.nn.functional (binary_cross_entropy[_with_logits], cross_entropy,
             nll_loss) called with reduction='none' / 'mean' / 'sum'.  Two things torch
             has no built-in for are written with torch ops: BCE on probabilities with a
             pos_weight  -[pw*y*max(log p,-100) + (1-y)*max(log1p(-p),-100)]*w, and the
             torchvision sigmoid_focal_loss formula (torchvision is not installed).
             BCE label smoothing (torch has none): targets y*(1-e)+e/2 before the call.
* keras   -- Keras 3 is NOT installed: its published formulas are re-implemented below in
             float64 numpy (clip to [1e-7, 1-1e-7], per-sample mean over the last axis,
             batch mean = sum/N, ...) and checked against the worked numbers in
             shared/design/semantics.md.
* sklearn -- sklearn.metrics.log_loss on probabilities (logits go through a float64
             sigmoid/softmax first); log_loss clips at float64 eps.

Meaning of "expected" (the product's contract)
----------------------------------------------
per_sample[i]  torch: reduction='none' value of row i (bce/focal: mean over the k outputs;
               null where the ce target equals ignore_index).  keras: the Keras per-sample
               value (mean over last axis; ce with class weight: w[y_i]*l_i).  sklearn:
               log_loss of that single row (multi-label: mean over k of each element's
               binary log_loss).
mean / sum     without sample_weight: torch reduction='mean' / 'sum' (bce/focal sums run
               over all n*k elements); keras sum_i l_i / N and sum_i l_i (N = rows, or
               valid rows under ignore_index); sklearn log_loss(...) and
               log_loss(..., normalize=False) (multi-label: averaged over the columns).
sample_weight s (see weighted_torch_mean below):
               torch/sklearn mean = sum_i s_i*l_i / sum_i s_i*d_i, d_i = weight[label_i]
               for hard-label ce with class weights, else 1 (ignored rows drop out of both);
               torch sum = reduction='sum' with row i's elements multiplied by s_i.
               keras mean = sum_i s_i*l_i / N, sum = sum_i s_i*l_i.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import log_loss

torch.set_default_dtype(torch.float64)

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "reference.json"
)

# ----------------------------------------------------------------------------------------
# shared fixtures from semantics.md
XB = [[0.2, -1.0, 3.0], [1.5, 0.1, -2.0]]
YB = [[1, 0, 1], [0, 1, 1]]
XC = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.2, 3.1], [0.0, 0.0, 0.0]]
TC = [0, 1, 2, 1]
WC = [1.0, 2.0, 0.5]

KERAS_EPS = 1e-7
CHECKS = []  # (description, got, documented) for the report


def T(a):
    return torch.tensor(a, dtype=torch.float64)


def f(v):
    return float(v)


def check(desc, got, want, rtol=1e-12, atol=0.0):
    """Assert a documented number; record it."""
    got = float(got)
    ok = abs(got - want) <= atol + rtol * abs(want)
    assert ok, f"{desc}: got {got!r}, documented {want!r}"
    CHECKS.append((desc, got, want))


def check_list(desc, got, want, rtol=1e-12, atol=0.0):
    got = [float(g) for g in got]
    assert len(got) == len(want), desc
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert abs(g - w) <= atol + rtol * abs(w), f"{desc}[{i}]: got {g!r}, documented {w!r}"
    CHECKS.append((desc, got, want))


def close(a, b, rtol=1e-12, atol=1e-15):
    return abs(float(a) - float(b)) <= atol + rtol * abs(float(b))


# ----------------------------------------------------------------------------------------
# case registry

CASES = []
IDS = set()


def tolist2(a):
    return [[float(v) for v in row] for row in np.asarray(a, dtype=np.float64)]


def labels_json(labels):
    arr = np.asarray(labels)
    if arr.ndim == 1:
        return [int(v) for v in arr]
    out = []
    for row in labels:
        r = []
        for v in row:
            if float(v) == int(float(v)) and float(v) in (0.0, 1.0) and not isinstance(v, float):
                r.append(int(v))
            else:
                r.append(float(v))
        out.append(r)
    return out


def add(cid, loss, convention, inp, scores, labels, options, per_sample, mean, total):
    assert cid not in IDS, cid
    assert cid == cid.lower() and " " not in cid and "_" not in cid, cid
    assert loss in ("bce", "ce", "focal") and convention in ("torch", "keras", "sklearn")
    assert inp in ("logits", "probs", "log_probs")
    IDS.add(cid)
    scores = tolist2(scores)
    n, k = len(scores), len(scores[0])
    assert all(len(r) == k for r in scores)
    labs = labels_json(labels)
    assert len(labs) == n
    if loss == "ce":
        if isinstance(labs[0], list):
            assert all(len(r) == k for r in labs)
    else:
        assert all(isinstance(r, list) and len(r) == k for r in labs)
        assert all(0.0 <= v <= 1.0 for r in labs for v in r)
    for key in options:
        assert key in (
            "pos_weight",
            "weight",
            "ignore_index",
            "label_smoothing",
            "alpha",
            "gamma",
            "sample_weight",
        ), key
    ps = []
    for v in per_sample:
        if v is None:
            assert "ignore_index" in options
            ps.append(None)
        else:
            v = float(v)
            assert math.isfinite(v), (cid, v)
            ps.append(v)
    assert len(ps) == n
    for v in (mean, total):
        assert math.isfinite(float(v)), (cid, mean, total)
    opts = {}
    for key, val in options.items():
        if key == "ignore_index":
            opts[key] = int(val)
        elif isinstance(val, (list, tuple, np.ndarray)):
            opts[key] = [float(x) for x in val]
        else:
            opts[key] = float(val)
    CASES.append(
        {
            "id": cid,
            "loss": loss,
            "convention": convention,
            "input": inp,
            "scores": scores,
            "labels": labs,
            "options": opts,
            "expected": {"per_sample": ps, "mean": float(mean), "sum": float(total)},
        }
    )
    return CASES[-1]


# ----------------------------------------------------------------------------------------
# torch references


def _smooth_bce(y, ls):
    return y * (1 - ls) + ls / 2 if ls else y


def torch_bce_elements(x, y, inp, pos_weight=None, weight=None, reduction="none"):
    """Element losses / reductions for BCE under torch rules."""
    pw = T(pos_weight) if pos_weight is not None else None
    w = T(weight) if weight is not None else None
    if inp == "logits":
        return F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)
    # probabilities
    if pw is None:
        return F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    el = -(pw * y * torch.clamp(torch.log(x), min=-100) + (1 - y) * torch.clamp(torch.log1p(-x), min=-100))
    if w is not None:
        el = el * w
    return {"none": el, "mean": el.mean(), "sum": el.sum()}[reduction]


def torch_bce(scores, labels, inp, pos_weight=None, weight=None, label_smoothing=None, sample_weight=None):
    x, y = T(scores), _smooth_bce(T(labels), label_smoothing)
    el = torch_bce_elements(x, y, inp, pos_weight, weight, "none")
    per = el[:, 0] if el.shape[1] == 1 else el.mean(dim=1)  # k=1: the element itself (keeps -0.0)
    mean = torch_bce_elements(x, y, inp, pos_weight, weight, "mean")
    total = torch_bce_elements(x, y, inp, pos_weight, weight, "sum")
    assert close(mean, el.mean()) and close(total, el.sum())
    if sample_weight is not None:
        s = T(sample_weight)
        # mean = sum_i s_i*l_i / sum_i s_i   (l_i = per-sample mean over the k outputs)
        mean = (s * per).sum() / s.sum()
        # sum = torch reduction='sum' with each row's elements multiplied by s_i
        #       (done by passing the n x k weight s_i*weight_c to torch)
        w_rows = s[:, None] * (T(weight) if weight is not None else torch.ones(x.shape[1]))
        total = torch_bce_elements(x, y, inp, pos_weight, w_rows.tolist(), "sum")
        assert close(total, (s[:, None] * el).sum(), rtol=1e-12, atol=1e-12)
    return per.tolist(), f(mean), f(total)


def torch_ce(scores, labels, inp, weight=None, ignore_index=None, label_smoothing=None, sample_weight=None):
    """Cross-entropy under torch rules; hard labels (1-D ints) or soft targets (n x k)."""
    x = T(scores)
    n, k = x.shape
    w = T(weight) if weight is not None else None
    ls = float(label_smoothing or 0.0)
    soft = np.asarray(labels).ndim == 2
    if not soft:
        t = torch.tensor(labels, dtype=torch.long)
        ii = -100 if ignore_index is None else int(ignore_index)

        def call(red):
            if inp == "logits":
                return F.cross_entropy(x, t, weight=w, ignore_index=ii, label_smoothing=ls, reduction=red)
            lp = x if inp == "log_probs" else torch.log(x)
            if ls:
                # label smoothing is defined on cross_entropy; on normalised log-probs
                # log_softmax(lp) == lp, so this is the smoothed NLL of lp
                return F.cross_entropy(lp, t, weight=w, ignore_index=ii, label_smoothing=ls, reduction=red)
            return F.nll_loss(lp, t, weight=w, ignore_index=ii, reduction=red)

        none, mean, total = call("none"), call("mean"), call("sum")
        valid = t != ii
        d = w[torch.where(valid, t, 0)] if w is not None else torch.ones(n)
        d = torch.where(valid, d, torch.zeros(n))
        # torch's weighted mean is sum_i l_i / sum_i d_i (d_i = w[y_i], 0 for ignored)
        assert close(mean, none.sum() / d.sum()), (f(mean), f(none.sum() / d.sum()))
        per = [f(v) if bool(ok) else None for v, ok in zip(none, valid, strict=True)]
        if sample_weight is not None:
            s = T(sample_weight)
            # mean = sum_i s_i*l_i / sum_i s_i*d_i ; sum = sum_i s_i*l_i
            mean = (s * none).sum() / (s * d).sum()
            total = (s * none).sum()
        return per, f(mean), f(total)
    # soft targets
    y = T(labels)
    assert ignore_index is None
    if inp == "logits":
        none = F.cross_entropy(x, y, weight=w, label_smoothing=ls, reduction="none")
        mean = F.cross_entropy(x, y, weight=w, label_smoothing=ls, reduction="mean")
        total = F.cross_entropy(x, y, weight=w, label_smoothing=ls, reduction="sum")
    else:
        lp = x if inp == "log_probs" else torch.log(x)
        ys = y * (1 - ls) + ls / k if ls else y
        wc = w if w is not None else torch.ones(k)
        none = -(wc * ys * lp).sum(dim=1)
        mean, total = none.mean(), none.sum()
        # cross-check against torch's soft-target cross_entropy on the log-probs
        ref = F.cross_entropy(lp, y, weight=w, label_smoothing=ls, reduction="none")
        assert torch.allclose(none, ref, rtol=1e-9, atol=1e-12)
    assert close(mean, none.mean())
    if sample_weight is not None:
        s = T(sample_weight)
        mean = (s * none).sum() / s.sum()
        total = (s * none).sum()
    return none.tolist(), f(mean), f(total)


def torch_focal_elements(scores, labels, inp, alpha=0.25, gamma=2.0, pos_weight=None):
    """torchvision sigmoid_focal_loss formula (reduction='none') written with torch ops."""
    x, y = T(scores), T(labels)
    pw = T(pos_weight) if pos_weight is not None else None
    if inp == "logits":
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none")
    else:
        p = x
        ce = torch_bce_elements(x, y, "probs", pos_weight, None, "none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


def torch_focal(scores, labels, inp, alpha=0.25, gamma=2.0, pos_weight=None, sample_weight=None):
    el = torch_focal_elements(scores, labels, inp, alpha, gamma, pos_weight)
    per = el[:, 0] if el.shape[1] == 1 else el.mean(dim=1)
    mean, total = el.mean(), el.sum()
    if sample_weight is not None:
        s = T(sample_weight)
        mean = (s * per).sum() / s.sum()
        total = (s[:, None] * el).sum()
    return per.tolist(), f(mean), f(total)


# ----------------------------------------------------------------------------------------
# keras references (float64 numpy re-implementation of the Keras 3 formulas)


def np_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def np_log_sigmoid(x):
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def np_log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def keras_bce_elements_probs(y, p):
    pc = np.clip(p, KERAS_EPS, 1.0 - KERAS_EPS)
    return -(y * np.log(pc) + (1.0 - y) * np.log(1.0 - pc))


def keras_reduce(per, sample_weight=None, valid=None):
    """Keras sum_over_batch_size: sum(l*s)/N (N = valid rows under a mask); and plain sum."""
    per = np.asarray(per, dtype=np.float64)
    s = np.ones_like(per) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if valid is None:
        valid = np.ones(per.shape, dtype=bool)
    num = float(np.sum(np.where(valid, per * s, 0.0)))
    return num / int(valid.sum()), num


def keras_bce(scores, labels, inp, label_smoothing=None, sample_weight=None):
    x, y = np.asarray(scores, np.float64), np.asarray(labels, np.float64)
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if inp == "logits":
        el = -y * np_log_sigmoid(x) - (1 - y) * np_log_sigmoid(-x)
    else:
        el = keras_bce_elements_probs(y, x)
    per = el.mean(axis=-1)
    mean, total = keras_reduce(per, sample_weight)
    return per.tolist(), mean, total


def keras_ce(scores, labels, inp, weight=None, ignore_index=None, label_smoothing=None, sample_weight=None):
    x = np.asarray(scores, np.float64)
    n, k = x.shape
    lab = np.asarray(labels)
    valid = np.ones(n, dtype=bool)
    if lab.ndim == 1:
        lab = lab.astype(np.int64)
        if ignore_index is not None:
            valid = lab != ignore_index
        safe = np.where(valid, lab, 0)
        y = np.eye(k)[safe]
    else:
        assert ignore_index is None and weight is None
        y = lab.astype(np.float64)
    if label_smoothing:
        assert ignore_index is None  # SparseCategoricalCrossentropy has no label smoothing
        y = y * (1 - label_smoothing) + label_smoothing / k
    if inp == "logits":
        lp = np_log_softmax(x)
    elif inp == "probs":
        p = x / x.sum(axis=-1, keepdims=True)
        lp = np.log(np.clip(p, KERAS_EPS, 1.0 - KERAS_EPS))
    else:
        raise ValueError(inp)
    per = -(y * lp).sum(axis=-1)
    if weight is not None:
        # Model.fit(class_weight=...) == sample weight w[y_i]
        per = np.asarray(weight, np.float64)[safe] * per
    per = np.where(valid, per, 0.0)
    # keras ignore_class: mean over valid rows.  (Keras divides by valid + 1e-7; the
    # contract uses the exact mean over valid rows.)
    mean, total = keras_reduce(per, sample_weight, valid)
    return [f(v) if ok else None for v, ok in zip(per, valid, strict=True)], mean, total


def keras_focal(scores, labels, inp, alpha=None, gamma=2.0, sample_weight=None):
    x, y = np.asarray(scores, np.float64), np.asarray(labels, np.float64)
    p = np_sigmoid(x) if inp == "logits" else x
    bce = keras_bce_elements_probs(y, p)  # clipped probability BCE, even for logits
    p_t = y * p + (1 - y) * (1 - p)  # p not clipped
    el = (1 - p_t) ** gamma * bce
    if alpha is not None:  # apply_class_balancing=True
        el = (alpha * y + (1 - alpha) * (1 - y)) * el
    per = el.mean(axis=-1)
    mean, total = keras_reduce(per, sample_weight)
    return per.tolist(), mean, total


# ----------------------------------------------------------------------------------------
# sklearn references


def to_probs_binary(scores, inp):
    x = T(scores)
    return (torch.sigmoid(x) if inp == "logits" else x).numpy()


def to_probs_multi(scores, inp):
    x = T(scores)
    if inp == "logits":
        return torch.softmax(x, dim=1).numpy()
    if inp == "log_probs":
        return torch.exp(x).numpy()
    return x.numpy()


def sk_bce(scores, labels, inp, sample_weight=None):
    """Binary (k=1) or multi-label (k>1): per-column binary log_loss averaged over columns."""
    p = to_probs_binary(scores, inp)
    y = np.asarray(labels, dtype=np.int64)
    n, k = p.shape
    per = np.array(
        [[log_loss([int(y[i, c])], [float(p[i, c])], labels=[0, 1]) for c in range(k)] for i in range(n)]
    ).mean(axis=1)
    cols_mean = [log_loss(y[:, c], p[:, c], labels=[0, 1], sample_weight=sample_weight) for c in range(k)]
    cols_sum = [
        log_loss(y[:, c], p[:, c], labels=[0, 1], sample_weight=sample_weight, normalize=False)
        for c in range(k)
    ]
    mean, total = float(np.mean(cols_mean)), float(np.mean(cols_sum))
    # cross-check with the per-sample values
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    assert close(mean, (s * per).sum() / s.sum(), rtol=1e-12) and close(total, (s * per).sum(), rtol=1e-12)
    return per.tolist(), mean, total


def sk_ce(scores, labels, inp, sample_weight=None):
    p = to_probs_multi(scores, inp)
    t = np.asarray(labels, dtype=np.int64)
    n, k = p.shape
    labs = list(range(k))
    per = np.array([log_loss([int(t[i])], [p[i].tolist()], labels=labs) for i in range(n)])
    mean = log_loss(t, p, labels=labs, sample_weight=sample_weight)
    total = log_loss(t, p, labels=labs, sample_weight=sample_weight, normalize=False)
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    assert close(mean, (s * per).sum() / s.sum(), rtol=1e-12) and close(total, (s * per).sum(), rtol=1e-12)
    return per.tolist(), float(mean), float(total)


# ----------------------------------------------------------------------------------------
# case builders


def case_bce(cid, conv, inp, scores, labels, **opts):
    o = dict(opts)
    if conv == "torch":
        res = torch_bce(
            scores,
            labels,
            inp,
            o.get("pos_weight"),
            o.get("weight"),
            o.get("label_smoothing"),
            o.get("sample_weight"),
        )
    elif conv == "keras":
        assert not ({"pos_weight", "weight"} & set(o))
        res = keras_bce(scores, labels, inp, o.get("label_smoothing"), o.get("sample_weight"))
    else:
        assert set(o) <= {"sample_weight"}
        res = sk_bce(scores, labels, inp, o.get("sample_weight"))
    return add(cid, "bce", conv, inp, scores, labels, o, *res)


def case_ce(cid, conv, inp, scores, labels, **opts):
    o = dict(opts)
    if conv == "torch":
        res = torch_ce(
            scores,
            labels,
            inp,
            o.get("weight"),
            o.get("ignore_index"),
            o.get("label_smoothing"),
            o.get("sample_weight"),
        )
    elif conv == "keras":
        res = keras_ce(
            scores,
            labels,
            inp,
            o.get("weight"),
            o.get("ignore_index"),
            o.get("label_smoothing"),
            o.get("sample_weight"),
        )
    else:
        assert set(o) <= {"sample_weight"}
        res = sk_ce(scores, labels, inp, o.get("sample_weight"))
    return add(cid, "ce", conv, inp, scores, labels, o, *res)


def case_focal(cid, conv, inp, scores, labels, **opts):
    o = dict(opts)
    if conv == "torch":
        res = torch_focal(
            scores,
            labels,
            inp,
            o.get("alpha", 0.25),
            o.get("gamma", 2.0),
            o.get("pos_weight"),
            o.get("sample_weight"),
        )
    else:
        assert conv == "keras" and "pos_weight" not in o
        res = keras_focal(scores, labels, inp, o.get("alpha"), o.get("gamma", 2.0), o.get("sample_weight"))
    return add(cid, "focal", conv, inp, scores, labels, o, *res)


def col(v):
    return [[a] for a in v]


def main():
    rng = np.random.default_rng(20240613)

    # ---------------- seed examples (semantics.md 1.7) ----------------
    torch.manual_seed(0)
    inp32 = torch.randn(3, dtype=torch.float32)
    tgt32 = torch.empty(3, dtype=torch.float32).random_(2)
    check_list(
        "seed0 randn(3) input",
        inp32.tolist(),
        [1.5409960746765137, -0.293428897857666, -2.1787893772125244],
        rtol=0,
    )
    check_list("seed0 target", tgt32.tolist(), [1.0, 1.0, 1.0], rtol=0)
    check(
        "seed0 BCEWithLogitsLoss f32",
        F.binary_cross_entropy_with_logits(inp32, tgt32),
        1.110217809677124,
        rtol=0,
    )
    check(
        "seed0 BCELoss(sigmoid) f32",
        F.binary_cross_entropy(torch.sigmoid(inp32), tgt32),
        1.110217809677124,
        rtol=0,
    )
    seed_x = inp32.double().tolist()
    seed_y = [int(v) for v in tgt32.tolist()]
    seed_p = torch.sigmoid(T(seed_x)).tolist()

    torch.manual_seed(0)
    x32 = torch.randn(3, 2, dtype=torch.float32)
    y32 = torch.rand(3, 2, dtype=torch.float32)
    check(
        "seed0 (3,2) BCEWithLogits f32",
        F.binary_cross_entropy_with_logits(x32, y32),
        1.0274699926376343,
        rtol=0,
    )
    check(
        "seed0 (3,2) BCELoss(sigmoid) f32",
        F.binary_cross_entropy(torch.sigmoid(x32), y32),
        1.0274699926376343,
        rtol=1e-7,
    )
    seed2_x, seed2_y = x32.double().tolist(), y32.double().tolist()
    seed2_p = torch.sigmoid(T(seed2_x)).tolist()

    torch.manual_seed(0)
    x5 = torch.randn(3, 5, dtype=torch.float32)
    t5 = torch.empty(3, dtype=torch.long).random_(5)
    check_list("seed0 (3,5) target", t5.tolist(), [3, 0, 0], rtol=0)
    check("seed0 (3,5) CE f32", F.cross_entropy(x5, t5), 2.272947072982788, rtol=0)
    seed5_x, seed5_t = x5.double().tolist(), t5.tolist()

    # ---------------- derived fixtures ----------------
    PB = torch.sigmoid(T(XB)).tolist()  # probabilities for XB
    PC = torch.softmax(T(XC), dim=1).tolist()  # probabilities for XC
    LPC = torch.log_softmax(T(XC), dim=1).tolist()  # log-probabilities for XC
    ONEHOT_C = np.eye(3)[TC].tolist()

    # ======================= BCE / torch =======================
    c = case_bce("bce-torch-logits-xb-yb", "torch", "logits", XB, YB)
    check("torch BCEWithLogits XB,YB mean", c["expected"]["mean"], 0.9054543095954756)
    check_list(
        "torch MultiLabelSoftMarginLoss XB,YB none",
        c["expected"]["per_sample"],
        [0.3199959694911856, 1.4909126496997651],
        rtol=1e-14,
    )
    mlsm = F.multilabel_soft_margin_loss(T(XB), T(YB))
    check("torch MultiLabelSoftMarginLoss XB,YB mean", mlsm, 0.9054543095954753, rtol=1e-14)
    c = case_bce("bce-torch-probs-xb-yb", "torch", "probs", PB, YB)
    assert close(c["expected"]["mean"], 0.9054543095954756, rtol=1e-12)
    c = case_bce(
        "bce-torch-logits-xb-yb-pw-w",
        "torch",
        "logits",
        XB,
        YB,
        pos_weight=[2.0, 3.0, 0.5],
        weight=[1.0, 2.0, 0.0],
    )
    check("torch BCEWithLogits XB,YB pw=[2,3,.5] w=[1,2,0] mean", c["expected"]["mean"], 1.2317657253706342)
    # manual formula cross-check of the elementwise values
    xb, yb = T(XB), T(YB)
    pw, ww = T([2.0, 3.0, 0.5]), T([1.0, 2.0, 0.0])
    manual = -ww * (pw * yb * F.logsigmoid(xb) + (1 - yb) * F.logsigmoid(-xb))
    assert torch.allclose(
        manual,
        F.binary_cross_entropy_with_logits(xb, yb, weight=ww, pos_weight=pw, reduction="none"),
        rtol=1e-14,
        atol=0,
    )
    c = case_bce("bce-torch-logits-xb-yb-weight", "torch", "logits", XB, YB, weight=[1.0, 2.0, 0.0])
    check(
        "torch BCEWithLogits XB,YB w=[1,2,0] mean (= MultiLabelSoftMargin weighted)",
        c["expected"]["mean"],
        0.7024781404246553,
    )
    check(
        "torch MultiLabelSoftMarginLoss XB,YB w=[1,2,0]",
        F.multilabel_soft_margin_loss(xb, yb, weight=ww),
        0.7024781404246553,
    )
    case_bce("bce-torch-logits-xb-yb-pw-scalar", "torch", "logits", XB, YB, pos_weight=[2.0, 2.0, 2.0])
    case_bce("bce-torch-logits-xb-yb-pw-per-output", "torch", "logits", XB, YB, pos_weight=[2.0, 3.0, 0.5])
    c = case_bce("bce-torch-probs-xb-yb-pw-per-output", "torch", "probs", PB, YB, pos_weight=[2.0, 3.0, 0.5])
    assert close(
        c["expected"]["mean"], CASES[-2]["expected"]["mean"], rtol=1e-12
    )  # probs of the same logits: same value
    c = case_bce(
        "bce-torch-probs-xb-yb-pw-w",
        "torch",
        "probs",
        PB,
        YB,
        pos_weight=[2.0, 3.0, 0.5],
        weight=[1.0, 2.0, 0.0],
    )
    assert close(c["expected"]["mean"], 1.2317657253706342, rtol=1e-12)
    case_bce("bce-torch-probs-xb-yb-weight", "torch", "probs", PB, YB, weight=[0.5, 1.0, 2.0])
    # pw all ones on probs must equal BCELoss
    a = torch_bce_elements(T(PB), yb, "probs", [1.0, 1.0, 1.0], None, "none")
    assert torch.allclose(a, F.binary_cross_entropy(T(PB), yb, reduction="none"), rtol=1e-14, atol=0)
    case_bce("bce-torch-logits-xb-yb-ls", "torch", "logits", XB, YB, label_smoothing=0.2)
    case_bce("bce-torch-probs-xb-yb-ls", "torch", "probs", PB, YB, label_smoothing=0.1)
    case_bce("bce-torch-logits-xb-yb-sw", "torch", "logits", XB, YB, sample_weight=[1.0, 3.0])
    case_bce("bce-torch-probs-xb-yb-sw", "torch", "probs", PB, YB, sample_weight=[1.0, 3.0])
    case_bce(
        "bce-torch-logits-xb-yb-pw-w-sw",
        "torch",
        "logits",
        XB,
        YB,
        pos_weight=[2.0, 3.0, 0.5],
        weight=[1.0, 2.0, 0.0],
        sample_weight=[0.5, 2.0],
    )
    case_bce(
        "bce-torch-probs-xb-yb-pw-w-sw",
        "torch",
        "probs",
        PB,
        YB,
        pos_weight=[2.0, 3.0, 0.5],
        weight=[1.0, 2.0, 0.0],
        sample_weight=[0.5, 2.0],
    )

    # seed examples
    c = case_bce("bce-torch-logits-seed0-binary", "torch", "logits", col(seed_x), col(seed_y))
    check("seed0 BCEWithLogits f64", c["expected"]["mean"], 1.11021779352536, rtol=1e-13)
    check_list(
        "seed0 BCEWithLogits per element",
        c["expected"]["per_sample"],
        [0.19405879, 0.85058582, 2.28600883],
        rtol=0,
        atol=5e-8,
    )  # documented to 8 digits, from float32
    check_list(
        "seed0 BCEWithLogits per element f32",
        F.binary_cross_entropy_with_logits(inp32, tgt32, reduction="none").tolist(),
        [0.19405879, 0.85058582, 2.28600883],
        rtol=0,
        atol=1e-8,
    )
    c = case_bce("bce-torch-probs-seed0-binary", "torch", "probs", col(seed_p), col(seed_y))
    check("seed0 BCELoss(sigmoid) f64", c["expected"]["mean"], 1.11021779352536, rtol=1e-13)
    c = case_bce("bce-torch-logits-seed0-soft", "torch", "logits", seed2_x, seed2_y)
    check("seed0 (3,2) BCEWithLogits f64", c["expected"]["mean"], 1.0274698649775718)
    c = case_bce("bce-torch-probs-seed0-soft", "torch", "probs", seed2_p, seed2_y)
    check("seed0 (3,2) BCELoss(sigmoid) f64", c["expected"]["mean"], 1.0274698649775718, rtol=1e-13)

    # extremes
    ext_x = [1000.0, -1000.0, 40.0, -40.0, 0.0, 40.0, -40.0, 1000.0, -1000.0, 0.0]
    ext_y = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0]
    c = case_bce("bce-torch-logits-extreme-binary", "torch", "logits", col(ext_x), col(ext_y))
    ps = c["expected"]["per_sample"]
    check("torch BCEWithLogits x=1000,y=0", ps[0], 1000.0)
    check("torch BCEWithLogits x=-1000,y=1", ps[1], 1000.0)
    check("torch BCEWithLogits x=40,y=1", ps[2], 4.248354255291589e-18)
    check(
        "torch BCELoss(sigmoid(1000)),y=0",
        F.binary_cross_entropy(torch.sigmoid(T([1000.0])), T([0.0])),
        100.0,
    )
    clamp_p = [0.0, 1.0, 1.0, 0.0, 1e-50, 0.0, 0.3, 0.9]
    clamp_y = [1, 0, 1, 0, 1, 0.5, 1, 0]
    c = case_bce("bce-torch-probs-clamp-binary", "torch", "probs", col(clamp_p), col(clamp_y))
    ps = c["expected"]["per_sample"]
    check("torch BCELoss p=0,y=1", ps[0], 100.0)
    check("torch BCELoss p=1,y=0", ps[1], 100.0)
    check("torch BCELoss p=1,y=1", ps[2], -0.0)
    assert math.copysign(1.0, ps[2]) == -1.0  # -0.0 as documented
    check("torch BCELoss p=0,y=0", ps[3], 0.0)
    check("torch BCELoss p=1e-50,y=1", ps[4], 100.0)
    check("torch BCELoss p=0,y=0.5", ps[5], 50.0)
    case_bce(
        "bce-torch-probs-clamp-multilabel",
        "torch",
        "probs",
        [[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [1e-50, 1.0, 0.0]],
        [[1, 1, 0], [0, 0, 1], [1, 0, 0]],
    )
    c = case_bce(
        "bce-torch-probs-clamp-pw",
        "torch",
        "probs",
        col([0.0, 1.0, 0.4, 1.0]),
        col([1, 0, 1, 1]),
        pos_weight=[3.0],
    )
    check("torch probs pos_weight p=0,y=1 pw=3 (clamped formula)", c["expected"]["per_sample"][0], 300.0)
    case_bce(
        "bce-torch-logits-extreme-multilabel",
        "torch",
        "logits",
        [[1000.0, -40.0, 0.0], [-1000.0, 40.0, 35.0], [0.0, 0.0, -35.0]],
        [[0, 0, 1], [1, 1, 0], [0, 1, 0]],
    )
    case_bce(
        "bce-torch-logits-extreme-pw",
        "torch",
        "logits",
        col([1000.0, -1000.0, 40.0, -40.0]),
        col([0, 1, 1, 0]),
        pos_weight=[2.5],
    )

    # small binary / multilabel / soft
    bx = [0.3, -1.2, 2.5, 0.0, -0.7]
    by = [1, 0, 1, 1, 0]
    bp = [0.6, 0.2, 0.95, 0.5, 0.35]
    case_bce("bce-torch-logits-binary", "torch", "logits", col(bx), col(by))
    case_bce("bce-torch-probs-binary", "torch", "probs", col(bp), col(by))
    case_bce("bce-torch-logits-binary-pw", "torch", "logits", col(bx), col(by), pos_weight=[3.0])
    case_bce("bce-torch-probs-binary-pw", "torch", "probs", col(bp), col(by), pos_weight=[3.0])
    case_bce("bce-torch-logits-binary-weight", "torch", "logits", col(bx), col(by), weight=[0.5])
    case_bce(
        "bce-torch-logits-binary-sw",
        "torch",
        "logits",
        col(bx),
        col(by),
        sample_weight=[1.0, 2.0, 0.5, 0.0, 3.0],
    )
    case_bce(
        "bce-torch-probs-binary-sw",
        "torch",
        "probs",
        col(bp),
        col(by),
        sample_weight=[1.0, 2.0, 0.5, 0.0, 3.0],
    )
    case_bce("bce-torch-logits-binary-ls", "torch", "logits", col(bx), col(by), label_smoothing=0.1)
    case_bce(
        "bce-torch-logits-binary-pw-ls-sw",
        "torch",
        "logits",
        col(bx),
        col(by),
        pos_weight=[2.0],
        label_smoothing=0.2,
        sample_weight=[1.0, 2.0, 3.0, 4.0, 5.0],
    )
    soft_x = rng.normal(0, 2, size=(6, 3)).tolist()
    soft_y = rng.uniform(0, 1, size=(6, 3)).tolist()
    soft_p = rng.uniform(0.01, 0.99, size=(6, 3)).tolist()
    case_bce("bce-torch-logits-soft", "torch", "logits", soft_x, soft_y)
    case_bce("bce-torch-probs-soft", "torch", "probs", soft_p, soft_y)
    case_bce(
        "bce-torch-logits-soft-pw-w",
        "torch",
        "logits",
        soft_x,
        soft_y,
        pos_weight=[1.5, 0.5, 4.0],
        weight=[2.0, 1.0, 0.25],
    )
    case_bce("bce-torch-probs-soft-pw", "torch", "probs", soft_p, soft_y, pos_weight=[1.5, 0.5, 4.0])

    # n=200 random
    rx1 = rng.normal(0, 3, size=(200, 1))
    ry1 = (rng.uniform(size=(200, 1)) < 0.4).astype(int)
    rp3 = rng.uniform(0.001, 0.999, size=(200, 3))
    ry3 = (rng.uniform(size=(200, 3)) < 0.5).astype(int)
    rx3 = rng.normal(0, 2, size=(200, 3))
    rsw = rng.uniform(0.1, 3.0, size=200)
    case_bce("bce-torch-logits-binary-random200", "torch", "logits", rx1, ry1.tolist())
    case_bce("bce-torch-probs-multilabel-random200", "torch", "probs", rp3, ry3.tolist())
    case_bce(
        "bce-torch-logits-multilabel-random200-pw-w-sw",
        "torch",
        "logits",
        rx3,
        ry3.tolist(),
        pos_weight=[0.5, 2.0, 3.0],
        weight=[1.0, 0.5, 2.0],
        sample_weight=rsw.tolist(),
    )

    # ======================= BCE / keras =======================
    c = case_bce("bce-keras-logits-xb-yb", "keras", "logits", XB, YB)
    check(
        "keras BCE XB,YB from_logits mean (f64 formula)",
        c["expected"]["mean"],
        0.9054543095954753,
        rtol=1e-14,
    )
    check_list(
        "keras BCE XB,YB none (f32 run)", c["expected"]["per_sample"], [0.31999597, 1.49091256], rtol=1e-7
    )
    check_list(
        "keras BCE XB,YB none = torch MultiLabelSoftMargin none",
        c["expected"]["per_sample"],
        [0.3199959694911856, 1.4909126496997651],
        rtol=1e-14,
    )
    case_bce("bce-keras-probs-xb-yb", "keras", "probs", PB, YB)
    c = case_bce("bce-keras-logits-xb-yb-sw", "keras", "logits", XB, YB, sample_weight=[1.0, 3.0])
    check("keras BCE XB,YB sw=[1,3] sum_over_batch_size", c["expected"]["mean"], 2.3963669592952406)
    check("keras BCE XB,YB sw=[1,3] mean_with_sample_weight", c["expected"]["sum"] / 4.0, 1.1981834796476203)
    c = case_bce("bce-keras-logits-xb-yb-ls", "keras", "logits", XB, YB, label_smoothing=0.2)
    check("keras BCE XB,YB ls=0.2", c["expected"]["mean"], 0.9187876429288089)
    c = case_bce("bce-keras-probs-clamp-binary", "keras", "probs", col(clamp_p), col(clamp_y))
    ps = c["expected"]["per_sample"]
    check("keras BCE p=0,y=1 (f64 formula)", ps[0], 16.11809565095832)
    check("keras BCE p=1,y=0 (f64 formula)", ps[1], 16.118095651484676)
    check("keras BCE p=1,y=1 (f64 formula)", ps[2], 1.0000000494736474e-07)
    check("keras BCE p=0,y=0.5 (f64 formula)", ps[5], 8.059047875479163)
    check("keras BCE p=0,y=1 vs f32 run", ps[0], 16.11809539794922, rtol=1e-7)
    case_bce(
        "bce-keras-probs-clamp-multilabel",
        "keras",
        "probs",
        [[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [1e-50, 1.0, 0.0]],
        [[1, 1, 0], [0, 0, 1], [1, 0, 0]],
    )
    c = case_bce("bce-keras-logits-extreme-binary", "keras", "logits", col(ext_x), col(ext_y))
    check("keras BCE from_logits x=1000,y=0 (jax/tf/torch backends)", c["expected"]["per_sample"][0], 1000.0)
    case_bce("bce-keras-logits-binary", "keras", "logits", col(bx), col(by))
    case_bce("bce-keras-probs-binary", "keras", "probs", col(bp), col(by))
    case_bce("bce-keras-probs-binary-ls", "keras", "probs", col(bp), col(by), label_smoothing=0.1)
    case_bce(
        "bce-keras-probs-binary-sw",
        "keras",
        "probs",
        col(bp),
        col(by),
        sample_weight=[1.0, 2.0, 0.5, 0.0, 3.0],
    )
    c = case_bce("bce-keras-logits-seed0-binary", "keras", "logits", col(seed_x), col(seed_y))
    assert close(c["expected"]["mean"], 1.11021779352536, rtol=1e-13)
    case_bce("bce-keras-logits-soft", "keras", "logits", soft_x, soft_y)
    case_bce("bce-keras-probs-soft", "keras", "probs", soft_p, soft_y)
    case_bce(
        "bce-keras-logits-soft-ls-sw",
        "keras",
        "logits",
        soft_x,
        soft_y,
        label_smoothing=0.3,
        sample_weight=[1.0, 0.0, 2.0, 0.5, 1.5, 1.0],
    )
    case_bce("bce-keras-logits-binary-random200", "keras", "logits", rx1, ry1.tolist())
    case_bce(
        "bce-keras-probs-multilabel-random200-sw",
        "keras",
        "probs",
        rp3,
        ry3.tolist(),
        sample_weight=rsw.tolist(),
    )

    # ======================= BCE / sklearn =======================
    c = case_bce(
        "bce-sklearn-probs-binary-sw",
        "sklearn",
        "probs",
        col([0.9, 0.2, 0.6]),
        col([1, 0, 1]),
        sample_weight=[1.0, 2.0, 3.0],
    )
    check("sklearn log_loss sample_weight=[1,2,3]", c["expected"]["mean"], 0.34735408159736963)
    check("sklearn log_loss sample_weight=[1,2,3] normalize=False", c["expected"]["sum"], 2.0841244895842177)
    case_bce("bce-sklearn-probs-binary-small", "sklearn", "probs", col([0.9, 0.2, 0.6]), col([1, 0, 1]))
    c = case_bce("bce-sklearn-logits-seed0-binary", "sklearn", "logits", col(seed_x), col(seed_y))
    check("seed0 sklearn log_loss(sigmoid)", c["expected"]["mean"], 1.1102177935253599)
    case_bce("bce-sklearn-probs-seed0-binary", "sklearn", "probs", col(seed_p), col(seed_y))
    c = case_bce(
        "bce-sklearn-probs-clamp-binary",
        "sklearn",
        "probs",
        col([0.0, 1.0, 1.0, 0.0, 0.3]),
        col([1, 0, 1, 0, 1]),
    )
    ps = c["expected"]["per_sample"]
    check("sklearn log_loss p=0,y=1 f64", ps[0], 36.04365338911715)
    check("sklearn log_loss p=1,y=0 f64", ps[1], 36.04365338911715)
    check("sklearn log_loss p=1,y=1 f64", ps[2], 2.220446049250313e-16)
    case_bce("bce-sklearn-logits-extreme-binary", "sklearn", "logits", col(ext_x), col(ext_y))
    case_bce("bce-sklearn-logits-binary", "sklearn", "logits", col(bx), col(by))
    case_bce("bce-sklearn-probs-binary", "sklearn", "probs", col(bp), col(by))
    c = case_bce("bce-sklearn-probs-xb-yb", "sklearn", "probs", PB, YB)
    check("sklearn per-column binary log_loss averaged XB,YB", c["expected"]["mean"], 0.9054543095954756)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "y_prob values do not sum to one" (expected here)
        indicator = log_loss(np.array(YB), np.array(PB))
    check("sklearn 2-D indicator log_loss XB,YB (not BCE; no case)", indicator, 1.7090254460359386)
    case_bce("bce-sklearn-logits-xb-yb", "sklearn", "logits", XB, YB)
    case_bce("bce-sklearn-logits-xb-yb-sw", "sklearn", "logits", XB, YB, sample_weight=[1.0, 3.0])
    case_bce("bce-sklearn-probs-binary-random200", "sklearn", "probs", np_sigmoid(rx1), ry1.tolist())
    case_bce(
        "bce-sklearn-logits-multilabel-random200-sw",
        "sklearn",
        "logits",
        rx3,
        ry3.tolist(),
        sample_weight=rsw.tolist(),
    )

    # ======================= CE / torch =======================
    c = case_ce("ce-torch-logits-xc", "torch", "logits", XC, TC)
    check_list(
        "torch CE XC,t none",
        c["expected"]["per_sample"],
        [0.41703001627783354, 0.22004952302053787, 0.18614078697315786, 1.0986122886681098],
        rtol=1e-14,
    )
    check("torch CE XC,t mean", c["expected"]["mean"], 0.4804581537349098)
    c = case_ce("ce-torch-logits-xc-weight", "torch", "logits", XC, TC, weight=WC)
    check("torch CE XC,t w mean (sum w_y l / sum w_y)", c["expected"]["mean"], 0.5722589151166741)
    check(
        "torch CE XC,t w naive mean of weighted per-sample",
        np.mean(c["expected"]["per_sample"]),
        0.786856008285427,
        rtol=1e-14,
    )
    c = case_ce("ce-torch-logits-xc-ignore-m100", "torch", "logits", XC, [0, -100, 2, 1], ignore_index=-100)
    check("torch CE ignore_index=-100 t=[0,-100,2,1] mean", c["expected"]["mean"], 0.5672610306397005)
    assert c["expected"]["per_sample"][1] is None
    c = case_ce("ce-torch-logits-xc-ignore-1", "torch", "logits", XC, TC, ignore_index=1)
    check("torch CE ignore_index=1 mean", c["expected"]["mean"], 0.3015854016254957)
    c = case_ce("ce-torch-logits-xc-ls", "torch", "logits", XC, TC, label_smoothing=0.1)
    check("torch CE ls=0.1 mean", c["expected"]["mean"], 0.5796248204015765)
    soft_ls = (np.eye(3)[TC] * 0.9 + 0.1 / 3).tolist()
    check("torch CE soft target y(1-e)+e/C", F.cross_entropy(T(XC), T(soft_ls)), 0.5796248204015765)
    c = case_ce("ce-torch-logits-xc-ls-weight", "torch", "logits", XC, TC, label_smoothing=0.1, weight=WC)
    check("torch CE ls=0.1 + w mean", c["expected"]["mean"], 0.6391325033158476)
    check(
        "torch CE ls=-0.1 silently 0",
        F.cross_entropy(T(XC), torch.tensor(TC), label_smoothing=-0.1),
        0.4804581537349098,
    )
    case_ce(
        "ce-torch-logits-xc-weight-ignore",
        "torch",
        "logits",
        XC,
        [0, 1, -100, 2],
        weight=WC,
        ignore_index=-100,
    )
    case_ce("ce-torch-logits-xc-weight-ignore-1", "torch", "logits", XC, TC, weight=WC, ignore_index=1)
    case_ce(
        "ce-torch-logits-xc-ls-weight-ignore",
        "torch",
        "logits",
        XC,
        [0, 1, 5, 2],
        weight=WC,
        ignore_index=5,
        label_smoothing=0.2,
    )
    c = case_ce("ce-torch-logits-xc-soft-onehot-weight", "torch", "logits", XC, ONEHOT_C, weight=WC)
    check("torch CE soft one-hot + w mean (/N)", c["expected"]["mean"], 0.786856008285427)
    c = case_ce(
        "ce-torch-logits-xc-soft-onehot-ls-weight",
        "torch",
        "logits",
        XC,
        ONEHOT_C,
        weight=WC,
        label_smoothing=0.1,
    )
    check("torch CE soft smoothed one-hot + w mean", c["expected"]["mean"], 0.8788071920592904)
    case_ce("ce-torch-logits-xc-soft-onehot", "torch", "logits", XC, ONEHOT_C)
    soft_t = rng.dirichlet([1.0, 1.0, 1.0], size=4).tolist()
    case_ce("ce-torch-logits-xc-soft", "torch", "logits", XC, soft_t)
    case_ce("ce-torch-logits-xc-soft-ls", "torch", "logits", XC, soft_t, label_smoothing=0.15)
    case_ce(
        "ce-torch-logits-xc-soft-weight-sw",
        "torch",
        "logits",
        XC,
        soft_t,
        weight=WC,
        sample_weight=[1.0, 2.0, 0.5, 3.0],
    )
    c = case_ce(
        "ce-torch-logits-extreme",
        "torch",
        "logits",
        [[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]],
        [2, 0, 1],
    )
    check("torch CE [[1000,0,-1000]] target 2", c["expected"]["per_sample"][0], 2000.0)
    case_ce(
        "ce-torch-logits-k2",
        "torch",
        "logits",
        [[0.3, -0.2], [1.5, 2.0], [-1.0, 0.4], [0.0, 0.0]],
        [0, 1, 0, 1],
    )
    case_ce(
        "ce-torch-logits-k2-weight",
        "torch",
        "logits",
        [[0.3, -0.2], [1.5, 2.0], [-1.0, 0.4], [0.0, 0.0]],
        [0, 1, 0, 1],
        weight=[1.0, 3.0],
    )
    c = case_ce("ce-torch-logits-seed0-k5", "torch", "logits", seed5_x, seed5_t)
    check("seed0 (3,5) CE f64", c["expected"]["mean"], 2.27294702908064, rtol=1e-13)
    check(
        "seed0 (3,5) NLL(log_softmax) f64",
        F.nll_loss(F.log_softmax(T(seed5_x), dim=1), torch.tensor(seed5_t)),
        2.27294702908064,
        rtol=1e-13,
    )
    case_ce("ce-torch-logits-xc-sw", "torch", "logits", XC, TC, sample_weight=[1.0, 2.0, 3.0, 0.5])
    case_ce(
        "ce-torch-logits-xc-weight-sw",
        "torch",
        "logits",
        XC,
        TC,
        weight=WC,
        sample_weight=[1.0, 2.0, 3.0, 0.5],
    )
    case_ce(
        "ce-torch-logits-xc-ignore-sw",
        "torch",
        "logits",
        XC,
        [0, -100, 2, 1],
        ignore_index=-100,
        sample_weight=[1.0, 2.0, 3.0, 0.5],
    )
    case_ce(
        "ce-torch-logits-xc-ls-weight-sw",
        "torch",
        "logits",
        XC,
        TC,
        weight=WC,
        label_smoothing=0.1,
        sample_weight=[2.0, 1.0, 0.5, 1.0],
    )
    # log_probs
    c = case_ce("ce-torch-logprobs-xc", "torch", "log_probs", LPC, TC)
    assert close(c["expected"]["mean"], 0.4804581537349098, rtol=1e-14)
    c = case_ce("ce-torch-logprobs-xc-weight", "torch", "log_probs", LPC, TC, weight=WC)
    assert close(c["expected"]["mean"], 0.5722589151166741, rtol=1e-14)
    case_ce("ce-torch-logprobs-xc-ignore-1", "torch", "log_probs", LPC, TC, ignore_index=1)
    c = case_ce(
        "ce-torch-logprobs-xc-ls-weight", "torch", "log_probs", LPC, TC, weight=WC, label_smoothing=0.1
    )
    assert close(c["expected"]["mean"], 0.6391325033158476, rtol=1e-13)
    case_ce("ce-torch-logprobs-xc-soft", "torch", "log_probs", LPC, soft_t)
    case_ce("ce-torch-logprobs-xc-sw", "torch", "log_probs", LPC, TC, sample_weight=[1.0, 2.0, 3.0, 0.5])
    # probs
    c = case_ce("ce-torch-probs-xc", "torch", "probs", PC, TC)
    assert close(c["expected"]["mean"], 0.4804581537349098, rtol=1e-14)
    case_ce("ce-torch-probs-xc-weight", "torch", "probs", PC, TC, weight=WC)
    case_ce("ce-torch-probs-xc-ignore-m100", "torch", "probs", PC, [0, -100, 2, 1], ignore_index=-100)
    case_ce("ce-torch-probs-xc-ls", "torch", "probs", PC, TC, label_smoothing=0.1)
    case_ce("ce-torch-probs-xc-soft", "torch", "probs", PC, soft_t)
    c = case_ce("ce-torch-probs-xc-soft-onehot-weight", "torch", "probs", PC, ONEHOT_C, weight=WC)
    assert close(c["expected"]["mean"], 0.786856008285427, rtol=1e-14)
    case_ce("ce-torch-probs-xc-soft-ls-weight", "torch", "probs", PC, soft_t, weight=WC, label_smoothing=0.1)
    case_ce(
        "ce-torch-probs-zero-nontarget",
        "torch",
        "probs",
        [[0.0, 0.25, 0.75], [0.5, 0.5, 0.0], [0.2, 0.0, 0.8]],
        [2, 0, 2],
    )
    case_ce("ce-torch-probs-xc-sw", "torch", "probs", PC, TC, sample_weight=[1.0, 2.0, 3.0, 0.5])
    # k=5 random n=200
    rx5 = rng.normal(0, 2, size=(200, 5))
    rt5 = rng.integers(0, 5, size=200)
    rp5 = torch.softmax(T(rng.normal(0, 1.5, size=(200, 5))), dim=1).numpy()
    w5 = [1.0, 0.5, 2.0, 1.5, 0.25]
    case_ce("ce-torch-logits-k5-random200", "torch", "logits", rx5, rt5.tolist())
    case_ce(
        "ce-torch-logits-k5-random200-weight-ls-sw",
        "torch",
        "logits",
        rx5,
        rt5.tolist(),
        weight=w5,
        label_smoothing=0.1,
        sample_weight=rsw.tolist(),
    )
    case_ce("ce-torch-probs-k5-random200-weight", "torch", "probs", rp5, rt5.tolist(), weight=w5)
    case_ce("ce-torch-logprobs-k5-random200", "torch", "log_probs", np.log(rp5), rt5.tolist())
    rt5i = rt5.copy()
    rt5i[::7] = -100
    case_ce(
        "ce-torch-logits-k5-random200-ignore",
        "torch",
        "logits",
        rx5,
        rt5i.tolist(),
        ignore_index=-100,
        weight=w5,
    )
    # small k=5 fixtures
    x5s = [[1.0, 0.5, -0.5, 2.0, 0.0], [0.1, 0.2, 0.3, 0.4, 0.5], [-2.0, 3.0, 0.0, 1.0, -1.0]]
    case_ce("ce-torch-logits-k5-small", "torch", "logits", x5s, [3, 4, 1])
    case_ce("ce-torch-probs-k5-small", "torch", "probs", torch.softmax(T(x5s), 1).numpy(), [0, 4, 2])

    # ======================= CE / keras =======================
    c = case_ce("ce-keras-logits-xc", "keras", "logits", XC, TC)
    check("keras CCE XC one-hot logits (f32 run)", c["expected"]["mean"], 0.48045814, rtol=1e-7)
    assert close(c["expected"]["mean"], 0.4804581537349098, rtol=1e-14)
    c = case_ce("ce-keras-logits-xc-ls", "keras", "logits", XC, TC, label_smoothing=0.1)
    check("keras CCE ls=0.1 (= torch CE ls=0.1)", c["expected"]["mean"], 0.5796248204015765, rtol=1e-14)
    check("keras CCE ls=0.1 (f32 run)", c["expected"]["mean"], 0.57962483, rtol=1e-7)
    c = case_ce("ce-keras-logits-xc-weight", "keras", "logits", XC, TC, weight=WC)
    check(
        "keras SCCE sw=w[t] sum_over_batch_size (f64)", c["expected"]["mean"], 0.786856008285427, rtol=1e-14
    )
    check(
        "keras SCCE sw=w[t] sum_over_batch_size (f32 run)",
        c["expected"]["mean"],
        0.7868559956550598,
        rtol=1e-7,
    )
    check(
        "keras SCCE sw=w[t] mean_with_sample_weight",
        c["expected"]["sum"] / sum(WC[t] for t in TC),
        0.5722589151166741,
        rtol=1e-14,
    )
    c = case_ce("ce-keras-logits-xc-ls-weight", "keras", "logits", XC, TC, weight=WC, label_smoothing=0.1)
    check(
        "keras CCE ls=0.1 sw=w[t] mean_with_sample_weight",
        c["expected"]["sum"] / sum(WC[t] for t in TC),
        0.6552892181469773,
    )
    c = case_ce("ce-keras-logits-xc-ignore-1", "keras", "logits", XC, TC, ignore_index=1)
    check("keras SCCE ignore_class=1 (= torch ignore_index=1)", c["expected"]["mean"], 0.3015854016254957)
    case_ce("ce-keras-logits-xc-ignore-m100", "keras", "logits", XC, [0, -100, 2, 1], ignore_index=-100)
    case_ce("ce-keras-logits-xc-weight-ignore-1", "keras", "logits", XC, TC, weight=WC, ignore_index=1)
    case_ce("ce-keras-logits-xc-sw", "keras", "logits", XC, TC, sample_weight=[1.0, 2.0, 3.0, 0.5])
    unnorm = [[0.5, 0.3, 0.1], [0.2, 0.2, 0.2], [0.1, 0.6, 0.6], [0.7, 0.1, 0.1]]
    c = case_ce("ce-keras-probs-unnormalised", "keras", "probs", unnorm, [0, 1, 2, 0])
    check(
        "keras CCE p=[.5,.3,.1] y=e0 (renormalised)",
        c["expected"]["per_sample"][0],
        0.587786664902119,
        rtol=1e-14,
    )
    c = case_ce(
        "ce-keras-probs-zero-target",
        "keras",
        "probs",
        [[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [0, 2, 0],
    )
    check("keras CCE true-class p=0", c["expected"]["per_sample"][0], 16.118095, rtol=0, atol=1e-6)
    case_ce("ce-keras-probs-xc", "keras", "probs", PC, TC)
    case_ce("ce-keras-probs-xc-ls", "keras", "probs", PC, TC, label_smoothing=0.1)
    case_ce("ce-keras-probs-xc-weight", "keras", "probs", PC, TC, weight=WC)
    case_ce("ce-keras-probs-xc-ignore-1", "keras", "probs", PC, TC, ignore_index=1)
    case_ce("ce-keras-logits-xc-soft", "keras", "logits", XC, soft_t)
    case_ce("ce-keras-probs-xc-soft", "keras", "probs", PC, soft_t)
    case_ce(
        "ce-keras-logits-xc-soft-ls-sw",
        "keras",
        "logits",
        XC,
        soft_t,
        label_smoothing=0.2,
        sample_weight=[1.0, 2.0, 0.5, 3.0],
    )
    c = case_ce(
        "ce-keras-logits-extreme",
        "keras",
        "logits",
        [[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]],
        [2, 0, 1],
    )
    assert c["expected"]["per_sample"][0] == 2000.0
    case_ce(
        "ce-keras-logits-k2",
        "keras",
        "logits",
        [[0.3, -0.2], [1.5, 2.0], [-1.0, 0.4], [0.0, 0.0]],
        [0, 1, 0, 1],
    )
    case_ce("ce-keras-logits-k5-random200", "keras", "logits", rx5, rt5.tolist())
    case_ce("ce-keras-probs-k5-random200-sw", "keras", "probs", rp5, rt5.tolist(), sample_weight=rsw.tolist())

    # ======================= CE / sklearn =======================
    c = case_ce("ce-sklearn-probs-xc", "sklearn", "probs", PC, TC)
    check("sklearn log_loss(t, softmax(XC))", c["expected"]["mean"], 0.4804581537349098, rtol=1e-14)
    case_ce("ce-sklearn-logits-xc", "sklearn", "logits", XC, TC)
    c = case_ce(
        "ce-sklearn-logits-xc-sw-classweight", "sklearn", "logits", XC, TC, sample_weight=[WC[t] for t in TC]
    )
    check(
        "sklearn log_loss(t, softmax(XC), sample_weight=w[y])",
        c["expected"]["mean"],
        0.5722589151166741,
        rtol=1e-14,
    )
    c = case_ce(
        "ce-sklearn-probs-k2-spam-ham",
        "sklearn",
        "probs",
        [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]],
        [1, 0, 0, 1],
    )
    check("sklearn log_loss spam/ham (columns ham,spam)", c["expected"]["mean"], 0.21616187468057912)
    check(
        "sklearn log_loss strings",
        log_loss(["spam", "ham", "ham", "spam"], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]),
        0.21616187468057912,
    )
    c = case_ce(
        "ce-sklearn-probs-zero-target",
        "sklearn",
        "probs",
        [[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [0, 2, 0],
    )
    check("sklearn log_loss true-class p=0", c["expected"]["per_sample"][0], 36.04365338911715)
    c = case_ce("ce-sklearn-logits-seed0-k5", "sklearn", "logits", seed5_x, seed5_t)
    check("seed0 (3,5) sklearn log_loss(softmax)", c["expected"]["mean"], 2.27294702908064, rtol=1e-13)
    case_ce(
        "ce-sklearn-logits-extreme",
        "sklearn",
        "logits",
        [[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]],
        [2, 0, 1],
    )
    case_ce(
        "ce-sklearn-probs-k5-random200-sw", "sklearn", "probs", rp5, rt5.tolist(), sample_weight=rsw.tolist()
    )
    case_ce("ce-sklearn-logits-k5-random200", "sklearn", "logits", rx5, rt5.tolist())

    # ======================= focal / torch =======================
    c = case_focal("focal-torch-logits-xb-yb-default", "torch", "logits", XB, YB)
    el = torch_focal_elements(XB, YB, "logits")
    check_list(
        "torchvision focal default elementwise XB,YB",
        el.flatten().tolist(),
        [
            0.030303125231616646,
            0.016993543131350493,
            2.7320831124249216e-05,
            0.8529542367143825,
            0.03635118441283319,
            0.41251954485535225,
        ],
        rtol=1e-13,
    )
    check("torchvision focal default mean XB,YB", c["expected"]["mean"], 0.22485815919610988, rtol=1e-14)
    c = case_focal("focal-torch-logits-xb-yb-alpha-off", "torch", "logits", XB, YB, alpha=-1.0)
    check("torchvision focal alpha=-1 mean XB,YB", c["expected"]["mean"], 0.5127891790752249, rtol=1e-14)
    c = case_focal(
        "focal-torch-logits-xb-yb-gamma0-alpha-off", "torch", "logits", XB, YB, alpha=-1.0, gamma=0.0
    )
    check(
        "torchvision focal gamma=0 alpha=-1 == BCEWithLogits mean",
        c["expected"]["mean"],
        0.9054543095954756,
        rtol=1e-14,
    )
    assert c["expected"]["per_sample"] == CASES[0]["expected"]["per_sample"]
    case_focal("focal-torch-logits-xb-yb-alpha-gamma0", "torch", "logits", XB, YB, alpha=0.25, gamma=0.0)
    case_focal("focal-torch-logits-xb-yb-a05-g1", "torch", "logits", XB, YB, alpha=0.5, gamma=1.0)
    case_focal("focal-torch-logits-xb-yb-a075-g3", "torch", "logits", XB, YB, alpha=0.75, gamma=3.0)
    case_focal("focal-torch-logits-xb-yb-g15", "torch", "logits", XB, YB, gamma=1.5)
    c = case_focal("focal-torch-probs-xb-yb-default", "torch", "probs", PB, YB)
    assert close(c["expected"]["mean"], 0.22485815919610988, rtol=1e-12)
    case_focal("focal-torch-probs-xb-yb-alpha-off", "torch", "probs", PB, YB, alpha=-1.0)
    case_focal(
        "focal-torch-probs-clamp",
        "torch",
        "probs",
        col([0.0, 1.0, 1.0, 0.0, 0.3, 0.5]),
        col([1, 0, 1, 0, 1, 0]),
    )
    c = case_focal(
        "focal-torch-logits-extreme-binary",
        "torch",
        "logits",
        col([40.0, -40.0, 1000.0, -1000.0, 0.0, 40.0]),
        col([0, 1, 0, 1, 1, 1]),
    )
    check("torchvision focal x=40,y=0 (defaults)", c["expected"]["per_sample"][0], 30.0)
    c = case_focal(
        "focal-torch-logits-extreme-gamma0", "torch", "logits", col([40.0, -40.0]), col([0, 0]), gamma=0.0
    )
    check("torchvision focal x=40,y=0,gamma=0", c["expected"]["per_sample"][0], 30.0)
    case_focal("focal-torch-logits-binary", "torch", "logits", col(bx), col(by))
    case_focal("focal-torch-probs-binary", "torch", "probs", col(bp), col(by))
    case_focal("focal-torch-logits-xb-yb-pw", "torch", "logits", XB, YB, pos_weight=[2.0, 3.0, 0.5])
    case_focal("focal-torch-probs-xb-yb-pw", "torch", "probs", PB, YB, pos_weight=[2.0, 3.0, 0.5], alpha=-1.0)
    case_focal(
        "focal-torch-logits-binary-pw", "torch", "logits", col(bx), col(by), pos_weight=[4.0], gamma=1.0
    )
    case_focal("focal-torch-logits-soft", "torch", "logits", soft_x, soft_y)
    c = case_focal("focal-torch-logits-soft-point", "torch", "logits", [[0.7]], [[0.3]], alpha=-1.0)
    check(
        "focal soft label x=0.7,y=0.3, alpha off (optax value)",
        c["expected"]["mean"],
        0.28742820760888127,
        rtol=1e-13,
    )
    case_focal("focal-torch-logits-xb-yb-sw", "torch", "logits", XB, YB, sample_weight=[1.0, 3.0])
    case_focal("focal-torch-logits-multilabel-random200", "torch", "logits", rx3, ry3.tolist())
    case_focal(
        "focal-torch-probs-multilabel-random200-sw",
        "torch",
        "probs",
        rp3,
        ry3.tolist(),
        alpha=0.4,
        gamma=2.5,
        sample_weight=rsw.tolist(),
    )

    # ======================= focal / keras =======================
    c = case_focal("focal-keras-logits-xb-yb-default", "keras", "logits", XB, YB)
    check(
        "keras BinaryFocal XB,YB default (f64 formula) = torchvision alpha=-1",
        c["expected"]["mean"],
        0.5127891790752249,
        rtol=1e-14,
    )
    check("keras BinaryFocal XB,YB default (f32 run)", c["expected"]["mean"], 0.5127891898, rtol=1e-7)
    c = case_focal("focal-keras-logits-xb-yb-alpha", "keras", "logits", XB, YB, alpha=0.25)
    check(
        "keras BinaryFocal XB,YB apply_class_balancing (= torchvision default)",
        c["expected"]["mean"],
        0.22485815919610988,
        rtol=1e-14,
    )
    check(
        "keras BinaryFocal XB,YB apply_class_balancing (f32 run)",
        c["expected"]["mean"],
        0.2248581797,
        rtol=1e-7,
    )
    c = case_focal(
        "focal-keras-logits-extreme-gamma0", "keras", "logits", col([40.0, -40.0]), col([0, 0]), gamma=0.0
    )
    # semantics.md quotes 15.942384719848633, which is Keras's float32 output; the float64
    # formula (clip at 1-1e-7) gives -log(1e-7)-ish = 16.118095651484676
    check(
        "keras BinaryFocal x=40,y=0,gamma=0 (f64 formula; doc's 15.94 is f32)",
        c["expected"]["per_sample"][0],
        16.118095651484676,
    )
    case_focal(
        "focal-keras-logits-extreme-binary",
        "keras",
        "logits",
        col([40.0, -40.0, 1000.0, -1000.0, 0.0, 40.0]),
        col([0, 1, 0, 1, 1, 1]),
    )
    case_focal("focal-keras-probs-xb-yb-default", "keras", "probs", PB, YB)
    case_focal(
        "focal-keras-probs-clamp",
        "keras",
        "probs",
        col([0.0, 1.0, 1.0, 0.0, 0.3, 0.5]),
        col([1, 0, 1, 0, 1, 0]),
    )
    case_focal("focal-keras-logits-binary", "keras", "logits", col(bx), col(by))
    case_focal("focal-keras-probs-binary-alpha", "keras", "probs", col(bp), col(by), alpha=0.6, gamma=1.0)
    case_focal("focal-keras-logits-xb-yb-a05-g3", "keras", "logits", XB, YB, alpha=0.5, gamma=3.0)
    case_focal("focal-keras-logits-soft", "keras", "logits", soft_x, soft_y)
    case_focal("focal-keras-logits-xb-yb-sw", "keras", "logits", XB, YB, sample_weight=[1.0, 3.0])
    case_focal("focal-keras-logits-multilabel-random200", "keras", "logits", rx3, ry3.tolist())

    # ---------------- write ----------------
    doc = {
        "generated_by": "tools/make_reference.py",
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "cases": CASES,
    }
    text = json.dumps(doc, indent=1, allow_nan=False)
    out = os.path.normpath(OUT)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1, allow_nan=False)
        fh.write("\n")
    assert os.path.getsize(out) < 2 * 1024 * 1024, os.path.getsize(out)
    # the JSON round-trips exactly
    assert json.loads(text) == doc

    counts = {}
    for cse in CASES:
        key = (cse["loss"], cse["convention"], cse["input"])
        counts[key] = counts.get(key, 0) + 1
    print(f"wrote {out}: {len(CASES)} cases, {os.path.getsize(out)} bytes", file=sys.stderr)
    for key in sorted(counts):
        loss, conv, kind = key
        print(f"  {loss:<6} {conv:<8} {kind:<10} {counts[key]}", file=sys.stderr)
    print(f"{len(CHECKS)} documented numbers asserted", file=sys.stderr)


if __name__ == "__main__":
    main()
