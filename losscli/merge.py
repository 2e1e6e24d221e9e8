"""``losscli merge``: combine ``--format json`` results of shards into the result of their union.

Every mean losscli prints is ``numerator / weight_sum``, so shards combine exactly:
numerators (``mean · weight_sum``) and weight sums add, as do ``n``, ``sum`` and the counts;
accuracy is averaged by ``n``; ``per_sample`` is concatenated when every part has it.
Intervals (``ci``, ``baseline``) cannot be combined from summaries and are left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli import core
from losscli.errors import LossInputError
from losscli.model import Result, RowBlock
from losscli.readers import read_json
from losscli.signature import Signature

REQUIRED = ("loss", "mode", "input", "convention", "n", "outputs", "mean", "sum", "signature")


def load_part(path: str) -> dict[str, Any]:
    """Read and check one shard result written by ``--format json``."""
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise LossInputError(f"{path}: expected a losscli --format json result (an object)")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise LossInputError(f"{path}: not a losscli --format json result (missing {', '.join(missing)})")
    for key in ("n", "outputs", "clamped", "nonfinite", "ignored"):
        v = doc.get(key, 0)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise LossInputError(f"{path}: {key!r} must be a count, got {v!r}")
    for key in ("loss", "mode", "input", "convention", "signature"):
        if not isinstance(doc[key], str):
            raise LossInputError(f"{path}: {key!r} must be a string")
    for key in ("mean", "sum", "weight_sum", "accuracy", "exact_match", "alpha", "gamma", "threshold"):
        v = doc.get(key)
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise LossInputError(f"{path}: {key!r} must be a number or null")
    ps = doc.get("per_sample")
    if ps is not None and not (
        isinstance(ps, list) and all(v is None or isinstance(v, (int, float)) for v in ps)
    ):
        raise LossInputError(f'{path}: "per_sample" must be a list of numbers or nulls')
    _check_consistent(doc, path)
    return doc


def _check_consistent(doc: dict[str, Any], path: str) -> None:
    """Refuse numbers no losscli run writes (a hand-edited or damaged shard), which would
    otherwise merge into a wrong result: NaN or infinity (json reads both), a negative or
    missing weight sum, a null mean without infinite losses, per_sample of the wrong length."""
    n, ignored, nonfinite = int(doc["n"]), int(doc.get("ignored", 0)), int(doc.get("nonfinite", 0))
    tampered = f"{path}: not as losscli writes it"
    for key in ("mean", "sum", "weight_sum", "accuracy", "exact_match", "alpha", "gamma", "threshold"):
        v = doc.get(key)
        if isinstance(v, float) and not math.isfinite(v):
            raise LossInputError(f"{tampered}: {key!r} is {v!r}")
    if n == 0:
        raise LossInputError(f"{tampered}: 'n' is 0 (a run with no rows writes no result)")
    if "weight_sum" in doc:
        w = doc["weight_sum"]
        if w is None:
            raise LossInputError(f"{path}: 'weight_sum' is null (beyond float64); it cannot be merged")
        if w < 0:
            raise LossInputError(f"{tampered}: 'weight_sum' is negative ({w!r})")
    if doc["mean"] is None and not nonfinite:
        raise LossInputError(f"{tampered}: 'mean' is null but 'nonfinite' is 0")
    if nonfinite > n:
        raise LossInputError(f"{tampered}: 'nonfinite' ({nonfinite}) is more than 'n' ({n})")
    ps = doc.get("per_sample")
    if ps is None:
        return
    if len(ps) != n + ignored:
        raise LossInputError(
            f"{tampered}: 'per_sample' has {len(ps)} values, but n + ignored is {n + ignored}"
        )
    nulls = sum(1 for v in ps if v is None)
    if nulls != ignored + nonfinite:
        raise LossInputError(
            f"{tampered}: 'per_sample' has {nulls} nulls, but ignored + nonfinite is {ignored + nonfinite}"
        )
    if any(isinstance(v, float) and not math.isfinite(v) for v in ps):
        raise LossInputError(f"{tampered}: 'per_sample' holds NaN or infinity")


def check_distinct(paths: list[str]) -> None:
    """Each shard once: the same file under two names (``a.json`` and ``./a.json``, a
    symlink, a hard link, an absolute path) would count its rows twice."""
    import os

    seen: dict[object, str] = {}
    for path in paths:
        if path in seen.values():
            raise LossInputError(f"{path} is named twice; each shard counts once")
        key: object = "-"
        if path != "-":
            try:
                st = os.stat(path)
                key = (st.st_dev, st.st_ino)
            except OSError:  # missing: reading it says so
                key = os.path.realpath(path)
        if key in seen:
            raise LossInputError(f"{path} and {seen[key]} are the same file; each shard counts once")
        seen[key] = path


def combine(parts: list[dict[str, Any]], paths: list[str]) -> Result:
    """The result of the union of the shards, as if computed in one run: each shard becomes
    an accumulator (:meth:`~losscli.core.Accumulator.from_summary`) and they merge as the
    engines' partials do."""
    first = parts[0]
    for doc, path in zip(parts[1:], paths[1:], strict=True):
        if doc["signature"] != first["signature"]:
            diff = Signature.parse(first["signature"]).first_difference(Signature.parse(doc["signature"]))
            raise LossInputError(
                f"{path} and {paths[0]} were computed differently: they differ in "
                f"{diff}; merge only shards run with the same options"
            )
        for key in ("outputs", "classes"):
            if doc.get(key) != first.get(key):
                raise LossInputError(
                    f"{path} and {paths[0]} differ in {key!r}: {doc.get(key)} vs {first.get(key)}"
                )
    k, mode = int(first["outputs"]), str(first["mode"])
    opts = _options(first)
    class_sum, class_count = _per_class(parts, paths)
    acc = core.Accumulator(opts, mode, k)
    for doc, path in zip(parts, paths, strict=True):
        try:
            shard = core.Accumulator.from_summary(opts, mode, k, _summary(doc, class_sum, class_count))
        except LossInputError as e:
            raise LossInputError(f"{path}: {e.message}") from None
        acc.merge(shard)
    try:
        summary = acc.summary()
    except LossInputError as e:
        raise LossInputError(f"{' + '.join(paths)}: {e.message}") from None
    summary.class_sum, summary.class_count = class_sum, class_count
    per_sample = None
    if all(isinstance(d.get("per_sample"), list) for d in parts):
        per_sample = np.array(
            [np.nan if v is None else v for d in parts for v in d["per_sample"]], dtype=np.float64
        )
    res = Result(
        path=" + ".join(paths),
        opts=opts,
        mode=mode,
        reason=str(first.get("reason", "")),
        inferred="reason" in first,
        k=k,
        classes=first.get("classes"),
        score_names=[str(j) for j in range(k)],
        soft=False,
        summary=summary,
        per_sample=per_sample,
        rows=RowBlock.empty(),
        hidden=0,
        warnings=[],
        signature=str(first["signature"]),
        sample_weight_col=first.get("sample_weight_col"),
    )
    res.calibration_state = _calibration(parts, paths)
    res.extra["parts"] = len(parts)
    if all("per_class" in d for d in parts):
        res.extra["per_class"] = True
    return res


