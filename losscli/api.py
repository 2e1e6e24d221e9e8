"""The Python API: ``losscli.bce/ce/focal`` on arrays and ``losscli.evaluate`` on files.

Both build the same :class:`~losscli.options.Request` the CLI builds and run the same
pipeline, so defaults and numbers are the CLI's. Arrays are anything ``numpy.asarray``
takes (lists, NumPy arrays of any float/int dtype, CPU torch tensors, pandas / polars Series
and DataFrames); they are fed to the pipeline in chunks, as a file would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import numpy as np

from losscli import core, pipeline
from losscli.errors import LossInputError
from losscli.inputs import Inputs
from losscli.model import Result
from losscli.options import Request
from losscli.readers import Chunk, Source

CHUNK_VALUES = 1 << 22  # float64 values per chunk of an array (32 MiB), as the readers' budget


def _array(x: Any, what: str) -> np.ndarray:
    """``x`` as a NumPy array; torch tensors are detached and moved to the CPU first."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, perhaps requiring grad
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise LossInputError(f"{what}: cannot be read as an array ({e})") from None
    if a.dtype.kind == "b":
        a = a.astype(np.float64)
    if a.dtype.kind not in "fiuUSO":
        raise LossInputError(f"{what}: expected numbers, got an array of dtype {a.dtype}")
    return a


def _rows(a: np.ndarray, family: str, class_axis: int) -> np.ndarray:
    """Scores as rows: softmax scores (N, d1…, C) → (N·d1…, C) with the class axis last
    (``class_axis=1`` moves PyTorch's (N, C, d1…) there first); sigmoid scores (N, d1…) →
    (N, d1·…); one dimension → one column."""
    if a.ndim == 0:
        raise LossInputError("scores: expected an array of rows, got a single value")
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if family == "softmax":
        if class_axis not in (-1, a.ndim - 1):
            a = np.moveaxis(a, class_axis, -1)
        return a.reshape(-1, a.shape[-1])
    return a.reshape(len(a), -1)


def _label_rows(y: np.ndarray, scores: np.ndarray, family: str, class_axis: int) -> np.ndarray:
    """Labels as rows matching :func:`_rows`: soft targets of the scores' shape move like
    the scores; softmax class indices (N, d1…) become one per position."""
    if y.ndim == 0:
        raise LossInputError("labels: expected an array of rows, got a single value")
    if family == "softmax" and y.shape != scores.shape:
        return y.reshape(-1, 1)
    return _rows(y, family, class_axis)


