"""The loss formulas, one short function per variant (named as optax names them).

Sigmoid family (bce, focal): elementwise float64 (n, k). Softmax family (ce): per sample
float64 (n,). Where the libraries differ, the :class:`~losscli.core.conventions.Convention`'s
fields decide; no function here tests a convention's name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from losscli.core.conventions import Convention, convention
from losscli.core.stable import one_hot, sigmoid, xlogy_sum
from losscli.core.types import LossOptions, Targets
from losscli.specs import LOSSES

# ---------------------------------------------------------------------------------------
# Sigmoid family: bce and focal, elementwise (n, k)


def smooth_binary(y: np.ndarray, eps: float) -> np.ndarray:
    """Smoothed 0/1 targets float64 (n, k)."""
    # every convention: targets move towards 1/2 (Keras BinaryCrossentropy; torch has none)
    return y * (1.0 - eps) + 0.5 * eps if eps > 0 else y


def sigmoid_bce_from_logits(x: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None) -> np.ndarray:
    """``-[pw·y·log σ(x) + (1-y)·log(1-σ(x))]`` float64 (n, k), exact (``BCEWithLogitsLoss``)."""
    # -log σ(x) = softplus(-x) and -log(1-σ(x)) = softplus(x) share log1p(exp(-|x|)):
    # one exp and one log1p per element, never exp of a large number, and no
    # cancellation, so tiny losses stay exact (x = -40, y = 0 gives 4.2e-18, where
    # x - log σ(x) would round to 0).
    shared = np.log1p(np.exp(-np.abs(x)))
    pos = np.maximum(-x, 0.0) + shared  # -log σ(x)
    neg = np.maximum(x, 0.0) + shared  # -log(1 - σ(x))
    pos = y * pos
    if pos_weight is not None:
        pos = pos * pos_weight
    return pos + (1.0 - y) * neg


def bce_from_probs(
    p: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None, conv: Convention
) -> tuple[np.ndarray, int]:
    """BCE of probabilities float64 (n, k) under the convention's clamp, and the clamped count."""
    lp, l1p, clipped = conv.prob_logs(p)
    # a clamp matters only where its term has a non-zero target coefficient
    hit = (clipped[0] & (y > 0)) | (clipped[1] & (y < 1))
    pos = y * lp
    if pos_weight is not None:
        pos = pos * pos_weight
    return -(pos + (1.0 - y) * l1p), int(hit.sum())


def _sigmoid_bce(
    scores: np.ndarray, y: np.ndarray, kind: str, pos_weight: np.ndarray | None, conv: Convention
) -> tuple[np.ndarray, int]:
    if kind == "logits" and conv.exact_logits:
        return sigmoid_bce_from_logits(scores, y, pos_weight), 0
    p = scores if kind == "probs" else sigmoid(scores)  # sklearn takes probabilities
    return bce_from_probs(p, y, pos_weight, conv)


def bce_elements(scores: np.ndarray, y: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, int]:
    """Per-element sigmoid cross-entropy, float64 (n, k), and the clamped count.

    torch: ``BCEWithLogitsLoss`` (logits) / ``BCELoss`` (probs) with ``pos_weight`` and
    ``weight`` broadcast over columns: ``-w·[pw·y·log p + (1-y)·log(1-p)]``.
    """
    conv = convention(opts.convention)
    y = smooth_binary(y, opts.label_smoothing)
    out, clamped = _sigmoid_bce(scores, y, opts.input, _vec(opts.pos_weight), conv)
    if opts.weight is not None:
        out = out * np.asarray(opts.weight)
    return out, clamped


def sigmoid_focal(scores: np.ndarray, y: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, int]:
    """Per-element sigmoid focal loss, float64 (n, k), and the clamped count.

    torch: torchvision ``sigmoid_focal_loss``: ``ce·(1-p_t)^γ·α_t``. keras:
    ``BinaryFocalCrossentropy``: the clipped probability BCE even for logits.
    """
    conv = convention(opts.convention)
    p = sigmoid(scores) if opts.input == "logits" else scores
    if conv.focal_via_probs:
        ce, clamped = bce_from_probs(p, y, None, conv)
    else:
        ce, clamped = _sigmoid_bce(scores, y, opts.input, _vec(opts.pos_weight), conv)
    p_t = p * y + (1.0 - p) * (1.0 - y)
    out = ce * (1.0 - p_t) ** opts.gamma
    alpha = opts.focal_alpha()
    if alpha is not None:
        out = out * (alpha * y + (1.0 - alpha) * (1.0 - y))
    if opts.weight is not None:
        out = out * np.asarray(opts.weight)
    return out, clamped


focal_elements = sigmoid_focal


def _vec(values: tuple[float, ...] | None) -> np.ndarray | None:
    return np.asarray(values) if values is not None else None


ElementFn = Callable[[np.ndarray, np.ndarray, LossOptions], tuple[np.ndarray, int]]
SIGMOID_LOSSES: dict[str, ElementFn] = {"bce": bce_elements, "focal": sigmoid_focal}
if set(SIGMOID_LOSSES) != {n for n, s in LOSSES.items() if s.family == "sigmoid"}:
    raise ImportError("every sigmoid-family loss in specs.LOSSES needs an element function")


# ---------------------------------------------------------------------------------------
# Softmax family: ce, per sample (n,)


CACHE_VALUES = 1 << 16  # float64 values per block of rows (512 KiB): fits a core's L2


