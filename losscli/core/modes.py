"""Which of binary / multi-label / multi-class a command computes, from the data's shapes."""

from __future__ import annotations

from dataclasses import dataclass

from losscli.errors import LossInputError
from losscli.specs import LOSSES


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
    family = LOSSES[command].family if command in LOSSES else None  # None: auto
    if family == "softmax":
        if k < 2:
            raise LossInputError(
                f"{command} needs K >= 2 score columns (one per class); for one column of scores use bce"
            )
        if n_label_cols in (1, k):
            kind = "class indices" if n_label_cols == 1 else "K target columns"
            return ModeChoice("multiclass", f"{cols} and {kind}")
        raise LossInputError(
            f"{command} got {cols} and {n_label_cols} label columns; give one label column of class "
            f"indices or {k} columns of targets"
        )
    if family == "sigmoid":
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
