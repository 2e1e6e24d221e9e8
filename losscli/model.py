"""The value types that cross the layers: rows for display, what a renderer needs to know,
and the finished :class:`Result`. No logic beyond slicing and joining rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from losscli.core import LossOptions, Summary


@dataclass
class RowBlock:
    """Rows for display or streamed output. ``index`` int64 (m,) 0-based row numbers;
    ``loss`` float64 (m,) (NaN when ignored); ``valid`` bool (m,); ``scores`` float64 (m, k);
    ``labels`` float64 (m, L) as read; ``pred``/``target`` as in
    :class:`~losscli.core.ChunkResult`."""

    index: np.ndarray
    loss: np.ndarray
    valid: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    pred: np.ndarray
    target: np.ndarray

    def take(self, sel: np.ndarray) -> RowBlock:
        return RowBlock(*(getattr(self, f)[sel] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(blocks: list[RowBlock]) -> RowBlock:
        return RowBlock(
            *(np.concatenate([getattr(b, f) for b in blocks]) for f in RowBlock.__dataclass_fields__)
        )

    @staticmethod
    def empty() -> RowBlock:
        return RowBlock(*(np.zeros(0) for _ in RowBlock.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class Meta:
    """What a renderer needs to print rows: fixed by the plan before any chunk is computed."""

    mode: str
    k: int
    classes: list[str] | None
    score_names: list[str]
    soft: bool
    opts: LossOptions


@dataclass
class Result:
    """A finished evaluation: the reduced :class:`~losscli.core.Summary` and what the
    renderers show with it. ``per_sample`` float64 (rows,) (NaN where ignored) when asked
    for; ``denom`` and ``sample_weights`` float64 (rows,) alongside it, for the bootstrap."""

    path: str
    opts: LossOptions
    mode: str
    reason: str
    inferred: bool
    k: int
    classes: list[str] | None
    score_names: list[str]
    soft: bool
    summary: Summary
    per_sample: np.ndarray | None
    rows: RowBlock
    hidden: int
    warnings: list[str]
    signature: str
    sample_weight_col: str | None = None
    baseline_per_sample: np.ndarray | None = None
    baseline_summary: Summary | None = None
    sample_weights: np.ndarray | None = None
    denom: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    calibration_state: Any = None  # a CalibrationAccumulator with --calibration

    # The Python API's view: plain numbers and the JSON object.
    @property
    def mean(self) -> float:
        """PyTorch's ``reduction='mean'`` value (weighted where sample weights are)."""
        return float(self.summary.mean)

    @property
    def sum(self) -> float:
        """PyTorch's ``reduction='sum'`` value."""
        return float(self.summary.sum)

    @property
    def n(self) -> int:
        """The samples (positions) that entered the mean."""
        return int(self.summary.n)

    @property
    def accuracy(self) -> float | None:
        return None if self.summary.accuracy is None else float(self.summary.accuracy)

    @property
    def calibration(self) -> dict[str, Any] | None:
        """``{"brier", "ece", "mce", "bins": [...]}`` with ``--calibration``, else None."""
        return None if self.calibration_state is None else self.calibration_state.result()

    def to_dict(self) -> dict[str, Any]:
        """The object ``--format json`` prints (non-finite numbers as None)."""
        from losscli.render import summary_dict

        return summary_dict(self)

    def __repr__(self) -> str:
        return f"Result(loss={self.opts.loss!r}, mode={self.mode!r}, n={self.n}, mean={self.mean!r})"
