"""One cell of a row as text: labels, predictions, class names and full-precision floats.

Shared by the streamed row formats and the table, so a class name is spelled in one place.
"""

from __future__ import annotations

import math

from losscli.model import Meta, RowBlock


def full(x: float) -> str:
    """Shortest repr that round-trips a float64 (never rounded)."""
    return repr(float(x))


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _num(v: float) -> str:
    """A label value: ``1`` rather than ``1.0``; soft values in full."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def class_name(i: int, meta: Meta) -> str:
    """Class ``i`` by its name when the classes have names, else its index."""
    if meta.classes and 0 <= i < len(meta.classes):
        return meta.classes[i]
    return str(int(i))


def row_label(block: RowBlock, i: int, meta: Meta) -> str:
    """Row ``i``'s label: a class (multiclass) or the space-separated 0/1/soft values."""
    if meta.mode == "multiclass":
        if meta.soft:
            return class_name(int(block.target[i]), meta)
        return class_name(int(block.labels[i, 0]), meta)
    return " ".join(_num(v) for v in block.labels[i])


def row_pred(block: RowBlock, i: int, meta: Meta) -> str:
    """Row ``i``'s prediction: a class (multiclass) or the space-separated 0/1 decisions."""
    if meta.mode == "multiclass":
        return class_name(int(block.pred[i]), meta)
    return " ".join("1" if v else "0" for v in block.pred[i])