def _source(
    a: np.ndarray, name: str, names: list[str] | None = None, extra: dict[str, object] | None = None
) -> Source:
    """An in-memory :class:`Source` over the rows of ``a`` (m, c), chunked like a file;
    ``names`` as a JSON object's columns are named (``0`` … ``k-1``, then ``sample_weight``)."""
    text = a.dtype.kind in "USO"
    rows = max(1, CHUNK_VALUES // max(1, a.shape[1]))

    def chunks() -> Iterator[Chunk]:
        for start in range(0, len(a), rows):
            part = a[start : start + rows]
            if text:
                yield Chunk(
                    np.full(part.shape, np.nan), {j: part[:, j].astype(str) for j in range(a.shape[1])}, start
                )
            else:
                yield Chunk(np.asarray(part, dtype=np.float64), {}, start)

    cols = set(range(a.shape[1])) if text else set()
    return Source(name, a.shape[1], names, cols, chunks(), extra=extra or {}, fmt="npy")


def _run(
    command: str, kind: str, scores: Any, labels: Any, sample_weight: Any, opts: dict[str, Any]
) -> Result:
    family = "softmax" if command == "ce" else "sigmoid"
    class_axis = int(opts.pop("class_axis", -1))
    calibration = opts.pop("calibration", None)
    if labels is None:
        raise LossInputError("labels are required")
    raw = _array(scores, kind)
    x = _rows(raw, family, class_axis)
    y = _label_rows(_array(labels, "labels"), raw, family, class_axis)
    if len(x) != len(y):
        raise LossInputError(f"{kind} has {len(x)} rows (positions) but labels has {len(y)}; they must match")
    weight_col = None
    if sample_weight is not None:
        w = _array(sample_weight, "sample_weight").reshape(-1, 1)
        if len(w) != len(x):
            raise LossInputError(f"sample_weight has {len(w)} values but there are {len(x)} rows")
        x = np.hstack([x.astype(np.float64), w.astype(np.float64)])
        weight_col = "sample_weight"
    k = x.shape[1] - (weight_col is not None)
    names = [str(j) for j in range(k)] + ([weight_col] if weight_col else [])
    score_src = _source(x, kind, names, {"score_cols": list(range(k))})
    req = Request(
        command=command,
        input=kind,
        score_path=kind,
        labels_path="labels",
        weight_col=weight_col,
        options=core.LossOptions(loss=command, input=kind, **opts),
        keep_per_sample=True,
        top=None,
        calibration=calibration,
    )
    inputs = Inputs(req, score_src, _source(y, "labels"), None)
    return pipeline.run_inputs(req, inputs)


def _one_score(command: str, logits: Any, probs: Any, log_probs: Any = None) -> tuple[str, Any]:
    given = [
        (k, v) for k, v in (("logits", logits), ("probs", probs), ("log_probs", log_probs)) if v is not None
    ]
    if len(given) != 1:
        allowed = "logits, probs=" + (" or log_probs=" if command == "ce" else "")
        raise LossInputError(
            f"give exactly one score argument: {allowed}" + (" (got several)" if given else "")
        )
    return given[0]


def bce(
    logits: Any = None,
    labels: Any = None,
    *,
    probs: Any = None,
    pos_weight: Any = None,
    weight: Any = None,
    label_smoothing: float = 0.0,
    threshold: float = 0.5,
    sample_weight: Any = None,
    convention: str = "torch",
    calibration: int | None = None,
) -> Result:
    """Sigmoid cross-entropy, as ``losscli bce``: scores (n,) binary or (n, k) multi-label
    (or (N, d1, …) elementwise), labels of the same shape (0/1 or soft in [0, 1])."""
    kind, scores = _one_score("bce", logits, probs)
    opts = dict(
        convention=convention,
        pos_weight=_floats(pos_weight),
        weight=_floats(weight),
        label_smoothing=float(label_smoothing),
        threshold=float(threshold),
        calibration=calibration,
    )
    return _run("bce", kind, scores, labels, sample_weight, opts)


def ce(
    logits: Any = None,
    labels: Any = None,
    *,
    probs: Any = None,
    log_probs: Any = None,
    weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    sample_weight: Any = None,
    convention: str = "torch",
    class_axis: int = -1,
    calibration: int | None = None,
) -> Result:
    """Softmax cross-entropy, as ``losscli ce``: scores (n, C) — or (N, d1, …, C), or
    PyTorch's (N, C, d1, …) with ``class_axis=1`` — and class-index labels (n,) / (N, d1, …),
    or soft targets of the scores' shape."""
    kind, scores = _one_score("ce", logits, probs, log_probs)
    opts = dict(
        convention=convention,
        weight=_floats(weight),
        ignore_index=None if ignore_index is None else int(ignore_index),
        label_smoothing=float(label_smoothing),
        class_axis=class_axis,
        calibration=calibration,
    )
    return _run("ce", kind, scores, labels, sample_weight, opts)


def focal(
    logits: Any = None,
    labels: Any = None,
    *,
    probs: Any = None,
    alpha: float | None = None,
    gamma: float = 2.0,
    pos_weight: Any = None,
    threshold: float = 0.5,
    sample_weight: Any = None,
    convention: str = "torch",
    calibration: int | None = None,
) -> Result:
    """Sigmoid focal loss, as ``losscli focal``. ``alpha=None`` is the convention's default
    (torchvision's 0.25; no α term under keras); a negative α turns the term off."""
    kind, scores = _one_score("focal", logits, probs)
    opts = dict(
        convention=convention,
        alpha=None if alpha is None else float(alpha),
        gamma=float(gamma),
        pos_weight=_floats(pos_weight),
        threshold=float(threshold),
        calibration=calibration,
    )
    return _run("focal", kind, scores, labels, sample_weight, opts)


# the CLI's option names (snake_case) that say where things are, → Request fields
_READ_OPTIONS = {
    "label_col": "label_cols",
    "score_cols": "score_cols",
    "sample_weight_col": "weight_col",
    "classes": "classes",
    "header": "header",
    "delimiter": "delimiter",
    "baseline": "baseline_path",
    "calibration": "calibration",
}


def evaluate(
    path: str, loss: str = "auto", input: str = "logits", labels: str | None = None, **options: Any
) -> Result:
    """Evaluate files exactly as the CLI reads them: ``losscli.evaluate("preds.csv")`` is
    ``losscli auto --logits preds.csv``. ``options`` are the CLI's option names in
    snake_case: where things are (``label_col``, ``score_cols``, ``sample_weight_col``,
    ``classes``, ``header``, ``delimiter``, ``baseline``) and the loss options
    (``pos_weight``, ``weight``, ``ignore_index``, ``label_smoothing``, ``alpha``, ``gamma``,
    ``threshold``, ``convention``)."""
    read = {_READ_OPTIONS[k]: options.pop(k) for k in list(options) if k in _READ_OPTIONS}
    for key in ("label_cols", "classes"):
        if isinstance(read.get(key), (list, tuple)):
            read[key] = ",".join(map(str, read[key]))
    if isinstance(read.get("classes"), str):
        read["classes"] = [c.strip() for c in read["classes"].split(",")]
    for key in ("pos_weight", "weight"):
        if key in options:
            options[key] = _floats(options[key])
    known = {f.name for f in fields(core.LossOptions)} - {"loss", "input", "sample_weights"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise LossInputError(f"unknown option {unknown[0]!r}; see help(losscli.evaluate)")
    req = Request(
        command=loss,
        input=input,
        score_path=str(path),
        labels_path=None if labels is None else str(labels),
        options=core.LossOptions(loss=loss if loss != "auto" else "bce", input=input, **options),
        keep_per_sample=True,
        top=None,
        **read,
    )
    return pipeline.run(req)


def _floats(v: Any) -> tuple[float, ...] | None:
    if v is None:
        return None
    a = np.atleast_1d(_array(v, "weights")).astype(np.float64).reshape(-1)
    return tuple(float(t) for t in a)
