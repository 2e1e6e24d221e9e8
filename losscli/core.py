"""The loss core: pure NumPy, float64, no I/O, no printing.

Everything here works on one chunk of rows at a time, so that a file larger than memory can
be streamed: :func:`compute` turns scores and targets into per-sample losses, predictions and
clamp counts; :class:`Accumulator` reduces chunk results into the mean, sum and accuracy with
compensated sums, so a streamed mean equals the whole-array mean.

Shapes: ``n`` rows in a chunk, ``k`` score columns (outputs or classes). Scores are
``float64 (n, k)``; binary problems have ``k == 1``.

Conventions (``torch``, ``keras``, ``sklearn``) differ only in a few places, each marked
below: how probabilities are clipped before the log, what label smoothing means, and what the
mean divides by. Logits always go through exact, overflow-free log-sigmoid / log-softmax.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from losscli.errors import LossInputError

TORCH_LOG_CLAMP = -100.0  # BCELoss clamps each log term at -100 (ATen Loss.cpp)
KERAS_EPS = 1e-7  # keras.config.epsilon(): probabilities clipped to [eps, 1 - eps]
SKLEARN_EPS = float(np.finfo(np.float64).eps)  # log_loss clips at the dtype's eps
ROW_SUM_TOL = 1e-3  # probability rows must sum to 1 within this (spec: "Details")


@dataclass(frozen=True)
class LossOptions:
    """Everything that changes the numbers, validated by :func:`check_options`.

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
        return "softmax" if self.loss == "ce" else "sigmoid"

    def focal_alpha(self) -> float | None:
        """The α that is applied, or None when the α term is off."""
        if self.convention == "keras":
            # BinaryFocalCrossentropy applies α only with apply_class_balancing=True,
            # which is what passing --alpha means under keras.
            return self.alpha if self.alpha is not None and self.alpha >= 0 else None
        a = 0.25 if self.alpha is None else self.alpha
        return a if a >= 0 else None  # torchvision: a negative α disables the term


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


# ---------------------------------------------------------------------------------------
# Options


def check_options(opts: LossOptions, k: int, mode: str) -> None:
    """Refuse options that make no sense for this loss, mode, convention or width ``k``."""
    conv = opts.convention
    if opts.input == "log_probs" and opts.loss != "ce":
        raise LossInputError(f"--log-probs is only for ce; {opts.loss} takes --logits or --probs")
    for name, vec in (("--pos-weight", opts.pos_weight), ("--weight", opts.weight)):
        if vec is None:
            continue
        if not all(math.isfinite(v) and v >= 0 for v in vec):
            raise LossInputError(f"{name} values must be finite and >= 0, got {_fmt_list(vec)}")
        expected = (1, k) if name == "--pos-weight" else (k,)
        if opts.family == "sigmoid" and name == "--weight":
            expected = (1, k)
        if len(vec) not in expected:
            what = "outputs" if opts.family == "sigmoid" else "classes"
            raise LossInputError(
                f"{name} has {len(vec)} values but the scores have {k} {what}"
                + ("; give one value or one per output" if 1 in expected else "")
            )
    if not 0.0 <= opts.label_smoothing <= 1.0:
        raise LossInputError(f"--label-smoothing must be in [0, 1], got {opts.label_smoothing}")
    if not 0.0 <= opts.threshold <= 1.0:
        raise LossInputError(f"--threshold is a probability in [0, 1], got {opts.threshold}")
    if opts.loss == "focal":
        if opts.alpha is not None and not (math.isfinite(opts.alpha) and opts.alpha <= 1):
            raise LossInputError(f"--alpha must be in [0, 1] (or negative to disable), got {opts.alpha}")
        if not (math.isfinite(opts.gamma) and opts.gamma >= 0):
            raise LossInputError(f"--gamma must be >= 0, got {opts.gamma}")
    # options the spec gives to other commands: refuse rather than ignore them
    for name, given, allowed in (
        ("--pos-weight", opts.pos_weight is not None, ("bce", "focal")),
        ("--weight", opts.weight is not None, ("bce", "ce")),
        ("--label-smoothing", opts.label_smoothing > 0, ("bce", "ce")),
        ("--threshold", opts.threshold != 0.5, ("bce", "focal")),
    ):
        if given and opts.loss not in allowed:
            why = "; ce predicts the argmax class" if name == "--threshold" else ""
            raise LossInputError(f"{name} is for {' and '.join(allowed)}, not {opts.loss}{why}")

    # What each convention has no meaning for: refuse instead of guessing.
    if conv == "keras":
        if opts.pos_weight is not None:
            raise LossInputError("--pos-weight has no Keras counterpart; use --convention torch")
        if opts.weight is not None and opts.family == "sigmoid":
            raise LossInputError(
                "per-output --weight has no Keras counterpart for bce; use --convention torch"
            )
    if conv == "sklearn":
        if opts.loss == "focal":
            raise LossInputError("scikit-learn has no focal loss; use --convention torch or keras")
        for name, bad in (
            ("--pos-weight", opts.pos_weight is not None),
            ("--weight", opts.weight is not None),
            ("--ignore-index", opts.ignore_index is not None),
            # bce smoothing is y(1-ε)+ε/2 under every convention (spec); ce smoothing is not
            ("--label-smoothing", opts.label_smoothing > 0 and opts.loss == "ce"),
        ):
            if bad:
                raise LossInputError(
                    f"{name} has no counterpart in sklearn.metrics.log_loss "
                    "(it only takes sample weights, via --sample-weight-col); use --convention torch"
                )
    if opts.ignore_index is not None and opts.loss != "ce":
        raise LossInputError("--ignore-index is only for ce")


