"""Colour that means something in the table's rows: wrong predictions, clamped rows and the
worst losses. Only SGR codes per row; the table applies them when colour is on.
"""

from __future__ import annotations

import numpy as np

from losscli.model import Result
from losscli.render.grid import Column

WRONG = "31"  # red: the prediction is not the label
WORST = "1;31"  # bold red: among the worst tenth of the losses shown
CLAMPED = "33"  # yellow: a probability hit the convention's clamp, the loss is capped
# how close to 0 or 1 a probability must be to hit each convention's clamp (summary.notes)
CLAMP_EPS = {"torch": 0.0, "keras": 1e-7, "sklearn": 2.220446049250313e-16}


def wrong_rows(res: Result) -> np.ndarray:
    """bool (m,): rows whose prediction differs from the label (any output, multi-label)."""
    rows = res.rows
    ne = np.asarray(rows.pred != rows.target)
    wrong = ne.any(axis=1) if ne.ndim == 2 else ne
    return wrong & rows.valid.astype(bool)


def clamped_rows(res: Result) -> np.ndarray:
    """bool (m,): rows whose loss took a probability at the clamp: the true class's (or a
    positive target's) probability near 0, or a negative target's near 1 (probabilities
    only)."""
    rows = res.rows
    if res.opts.input != "probs" or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    eps = CLAMP_EPS.get(res.opts.convention, 0.0)
    s = rows.scores
    if res.mode == "multiclass":
        t = rows.target.astype(np.int64)
        ok = (t >= 0) & (t < s.shape[1])
        hit = ok & (s[np.arange(len(t)), np.where(ok, t, 0)] <= eps)
    else:
        y = rows.target.astype(np.float64)
        hit = (((y > 0) & (s <= eps)) | ((y < 1) & (s >= 1.0 - eps))).any(axis=1)
    return hit & rows.valid.astype(bool)


def worst_rows(res: Result) -> np.ndarray:
    """bool (m,): losses at or above the 90th percentile of the finite losses shown."""
    rows = res.rows
    ok = rows.valid.astype(bool) & np.isfinite(rows.loss)
    if ok.sum() < 2:
        return np.zeros(len(rows), dtype=bool)
    cut = float(np.quantile(rows.loss[ok], 0.9))
    return ok & (rows.loss >= cut)


def paint(res: Result, cols: list[Column]) -> list[Column]:
    """The columns with ``pred`` red where wrong and ``loss`` bold red for the worst rows,
    yellow where clamped."""
    wrong, worst, clamped = wrong_rows(res), worst_rows(res), clamped_rows(res)
    loss_codes = np.where(clamped, CLAMPED, np.where(worst, WORST, "")).tolist()
    out = []
    for c in cols:
        if c.head == "pred":
            c = Column(c.head, c.cells, c.right, np.where(wrong, WRONG, "").tolist())
        elif c.head == "loss":
            c = Column(c.head, c.cells, c.right, loss_codes)
        out.append(c)
    return out
