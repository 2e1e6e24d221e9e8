"""The types every reader shares: :class:`Chunk`, :class:`Source`, and the reader registry.

A reader is one module of this package that ends with ``register(Reader(...))``: its name,
the file extensions it owns, the magic bytes (or a sniffing function) that recognise it on
stdin or under an unknown name, and ``open(stream, ctx) -> Source``. Adding a format is one
new module plus its import in :mod:`losscli.readers`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

import numpy as np

from losscli.readers.streams import SafeStream

LABEL_NAMES = ("label", "labels", "target", "y")  # picked as the label column by default
HEADER_LABEL_NAMES = (*LABEL_NAMES, "class")  # make an all-text first row a header
SCORE_KEYS = ("logits", "probs", "log_probs")
EXTRA_SCORE_KEYS = ("scores",)
LABEL_KEYS = ("labels", "label", "targets", "target", "y")
FIRST_BLOCK = 1 << 20  # bytes read to detect the header, delimiter and column kinds
BLOCK = 2 << 20  # bytes per later chunk: memory stays flat whatever the file size
# below this size NumPy's parser finishes before pyarrow has even been imported (~150 ms)
ARROW_MIN_BYTES = 4 << 20
# float64 bytes per chunk of an array-like input (npy, npz, JSON, Parquet, Arrow), whatever
# its width: memory stays flat for 1 column or 100,000; tests shrink it
CHUNK_BYTES = 32 << 20


def rows_per_chunk(width: int) -> int:
    """Rows of ``width`` float64 columns that fit in :data:`CHUNK_BYTES` (at least 1)."""
    return max(1, CHUNK_BYTES // (8 * max(width, 1)))


def split_rows(chunks: Iterator[Chunk], width: int) -> Iterator[Chunk]:
    """``chunks`` cut into pieces of at most :func:`rows_per_chunk` rows (views, no copy)."""
    for c in chunks:
        step = rows_per_chunk(width)
        if len(c) <= step:
            yield c
            continue
        for a in range(0, len(c), step):
            yield c.slice(a, a + step)


@dataclass
class Chunk:
    """A block of rows: ``values`` float64 (m, c) with NaN in text columns; ``text`` maps a
    text column to its str array (m,); ``lines`` int64 (m,) holds each row's 1-based file
    line (None where lines mean nothing, e.g. JSON). When several files are one data set,
    ``origin`` is the file the rows come from and ``origin_row`` that file's first row."""

    values: np.ndarray
    text: dict[int, np.ndarray]
    start_row: int
    lines: np.ndarray | None = None
    origin: str | None = None
    origin_row: int = 0

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def slice(self, a: int, b: int) -> Chunk:
        return Chunk(
            self.values[a:b],
            {j: t[a:b] for j, t in self.text.items()},
            self.start_row + a,
            None if self.lines is None else self.lines[a:b],
            self.origin,
            self.origin_row,
        )


class Closeable(Protocol):
    def close(self) -> None: ...


@dataclass
class Source:
    """An opened input. ``names`` is the header (None without one). ``label_hint`` and
    ``kind_hint`` come from self-describing formats (JSON keys, .npz array names)."""

    path: str
    ncols: int
    names: list[str] | None
    text_cols: set[int]
    chunks: Iterator[Chunk]
    label_hint: list[int] | None = None
    kind_hint: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    closer: list[Closeable] = field(default_factory=list)
    fmt: str = "csv"  # "csv" (line:column locations), "json", "jsonl", "npy", "parquet" or "arrow"
    fast: bool = False  # parsed by pyarrow: errors are located by a rerun with NumPy
    meter: list[IO[bytes]] = field(default_factory=list)  # the files whose position is progress
    # a reader that knows better than a file position (Parquet: rows read of the file's rows)
    position: Callable[[], tuple[int, int] | None] | None = None

    def progress(self) -> tuple[int, int] | None:
        """(bytes read, file size) of a regular file, for a progress bar; None if unknown.

        The last file opened that is still open is the one being read: the pyarrow CSV path
        opens its own after the file the header was sniffed from (which stays at 1 MiB)."""
        if self.position is not None:
            return self.position()
        for f in reversed(self.meter):
            try:
                if f.closed:
                    continue
                return f.tell(), os.fstat(f.fileno()).st_size
            except (OSError, ValueError):
                return None
        return None

    def close(self) -> None:
        """Release the underlying file (stdin is left open)."""
        for f in self.closer:
            f.close()  # a Peekable never closes stdin
        self.closer.clear()

    def locate(self, chunk: Chunk, row: int | None, col: int | None) -> str:
        """Where a cell is, 1-based: ``path:line:column`` in CSV/TSV; ``path:line`` plus the
        field's name in JSON Lines; ``path: row R`` plus the name or column elsewhere."""
        path = chunk.origin or self.path
        if row is None:
            return path
        if chunk.lines is not None:
            where = f"{path}:{int(chunk.lines[row])}"
            if col is None:
                return where
            return where + (f":{col + 1}" if self.fmt == "csv" else f": {self._field(col)}")
        where = f"{path}: row {chunk.start_row - chunk.origin_row + row + 1}"
        return where + (f", {self._field(col)}" if col is not None else "")

    def _field(self, col: int) -> str:
        name = self.names[col] if self.names and self.fmt != "csv" else ""
        return f"field {name!r}" if name and not name.isdigit() else f"column {col + 1}"


