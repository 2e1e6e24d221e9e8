"""What an engine returns: a mergeable partial result.

A :class:`Partial` is what one pass over some rows reduces to — the accumulators of the model
(and the baseline), the rows the table keeps, and per-sample values when the plan needs them.
Partials of consecutive row ranges merge into the partial of their union; finishing the last
one gives the :class:`~losscli.model.Result`. The serial engine, other engines and
``losscli merge`` all reduce through :meth:`Partial.merge` and the accumulators' ``merge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from losscli import core
from losscli.calibration import CalibrationAccumulator
from losscli.model import RowBlock


class TopRows:
    """Keeps the table's rows: the first ``top``, the ``top`` worst (``sort="loss"``), or all
    (``top == 0``); nothing at all when ``top`` is None (no table is drawn)."""

    def __init__(self, top: int | None, sort: str) -> None:
        self.top, self.sort = top, sort
        self.parts: list[RowBlock] = []
        self.kept: RowBlock | None = None

    def add(self, block: RowBlock) -> None:
        if self.top is None:
            return
        if self.top == 0:
            self.parts.append(block)  # joined once at the end, not once per chunk
            return
        if self.sort != "loss":
            if self.kept is None or len(self.kept) < self.top:
                merged = block if self.kept is None else RowBlock.concat([self.kept, block])
                self.kept = merged.take(np.arange(min(self.top, len(merged))))
            return
        merged = block if self.kept is None else RowBlock.concat([self.kept, block])
        if len(merged) > self.top:
            sel = np.argpartition(-_badness(merged), self.top - 1)[: self.top]
            merged = merged.take(np.sort(sel))
        self.kept = merged

    def merge(self, other: TopRows) -> None:
        """Fold in the rows kept from a later row range."""
        for block in [*other.parts, *([other.kept] if other.kept is not None else [])]:
            self.add(block)

    def result(self, total: int) -> tuple[RowBlock, int]:
        """The rows to show, in display order, and how many of ``total`` are not shown."""
        if self.top == 0 and self.parts:
            self.kept = RowBlock.concat(self.parts)
            self.parts = []
        if self.kept is None:
            return RowBlock.empty(), 0
        rows = self.kept
        if self.sort == "loss":
            rows = rows.take(np.lexsort((rows.index, -_badness(rows))))
        return rows, total - len(rows)


def _badness(rows: RowBlock) -> np.ndarray:
    """Sort key, worst first: infinite losses lead, ignored rows trail."""
    return np.where(rows.valid, np.nan_to_num(rows.loss, nan=np.inf, posinf=np.inf), -np.inf)


@dataclass
class Partial:
    """The reduction of a range of rows. ``per_sample``, ``denom``, ``weights`` and
    ``baseline_per_sample`` are lists of float64 (m,) arrays, one per chunk, kept only when
    the plan asks for per-sample values (json, the bootstrap, a baseline)."""

    acc: core.Accumulator
    baseline: core.Accumulator | None
    top: TopRows
    per_sample: list[np.ndarray] = field(default_factory=list)
    denom: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    baseline_per_sample: list[np.ndarray] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calibration: CalibrationAccumulator | None = None
    capped: bool = False  # per-sample values were dropped at the plan's per_sample_cap

    def keep(
        self, per_sample: np.ndarray, denom: np.ndarray, weights: np.ndarray | None, cap: int | None
    ) -> None:
        """Keep one chunk's per-sample values, unless that takes the rows past ``cap``."""
        if self.capped:
            return
        if cap is not None and sum(map(len, self.per_sample)) + len(per_sample) > cap:
            self.drop_per_sample()
            return
        self.per_sample.append(per_sample)
        self.denom.append(denom)
        if weights is not None:
            self.weights.append(weights)

    def drop_per_sample(self) -> None:
        self.capped = True
        self.per_sample, self.denom, self.weights = [], [], []

    def merge(self, other: Partial) -> None:
        """Fold in the partial of the rows that follow this one's."""
        self.acc.merge(other.acc)
        if self.baseline is not None and other.baseline is not None:
            self.baseline.merge(other.baseline)
        self.top.merge(other.top)
        if other.capped:
            self.drop_per_sample()
        self.per_sample += other.per_sample
        self.denom += other.denom
        self.weights += other.weights
        self.baseline_per_sample += other.baseline_per_sample
        self.warnings += [w for w in other.warnings if w not in self.warnings]
        if self.calibration is not None and other.calibration is not None:
            self.calibration.merge(other.calibration)
