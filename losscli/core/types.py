"""The core's value types: the options that change the numbers, decoded targets, chunk results."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from losscli.errors import LossInputError
from losscli.specs import LOSSES


@dataclass(frozen=True)
class LossOptions:
    """Everything that changes the numbers, validated by ``check_options``.

    ``alpha=None`` means "the convention's default": torchvision applies 0.25, Keras applies
    no class balancing. ``threshold`` is on the probability scale.
    """

    loss: str  # "bce" | "ce" | "focal"
    input: str  # "logits" | "probs" | "log_probs"
    convention: str = "torch"
    pos_weight: tuple[float, ...] | None = None
    weight: tuple[float, ...] | None = None
    ignore_index: int | None = None
    label_smoothing: float = 0.0
    alpha: float | None = None
    gamma: float = 2.0
    threshold: float = 0.5
    sample_weights: bool = False

    @property
    def family(self) -> str:
        """``"sigmoid"`` for bce/focal (independent outputs), ``"softmax"`` for ce."""
        spec = LOSSES.get(self.loss)
        if spec is None:  # only a hand-edited merge shard can get here
            raise LossInputError(f"unknown loss {self.loss!r}; expected {', '.join(LOSSES)}")
        return spec.family

    def focal_alpha(self) -> float | None:
        """The α that is applied, or None when the α term is off."""
        from losscli.core.conventions import convention

        default = convention(self.convention).focal_alpha_default
        a = default if self.alpha is None else self.alpha
        # torchvision: a negative α disables the term; keras: α only when given
        return a if a is not None and a >= 0 else None


@dataclass
class Targets:
    """Decoded labels of one chunk.

    Sigmoid losses: ``y`` float64 (n, k), 0/1 or soft in [0, 1].
    Softmax with class indices: ``index`` int64 (n,). Softmax with soft targets: ``y``
    float64 (n, k), rows summing to 1.
    """

    y: np.ndarray | None = None
    index: np.ndarray | None = None

    @property
    def soft(self) -> bool:
        return self.index is None


@dataclass
class ChunkResult:
    """Per-sample results for one chunk of ``n`` rows.

    ``per_sample`` float64 (n,): PyTorch's ``reduction='none'`` value (multi-label: mean over
    outputs), NaN where the row is ignored. ``denom`` float64 (n,): the row's share of the
    mean's denominator (the target's class weight for weighted hard-label CE, else 1; 0 when
    ignored). ``correct`` float64 (n,): fraction of the row's outputs predicted right.
    ``pred`` / ``target``: int64 (n,) class indices, or bool (n, k) for sigmoid losses.
    ``elements`` float64 (n, k) per-output losses of sigmoid losses (for ``--per-class``).
    """

    per_sample: np.ndarray
    valid: np.ndarray
    denom: np.ndarray
    correct: np.ndarray
    pred: np.ndarray
    target: np.ndarray
    clamped: int = 0
    elements: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
