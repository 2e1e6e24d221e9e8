"""Reduction across chunks (and shards): compensated, mergeable sums into a :class:`Summary`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from losscli.core.conventions import convention
from losscli.core.types import ChunkResult, LossOptions
from losscli.errors import LossInputError


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
        self.num: list[float] = []  # Σ sᵢ·lossᵢ per chunk
        self.den: list[float] = []  # Σ of the mean's denominator per chunk (or shard)
        self.shard_num: list[float] = []  # mean·weight_sum per shard
        self.shard_sum: list[float] = []  # the reduction='sum' of each shard
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
        loss = r.per_sample[v]
        if sample_weight is not None:
            s = sample_weight[v]
            self.num.append(float(np.sum(s * loss)))
            counted = convention(self.opts.convention).sample_weight_denominator == "count"
            # keras divides by the number of (unmasked) rows, torch/sklearn by Σ sᵢ·dᵢ
            d = r.denom[v] if counted else s * r.denom[v]
            self.den.append(float(np.sum(d)))
        else:
            self.num.append(float(np.sum(loss)))
            self.den.append(float(np.sum(r.denom[v])))
        self.n += int(v.sum())
        self.ignored += int((~v).sum())
        self.correct.append(float(np.sum(r.correct[v])))
        if self.mode == "multilabel":
            self.exact.append(float(np.sum(r.correct[v] == 1.0)))
        self.clamped += r.clamped
        self.nonfinite += int((~np.isfinite(loss)).sum())
        self._add_classes(r, loss)

    def _add_classes(self, r: ChunkResult, loss: np.ndarray) -> None:
        # per-class breakdown: plain mean of losses by true class / per output
        v = r.valid
        if r.elements is not None and self.mode == "multilabel":
            self.class_parts.append(r.elements.sum(axis=0))
            self.class_count += len(v)
            return
        tgt = r.target[v]
        if tgt.ndim == 2:
            tgt = tgt[:, 0]
        tgt = tgt.astype(np.int64)
        with np.errstate(invalid="ignore"):
            self.class_parts.append(np.bincount(tgt, weights=loss, minlength=len(self.class_sum)))
        self.class_count += np.bincount(tgt, minlength=len(self.class_count))

    def merge(self, other: Accumulator) -> None:
        """Fold ``other`` (same options, mode and width) in: its parts join this one's lists,
        so the result is exactly that of one accumulator over both streams."""
        self.num += other.num
        self.den += other.den
        self.shard_num += other.shard_num
        self.shard_sum += other.shard_sum
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
        acc = cls(opts, mode, k)
        s = summary
        acc.shard_num.append(s.mean * s.weight_sum if s.weight_sum else 0.0)
        acc.den.append(s.weight_sum)
        acc.shard_sum.append(s.sum)
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
        num, den = math.fsum(self.num + self.shard_num), math.fsum(self.den)
        if den <= 0:
            raise LossInputError("the weights sum to 0; there is nothing to average")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = num / den
        # torch's reduction='sum' adds all n·k elements of a multi-label loss; Keras' 'sum'
        # and log_loss(normalize=False) add the per-sample values
        elements = convention(self.opts.convention).multilabel_sum == "elements"
        factor = self.k if self.mode == "multilabel" and elements else 1
        total = math.fsum(self.num) * factor
        if self.shard_sum:
            total = math.fsum([total, *self.shard_sum])
        acc = math.fsum(self.correct) / self.n if self.has_accuracy else None
        exact = math.fsum(self.exact) / self.n if self.mode == "multilabel" and self.has_exact else None
        class_sum = np.sum(self.class_parts, axis=0) if self.class_parts else self.class_sum
        return Summary(
            n=self.n,
            mean=mean,
            sum=total,
            weight_sum=den,
            accuracy=acc,
            exact_match=exact,
            clamped=self.clamped,
            nonfinite=self.nonfinite,
            ignored=self.ignored,
            class_sum=class_sum,
            class_count=self.class_count,
        )
