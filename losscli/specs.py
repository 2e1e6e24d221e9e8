"""What losses and options exist: metadata only, no NumPy (the CLI builds its options from it).

:data:`LOSSES` names each loss, its family, the score kinds it takes, the shared options it
accepts and its own parameters. :data:`SHARED` lists the shared options with their defaults
and data-free range checks; :data:`CONVENTION_NAMES` the conventions, whose rules live in
``losscli.core.conventions`` (which checks at import that its keys are these names).

A ``check`` takes the option's value and returns the error message, or None when it is fine;
the messages are the ones users see, so they are written out here in full.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["sigmoid", "softmax"]
Check = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Param:
    """One option: ``name`` is the ``LossOptions`` field (``--name`` with ``-`` for ``_``)."""

    name: str
    type: type
    default: object
    help: str
    check: Check | None


@dataclass(frozen=True)
class LossSpec:
    """One loss: ``name`` is the CLI command and the JSON ``"loss"``.

    ``inputs``: the score kinds it takes (``"logits"``, ``"probs"``, ``"log_probs"``).
    ``accepts``: the :data:`SHARED` option names it accepts; ``params``: its own options.
    ``help``: the command's ``--help`` text (click's docstring format, examples included).
    """

    name: str
    family: Family
    inputs: tuple[str, ...]
    accepts: frozenset[str]
    params: tuple[Param, ...]
    help: str


def _fmt_list(vec: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in vec)


def _nonneg_list(flag: str) -> Check:
    def check(vec: tuple[float, ...] | None) -> str | None:
        if vec is None or all(math.isfinite(v) and v >= 0 for v in vec):
            return None
        return f"{flag} values must be finite and >= 0, got {_fmt_list(vec)}"

    return check


def _smoothing(v: float) -> str | None:
    return None if 0.0 <= v <= 1.0 else f"--label-smoothing must be in [0, 1], got {v}"


def _threshold(v: float) -> str | None:
    return None if 0.0 <= v <= 1.0 else f"--threshold is a probability in [0, 1], got {v}"


def _alpha(v: float | None) -> str | None:
    if v is None or (math.isfinite(v) and v <= 1):
        return None
    return f"--alpha must be in [0, 1] (or negative to disable), got {v}"


def _gamma(v: float) -> str | None:
    return None if math.isfinite(v) and v >= 0 else f"--gamma must be >= 0, got {v}"


# Shared options, in the order their range checks run (and so which error a user sees first).
# ``sample_weight`` is the ``--sample-weight-col`` column (``LossOptions.sample_weights``).
SHARED: tuple[Param, ...] = (
    Param(
        "pos_weight",
        tuple,
        None,
        "Positive-term weights: one, or one per output.",
        _nonneg_list("--pos-weight"),
    ),
    Param("weight", tuple, None, "Per-output (bce) or per-class (ce) weights.", _nonneg_list("--weight")),
    Param("ignore_index", int, None, "Class index whose rows are skipped (ce).", None),
    Param("label_smoothing", float, 0.0, "Label smoothing ε in [0, 1].", _smoothing),
    Param("threshold", float, 0.5, "Probability above which an output is predicted positive.", _threshold),
    Param("sample_weight", bool, False, "Rows are weighted by a sample-weight column.", None),
)

_ALL = frozenset(p.name for p in SHARED)

BCE = LossSpec(
    name="bce",
    family="sigmoid",
    inputs=("logits", "probs"),
    accepts=_ALL - {"ignore_index"},
    params=(),
    help="""Sigmoid cross-entropy: binary (1 score column) or multi-label (K columns, K labels).

    PyTorch's BCEWithLogitsLoss for --logits, BCELoss (log clamped at -100) for --probs.

    \b
    Examples:
      losscli bce --logits preds.csv                  # label column found by name
      losscli bce --probs p.npy --labels y.npy -q
      losscli bce --logits ml.csv --label-col 4-6 --pos-weight 2 --format json
    """,
)
CE = LossSpec(
    name="ce",
    family="softmax",
    inputs=("logits", "probs", "log_probs"),
    accepts=_ALL - {"pos_weight", "threshold"},
    params=(),
    help="""Softmax cross-entropy over K >= 2 classes (multiclass).

    PyTorch's CrossEntropyLoss for --logits, NLLLoss for --log-probs, NLLLoss(log p) for
    --probs. Labels are class indices, class names matching the score header, or K columns
    of (soft) targets.

    \b
    Examples:
      losscli ce --logits logits.csv                  # header cat,dog,bird,label
      losscli ce --logits x.npy --labels y.npy --weight 1,2,0.5 --ignore-index -100
      losscli ce --probs p.csv --label-smoothing 0.1 --convention keras -q
    """,
)
FOCAL = LossSpec(
    name="focal",
    family="sigmoid",
    inputs=("logits", "probs"),
    accepts=_ALL - {"weight", "ignore_index", "label_smoothing"},
    params=(
        Param("alpha", float, None, "α of the α-term (torch default 0.25; negative: off).", _alpha),
        Param("gamma", float, 2.0, "Focusing exponent γ ≥ 0.", _gamma),
    ),
    help="""Sigmoid focal loss (torchvision's sigmoid_focal_loss), binary or multi-label.

    loss = α_t·(1 - p_t)^γ·BCE, mean over all elements. --alpha defaults to 0.25
    (negative: no α term); --gamma to 2. Under --convention keras, α applies only when given.

    \b
    Examples:
      losscli focal --logits preds.csv
      losscli focal --logits preds.csv --alpha -1 --gamma 0   # equals bce
    """,
)

LOSSES: dict[str, LossSpec] = {s.name: s for s in (BCE, CE, FOCAL)}

CONVENTION_NAMES: tuple[str, ...] = ("torch", "keras", "sklearn")


def takes(option: str) -> tuple[str, ...]:
    """The losses (in :data:`LOSSES` order) that accept a shared option or score kind."""
    return tuple(s.name for s in LOSSES.values() if option in s.accepts or option in s.inputs)