def _fmt_list(vec: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in vec)


# ---------------------------------------------------------------------------------------
# Validation of one chunk (rows/cols are 0-based within the chunk; the caller adds the file)


def validate_scores(scores: np.ndarray, opts: LossOptions) -> list[str]:
    """Check finiteness and ranges of ``scores`` float64 (n, k); return warnings."""
    # NLLLoss takes -inf (log 0) for classes that are not the target; anything else must be finite
    bad = ~np.isfinite(scores)
    if opts.input == "log_probs":
        bad &= scores != -np.inf
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise LossInputError(
            f"score {float(scores[r, c])} is not a finite number", row=int(r), col=int(c), field="scores"
        )
    warnings: list[str] = []
    if opts.input == "probs":
        out = (scores < 0) | (scores > 1)
        if out.any():
            r, c = np.argwhere(out)[0]
            raise LossInputError(
                f"probability {float(scores[r, c])!r} is outside [0, 1]; "
                "if these are raw scores use --logits",
                row=int(r),
                col=int(c),
                field="scores",
            )
        if opts.family == "softmax":
            sums = scores.sum(axis=1)
            if opts.convention == "keras" and (sums == 0).any():
                r = int(np.argmax(sums == 0))
                raise LossInputError(
                    "probabilities in this row are all 0; Keras renormalises rows, which needs a "
                    "non-zero sum",
                    row=r,
                    field="scores",
                )
            off = np.abs(sums - 1.0) > ROW_SUM_TOL
            if off.any():
                r = int(np.argmax(off))
                msg = f"probabilities in this row sum to {sums[r]:.6g}, not 1"
                if opts.convention == "torch":
                    raise LossInputError(
                        msg + " (within 1e-3); if these are raw scores use --logits",
                        row=r,
                        field="scores",
                    )
                if opts.convention == "sklearn":
                    # log_loss warns and does not renormalise (scikit-learn >= 1.5)
                    rows = (
                        "1 row of probabilities does"
                        if off.sum() == 1
                        else f"{int(off.sum())} rows of probabilities do"
                    )
                    warnings.append(
                        f"{rows} not sum to 1 (one sums to {sums[r]:.6g}); "
                        "sklearn.metrics.log_loss warns about this and so does losscli"
                    )
                # keras renormalises rows silently, as CategoricalCrossentropy does
    elif opts.input == "log_probs":
        with np.errstate(invalid="ignore"):
            lse = _logsumexp(scores)  # NaN for a row of -inf only: refused below too
        off = ~(np.abs(lse) <= ROW_SUM_TOL)
        if off.any():
            r = int(np.argmax(off))
            raise LossInputError(
                f"log-probabilities in this row have log-sum-exp {lse[r]:.6g}, not 0; "
                "if these are raw scores use --logits",
                row=r,
                field="scores",
            )
    return warnings