@dataclass(frozen=True)
class ReadOptions:
    """How to read: the CSV options, the block sizes (tests shrink them), the reader
    policy for CSV (``auto`` | ``numpy`` | ``arrow``), and the line number of the stream's
    first line (so that a block read from the middle of a file names its lines)."""

    header: bool | None = None
    delimiter: str | None = None
    first_block: int = FIRST_BLOCK
    block: int = BLOCK
    reader: str = "auto"
    arrow_min_bytes: int = ARROW_MIN_BYTES
    # arrays of more than two dimensions (see readers.nd): the loss family ("softmax" or
    # "sigmoid"; None refuses them), the class axis of softmax scores (None: the last; 1:
    # PyTorch's (N, C, d1, …)), and the scores' positions (N, d1, …), which a labels array
    # of that shape has one label for
    family: str | None = None
    class_axis: int | None = None
    positions: tuple[int, ...] | None = None
    first_line: int = 1  # the file line the stream starts on (a block of a larger file)
    decimal: str = "."  # CSV's decimal mark: "," for Excel's 0,6912 (fields then split at ";")


@dataclass(frozen=True)
class Context:
    """What a reader's ``open`` gets besides the stream: the path as given (``-`` for stdin),
    its display name, whether the bytes were decompressed, the options, and the path to hand
    to the pyarrow CSV fast path (None: parse with NumPy)."""

    path: str
    name: str
    compressed: bool
    opts: ReadOptions
    arrow: str | None = None


Opener = Callable[[SafeStream, Context], Source]


@dataclass(frozen=True)
class Reader:
    """One input format.

    ``extensions`` are lower-case with the dot (``.csv``), unique across readers; ``magic``
    lists byte prefixes of the (decompressed) input that identify the format, and ``sniff``
    a looser test of the first 64 bytes for text formats; ``needs_path`` marks a format that
    is read from a real file (not ``-``); ``fast_path`` one that the pyarrow CSV reader can
    take over.
    """

    name: str
    extensions: tuple[str, ...]
    open: Opener
    magic: tuple[bytes, ...] = ()
    sniff: Callable[[bytes], bool] | None = None
    needs_path: bool = False
    fast_path: bool = False
    title: str = ""  # the format's name in messages, e.g. "Parquet"

    def recognises(self, head: bytes) -> bool:
        """Whether the first bytes ``head`` look like this format."""
        return any(head.startswith(m) for m in self.magic) or bool(self.sniff and self.sniff(head))


READERS: dict[str, Reader] = {}  # in registration order: the order magic bytes are tried


def register(reader: Reader) -> Reader:
    """Add ``reader`` to :data:`READERS`; its name and extensions must be new."""
    if reader.name in READERS:
        raise ValueError(f"reader {reader.name!r} registered twice")
    taken = {e for r in READERS.values() for e in r.extensions}
    if taken & set(reader.extensions):
        raise ValueError(f"reader {reader.name!r}: extensions {sorted(taken & set(reader.extensions))} taken")
    READERS[reader.name] = reader
    return reader


def by_extension(name: str) -> Reader | None:
    """The reader owning the extension of ``name`` (lower-case, compression suffix removed)."""
    ext = os.path.splitext(name)[1]
    return next((r for r in READERS.values() if ext in r.extensions), None)


def by_magic(head: bytes) -> Reader | None:
    """The first registered reader that recognises ``head``, the input's first bytes."""
    return next((r for r in READERS.values() if r.recognises(head)), None)
