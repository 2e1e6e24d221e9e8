"""The loss core: pure NumPy, float64, no I/O, no printing.

Everything here works on one chunk of rows at a time, so that a file larger than memory can
be streamed: :func:`compute` turns scores and targets into per-sample losses, predictions and
clamp counts; :class:`Accumulator` reduces chunk results into the mean, sum and accuracy with
compensated sums, so a streamed mean equals the whole-array mean.

Shapes: ``n`` rows in a chunk, ``k`` score columns (outputs or classes). Scores are
``float64 (n, k)``; binary problems have ``k == 1``.

Conventions (``torch``, ``keras``, ``sklearn``) differ only in the rules that
:mod:`losscli.core.conventions` lists as fields of one object per convention: how
probabilities are clipped before the log, what label smoothing means, and what the mean
divides by. Logits go through exact, overflow-free log-sigmoid / log-softmax.

Layout: ``stable`` (building blocks), ``conventions``, ``losses`` (the formulas),
``validate`` (options and chunks), ``reduce`` (:class:`Accumulator`), ``modes``.
"""

from __future__ import annotations

import math

import numpy as np

from losscli.core.conventions import (
    CONVENTIONS,
    KERAS,
    KERAS_EPS,
    SKLEARN,
    SKLEARN_EPS,
    TORCH,
    TORCH_LOG_CLAMP,
    Convention,
    Refusal,
    convention,
)
from losscli.core.losses import (
    SIGMOID_LOSSES,
    ElementFn,
    bce_elements,
    bce_from_probs,
    ce_per_sample,
    focal_elements,
    sigmoid_bce_from_logits,
    sigmoid_focal,
    smooth_binary,
    softmax_ce_int_labels,
    softmax_ce_int_labels_from_logits,
    softmax_ce_soft_targets,
)
from losscli.core.modes import ModeChoice, choose_mode
from losscli.core.reduce import Accumulator, Summary
from losscli.core.stable import log_sigmoid, log_softmax, logsumexp, one_hot, sigmoid, xlogy_sum
from losscli.core.types import ChunkResult, LossOptions, Targets
from losscli.core.validate import (
    ROW_SUM_TOL,
    check_options,
    check_widths,
    validate_options,
    validate_scores,
    validate_targets,
)

__all__ = [
    "CONVENTIONS",
    "KERAS",
    "KERAS_EPS",
    "ROW_SUM_TOL",
    "SIGMOID_LOSSES",
    "SKLEARN",
    "SKLEARN_EPS",
    "TORCH",
    "TORCH_LOG_CLAMP",
    "Accumulator",
    "ChunkResult",
    "Convention",
    "ElementFn",
    "LossOptions",
    "ModeChoice",
    "Refusal",
    "Summary",
    "Targets",
    "bce_elements",
    "bce_from_probs",
    "ce_per_sample",
    "check_options",
    "check_widths",
    "choose_mode",
    "compute",
    "convention",
    "focal_elements",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "one_hot",
    "predict_sigmoid",
    "sigmoid",
    "sigmoid_bce_from_logits",
    "sigmoid_focal",
    "smooth_binary",
    "softmax_ce_int_labels",
    "softmax_ce_int_labels_from_logits",
    "softmax_ce_soft_targets",
    "validate_options",
    "validate_scores",
    "validate_targets",
    "xlogy_sum",
]


def compute(scores: np.ndarray, t: Targets, opts: LossOptions) -> ChunkResult:
    """Per-sample losses, predictions and counts for one chunk.

    ``scores`` float64 (n, k); ``t`` decoded for ``opts``' family. Validates both first.
    """
    warnings = validate_scores(scores, opts)
    n, k = scores.shape
    validate_targets(t, k, opts)
    if opts.family == "softmax":
        loss, denom, valid, clamped = ce_per_sample(scores, t, opts)
        pred = np.argmax(scores, axis=1)
        if t.index is not None:
            target = t.index
        else:
            assert t.y is not None
            target = np.argmax(t.y, axis=1)
        correct = (pred == target).astype(np.float64)
        return ChunkResult(loss, valid, denom, correct, pred, target, clamped, None, warnings)

    assert t.y is not None
    elements, clamped = SIGMOID_LOSSES[opts.loss](scores, t.y, opts)
    pred = predict_sigmoid(scores, opts)
    target = t.y >= 0.5  # soft targets count as their rounding
    correct = (pred == target).mean(axis=1)
    per_sample = elements.mean(axis=1)
    ones = np.ones(n, dtype=bool)
    return ChunkResult(per_sample, ones, np.ones(n), correct, pred, target, clamped, elements, warnings)


def predict_sigmoid(scores: np.ndarray, opts: LossOptions) -> np.ndarray:
    """Positive when p > T (for logits σ(x) > T, i.e. x > logit(T)); bool (n, k)."""
    if opts.input == "logits":
        t = opts.threshold
        with np.errstate(divide="ignore"):
            cut = math.log(t) - math.log1p(-t) if 0 < t < 1 else (-math.inf if t == 0 else math.inf)
        return scores > cut
    return scores > opts.threshold
