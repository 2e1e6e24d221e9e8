"""Parquet and Arrow IPC / Feather files, through pyarrow (``losscli[fast]``), imported lazily.

Streamed by row group (Parquet) or record batch (Arrow), in chunks of at most CHUNK_BYTES of
float64. Columns keep their names: numbers (and booleans) are number columns, strings and
anything else scalar are text columns, and a list or fixed-size-list column of numbers of
K values per row (``logits``, Hugging Face style) becomes K columns ``logits[0]`` …
``logits[K-1]``; a list column named like labels (``labels``, ``y``, …) holds K label
columns. Both formats keep their index at the end of the file, so they need a real path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import (
    LABEL_KEYS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    Source,
    register,
    rows_per_chunk,
)
from losscli.readers.streams import SafeStream


def pyarrow(name: str, what: str) -> Any:
    """The pyarrow module, or an input error saying how to install it."""
    try:
        import pyarrow as pa
        import pyarrow.compute
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        raise LossInputError(f"{name}: {what} input needs pyarrow: pip install 'losscli[fast]'") from None
    return pa


@dataclass(frozen=True)
class _Field:
    """One column of the file: ``kind`` is "number", "text" or "list" (``width`` values)."""

    name: str
    kind: str
    width: int = 1


def _numeric(pa: Any, t: Any) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t))


def _is_list(pa: Any, t: Any) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t))


def _fields(pa: Any, schema: Any, first: Any, name: str) -> list[_Field]:
    """The columns from the schema; a variable-length list's K comes from the first row."""
    out = []
    for i, f in enumerate(schema):
        t = f.type
        if _numeric(pa, t) or pa.types.is_decimal(t):
            out.append(_Field(f.name, "number"))
        elif _is_list(pa, t):
            if not _numeric(pa, t.value_type):
                raise LossInputError(
                    f"{name}: column {f.name!r} holds lists of {t.value_type}; expected lists of numbers"
                )
            if pa.types.is_fixed_size_list(t):
                k = t.list_size
            else:
                k = len(first.column(i)[0]) if first is not None and first.num_rows else 0
            if k == 0:
                raise LossInputError(f"{name}: column {f.name!r} holds empty lists")
            out.append(_Field(f.name, "list", k))
        else:
            out.append(_Field(f.name, "text"))
    return out


def _first_null(col: Any) -> int:
    return int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])


def _lists(pa: Any, col: Any, f: _Field, where: Callable[[int], str]) -> np.ndarray:
    """(m, K) float64 from a list column, every row holding K numbers."""
    m = len(col)
    if not pa.types.is_fixed_size_list(col.type):
        lengths = pa.compute.list_value_length(col).to_numpy(zero_copy_only=False)
        bad = lengths != f.width
        if bad.any():
            i = int(np.argmax(bad))
            raise LossInputError(f"{where(i)}, field {f.name!r}: {lengths[i]} values, expected {f.width}")
    flat = col.flatten()
    if flat.null_count:
        raise LossInputError(f"{where(_first_null(flat) // f.width)}, field {f.name!r}: null in the list")
    return np.asarray(flat.to_numpy(zero_copy_only=False), dtype=np.float64).reshape(m, f.width)


def _chunk(pa: Any, batch: Any, fields: list[_Field], start: int, name: str) -> Chunk:
    """A record batch → a Chunk of float64 values and str text columns."""

    def where(i: int) -> str:
        return f"{name}: row {start + i + 1}"

    m = batch.num_rows
    values = np.empty((m, sum(f.width for f in fields)))
    texts: dict[int, np.ndarray] = {}
    j = 0
    for i, f in enumerate(fields):
        col = batch.column(i)
        if col.null_count:
            raise LossInputError(
                f"{where(_first_null(col))}, field {f.name!r}: null where a number or label belongs"
            )
        if f.kind == "list":
            values[:, j : j + f.width] = _lists(pa, col, f, where)
        elif f.kind == "number":
            values[:, j] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            strings = col.cast(pa.string()) if not pa.types.is_string(col.type) else col
            values[:, j] = np.nan
            texts[j] = np.char.strip(np.asarray(strings.to_numpy(zero_copy_only=False), dtype=str))
        j += f.width
    return Chunk(values, texts, start, None)


