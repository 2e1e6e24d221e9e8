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
    return doc


def _differing_field(a: str, b: str) -> str:
    def fields(sig: str) -> dict[str, str]:
        out = {}
        for part in sig.split("|"):
            key, _, val = part.partition(":")
            out[key if val else "loss"] = val or key
        return out

    da, db = fields(a), fields(b)
    for key in list(da) + [k for k in db if k not in da]:
        if da.get(key) != db.get(key):
            return f"{key} ({da.get(key, 'unset')} vs {db.get(key, 'unset')})"
    return "signature"


def combine(parts: list[dict[str, Any]], paths: list[str]) -> Result:
    """The result of the union of the shards, as if computed in one run."""
    first = parts[0]
    for doc, path in zip(parts[1:], paths[1:], strict=True):
        if doc["signature"] != first["signature"]:
            raise LossInputError(
                f"{path} and {paths[0]} were computed differently: they differ in "
                f"{_differing_field(first['signature'], doc['signature'])}; merge only shards run "
                "with the same options"
            )
        for key in ("outputs", "classes"):
            if doc.get(key) != first.get(key):
                raise LossInputError(
                    f"{path} and {paths[0]} differ in {key!r}: {doc.get(key)} vs {first.get(key)}"
                )

    n = sum(int(d["n"]) for d in parts)
    wsum = [float(d.get("weight_sum", d["n"])) for d in parts]
    means = [math.inf if d["mean"] is None else float(d["mean"]) for d in parts]
    nums = [m * w if w else 0.0 for m, w in zip(means, wsum, strict=True)]
    weight_sum = math.fsum(wsum)
    mean = math.fsum(nums) / weight_sum if weight_sum else math.nan
    total = math.fsum(math.inf if d["sum"] is None else float(d["sum"]) for d in parts)

    def by_n(key: str) -> float | None:
        if any(d.get(key) is None for d in parts):
            return None
        return math.fsum(float(d[key]) * int(d["n"]) for d in parts) / n if n else None

    k = int(first["outputs"])
    mode = str(first["mode"])
    class_sum, class_count = _per_class(parts, paths)
    opts = core.LossOptions(
        loss=str(first["loss"]),
        input=str(first["input"]),
        convention=str(first["convention"]),
        # "alpha": null in a part means the α term was off; -1 says so to LossOptions
        alpha=-1.0 if "alpha" in first and first["alpha"] is None else first.get("alpha"),
        gamma=float(first.get("gamma", 2.0)),
        threshold=float(first.get("threshold", 0.5)),
    )
    summary = core.Summary(
        n=n,
        mean=mean,
        sum=total,
        weight_sum=weight_sum,
        accuracy=by_n("accuracy"),
        exact_match=by_n("exact_match") if mode == "multilabel" else None,
        clamped=sum(int(d.get("clamped", 0)) for d in parts),
        nonfinite=sum(int(d.get("nonfinite", 0)) for d in parts),
        ignored=sum(int(d.get("ignored", 0)) for d in parts),
        class_sum=class_sum,
        class_count=class_count,
    )
    per_sample = None
    if all(isinstance(d.get("per_sample"), list) for d in parts):
        per_sample = np.array(
            [np.nan if v is None else v for d in parts for v in d["per_sample"]], dtype=np.float64
        )
    empty = RowBlock(*(np.zeros(0) for _ in RowBlock.__dataclass_fields__))
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
        rows=empty,
        hidden=0,
        warnings=[],
        signature=str(first["signature"]),
        sample_weight_col=first.get("sample_weight_col"),
    )
    res.extra["parts"] = len(parts)
    if all("per_class" in d for d in parts):
        res.extra["per_class"] = True
    return res


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
