"""Overflow-free building blocks on float64 arrays: log-sigmoid, log-softmax, log-sum-exp."""

from __future__ import annotations

import numpy as np


def logsumexp(x: np.ndarray) -> np.ndarray:
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


def xlogy_sum(coef: np.ndarray, logp: np.ndarray) -> np.ndarray:
    """Σ_c coef·log p per row of float64 (n, k) → (n,), with 0·log 0 = 0 (a zero target
    never makes NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(coef != 0, coef * logp, 0.0).sum(axis=1)


def one_hot(index: np.ndarray, k: int) -> np.ndarray:
    """int64 (n,) class indices in [0, k) → float64 (n, k) one-hot rows."""
    out = np.zeros((len(index), k))
    out[np.arange(len(index)), index] = 1.0
    return out
