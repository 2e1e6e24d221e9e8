"""Optional CSV fast path: pyarrow's multi-threaded parser, streamed in record batches.

Used for large CSV files when ``losscli[fast]`` (pyarrow) is installed. pyarrow reports
malformed input without line numbers, so any failure here raises :class:`FastPathError`,
and the caller reruns the whole pass with the NumPy reader, which names the line and the
column. Valid input gives the same arrays on both paths.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np

from losscli.errors import LossInputError
from losscli.readers import Chunk

# pyarrow's reader keeps a few blocks in flight; small blocks keep its memory low (measured:
# 256 KiB → ~90 MB peak RSS for a 10M-row file, 4 MiB → ~215 MB) at the same speed, and
# batches are joined into chunks of CHUNK_ROWS so the per-chunk NumPy work stays vectorised
BLOCK_BYTES = 256 << 10
CHUNK_ROWS = 1 << 18


class FastPathError(LossInputError):
    """pyarrow could not parse the file; rerun with the NumPy reader to locate the problem."""


def available() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def chunks(
    path: str, name: str, ncols: int, delim: str, text_cols: set[int], *, skip_rows: int
) -> Iterator[Chunk]:
    """Row chunks of a CSV file: float64 columns, and str columns for ``text_cols``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{j}" for j in range(ncols)]
    types = {n: (pa.string() if j in text_cols else pa.float64()) for j, n in enumerate(names)}
    try:
        reader = pacsv.open_csv(
            pa.input_stream(path, compression="detect"),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=skip_rows, block_size=BLOCK_BYTES, use_threads=True
            ),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=[], strings_can_be_null=False, include_columns=names
            ),
        )
        row = 0
        pending: list[Chunk] = []
        size = 0
        for batch in reader:
            if batch.num_rows == 0:
                continue
            pending.append(_to_chunk(batch, ncols, text_cols, row + size))
            size += batch.num_rows
            if size >= CHUNK_ROWS:
                yield _join(pending)
                row += size
                pending, size = [], 0
        if pending:
            yield _join(pending)
            row += size
        if row == 0:
            raise FastPathError(f"{name}: no data rows")
    except pa.ArrowException as e:
        raise FastPathError(f"{name}: {e}") from None


def _to_chunk(batch: object, ncols: int, text_cols: set[int], start: int) -> Chunk:
    m = batch.num_rows  # type: ignore[attr-defined]
    values = np.full((m, ncols), np.nan)
    text: dict[int, np.ndarray] = {}
    for j in range(ncols):
        col = batch.column(j)  # type: ignore[attr-defined]
        if j in text_cols:
            text[j] = np.char.strip(col.to_numpy(zero_copy_only=False).astype(str))
        else:
            values[:, j] = col.to_numpy()
    return Chunk(values, text, start, None)


def _join(parts: list[Chunk]) -> Chunk:
    if len(parts) == 1:
        return parts[0]
    values = np.concatenate([p.values for p in parts])
    text = {j: np.concatenate([p.text[j] for p in parts]) for j in parts[0].text}
    return Chunk(values, text, parts[0].start_row, None)