def validate_targets(t: Targets, k: int, opts: LossOptions) -> None:
    """Check label ranges. Raises with ``field="labels"``."""
    if t.index is not None:
        idx = t.index
        ok = (idx >= 0) & (idx < k)
        if opts.ignore_index is not None:
            ok |= idx == opts.ignore_index
        if not ok.all():
            r = int(np.argmin(ok))
            hint = (
                ""
                if idx[r] >= 0 or opts.ignore_index is not None
                else f" (to skip such rows, pass --ignore-index {int(idx[r])})"
            )
            raise LossInputError(
                f"class index {int(idx[r])} is out of range for {k} classes (0..{k - 1}){hint}",
                row=r,
                col=0,
                field="labels",
            )
        return
    assert t.y is not None
    y = t.y
    bad = ~np.isfinite(y) | (y < 0) | (y > 1)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        v = float(y[r, c])
        hint = ""
        if opts.family == "sigmoid" and v > 1 and v.is_integer():
            hint = f"; {opts.loss} takes 0/1 labels, for class indices use ce"
        shown = int(v) if v.is_integer() else v
        raise LossInputError(
            f"label {shown!r} is outside [0, 1]{hint}", row=int(r), col=int(c), field="labels"
        )
    if opts.family == "softmax":
        sums = y.sum(axis=1)
        off = np.abs(sums - 1.0) > ROW_SUM_TOL
        if off.any():
            r = int(np.argmax(off))
            raise LossInputError(
                f"soft targets in this row sum to {sums[r]:.6g}, not 1; ce needs one class per "
                "row (multi-hot labels are multi-label: use bce)",
                row=r,
                field="labels",
            )


# ---------------------------------------------------------------------------------------
# Stable building blocks