def _options(doc: dict[str, Any]) -> core.LossOptions:
    return core.LossOptions(
        loss=str(doc["loss"]),
        input=str(doc["input"]),
        convention=str(doc["convention"]),
        # "alpha": null in a part means the α term was off; -1 says so to LossOptions
        alpha=-1.0 if "alpha" in doc and doc["alpha"] is None else doc.get("alpha"),
        gamma=float(doc.get("gamma", 2.0)),
        threshold=float(doc.get("threshold", 0.5)),
    )


def _summary(doc: dict[str, Any], class_sum: np.ndarray, class_count: np.ndarray) -> core.Summary:
    """One shard's JSON as a :class:`~losscli.core.Summary` (its per-class table is merged
    across shards by :func:`_per_class`, so each shard carries none here)."""
    n = int(doc["n"])
    return core.Summary(
        n=n,
        mean=math.inf if doc["mean"] is None else float(doc["mean"]),
        sum=math.inf if doc["sum"] is None else float(doc["sum"]),
        weight_sum=float(doc.get("weight_sum", n)),
        accuracy=None if doc.get("accuracy") is None else float(doc["accuracy"]),
        exact_match=None if doc.get("exact_match") is None else float(doc["exact_match"]),
        clamped=int(doc.get("clamped", 0)),
        nonfinite=int(doc.get("nonfinite", 0)),
        ignored=int(doc.get("ignored", 0)),
        class_sum=np.zeros(0),
        class_count=np.zeros(0, dtype=np.int64),
    )


def _calibration(parts: list[dict[str, Any]], paths: list[str]) -> Any:
    """The shards' reliability bins merged exactly (None unless every shard has them)."""
    docs = [d.get("calibration") for d in parts]
    if not all(isinstance(c, dict) and isinstance(c.get("partial"), dict) for c in docs):
        return None
    from losscli.calibration import CalibrationAccumulator

    accs = []
    for c, path in zip(docs, paths, strict=True):
        try:
            accs.append(CalibrationAccumulator.from_dict(c["partial"]))  # type: ignore[index]
        except LossInputError as e:
            raise LossInputError(f'{path}: "calibration": {e.message}') from None
    total = accs[0]
    for acc, path in zip(accs[1:], paths[1:], strict=True):
        try:
            total.merge(acc)
        except LossInputError as e:
            raise LossInputError(f"{path}: {e.message}") from None
    return total


def _per_class(parts: list[dict[str, Any]], paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    tables = [d.get("per_class") for d in parts]
    if not all(isinstance(t, list) for t in tables):
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    width = len(tables[0])  # type: ignore[arg-type]
    sums, counts = np.zeros(width), np.zeros(width, dtype=np.int64)
    for t, path in zip(tables, paths, strict=True):
        if len(t) != width:  # type: ignore[arg-type]
            raise LossInputError(f'{path}: "per_class" has {len(t)} entries, expected {width}')  # type: ignore[arg-type]
        for j, row in enumerate(t):  # type: ignore[arg-type]
            ok = isinstance(row, dict) and isinstance(row.get("n", 0), int)
            if not ok or not isinstance(row.get("mean"), (int, float, type(None))):
                raise LossInputError(f'{path}: "per_class" entries must be {{"class", "n", "mean"}}')
            cnt = int(row.get("n", 0))
            counts[j] += cnt
            if cnt and row.get("mean") is not None:
                sums[j] += float(row["mean"]) * cnt
    return sums, counts
