"""Per-sample rows, streamed chunk by chunk: ``csv``, ``tsv`` and ``jsonl``.

Full precision (``repr``); a non-finite loss is an empty field (csv/tsv) or ``null`` (jsonl).
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

import numpy as np

from losscli.model import Meta, Result, RowBlock
from losscli.render.cells import row_label, row_pred


class RowWriter:
    """Writes csv/tsv/jsonl rows as blocks arrive: ``index, label, prediction, loss``."""

    def __init__(self, fmt: str, out: IO[str]) -> None:
        self.fmt, self.out = fmt, out
        self.started = False

    def __call__(self, block: RowBlock, meta: Meta) -> None:
        out = self.out
        sep = "\t" if self.fmt == "tsv" else ","
        if not self.started:
            self.started = True
            if self.fmt != "jsonl":
                out.write(sep.join(("index", "label", "prediction", "loss")) + "\n")
        losses = block.loss.tolist()
        if self.fmt == "jsonl":
            lines = []
            for i, idx in enumerate(block.index.tolist()):
                v = losses[i]
                rec = {
                    "index": idx,
                    "label": _json_label(block, i, meta),
                    "prediction": _json_pred(block, i, meta),
                    "loss": v if math.isfinite(v) else None,
                }
                lines.append(json.dumps(rec, allow_nan=False))
            out.write("\n".join(lines) + ("\n" if lines else ""))
            return
        rows = []
        for i, idx in enumerate(block.index.tolist()):
            v = losses[i]
            label = _csv_field(row_label(block, i, meta), sep)
            pred = _csv_field(row_pred(block, i, meta), sep)
            rows.append(f"{idx}{sep}{label}{sep}{pred}{sep}{repr(v) if math.isfinite(v) else ''}")
        out.write("\n".join(rows) + ("\n" if rows else ""))


def write_losses(per_sample: np.ndarray, fmt: str, out: IO[str]) -> None:
    """``index,loss`` rows (merged shards, which carry no labels): csv, tsv or jsonl."""
    values = per_sample.tolist()
    if fmt == "jsonl":
        for i, v in enumerate(values):
            out.write(json.dumps({"index": i, "loss": v if math.isfinite(v) else None}) + "\n")
        return
    sep = "\t" if fmt == "tsv" else ","
    out.write(f"index{sep}loss\n")
    out.writelines(f"{i}{sep}{repr(v) if math.isfinite(v) else ''}\n" for i, v in enumerate(values))


def write_csv(res: Result, out: IO[str]) -> None:
    """``index,loss`` rows of a result with ``per_sample`` (merged shards)."""
    write_losses(_per_sample(res, "csv"), "csv", out)


def write_tsv(res: Result, out: IO[str]) -> None:
    """As :func:`write_csv`, tab-separated."""
    write_losses(_per_sample(res, "tsv"), "tsv", out)


def write_jsonl(res: Result, out: IO[str]) -> None:
    """As :func:`write_csv`, one ``{"index", "loss"}`` object per line."""
    write_losses(_per_sample(res, "jsonl"), "jsonl", out)


def _per_sample(res: Result, fmt: str) -> np.ndarray:
    if res.per_sample is None:
        raise ValueError(f"--format {fmt} after the pass needs per-sample losses")
    return res.per_sample


def _csv_field(s: str, sep: str) -> str:
    if sep in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def _json_label(block: RowBlock, i: int, meta: Meta) -> Any:
    if meta.mode == "multiclass":
        idx = int(block.target[i]) if meta.soft else int(block.labels[i, 0])
        return meta.classes[idx] if meta.classes and 0 <= idx < len(meta.classes) else idx
    vals = [int(v) if float(v).is_integer() else float(v) for v in block.labels[i]]
    return vals[0] if meta.mode == "binary" else vals


def _json_pred(block: RowBlock, i: int, meta: Meta) -> Any:
    if meta.mode == "multiclass":
        idx = int(block.pred[i])
        return meta.classes[idx] if meta.classes else idx
    vals = [int(bool(v)) for v in block.pred[i]]
    return vals[0] if meta.mode == "binary" else vals