def _logsumexp(x: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp of float64 (n, k) → (n,)."""
    # subtract the row max so exp never overflows
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of float64 (n, k) → (n, k), exact for logits of ±1000."""
    m = x.max(axis=1, keepdims=True)
    shifted = x - m
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = -softplus(-x); logaddexp never exponentiates a large positive number."""
    return -np.logaddexp(0.0, -x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) without overflow warnings for large |x|."""
    return np.exp(log_sigmoid(x))


def _prob_logs(p: np.ndarray, convention: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log p, log(1 - p), clipped mask) for probabilities under a convention's clamp."""
    with np.errstate(divide="ignore"):
        if convention == "torch":
            # BCELoss clamps the log values, not p
            lp_raw, l1p_raw = np.log(p), np.log1p(-p)
            lp, l1p = np.maximum(lp_raw, TORCH_LOG_CLAMP), np.maximum(l1p_raw, TORCH_LOG_CLAMP)
            return lp, l1p, np.stack([lp_raw < TORCH_LOG_CLAMP, l1p_raw < TORCH_LOG_CLAMP])
        if convention == "keras":
            pc = np.clip(p, KERAS_EPS, 1.0 - KERAS_EPS)
            clipped = pc != p
            return np.log(pc), np.log(1.0 - pc), np.stack([clipped, clipped])
        # sklearn: log_loss builds [1 - p, p] and clips each column at eps
        q = 1.0 - p
        pc, qc = np.clip(p, SKLEARN_EPS, 1 - SKLEARN_EPS), np.clip(q, SKLEARN_EPS, 1 - SKLEARN_EPS)
        return np.log(pc), np.log(qc), np.stack([pc != p, qc != q])


# ---------------------------------------------------------------------------------------
# Sigmoid family: bce and focal, elementwise (n, k)


def _smooth_binary(y: np.ndarray, eps: float) -> np.ndarray:
    # every convention: targets move towards 1/2 (Keras BinaryCrossentropy; torch has none)
    return y * (1.0 - eps) + 0.5 * eps if eps > 0 else y


def _bce_terms(scores: np.ndarray, y: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, np.ndarray, int]:
    """(log p, log(1-p), clamped count) of the positive and negative terms."""
    conv = opts.convention
    p = scores if opts.input == "probs" else sigmoid(scores)  # sklearn takes probabilities
    lp, l1p, clipped = _prob_logs(p, conv)
    # a clamp matters only where its term has a non-zero target coefficient
    hit = (clipped[0] & (y > 0)) | (clipped[1] & (y < 1))
    return lp, l1p, int(hit.sum())


def bce_elements(scores: np.ndarray, y: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, int]:
    """Per-element sigmoid cross-entropy, float64 (n, k), and the clamped count.

    torch: ``BCEWithLogitsLoss`` (logits) / ``BCELoss`` (probs) with ``pos_weight`` and
    ``weight`` broadcast over columns: ``-w·[pw·y·log p + (1-y)·log(1-p)]``.
    """
    y = _smooth_binary(y, opts.label_smoothing)
    if opts.input == "logits" and opts.convention != "sklearn":
        # -log σ(x) = softplus(-x) and -log(1-σ(x)) = softplus(x) share log1p(exp(-|x|)):
        # one exp and one log1p per element, never exp of a large number, and no
        # cancellation, so tiny losses stay exact (x = -40, y = 0 gives 4.2e-18, where
        # x - log σ(x) would round to 0).
        shared = np.log1p(np.exp(-np.abs(scores)))
        pos = np.maximum(-scores, 0.0) + shared  # -log σ(x)
        neg = np.maximum(scores, 0.0) + shared  # -log(1 - σ(x))
        pos = y * pos
        if opts.pos_weight is not None:
            pos = pos * np.asarray(opts.pos_weight)
        out = pos + (1.0 - y) * neg
        clamped = 0
    else:
        lp, l1p, clamped = _bce_terms(scores, y, opts)
        pos = y * lp
        if opts.pos_weight is not None:
            pos = pos * np.asarray(opts.pos_weight)
        out = -(pos + (1.0 - y) * l1p)
    if opts.weight is not None:
        out = out * np.asarray(opts.weight)
    return out, clamped


def focal_elements(scores: np.ndarray, y: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, int]:
    """Per-element sigmoid focal loss, float64 (n, k), and the clamped count.

    torch: torchvision ``sigmoid_focal_loss``: ``ce·(1-p_t)^γ·α_t``. keras:
    ``BinaryFocalCrossentropy``: the clipped probability BCE even for logits.
    """
    p = sigmoid(scores) if opts.input == "logits" else scores
    if opts.convention == "keras":
        ce, clamped = bce_elements(p, y, LossOptions(loss="bce", input="probs", convention="keras"))
    else:
        ce, clamped = bce_elements(scores, y, _replace_loss(opts, "bce", label_smoothing=0.0, weight=None))
    p_t = p * y + (1.0 - p) * (1.0 - y)
    out = ce * (1.0 - p_t) ** opts.gamma
    alpha = opts.focal_alpha()
    if alpha is not None:
        out = out * (alpha * y + (1.0 - alpha) * (1.0 - y))
    if opts.weight is not None:
        out = out * np.asarray(opts.weight)
    return out, clamped


def _replace_loss(opts: LossOptions, loss: str, **changes: object) -> LossOptions:
    from dataclasses import replace

    return replace(opts, loss=loss, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Softmax family: ce, per sample (n,)


def _class_logs(scores: np.ndarray, opts: LossOptions) -> tuple[np.ndarray, np.ndarray | None]:
    """(log-probabilities float64 (n, k), clipped mask or None) under the convention."""
    conv, kind = opts.convention, opts.input
    if kind == "logits" and conv != "sklearn":
        return log_softmax(scores), None
    if kind == "log_probs":
        if conv == "torch":
            return scores, None  # NLLLoss takes them as they are
        if conv == "keras":
            return log_softmax(scores), None  # from_logits=True; identical for normalised rows
        p = np.exp(scores)
    elif kind == "logits":  # sklearn: log_loss needs probabilities
        p = np.exp(log_softmax(scores))
    else:
        p = scores
    with np.errstate(divide="ignore"):
        if conv == "torch":
            return np.log(p), None  # NLLLoss(log p): no clamp, p = 0 gives inf
        if conv == "keras":
            # CategoricalCrossentropy renormalises rows, then clips
            q = p / p.sum(axis=1, keepdims=True)
            qc = np.clip(q, KERAS_EPS, 1.0 - KERAS_EPS)
            return np.log(qc), qc != q
        pc = np.clip(p, SKLEARN_EPS, 1.0 - SKLEARN_EPS)
        return np.log(pc), pc != p


def ce_per_sample(
    scores: np.ndarray, t: Targets, opts: LossOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Softmax cross-entropy per sample.

    Returns ``(loss (n,), denom (n,), valid (n,) bool, clamped)``; ignored rows have loss NaN
    and denom 0. torch: ``CrossEntropyLoss`` / ``NLLLoss`` with ``weight``, ``ignore_index``
    and ``label_smoothing``; the mean is ``Σ loss / Σ denom``.
    """
    n, k = scores.shape
    conv, eps = opts.convention, opts.label_smoothing
    w = np.asarray(opts.weight, dtype=np.float64) if opts.weight is not None else None
    valid = np.ones(n, dtype=bool)
    denom = np.ones(n)
    if t.index is not None and opts.input == "logits" and conv != "sklearn" and eps == 0:
        return _ce_logits_hard(scores, t.index, w, opts)
    logp, clipped = _class_logs(scores, opts)

    if t.index is not None:
        idx = t.index
        if opts.ignore_index is not None:
            valid = idx != opts.ignore_index
        safe = np.where(valid, idx, 0)  # any in-range index for the ignored rows
        rows = np.arange(n)
        if conv == "torch":
            picked = logp[rows, safe]
            wy = w[safe] if w is not None else np.ones(n)
            loss = -wy * picked
            if eps > 0:
                # torch adds (ε/C)·Σ_c w_c·(-log p_c) — weighted, so not a smoothed soft target
                wl = logp * w if w is not None else logp
                loss = (1.0 - eps) * loss - (eps / k) * wl.sum(axis=1)
            if w is not None:
                denom = wy.copy()
            coef = _one_hot(safe, k) if clipped is not None else None
        else:
            coef = _one_hot(safe, k) if clipped is not None or eps > 0 else None
            if eps > 0:  # keras: CategoricalCrossentropy on one-hot targets
                assert coef is not None
                coef = coef * (1.0 - eps) + eps / k
                loss = -_xlogy_sum(coef, logp)
            else:
                loss = -logp[rows, safe]
            if w is not None:  # keras: class_weight becomes a sample weight
                loss = loss * w[safe]
    else:
        assert t.y is not None
        coef = t.y * (1.0 - eps) + eps / k if eps > 0 else t.y
        if conv == "torch":
            wc = coef * w if w is not None else coef
            loss = -_xlogy_sum(wc, logp)
        else:
            loss = -_xlogy_sum(coef, logp)
            if w is not None:  # keras class_weight looks at the argmax of a one-hot target
                loss = loss * w[np.argmax(t.y, axis=1)]

    clamped = 0
    if clipped is not None:
        assert coef is not None
        clamped = int(((coef > 0) & clipped)[valid].any(axis=1).sum())
    loss = np.where(valid, loss, np.nan)
    denom = np.where(valid, denom, 0.0)
    return loss, denom, valid, clamped


def _one_hot(index: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(index), k))
    out[np.arange(len(index)), index] = 1.0
    return out


def _ce_logits_hard(
    x: np.ndarray, index: np.ndarray, w: np.ndarray | None, opts: LossOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The common case (logits, class indices, no smoothing) without an (n, k) log-softmax:
    ``loss = (max - x_y) + log Σ exp(x - max)``, exact when the target is the argmax."""
    n = len(index)
    valid = index != opts.ignore_index if opts.ignore_index is not None else np.ones(n, dtype=bool)
    safe = np.where(valid, index, 0)
    m = x.max(axis=1)
    e = x - m[:, None]
    np.exp(e, out=e)  # one (n, k) temporary, reused
    loss = (m - x[np.arange(n), safe]) + np.log(e.sum(axis=1))
    denom = np.ones(n)
    if w is not None:
        wy = w[safe]
        loss = loss * wy
        if opts.convention == "torch":
            denom = wy  # keras: class_weight acts as a sample weight, mean over N
    loss = np.where(valid, loss, np.nan)
    denom = np.where(valid, denom, 0.0)
    return loss, denom, valid, 0


def _xlogy_sum(coef: np.ndarray, logp: np.ndarray) -> np.ndarray:
    """Σ_c coef·log p per row with 0·log 0 = 0 (a zero target never makes NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(coef != 0, coef * logp, 0.0).sum(axis=1)


# ---------------------------------------------------------------------------------------
# One table of loss functions, keyed by (loss, family)

ElementFn = Callable[[np.ndarray, np.ndarray, LossOptions], tuple[np.ndarray, int]]
SIGMOID_LOSSES: dict[str, ElementFn] = {"bce": bce_elements, "focal": focal_elements}


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


# ---------------------------------------------------------------------------------------
# Reduction across chunks


@dataclass
class Summary:
    """The reduced result. ``mean`` is PyTorch's ``reduction='mean'``, ``sum`` its 'sum'."""

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
    """Reduces :class:`ChunkResult` s chunk by chunk.

    Per-chunk sums use NumPy's pairwise summation; the chunk partials are combined with
    ``math.fsum``, so the streamed mean equals the whole-array mean to ~1e-15.
    """

    def __init__(self, opts: LossOptions, mode: str, k: int) -> None:
        self.opts, self.mode, self.k = opts, mode, k
        self.num: list[float] = []
        self.den: list[float] = []
        self.correct: list[float] = []
        self.exact: list[float] = []
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
            # keras divides by the number of (unmasked) rows, torch/sklearn by Σ sᵢ·dᵢ
            d = r.denom[v] if self.opts.convention == "keras" else s * r.denom[v]
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
        # per-class breakdown: plain mean of losses by true class / per output
        if r.elements is not None and self.mode == "multilabel":
            self.class_parts.append(r.elements.sum(axis=0))
            self.class_count += len(v)
        else:
            tgt = r.target[v]
            if tgt.ndim == 2:
                tgt = tgt[:, 0]
            tgt = tgt.astype(np.int64)
            with np.errstate(invalid="ignore"):
                self.class_parts.append(np.bincount(tgt, weights=loss, minlength=len(self.class_sum)))
            self.class_count += np.bincount(tgt, minlength=len(self.class_count))

    def summary(self) -> Summary:
        """Finish the reduction; refuses an empty or all-ignored input."""
        if self.n == 0:
            if self.ignored:
                raise LossInputError(
                    f"all {self.ignored} rows were skipped by --ignore-index "
                    f"{self.opts.ignore_index}; there is nothing to average"
                )
            raise LossInputError("no rows to compute a loss on")
        num, den = math.fsum(self.num), math.fsum(self.den)
        if den <= 0:
            raise LossInputError("the weights sum to 0; there is nothing to average")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = num / den
        # torch's reduction='sum' adds all n·k elements of a multi-label loss; Keras' 'sum'
        # and log_loss(normalize=False) add the per-sample values
        factor = self.k if self.mode == "multilabel" and self.opts.convention == "torch" else 1
        total = num * factor
        acc = math.fsum(self.correct) / self.n
        exact = math.fsum(self.exact) / self.n if self.mode == "multilabel" else None
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


# ---------------------------------------------------------------------------------------
# Mode selection


@dataclass(frozen=True)
class ModeChoice:
    mode: str
    reason: str


def choose_mode(command: str, k: int, n_label_cols: int, label_kind: str, one_hot: bool) -> ModeChoice:
    """Pick binary / multilabel / multiclass for ``command`` from the shapes of the data.

    ``label_kind``: ``"binary"`` (0/1 or true/false), ``"soft"`` (values in [0, 1]),
    ``"index"`` (integers beyond 0/1) or ``"names"`` (class names). ``one_hot`` tells whether
    every row of K label columns is one-hot.
    """
    cols = f"{k} score column{'s' if k != 1 else ''}"
    if command == "ce":
        if k < 2:
            raise LossInputError(
                "ce needs K >= 2 score columns (one per class); for one column of scores use bce"
            )
        if n_label_cols in (1, k):
            kind = "class indices" if n_label_cols == 1 else "K target columns"
            return ModeChoice("multiclass", f"{cols} and {kind}")
        raise LossInputError(
            f"ce got {cols} and {n_label_cols} label columns; give one label column of class "
            f"indices or {k} columns of targets"
        )
    if command in ("bce", "focal"):
        if n_label_cols == k:
            if k == 1:
                return ModeChoice("binary", "1 score column and 1 label column")
            return ModeChoice("multilabel", f"{cols} and {k} label columns")
        if n_label_cols == 1 and k > 1:
            raise LossInputError(
                f"{command} got {cols} but a single label column; for one class index per row "
                "use ce (multi-label needs one 0/1 label column per output)"
            )
        raise LossInputError(f"{command} got {cols} and {n_label_cols} label columns; they must match")
    # auto
    if k == 1:
        if n_label_cols != 1:
            raise LossInputError(f"1 score column needs 1 label column, got {n_label_cols}")
        return ModeChoice("binary", "one score column, so binary (bce)")
    if n_label_cols == 1:
        what = "names" if label_kind == "names" else "indices"
        return ModeChoice("multiclass", f"{cols} and one label column of class {what}, so multiclass (ce)")
    if n_label_cols == k:
        if one_hot:
            return ModeChoice(
                "multiclass", f"{cols} and {k} label columns, every row one-hot, so multiclass (ce)"
            )
        return ModeChoice(
            "multilabel", f"{cols} and {k} label columns, not all one-hot, so multi-label (bce)"
        )
    raise LossInputError(f"cannot pair {cols} with {n_label_cols} label columns")
