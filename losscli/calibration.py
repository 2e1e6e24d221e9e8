"""Calibration (Brier score, ECE, MCE, reliability bins) as mergeable partial sums.

Pure NumPy, float64, no I/O. :class:`CalibrationAccumulator` folds chunks of rows in one at
a time; two accumulators (chunks, shards, engine partitions) merge exactly, and
:meth:`CalibrationAccumulator.to_dict` / :meth:`~CalibrationAccumulator.from_dict` carry the
state through JSON without loss.

Definitions (spec "Calibration and pictures"; references: ``sklearn.metrics.brier_score_loss``
and torchmetrics' ``BinaryCalibrationError`` / ``MulticlassCalibrationError``):

* confidence / accuracy of one decision -- binary: ``p`` of the positive class and the label
  ``y`` itself (torchmetrics uses the raw target as "accuracy", so a bin's accuracy is the
  fraction of positives in it); multiclass: the top class's probability and
  ``argmax(p) == label`` (the first maximum wins a tie, as ``torch.max`` and ``np.argmax``);
  multi-label: each of the ``K`` outputs is a binary decision, so ``n·K`` of them.
* brier -- binary: mean ``(p - y)²``; multiclass: mean over rows of ``Σ_c (p_c - y_c)²``
  (sklearn's value with ``scale_by_half=False``; for ``C = 2`` sklearn's default halves it);
  multi-label: mean over all ``n·K`` elements.
* bins -- edges as ``torch.linspace(0, 1, bins + 1)`` computes them (see :func:`bin_edges`);
  bin ``k`` holds ``edges[k] <= c < edges[k+1]`` (``torch.bucketize(right=True)``), and a
  confidence of exactly 1.0 lands in an extra bin ``lo = hi = 1``.
* ece = ``Σ_k (n_k / N)·|accuracy_k - confidence_k|`` (``norm='l1'``); mce =
  ``max_k |accuracy_k - confidence_k|`` (``norm='max'``).

Labels must be hard (0/1, or class indices). Soft labels are refused: neither reference
defines a calibration error for them, and rounding them would make ``brier`` silently
disagree with the ``(p - y)²`` of the labels as given. Calibration is unweighted (sample
weights do not enter), like torchmetrics. Rows skipped by ``--ignore-index`` must be dropped
by the caller before :meth:`CalibrationAccumulator.add_multiclass`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.errors import LossInputError
from losscli.exactsum import UNIT_BITS, ExactSums

DEFAULT_BINS = 15
MODES = ("binary", "multiclass", "multilabel")
FORMAT_VERSION = 1


def bin_edges(bins: int) -> np.ndarray:
    """float64 (bins + 1,) edges, bit for bit what ``torch.linspace(0, 1, bins + 1)`` gives
    with torch's scalar kernel (CPU without SIMD, and CUDA): ``i·step`` for the lower half,
    ``1 - (bins - i)·step`` for the upper half, ``step = 1 / bins``.

    ``np.linspace`` computes ``i·step`` throughout and differs by an ulp at some edges (for
    10 bins, 0.30000000000000004 vs 0.3), which moves a confidence sitting on the edge.
    torch's vectorised CPU kernel (AVX2/AVX-512) also differs by an ulp at some upper-half
    edges when bins >= 7; only confidences exactly on such an edge are affected.
    """
    if not isinstance(bins, int) or bins < 1:
        raise LossInputError(f"--calibration needs a whole number of bins >= 1, got {bins}")
    i = np.arange(bins + 1, dtype=np.float64)
    step = 1.0 / bins
    return np.where(np.arange(bins + 1) < (bins + 1) // 2, i * step, 1.0 - (bins - i) * step)


# ---------------------------------------------------------------------------------------
# Probabilities from scores


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) elementwise, float64, any shape; exact at ±1000 (gives 1.0 and 0.0), no warnings.

    ``exp(-|x|)`` never overflows; for x < 0 the ``z / (1 + z)`` form keeps full relative
    precision of tiny probabilities.
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax of float64 (n, C) → (n, C); exact at ±1000 (the row max is subtracted)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def probabilities(scores: np.ndarray, input: str, family: str) -> np.ndarray:
    """float64 (n, k) probabilities from scores of the kind ``input`` ("logits", "probs",
    "log_probs") for ``family`` "sigmoid" (each column on its own) or "softmax" (rows).

    Log-probabilities are exponentiated as they are (no renormalisation).
    """
    s = np.asarray(scores, dtype=np.float64)
    if input == "probs":
        return s
    if input == "log_probs":
        return np.exp(s)
    if input != "logits":
        raise ValueError(f"unknown input kind {input!r}")
    return softmax(s) if family == "softmax" else sigmoid(s)


# ---------------------------------------------------------------------------------------
# The accumulator


class CalibrationAccumulator:
    """Partial sums for Brier, ECE and MCE over ``bins`` equal-width bins, for one ``mode``
    ("binary", "multiclass", "multilabel").

    State, per bin (``bins + 1`` slots, the last for confidence 1.0): the count, the number
    of correct decisions (ints) and the sum of the confidences (exact, see
    :class:`losscli.exactsum.ExactSums`); plus the sum of the Brier terms. :meth:`merge`
    adds states, so any split of the rows into chunks gives the same counts exactly and the
    same floats to ~1e-16 relative.
    """

    def __init__(self, bins: int = DEFAULT_BINS, mode: str = "binary") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.edges = bin_edges(bins)
        self.bins, self.mode = bins, mode
        self.count = np.zeros(bins + 1, dtype=np.int64)
        self.correct = np.zeros(bins + 1, dtype=np.int64)
        self.conf = ExactSums(bins + 1)
        self.brier = ExactSums(1)

    @property
    def n(self) -> int:
        """Decisions folded in so far: rows (binary, multiclass) or rows·K (multi-label)."""
        return int(self.count.sum())

    # -- adding data ----------------------------------------------------------------------

    def add_binary(self, p: np.ndarray, y: np.ndarray) -> None:
        """One chunk of a binary problem: ``p`` float64 (n,) probabilities of the positive
        class, ``y`` (n,) labels 0/1 (any numeric dtype)."""
        p = _check_probs(p)
        y = _check_hard(y, p.shape)
        self.add(p, y == 1.0, (p - y) ** 2)

    def add_multilabel(self, p: np.ndarray, y: np.ndarray) -> None:
        """One chunk of a multi-label problem: ``p`` float64 (n, K) probabilities, ``y`` (n, K)
        labels 0/1. Every element is a binary decision (bins count n·K)."""
        p = _check_probs(p)
        y = _check_hard(y, p.shape)
        self.add(p.ravel(), (y == 1.0).ravel(), ((p - y) ** 2).ravel())

    def add_multiclass(self, probs: np.ndarray, index: np.ndarray) -> None:
        """One chunk of a multiclass problem: ``probs`` float64 (n, C) class probabilities,
        ``index`` int (n,) true classes in [0, C) (drop ignored rows first)."""
        probs = _check_probs(probs)
        if probs.ndim != 2:
            raise ValueError(f"probs must be (n, C), got shape {probs.shape}")
        n, c = probs.shape
        index = np.asarray(index)
        if index.shape != (n,):
            raise ValueError(f"index must be ({n},), got shape {index.shape}")
        bad = np.flatnonzero((index < 0) | (index >= c) | (index != np.floor(index)))
        if len(bad):
            r = int(bad[0])
            raise LossInputError(
                f"--calibration needs class indices in [0, {c}); row {r + 1} has {index[r]}", row=r
            )
        index = index.astype(np.intp)
        rows = np.arange(n)
        pred = np.argmax(probs, axis=1)  # first maximum on ties, as torch.max(dim=1)
        # Σ_c (p_c - y_c)²: p_c² off the label, (p_y - 1)² on it; no cancellation
        sq = probs**2
        sq[rows, index] = (probs[rows, index] - 1.0) ** 2
        self.add(probs[rows, pred], pred == index, sq.sum(axis=1))

    def add(self, confidence: np.ndarray, correct: np.ndarray, brier_terms: np.ndarray) -> None:
        """Low-level: fold in ``m`` decisions. ``confidence`` float64 (m,) in [0, 1];
        ``correct`` bool (m,); ``brier_terms`` float64 (m,) in [0, 2], one Brier term per
        decision (a row's Σ_c for multiclass)."""
        conf = np.asarray(confidence, dtype=np.float64)
        if len(conf) and not (conf.min() >= 0.0 and conf.max() <= 1.0):
            raise LossInputError("--calibration needs probabilities in [0, 1]")
        slot = self.bucketize(conf)
        size = self.bins + 1
        self.count += np.bincount(slot, minlength=size)
        hits = np.asarray(correct, dtype=np.float64)
        self.correct += np.bincount(slot, weights=hits, minlength=size).astype(np.int64)
        self.conf.add(slot, conf)
        self.brier.add(np.zeros(len(conf), dtype=np.intp), np.asarray(brier_terms, dtype=np.float64))

    def bucketize(self, conf: np.ndarray) -> np.ndarray:
        """Bin index (intp (m,), 0..bins) of each confidence in [0, 1]: the k with
        ``edges[k] <= c < edges[k+1]``, and ``bins`` for c = 1.0 -- what
        ``torch.bucketize(c, edges, right=True) - 1`` and
        ``np.searchsorted(edges, c, "right") - 1`` give.

        ``floor(c·bins)`` is within one of the answer (each edge is within an ulp of k/bins),
        so one comparison each way fixes it: ~10x faster than a binary search.
        """
        guess = np.minimum(np.floor(conf * self.bins), self.bins).astype(np.intp)
        guess -= conf < self.edges[guess]
        upper = np.append(self.edges[1:], np.inf)  # upper[k] = edges[k+1]; none for the 1.0 bin
        guess += conf >= upper[guess]
        return guess

    # -- merging and serialising ----------------------------------------------------------

    def merge(self, other: CalibrationAccumulator) -> CalibrationAccumulator:
        """Add ``other``'s sums into this accumulator (in place); returns ``self``.

        Refuses accumulators with a different number of bins or a different mode.
        """
        if (other.bins, other.mode) != (self.bins, self.mode):
            raise LossInputError(
                f"cannot merge calibration of {other.mode} with {other.bins} bins into "
                f"{self.mode} with {self.bins} bins"
            )
        self.count += other.count
        self.correct += other.correct
        self.conf.merge(other.conf)
        self.brier.merge(other.brier)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON types (ints stay ints; floats round-trip through ``repr``).

        ``{"version": 1, "mode", "bins", "unit_bits": 48, "count": [bins+1 ints],
        "correct": [bins+1 ints], "confidence": SUMS, "brier": SUMS}``, SUMS being
        ``{"units": [ints], "rest": [floats], "err": [floats]}`` (bins+1 entries for the
        confidence, 1 for brier; each sum is ``(units + rest + err)·2**-48``). Slot ``bins``
        is the confidence-1.0 bin.
        """
        return {
            "version": FORMAT_VERSION,
            "mode": self.mode,
            "bins": self.bins,
            "unit_bits": UNIT_BITS,
            "count": [int(v) for v in self.count],
            "correct": [int(v) for v in self.correct],
            "confidence": self.conf.to_json(),
            "brier": self.brier.to_json(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CalibrationAccumulator:
        """Rebuild from :meth:`to_dict`'s output; malformed input is a LossInputError."""
        try:
            if d["version"] != FORMAT_VERSION or d["unit_bits"] != UNIT_BITS:
                raise ValueError("unsupported calibration state version")
            if d["mode"] not in MODES or not isinstance(d["bins"], int):
                raise ValueError(f"unknown mode {d['mode']!r} or bins {d['bins']!r}")
            acc = cls(d["bins"], d["mode"])
            size = acc.bins + 1
            acc.count = np.array(d["count"], dtype=np.int64)
            acc.correct = np.array(d["correct"], dtype=np.int64)
            if acc.count.shape != (size,) or acc.correct.shape != (size,):
                raise ValueError(f"count and correct must have {size} entries")
            if (acc.correct < 0).any() or (acc.correct > acc.count).any():
                raise ValueError("counts must satisfy 0 <= correct <= count")
            acc.conf = ExactSums.from_json(d["confidence"], size)
            acc.brier = ExactSums.from_json(d["brier"], 1)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise LossInputError(f'"calibration" is not a valid calibration state: {exc}') from None
        return acc

    # -- the result -----------------------------------------------------------------------

    def result(self) -> dict[str, Any]:
        """``{"brier", "ece", "mce", "bins": [{"lo", "hi", "n", "confidence", "accuracy"}]}``.

        ``bins`` lists the non-empty bins in order; the confidence-1.0 bin has lo = hi = 1.0.
        ``confidence`` / ``accuracy`` are the bin's mean confidence and fraction correct.
        """
        total = self.n
        if total == 0:
            raise LossInputError("no rows to compute calibration on")
        conf_sum = self.conf.values()
        rows, gaps, weighted = [], [], []
        for k in np.flatnonzero(self.count):
            nk = int(self.count[k])
            conf, acc = conf_sum[k] / nk, int(self.correct[k]) / nk
            lo = float(self.edges[k])
            hi = float(self.edges[k + 1]) if k < self.bins else 1.0
            rows.append({"lo": lo, "hi": hi, "n": nk, "confidence": conf, "accuracy": acc})
            gaps.append(abs(acc - conf))
            weighted.append(abs(acc - conf) * nk / total)
        brier = self.brier.values()[0] / total
        return {"brier": brier, "ece": math.fsum(weighted), "mce": max(gaps), "bins": rows}


def _check_probs(p: np.ndarray) -> np.ndarray:
    """float64 copy of ``p``; refuses NaN/inf and values outside [0, 1] (LossInputError)."""
    p = np.asarray(p, dtype=np.float64)
    bad = ~((p >= 0.0) & (p <= 1.0))  # also catches NaN
    if bad.any():
        pos = np.argwhere(bad)[0]
        row = int(pos[0]) if pos.size else 0
        raise LossInputError(
            f"--calibration needs probabilities in [0, 1]; row {row + 1} has {float(p[tuple(pos)])!r}",
            row=row,
        )
    return p


def _check_hard(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float64 copy of the labels ``y`` (shape ``shape``); refuses anything but 0 and 1."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape != shape:
        raise ValueError(f"labels must have shape {shape}, got {y.shape}")
    bad = ~((y == 0.0) | (y == 1.0))
    if bad.any():
        pos = np.argwhere(bad)[0]
        row = int(pos[0]) if pos.size else 0
        raise LossInputError(
            f"--calibration needs hard 0/1 labels; row {row + 1} has the soft label {float(y[tuple(pos)])!r}",
            row=row,
        )
    return y
