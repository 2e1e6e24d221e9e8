"""Reduction across chunks (and shards): compensated, mergeable sums into a :class:`Summary`.

Sums are kept as parts ``m·2**e``: a chunk whose sample weights, losses or denominators are
near float64's limits (1e308, or subnormal) is scaled by a power of two first, which is exact,
so products and sums neither overflow nor lose digits, and every finite answer stays finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from losscli.core.conventions import convention
from losscli.core.types import ChunkResult, LossOptions
from losscli.errors import LossInputError

# Chunks whose largest magnitude lies in this range are summed as they are (bit for bit the
# plain sum); outside it they are scaled by a power of two, so products of two scaled factors
# and sums of millions of them stay far from overflow and underflow.
_MODERATE = (2.0**-256, 2.0**256)


def _scale_exp(x: np.ndarray) -> int:
    """The power of two to divide ``x`` (float64 (n,)) by: 0 when its largest finite
    magnitude is moderate, else the exponent that brings that magnitude into [0.5, 1)."""
    if x.size == 0:
        return 0
    top = max(float(x.max()), -float(x.min()))
    if not math.isfinite(top):  # inf / NaN entries stay as they are; scale by the rest
        finite = np.isfinite(x)
        top = float(np.max(np.abs(x), where=finite, initial=0.0))
    if top == 0.0 or _MODERATE[0] <= top <= _MODERATE[1]:
        return 0
    return math.frexp(top)[1]


def _scaled(x: np.ndarray, e: int) -> np.ndarray:
    return x if e == 0 else np.ldexp(x, -e)


def _value(m: float, e: int) -> float:
    """``m·2**e``, inf where that overflows float64 (as the true value then does)."""
    try:
        return math.ldexp(m, e)
    except OverflowError:
        return math.copysign(math.inf, m)


class Parts:
    """A sum kept as parts ``mᵢ·2**eᵢ``; :meth:`total` adds them exactly (``math.fsum``)
    after aligning the exponents. Merging two sums is joining their parts."""

    def __init__(self) -> None:
        self.m: list[float] = []
        self.e: list[int] = []

    def add(self, m: float, e: int = 0) -> None:
        self.m.append(m)
        self.e.append(e)

    def add_float(self, x: float) -> None:
        """Add a plain float (its mantissa and exponent, so products of two never overflow)."""
        self.add(*math.frexp(x))

    def extend(self, other: Parts) -> None:
        self.m += other.m
        self.e += other.e

    def total(self) -> tuple[float, int]:
        """``(M, E)`` with ``Σ mᵢ·2**eᵢ == M·2**E``, ``M`` correctly rounded."""
        if not any(self.e):
            return math.fsum(self.m), 0
        top = max((e for m, e in zip(self.m, self.e, strict=True) if m != 0), default=0)
        return math.fsum(math.ldexp(m, e - top) for m, e in zip(self.m, self.e, strict=True)), top


@dataclass
class Summary:
    """The reduced result. ``mean`` is PyTorch's ``reduction='mean'``, ``sum`` its 'sum'.

    ``class_sum`` float64 / ``class_count`` int64 (classes,): per true class (per output for
    multi-label) the sum and number of losses.
    """

    n: int
    mean: float
    sum: float
    weight_sum: float
    accuracy: float | None
    exact_match: float | None
    clamped: int
    nonfinite: int
    ignored: int
    class_sum: np.ndarray
    class_count: np.ndarray


class Accumulator:
    """Reduces :class:`ChunkResult` s chunk by chunk, and accumulators into each other.

    Per-chunk sums use NumPy's pairwise summation; the chunk partials are kept in lists and
    combined with ``math.fsum`` only at the end, so the streamed mean equals the whole-array
    mean to ~1e-15 and :meth:`merge` of two accumulators is exactly one over both streams.
    Parts from a finished :class:`Summary` (a shard) are kept apart: their ``sum`` is final.
    """

    def __init__(self, opts: LossOptions, mode: str, k: int) -> None:
        self.opts, self.mode, self.k = opts, mode, k
        self.num = Parts()  # Σ sᵢ·lossᵢ per chunk
        self.den = Parts()  # Σ of the mean's denominator per chunk (or shard)
        self.shard_num = Parts()  # mean·weight_sum per shard
        self.shard_sum = Parts()  # the reduction='sum' of each shard
        self.correct: list[float] = []
        self.exact: list[float] = []
        self.has_accuracy = True  # False once a shard without accuracy is merged in
        self.has_exact = True
        self.n = 0
        self.clamped = 0
        self.nonfinite = 0
        self.ignored = 0
        classes = k if mode != "binary" else 2
        self.class_sum = np.zeros(classes)
        self.class_count = np.zeros(classes, dtype=np.int64)
        self.class_parts: list[np.ndarray] = []

    def add(self, r: ChunkResult, sample_weight: np.ndarray | None) -> None:
        """Fold one chunk in. ``sample_weight`` float64 (n,) or None."""
        v = r.valid
        loss, d = r.per_sample[v], r.denom[v]
        b, c = _scale_exp(loss), _scale_exp(d)
        ls, ds = _scaled(loss, b), _scaled(d, c)
        if sample_weight is not None:
            s = sample_weight[v]
            a = _scale_exp(s)
            ss = _scaled(s, a)
            self.num.add(float(np.sum(ss * ls)), a + b)
            # keras divides by the number of (unmasked) rows, torch/sklearn by Σ sᵢ·dᵢ
            if convention(self.opts.convention).sample_weight_denominator == "count":
                self.den.add(float(np.sum(ds)), c)
            else:
                self.den.add(float(np.sum(ss * ds)), a + c)
        else:
            self.num.add(float(np.sum(ls)), b)
            self.den.add(float(np.sum(ds)), c)
        self.n += int(v.sum())
        self.ignored += int((~v).sum())
        self.correct.append(float(np.sum(r.correct[v])))
        if self.mode == "multilabel":
            self.exact.append(float(np.sum(r.correct[v] == 1.0)))
        self.clamped += r.clamped
        self.nonfinite += int((~np.isfinite(loss)).sum())
        self._add_classes(r, loss)

    def _add_classes(self, r: ChunkResult, loss: np.ndarray) -> None:
        # per-class breakdown: plain mean of losses by true class / per output. A class sum
        # beyond float64 (losses near 1e308) is inf, as the true sum is.
        v = r.valid
        if r.elements is not None and self.mode == "multilabel":
            with np.errstate(over="ignore"):
                self.class_parts.append(r.elements.sum(axis=0))
            self.class_count += len(v)
            return
        tgt = r.target[v]
        if tgt.ndim == 2:
            tgt = tgt[:, 0]
        tgt = tgt.astype(np.int64)
        with np.errstate(invalid="ignore", over="ignore"):
            self.class_parts.append(np.bincount(tgt, weights=loss, minlength=len(self.class_sum)))
        self.class_count += np.bincount(tgt, minlength=len(self.class_count))

    def merge(self, other: Accumulator) -> None:
        """Fold ``other`` (same options, mode and width) in: its parts join this one's lists,
        so the result is exactly that of one accumulator over both streams."""
        if (other.mode, other.k) != (self.mode, self.k):
            raise ValueError(f"cannot merge a {other.mode} k={other.k} reduction into {self.mode} k={self.k}")
        self.num.extend(other.num)
        self.den.extend(other.den)
        self.shard_num.extend(other.shard_num)
        self.shard_sum.extend(other.shard_sum)
        self.correct += other.correct
        self.exact += other.exact
        self.has_accuracy = self.has_accuracy and other.has_accuracy
        self.has_exact = self.has_exact and other.has_exact
        self.n += other.n
        self.clamped += other.clamped
        self.nonfinite += other.nonfinite
        self.ignored += other.ignored
        if len(self.class_count) and len(other.class_count):
            self.class_count = self.class_count + other.class_count
            self.class_parts += other.class_parts
        else:  # a shard without a per-class table: no breakdown for the union
            self.class_sum, self.class_count = np.zeros(0), np.zeros(0, dtype=np.int64)
            self.class_parts = []

    @classmethod
    def from_summary(cls, opts: LossOptions, mode: str, k: int, summary: Summary) -> Accumulator:
        """An accumulator standing for a finished reduction (a shard): its :meth:`summary`
        gives back ``summary`` (the mean to the rounding of ``mean·weight_sum``)."""
        _check_summary(summary)
        acc = cls(opts, mode, k)
        s = summary
        if s.weight_sum:  # mean·weight_sum as a product of mantissas: no overflow at 1e308
            (mm, me), (wm, we) = math.frexp(s.mean), math.frexp(s.weight_sum)
            acc.shard_num.add(mm * wm, me + we)
        acc.den.add_float(s.weight_sum)
        acc.shard_sum.add_float(s.sum)
        acc.has_accuracy = s.accuracy is not None
        acc.correct.append(s.accuracy * s.n if s.accuracy is not None else 0.0)
        acc.has_exact = s.exact_match is not None
        if mode == "multilabel":
            acc.exact.append(s.exact_match * s.n if s.exact_match is not None else 0.0)
        acc.n, acc.clamped, acc.nonfinite, acc.ignored = s.n, s.clamped, s.nonfinite, s.ignored
        acc.class_count = np.array(s.class_count, dtype=np.int64)
        acc.class_sum = np.array(s.class_sum, dtype=np.float64)
        if len(acc.class_count):
            acc.class_parts.append(acc.class_sum)
        return acc

    def summary(self) -> Summary:
        """Finish the reduction; refuses an empty or all-ignored input."""
        if self.n == 0:
            if self.ignored:
                raise LossInputError(
                    f"all {self.ignored} rows were skipped by --ignore-index "
                    f"{self.opts.ignore_index}; there is nothing to average"
                )
            raise LossInputError("no rows to compute a loss on")
        num_parts = Parts()
        num_parts.extend(self.num)
        num_parts.extend(self.shard_num)
        (num, num_e), (den, den_e) = num_parts.total(), self.den.total()
        if den <= 0:
            raise LossInputError("the weights sum to 0; there is nothing to average")
        mean = _value(num / den, num_e - den_e)
        # torch's reduction='sum' adds all n·k elements of a multi-label loss; Keras' 'sum'
        # and log_loss(normalize=False) add the per-sample values
        elements = convention(self.opts.convention).multilabel_sum == "elements"
        factor = self.k if self.mode == "multilabel" and elements else 1
        chunks, chunks_e = self.num.total()
        total = _value(chunks * factor, chunks_e)
        if self.shard_sum.m:
            sums = Parts()
            sums.add(chunks * factor, chunks_e)
            sums.extend(self.shard_sum)
            total = _value(*sums.total())
        acc = math.fsum(self.correct) / self.n if self.has_accuracy else None
        exact = math.fsum(self.exact) / self.n if self.mode == "multilabel" and self.has_exact else None
        with np.errstate(over="ignore"):
            class_sum = np.sum(self.class_parts, axis=0) if self.class_parts else self.class_sum
        return Summary(
            n=self.n,
            mean=mean,
            sum=total,
            weight_sum=_value(den, den_e),
            accuracy=acc,
            exact_match=exact,
            clamped=self.clamped,
            nonfinite=self.nonfinite,
            ignored=self.ignored,
            class_sum=class_sum,
            class_count=self.class_count,
        )


def _check_summary(s: Summary) -> None:
    """Refuse a shard whose numbers no reduction can have produced (a hand-edited file)."""
    if not math.isfinite(s.weight_sum) or s.weight_sum < 0:
        raise LossInputError(f"'weight_sum' must be a finite number >= 0, got {s.weight_sum!r}")
    for name in ("mean", "sum", "accuracy", "exact_match"):
        v = getattr(s, name)
        if v is not None and math.isnan(v):
            raise LossInputError(f"{name!r} must be a number, got NaN")
    for name in ("accuracy", "exact_match"):
        v = getattr(s, name)
        if v is not None and not 0.0 <= v <= 1.0:
            raise LossInputError(f"{name!r} must be in [0, 1], got {v!r}")
