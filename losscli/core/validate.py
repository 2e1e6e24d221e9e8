"""Checks of options and of each chunk's scores and targets; every failure is a LossInputError.

:func:`validate_options` needs no data (it is driven by ``specs.LOSSES`` and the conventions'
``unsupported`` rules); :func:`check_widths` needs the number of score columns ``k``.
Chunk checks report 0-based rows/cols within the chunk; the caller adds the file position.
"""

from __future__ import annotations

import numpy as np

from losscli.core.conventions import Convention, convention
from losscli.core.stable import logsumexp
from losscli.core.types import LossOptions, Targets
from losscli.errors import LossInputError
from losscli.specs import LOSSES, SHARED, takes

ROW_SUM_TOL = 1e-3  # probability rows must sum to 1 within this (spec: "Details")

# shared options checked before the convention's refusals, then after them
_EARLY = ("pos_weight", "weight", "label_smoothing", "threshold")
_LATE = ("ignore_index",)
_WHY = {"threshold": "; ce predicts the argmax class"}
_DEFAULTS = {p.name: p.default for p in SHARED}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _given(opts: LossOptions, name: str) -> bool:
    """Whether a shared option differs from its default (``sample_weight`` is a column)."""
    if name == "loss":
        return True
    value = opts.sample_weights if name == "sample_weight" else getattr(opts, name)
    return bool(value != _DEFAULTS[name])


def check_options(opts: LossOptions, k: int, mode: str) -> None:
    """Refuse options that make no sense for this loss, mode, convention or width ``k``."""
    validate_options(opts)
    check_widths(opts, k)


def validate_options(opts: LossOptions) -> None:
    """Every check that needs no data: score kind, value ranges, which loss and which
    convention accept which option."""
    spec, conv = LOSSES[opts.loss], convention(opts.convention)
    if opts.input not in spec.inputs:
        raise LossInputError(
            f"{_flag(opts.input)} is only for {' and '.join(takes(opts.input))}; "
            f"{opts.loss} takes {' or '.join(_flag(i) for i in spec.inputs)}"
        )
    for param in SHARED:
        if param.check is not None and param.name != "sample_weight":
            _raise(param.check(getattr(opts, param.name)))
    for param in spec.params:
        if param.check is not None:
            _raise(param.check(getattr(opts, param.name)))
    # options the spec gives to other commands: refuse rather than ignore them
    for name in _EARLY:
        if _given(opts, name) and name not in spec.accepts:
            allowed = " and ".join(takes(name))
            raise LossInputError(f"{_flag(name)} is for {allowed}, not {opts.loss}{_WHY.get(name, '')}")
    _refuse_unsupported(opts, conv)
    for name in _LATE:
        if _given(opts, name) and name not in spec.accepts:
            raise LossInputError(f"{_flag(name)} is only for {' and '.join(takes(name))}")


def _raise(message: str | None) -> None:
    if message is not None:
        raise LossInputError(message)


def _refuse_unsupported(opts: LossOptions, conv: Convention) -> None:
    # What each convention has no meaning for: refuse instead of guessing.
    for rule in conv.unsupported:
        if opts.loss in rule.losses and _given(opts, rule.option):
            raise LossInputError(rule.message)


def check_widths(opts: LossOptions, k: int) -> None:
    """``--pos-weight`` / ``--weight`` need one value, or one per output / class."""
    for name, vec in (("--pos-weight", opts.pos_weight), ("--weight", opts.weight)):
        if vec is None:
            continue
        expected = (1, k) if name == "--pos-weight" or opts.family == "sigmoid" else (k,)
        if len(vec) not in expected:
            what = "outputs" if opts.family == "sigmoid" else "classes"
            raise LossInputError(
                f"{name} has {len(vec)} values but the scores have {k} {what}"
                + ("; give one value or one per output" if 1 in expected else "")
            )


# ---------------------------------------------------------------------------------------
# Validation of one chunk


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
            return _check_prob_rows(scores, convention(opts.convention))
    elif opts.input == "log_probs":
        with np.errstate(invalid="ignore"):
            lse = logsumexp(scores)  # NaN for a row of -inf only: refused below too
        off = ~(np.abs(lse) <= ROW_SUM_TOL)
        if off.any():
            r = int(np.argmax(off))
            raise LossInputError(
                f"log-probabilities in this row have log-sum-exp {lse[r]:.6g}, not 0; "
                "if these are raw scores use --logits",
                row=r,
                field="scores",
            )
    return []


def _check_prob_rows(scores: np.ndarray, conv: Convention) -> list[str]:
    """Apply the convention's policy to probability rows that do not sum to 1."""
    sums = scores.sum(axis=1)
    policy = conv.prob_rows_off
    if policy == "renormalise" and (sums == 0).any():
        r = int(np.argmax(sums == 0))
        raise LossInputError(
            "probabilities in this row are all 0; Keras renormalises rows, which needs a non-zero sum",
            row=r,
            field="scores",
        )
    off = np.abs(sums - 1.0) > ROW_SUM_TOL
    if not off.any():
        return []
    r = int(np.argmax(off))
    msg = f"probabilities in this row sum to {sums[r]:.6g}, not 1"
    if policy == "refuse":
        raise LossInputError(
            msg + " (within 1e-3); if these are raw scores use --logits", row=r, field="scores"
        )
    if policy == "warn":
        rows = (
            "1 row of probabilities does" if off.sum() == 1 else f"{int(off.sum())} rows of probabilities do"
        )
        return [
            f"{rows} not sum to 1 (one sums to {sums[r]:.6g}); "
            "sklearn.metrics.log_loss warns about this and so does losscli"
        ]
    return []  # "renormalise": rows are renormalised silently, as CategoricalCrossentropy does


def validate_targets(t: Targets, k: int, opts: LossOptions) -> None:
    """Check label ranges. Raises with ``field="labels"``."""
    if t.index is not None:
        _check_index(t.index, k, opts)
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


def _check_index(idx: np.ndarray, k: int, opts: LossOptions) -> None:
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