def softmax_ce_int_labels_from_logits(
    x: np.ndarray, safe: np.ndarray, w: np.ndarray | None, conv: Convention
) -> tuple[np.ndarray, np.ndarray]:
    """The common case (logits, class indices, no smoothing) without an (n, k) log-softmax:
    ``loss = (max - x_y) + log Σ exp(x - max)``, exact when the target is the argmax.

    ``safe`` int64 (n,) in-range indices; returns ``(loss (n,), denom (n,))``."""
    n, k = x.shape
    loss = np.empty(n)
    # blocks of rows whose temporaries stay in a core's cache: ~3x faster on wide inputs
    # (a 32 MiB chunk of 1,000 classes) than one pass of max, subtract, exp, sum over it all
    rows = max(1, CACHE_VALUES // max(1, k))
    for a in range(0, n, rows):
        xb, sb = x[a : a + rows], safe[a : a + rows]
        m = xb.max(axis=1)
        e = xb - m[:, None]
        np.exp(e, out=e)  # one temporary per block, reused
        loss[a : a + rows] = (m - xb[np.arange(len(sb)), sb]) + np.log(e.sum(axis=1))
    denom = np.ones(n)
    if w is not None:
        wy = w[safe]
        loss = loss * wy
        if conv.class_weight == "per_class":
            denom = wy  # per_sample: the weight acts as a sample weight, mean over N
    return loss, denom


def softmax_ce_int_labels(
    logp: np.ndarray, safe: np.ndarray, w: np.ndarray | None, eps: float, conv: Convention
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """CE of log-probabilities float64 (n, k) and in-range class indices ``safe`` (n,).

    Returns ``(loss (n,), denom (n,), coef)``: ``coef`` (n, k) is the smoothed target each
    class term is weighted by (for counting clamps), or None for the one-hot target."""
    n, k = logp.shape
    picked = logp[np.arange(n), safe]
    inside = w is not None and conv.class_weight == "per_class"
    wy = w[safe] if w is not None else None
    coef = None
    if eps > 0 and conv.ce_smoothing == "weighted_uniform":
        # torch adds (ε/C)·Σ_c w_c·(-log p_c) — weighted, so not a smoothed soft target
        loss = -(wy * picked) if inside else -picked
        wl = logp * w if inside else logp
        loss = (1.0 - eps) * loss - (eps / k) * wl.sum(axis=1)
    elif eps > 0:  # a smoothed one-hot target, as CategoricalCrossentropy sees it
        coef = one_hot(safe, k) * (1.0 - eps) + eps / k
        loss = -xlogy_sum(coef * w if inside else coef, logp)
    else:
        loss = -picked * wy if inside else -picked
    if wy is not None and not inside:
        loss = loss * wy  # class_weight becomes a sample weight
    denom = wy.copy() if inside and wy is not None else np.ones(n)
    return loss, denom, coef


def softmax_ce_soft_targets(
    logp: np.ndarray, y: np.ndarray, w: np.ndarray | None, eps: float, conv: Convention
) -> tuple[np.ndarray, np.ndarray]:
    """CE of log-probabilities and soft targets, both float64 (n, k): ``(loss (n,), coef)``."""
    k = logp.shape[1]
    coef = y * (1.0 - eps) + eps / k if eps > 0 else y
    if w is None:
        return -xlogy_sum(coef, logp), coef
    if conv.class_weight == "per_class":
        return -xlogy_sum(coef * w, logp), coef
    # keras class_weight looks at the argmax of a one-hot target
    return -xlogy_sum(coef, logp) * w[np.argmax(y, axis=1)], coef


def ce_per_sample(
    scores: np.ndarray, t: Targets, opts: LossOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Softmax cross-entropy per sample.

    Returns ``(loss (n,), denom (n,), valid (n,) bool, clamped)``; ignored rows have loss NaN
    and denom 0. torch: ``CrossEntropyLoss`` / ``NLLLoss`` with ``weight``, ``ignore_index``
    and ``label_smoothing``; the mean is ``Σ loss / Σ denom``.
    """
    n, k = scores.shape
    conv, eps = convention(opts.convention), opts.label_smoothing
    w = np.asarray(opts.weight, dtype=np.float64) if opts.weight is not None else None
    valid = np.ones(n, dtype=bool)
    clamped = 0
    if t.index is not None:
        if opts.ignore_index is not None:
            valid = t.index != opts.ignore_index
        safe = np.where(valid, t.index, 0)  # any in-range index for the ignored rows
        if opts.input == "logits" and conv.exact_logits and eps == 0:
            loss, denom = softmax_ce_int_labels_from_logits(scores, safe, w, conv)
        else:
            logp, clipped = conv.class_logs(scores, opts.input)
            loss, denom, coef = softmax_ce_int_labels(logp, safe, w, eps, conv)
            if clipped is not None:
                clamped = _count_clamped(one_hot(safe, k) if coef is None else coef, clipped, valid)
    else:
        assert t.y is not None
        logp, clipped = conv.class_logs(scores, opts.input)
        loss, coef = softmax_ce_soft_targets(logp, t.y, w, eps, conv)
        denom = np.ones(n)
        clamped = _count_clamped(coef, clipped, valid)
    loss = np.where(valid, loss, np.nan)
    denom = np.where(valid, denom, 0.0)
    return loss, denom, valid, clamped


def _count_clamped(coef: np.ndarray, clipped: np.ndarray | None, valid: np.ndarray) -> int:
    """Rows where a clipped probability has a non-zero target coefficient."""
    if clipped is None:
        return 0
    return int(((coef > 0) & clipped)[valid].any(axis=1).sum())
