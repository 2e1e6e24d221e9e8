"""Parquet row groups from any open binary file (a local file or an fsspec URL), for the
engines that read partitions on workers. Needs pyarrow (``losscli[dask]`` / ``[fast]``).

Not a registered reader (paths given to the serial engine go through the reader registry):
this opens one file object and yields :class:`~losscli.readers.base.Chunk` s of its row groups.
Column rules are the Parquet reader's: numbers (and booleans) are number columns, anything
else scalar is text, and a list / fixed-size-list column of K numbers per row becomes the K
columns ``name[0]`` … ``name[K-1]``. Rows are located as ``path: row R`` (1-based, in the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import LABEL_KEYS, SCORE_KEYS, Chunk, Source

BATCH_ROWS = 1 << 17  # rows per chunk: a row group of millions of rows is not one array


def _pyarrow(name: str) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.compute
        import pyarrow.parquet
    except ImportError:
        raise LossInputError(f"{name}: Parquet input needs pyarrow: pip install 'losscli[dask]'") from None
    return pa


def _file(pa: Any, f: IO[bytes], name: str) -> Any:
    try:
        return pa.parquet.ParquetFile(f)
    except (pa.ArrowException, OSError) as e:
        raise LossInputError(f"{name}: not a valid Parquet file ({e})") from None


def parquet_rows(f: IO[bytes], name: str) -> int:
    """The number of rows of the Parquet file ``f``, from its footer alone."""
    pa = _pyarrow(name)
    return int(_file(pa, f, name).metadata.num_rows)


def _width(pa: Any, pf: Any, i: int, t: Any, name: str, col: str) -> int:
    """K of a list column: fixed in the type, else the length of the first row's list."""
    if not (pa.types.is_integer(t.value_type) or pa.types.is_floating(t.value_type)):
        raise LossInputError(f"{name}: column {col!r} holds lists of {t.value_type}; expected numbers")
    if pa.types.is_fixed_size_list(t):
        return int(t.list_size)
    first = pf.read_row_group(0, columns=[col]).column(0) if pf.num_row_groups else None
    k = len(first[0]) if first is not None and len(first) else 0
    if k == 0:
        raise LossInputError(f"{name}: column {col!r} holds empty lists")
    return int(k)


def _fields(pa: Any, pf: Any, name: str) -> list[tuple[str, str, int]]:
    """(column name, "number" | "text" | "list", width) for every column of the schema."""
    out = []
    for i, f in enumerate(pf.schema_arrow):
        t = f.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            out.append((f.name, "number", 1))
        elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            out.append((f.name, "list", _width(pa, pf, i, t, name, f.name)))
        else:
            out.append((f.name, "text", 1))
    return out


def _batch(pa: Any, batch: Any, fields: list[tuple[str, str, int]], start: int, name: str) -> Chunk:
    """One record batch → float64 values (NaN in text columns) and str text columns."""
    m = batch.num_rows
    values = np.empty((m, sum(w for _, _, w in fields)))
    texts: dict[int, np.ndarray] = {}
    j = 0
    for i, (col, kind, w) in enumerate(fields):
        arr = batch.column(i)
        if arr.null_count:
            r = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
            raise LossInputError(f"{name}: row {start + r + 1}, field {col!r}: null where a value belongs")
        if kind == "list":
            if not pa.types.is_fixed_size_list(arr.type):
                lengths = pa.compute.list_value_length(arr).to_numpy(zero_copy_only=False)
                if (lengths != w).any():
                    r = int(np.argmax(lengths != w))
                    raise LossInputError(
                        f"{name}: row {start + r + 1}, field {col!r}: {lengths[r]} values, expected {w}"
                    )
            flat = np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.float64)
            values[:, j : j + w] = flat.reshape(m, w)
        elif kind == "number":
            values[:, j] = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            values[:, j] = np.nan
            strings = arr.cast(pa.string()).to_numpy(zero_copy_only=False)
            texts[j] = np.char.strip(np.asarray(strings, dtype=str))
        j += w
    return Chunk(values, texts, start, None)


def open_parquet(f: IO[bytes], name: str) -> Source:
    """A :class:`Source` over the row groups of the open Parquet file ``f`` (closed with it)."""
    pa = _pyarrow(name)
    pf = _file(pa, f, name)
    fields = _fields(pa, pf, name)
    names: list[str] = []
    spans: dict[str, list[int]] = {}
    for col, kind, w in fields:
        spans[col] = list(range(len(names), len(names) + w))
        names.extend([f"{col}[{k}]" for k in range(w)] if kind == "list" else [col])
    labels = [j for col, _, _ in fields if col in LABEL_KEYS for j in spans[col]]
    text_cols = {j for col, kind, _ in fields if kind == "text" for j in spans[col]}

    def chunks() -> Iterator[Chunk]:
        row = 0
        try:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                if batch.num_rows:
                    yield _batch(pa, batch, fields, row, name)
                    row += batch.num_rows
        except (pa.ArrowException, OSError) as e:
            raise LossInputError(f"{name}: cannot read the Parquet data ({e})") from None
        if row == 0:
            raise LossInputError(f"{name}: no data rows")

    src = Source(name, len(names), names, text_cols, chunks(), label_hint=labels or None, fmt="parquet")
    kind_hint = next((col for col, _, _ in fields if col in SCORE_KEYS), None)
    if kind_hint is not None:
        src.kind_hint = kind_hint
        src.extra["score_cols"] = spans[kind_hint]
    src.closer.append(f)  # type: ignore[arg-type]
    return src
