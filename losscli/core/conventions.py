"""The conventions: one frozen :class:`Convention` per library, every rule an explicit field.

The dataclass has no defaults, so a convention that leaves a rule out fails at import with a
``TypeError`` instead of silently inheriting another library's behaviour. The numbers each
rule stands for are pinned by ``tests/test_reference.py`` against the libraries themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args, get_origin, get_type_hints

import numpy as np

from losscli.core.stable import log_softmax
from losscli.errors import LossInputError
from losscli.specs import CONVENTION_NAMES

TORCH_LOG_CLAMP = -100.0  # BCELoss clamps each log term at -100 (ATen Loss.cpp)
KERAS_EPS = 1e-7  # keras.config.epsilon(): probabilities clipped to [eps, 1 - eps]
SKLEARN_EPS = float(np.finfo(np.float64).eps)  # log_loss clips at the dtype's eps

ProbLogs = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
ClassLogs = Callable[[np.ndarray, str], tuple[np.ndarray, "np.ndarray | None"]]


@dataclass(frozen=True)
class Refusal:
    """An option (or, with ``option="loss"``, a loss) the convention has no meaning for.

    ``losses``: the losses the refusal applies to; ``message``: the error text.
    """

    option: str
    losses: frozenset[str]
    message: str


@dataclass(frozen=True)
class Convention:
    """Every rule in which the libraries differ (no defaults on purpose)."""

    name: str
    # logits go through exact log-sigmoid / log-softmax (False: σ / softmax first, then clip)
    exact_logits: bool
    # focal loss from logits clips σ(x) like probabilities (Keras' BinaryFocalCrossentropy)
    focal_via_probs: bool
    # probabilities p (n, k) → (log p, log(1 - p), clipped mask (2, n, k))
    prob_logs: ProbLogs
    # scores (n, k) of a kind → (log-probabilities (n, k), clipped mask or None)
    class_logs: ClassLogs
    # ce label smoothing of class indices: torch's (ε/C)·Σ_c w_c·(-log p_c) term, or a
    # smoothed one-hot target y(1-ε)+ε/C
    ce_smoothing: Literal["weighted_uniform", "soft_target"]
    # ce class weights: "per_class" multiplies each class term (and Σ w_y divides the mean of
    # class indices), "per_sample" multiplies the loss by the target's weight, mean over N
    class_weight: Literal["per_class", "per_sample"]
    # a weighted mean divides by Σ sᵢ·dᵢ ("weighted") or by the number of rows ("count")
    sample_weight_denominator: Literal["weighted", "count"]
    # reduction='sum' of a multi-label loss adds every element ("elements") or each row's mean
    multilabel_sum: Literal["elements", "rows"]
    # α applied by focal when --alpha is not given (None: no α term)
    focal_alpha_default: float | None
    # probability rows of ce that do not sum to 1: an error, a warning, or renormalised
    prob_rows_off: Literal["refuse", "warn", "renormalise"]
    # soft targets the library does not take: family → error message (empty: all are taken)
    refuses_soft_targets: Mapping[str, str]
    # option/loss refusals, checked in this order
    unsupported: tuple[Refusal, ...]
    # what a clamped probability hit, for the summary's note
    clamp_note: str
    # probabilities are clipped to [eps, 1 - eps] (None: the log is clamped instead)
    eps: float | None
    # each log term is clamped at this value (None: probabilities are clipped instead)
    log_clamp: float | None

    def __post_init__(self) -> None:
        # a misspelt rule would otherwise fall through every comparison with it
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"convention {self.name}: {name} must be one of {allowed}")


_CHOICES = {
    name: get_args(hint) for name, hint in get_type_hints(Convention).items() if get_origin(hint) is Literal
}


# ---------------------------------------------------------------------------------------
# Clamp rules, one function per convention


def torch_prob_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # BCELoss clamps the log values, not p
    with np.errstate(divide="ignore"):
        lp_raw, l1p_raw = np.log(p), np.log1p(-p)
    lp, l1p = np.maximum(lp_raw, TORCH_LOG_CLAMP), np.maximum(l1p_raw, TORCH_LOG_CLAMP)
    return lp, l1p, np.stack([lp_raw < TORCH_LOG_CLAMP, l1p_raw < TORCH_LOG_CLAMP])


def keras_prob_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pc = np.clip(p, KERAS_EPS, 1.0 - KERAS_EPS)
    clipped = pc != p
    return np.log(pc), np.log(1.0 - pc), np.stack([clipped, clipped])


def sklearn_prob_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # log_loss builds [1 - p, p] and clips each column at eps
    q = 1.0 - p
    pc, qc = np.clip(p, SKLEARN_EPS, 1 - SKLEARN_EPS), np.clip(q, SKLEARN_EPS, 1 - SKLEARN_EPS)
    return np.log(pc), np.log(qc), np.stack([pc != p, qc != q])


def torch_class_logs(scores: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    if kind == "logits":
        return log_softmax(scores), None
    if kind == "log_probs":
        return scores, None  # NLLLoss takes them as they are
    with np.errstate(divide="ignore"):
        return np.log(scores), None  # NLLLoss(log p): no clamp, p = 0 gives inf


def keras_class_logs(scores: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    if kind in ("logits", "log_probs"):
        # from_logits=True; identical for normalised log-probability rows
        return log_softmax(scores), None
    # CategoricalCrossentropy renormalises rows, then clips
    with np.errstate(divide="ignore"):
        q = scores / scores.sum(axis=1, keepdims=True)
    qc = np.clip(q, KERAS_EPS, 1.0 - KERAS_EPS)
    return np.log(qc), qc != q


def sklearn_class_logs(scores: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    # log_loss needs probabilities: softmax or exp first, then the clip at eps
    if kind == "logits":
        p = np.exp(log_softmax(scores))
    elif kind == "log_probs":
        p = np.exp(scores)
    else:
        p = scores
    pc = np.clip(p, SKLEARN_EPS, 1.0 - SKLEARN_EPS)
    return np.log(pc), pc != p


# ---------------------------------------------------------------------------------------
# The three conventions

_EVERY_LOSS = frozenset({"bce", "ce", "focal"})
_SK_NO = (
    "{} has no counterpart in sklearn.metrics.log_loss "
    "(it only takes sample weights, via --sample-weight-col); use --convention torch"
)

TORCH = Convention(
    name="torch",
    exact_logits=True,
    focal_via_probs=False,
    prob_logs=torch_prob_logs,
    class_logs=torch_class_logs,
    ce_smoothing="weighted_uniform",
    class_weight="per_class",
    sample_weight_denominator="weighted",
    multilabel_sum="elements",
    focal_alpha_default=0.25,  # torchvision's sigmoid_focal_loss default
    prob_rows_off="refuse",
    refuses_soft_targets={},
    unsupported=(),
    clamp_note="of exactly 0 or 1 hit PyTorch's -100 log clamp",
    eps=None,
    log_clamp=TORCH_LOG_CLAMP,
)

KERAS = Convention(
    name="keras",
    exact_logits=True,
    focal_via_probs=True,
    prob_logs=keras_prob_logs,
    class_logs=keras_class_logs,
    ce_smoothing="soft_target",
    class_weight="per_sample",
    sample_weight_denominator="count",
    multilabel_sum="rows",
    # BinaryFocalCrossentropy applies α only with apply_class_balancing=True, which is what
    # passing --alpha means under keras
    focal_alpha_default=None,
    prob_rows_off="renormalise",
    refuses_soft_targets={},
    unsupported=(
        Refusal("pos_weight", _EVERY_LOSS, "--pos-weight has no Keras counterpart; use --convention torch"),
        Refusal(
            "weight",
            frozenset({"bce", "focal"}),
            "per-output --weight has no Keras counterpart for bce; use --convention torch",
        ),
    ),
    clamp_note="within 1e-7 of 0 or 1 hit Keras' clip to [1e-7, 1 - 1e-7]",
    eps=KERAS_EPS,
    log_clamp=None,
)

SKLEARN = Convention(
    name="sklearn",
    exact_logits=False,
    focal_via_probs=False,  # no focal loss: refused below
    prob_logs=sklearn_prob_logs,
    class_logs=sklearn_class_logs,
    # log_loss has no smoothing or class weights for ce (refused below); these give the
    # plain formulas
    ce_smoothing="soft_target",
    class_weight="per_sample",
    sample_weight_denominator="weighted",
    multilabel_sum="rows",
    focal_alpha_default=0.25,
    prob_rows_off="warn",  # log_loss warns and does not renormalise (scikit-learn >= 1.5)
    refuses_soft_targets={
        "softmax": "sklearn.metrics.log_loss takes class labels, not soft targets; use --convention torch",
        "sigmoid": "sklearn.metrics.log_loss takes 0/1 labels, not soft targets; use --convention torch",
    },
    unsupported=(
        Refusal(
            "loss", frozenset({"focal"}), "scikit-learn has no focal loss; use --convention torch or keras"
        ),
        Refusal("pos_weight", _EVERY_LOSS, _SK_NO.format("--pos-weight")),
        Refusal("weight", _EVERY_LOSS, _SK_NO.format("--weight")),
        Refusal("ignore_index", _EVERY_LOSS, _SK_NO.format("--ignore-index")),
        # bce smoothing is y(1-ε)+ε/2 under every convention (spec); ce smoothing is not
        Refusal("label_smoothing", frozenset({"ce"}), _SK_NO.format("--label-smoothing")),
    ),
    clamp_note="within 2.2e-16 of 0 or 1 hit log_loss's clip at the float64 epsilon",
    eps=SKLEARN_EPS,
    log_clamp=None,
)

CONVENTIONS: dict[str, Convention] = {c.name: c for c in (TORCH, KERAS, SKLEARN)}
if tuple(CONVENTIONS) != CONVENTION_NAMES:  # the CLI's --convention choices come from specs
    raise ImportError(f"conventions {tuple(CONVENTIONS)} differ from specs.CONVENTION_NAMES")


def convention(name: str) -> Convention:
    """The convention called ``name``; an unknown name (a hand-edited shard) is bad input."""
    conv = CONVENTIONS.get(name)
    if conv is None:
        raise LossInputError(f"unknown convention {name!r}; expected {', '.join(CONVENTIONS)}")
    return conv