def _source(
    pa: Any,
    name: str,
    fmt: str,
    schema: Any,
    first: Any,
    batches: Callable[[int], Iterator[Any]],
    where: tuple[str, int] | None = None,
) -> Source:
    """A Source over ``batches(rows)``, record batches of at most ``rows`` rows; ``where``
    (the file's path and its number of rows) gives the progress bar its position."""
    fields = _fields(pa, schema, first, name)
    names: list[str] = []
    label_hint: list[int] = []
    spans: dict[str, list[int]] = {}
    for f in fields:
        cols = list(range(len(names), len(names) + f.width))
        names.extend([f"{f.name}[{k}]" for k in range(f.width)] if f.kind == "list" else [f.name])
        spans[f.name] = cols
        if f.name in LABEL_KEYS:
            label_hint.extend(cols)
    kind_hint = next((f.name for f in fields if f.name in SCORE_KEYS), None)
    text_cols = {j for f in fields if f.kind == "text" for j in spans[f.name]}

    done = [0]

    def chunks() -> Iterator[Chunk]:
        row = 0
        try:
            for batch in batches(rows_per_chunk(len(names))):
                if batch.num_rows:
                    chunk = _chunk(pa, batch, fields, row, name)
                    row += batch.num_rows
                    done[0] = row
                    yield chunk
        except (pa.ArrowException, OSError) as e:
            raise LossInputError(f"{name}: cannot read the {_LABEL[fmt]} data ({e})") from None
        if row == 0:
            raise LossInputError(f"{name}: no data rows")

    src = Source(name, len(names), names, text_cols, chunks(), label_hint=label_hint or None, fmt=fmt)
    if where is not None:
        src.position = functools.partial(_position, where[0], where[1], done)
    if kind_hint is not None:
        src.kind_hint = kind_hint
        src.extra["score_cols"] = spans[kind_hint]
    return src


def _position(path: str, rows: int, done: list[int]) -> tuple[int, int] | None:
    """Rows read as bytes of the file (pyarrow reads it by path, so no file position tells)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    return (size * done[0] // rows if rows else size), size


_LABEL = {"parquet": "Parquet", "arrow": "Arrow"}


def open_parquet(stream: SafeStream, ctx: Context) -> Source:
    """A Parquet file, read row group by row group."""
    return open_parquet_file(ctx.path, ctx.name)


def open_parquet_file(where: Any, name: str) -> Source:
    """A Parquet file from a path or an open binary file (e.g. an fsspec URL's, on a Dask
    worker), read row group by row group; ``name`` is how messages call it."""
    pa = pyarrow(name, "Parquet")
    try:
        pf = pa.parquet.ParquetFile(where)
        first = next(pf.iter_batches(batch_size=1), None)
    except (pa.ArrowException, OSError) as e:
        raise LossInputError(f"{name}: not a valid Parquet file ({e})") from None
    try:
        where_rows = (where, pf.metadata.num_rows) if isinstance(where, str) else None
        src = _source(
            pa, name, "parquet", pf.schema_arrow, first, lambda n: pf.iter_batches(batch_size=n), where_rows
        )
    except BaseException:
        pf.close()
        raise
    src.closer.append(pf)
    return src


def parquet_rows(where: Any, name: str) -> int:
    """The row count of a Parquet file (a path or an open binary file), from its footer."""
    pa = pyarrow(name, "Parquet")
    try:
        return int(pa.parquet.ParquetFile(where).metadata.num_rows)
    except (pa.ArrowException, OSError) as e:
        raise LossInputError(f"{name}: not a valid Parquet file ({e})") from None


def open_arrow(stream: SafeStream, ctx: Context) -> Source:
    """An Arrow IPC file (Feather v2), memory-mapped, record batch by record batch."""
    pa = pyarrow(ctx.name, "Arrow")
    mm = pa.memory_map(ctx.path)
    try:
        reader = pa.ipc.open_file(mm)
        n = reader.num_record_batches
        first = reader.get_batch(0) if n else None
    except (pa.ArrowException, OSError) as e:
        mm.close()
        raise LossInputError(f"{ctx.name}: not a valid Arrow IPC file ({e})") from None

    def batches(rows: int) -> Iterator[Any]:
        for i in range(n):
            batch = reader.get_batch(i)
            for a in range(0, batch.num_rows, rows):
                yield batch.slice(a, rows)

    try:
        rows = sum(reader.get_batch(i).num_rows for i in range(n))  # metadata: the file is mapped
        src = _source(pa, ctx.name, "arrow", reader.schema, first, batches, (ctx.path, rows))
    except BaseException:
        mm.close()
        raise
    src.closer.append(mm)
    return src


PARQUET = register(
    Reader("parquet", (".parquet", ".pq"), open_parquet, magic=(b"PAR1",), needs_path=True, title="Parquet")
)
ARROW = register(
    Reader(
        "arrow",
        (".arrow", ".feather", ".ipc"),
        open_arrow,
        magic=(b"ARROW1",),
        needs_path=True,
        title="Arrow IPC",
    )
)
