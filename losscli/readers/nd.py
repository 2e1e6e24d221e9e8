"""Arrays of more than two dimensions as tables, per the spec's "Inputs" rules.

* softmax scores (N, d1, …, C) — or (N, C, d1, …) with ``class_axis=1`` — are N·d1·… rows
  of C columns, in C order over (N, d1, …);
* labels whose shape is the scores' positions (N, d1, …) are N·d1·… rows of one column;
* sigmoid scores and labels (N, d1, …) are N rows of d1·d2·… columns;
* (n,) and (n, k) stay what they were: n rows of 1 or k columns.

A :class:`Shape` turns one block of whole items (the first axis) into its rows, so an array
is never moved or copied whole: a block of N-items is reshaped (a view for the class axis
last) or has its class axis moved (a copy of that block only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from losscli.errors import LossInputError

FAMILIES = ("softmax", "sigmoid")


@dataclass(frozen=True)
class Shape:
    """How an array of ``shape`` becomes rows: each of its N items is ``per_item`` rows of
    ``width`` columns; ``class_axis`` is the axis moved last (None: a plain reshape)."""

    shape: tuple[int, ...]
    width: int
    per_item: int = 1
    class_axis: int | None = None

    @property
    def rows(self) -> int:
        return self.shape[0] * self.per_item

    @property
    def positions(self) -> tuple[int, ...] | None:
        """(N, d1, …) of softmax scores with more than two dimensions, else None."""
        if self.class_axis is None:
            return None
        axis = self.class_axis if self.class_axis is not None else len(self.shape) - 1
        return self.shape[:axis] + self.shape[axis + 1 :]

    def table(self, block: np.ndarray) -> np.ndarray:
        """(m, *shape[1:]) in any dtype → (m·per_item, width) in that dtype."""
        if self.class_axis is not None and self.class_axis != block.ndim - 1:
            block = np.moveaxis(block, self.class_axis, -1)
        return block.reshape(-1, self.width)


def shape_of(
    shape: tuple[int, ...],
    name: str,
    what: str,
    *,
    family: str | None = None,
    class_axis: int | None = None,
    positions: tuple[int, ...] | None = None,
) -> Shape:
    """The :class:`Shape` of an array of numbers; an unusable shape is an input error."""
    ndim = len(shape)
    if positions is not None and len(positions) >= 2 and shape[1:] == tuple(positions[1:]):
        # labels, one per position; only (d1, …) must agree: N is checked row for row, and
        # may differ from the first file's when the scores are several files
        return Shape(shape, 1, math.prod(shape[1:]))
    if ndim == 1:
        return Shape(shape, 1)
    if ndim == 2 and (family != "softmax" or class_axis in (None, -1, 1)):
        return Shape(shape, shape[1])
    if ndim < 1 or family not in FAMILIES:
        raise LossInputError(f"{name}: {what} has {ndim} dimensions; expected (n,) or (n, k)")
    if family == "sigmoid":
        return Shape(shape, math.prod(shape[1:]))
    axis = ndim - 1 if class_axis is None or class_axis == -1 else class_axis
    if axis not in (1, ndim - 1):
        raise LossInputError(
            f"{name}: {what} has shape {shape}; the class axis must be the last (default) or 1, "
            f"got --class-axis {class_axis}"
        )
    per_item = math.prod(shape[1:]) // shape[axis] if shape[axis] else 0
    return Shape(shape, shape[axis], per_item, axis)
