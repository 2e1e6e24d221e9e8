"""Partitions for engines that read on workers: listing the files, cutting large CSV files
into blocks, counting rows, and opening a partition's rows as a :class:`Source`.

A path may be a local path, a glob, or an fsspec URL (``file://``, ``s3://``, ``gs://`` …);
the matches are read in sorted order as one data set. Parquet files are one partition each;
an uncompressed CSV/TSV file larger than ``block_bytes`` is cut into byte ranges that are
aligned to line ends on the worker (a line belongs to the block holding its first byte).
Counting (on the workers) gives every piece its first file line and its first global row,
so its rows carry the global row index and its errors name ``file:line:column`` exactly as
one pass over the whole file would.
"""

from __future__ import annotations

import glob as _glob
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from losscli.errors import LossInputError
from losscli.readers import Chunk, ReadOptions, Source
from losscli.readers.base import Context, by_extension
from losscli.readers.streams import Peekable, decompressed, split_compression

BLOCK_BYTES = 64 << 20  # a CSV file larger than this is read as several partitions
SCAN_BYTES = 8 << 20  # bytes read at a time while counting lines
_BLANK = re.compile(rb"^[ \t\r\f\v]*\n", re.MULTILINE)  # a line the CSV reader skips


@dataclass(frozen=True)
class Piece:
    """A partition of one input: ``url`` bytes ``[lo, hi)`` (``hi`` -1: to the end).

    After counting: ``rows`` data rows, the file line ``line`` of byte ``lo``, the global
    row ``row`` of its first row, ``file_row`` the global row of its file's first row, and
    ``head`` the file's header line, prepended when ``lo > 0``; ``newlines`` in the range.
    ``url`` is the name errors show (as the user wrote it), ``src`` what a worker opens."""

    url: str
    kind: str  # "csv" | "parquet"
    lo: int = 0
    hi: int = -1
    rows: int = 0
    line: int = 1
    row: int = 0
    file_row: int = 0
    head: bytes = b""
    newlines: int = 0
    src: str = ""  # what a worker opens: an absolute path or the URL ("" = ``url``)

    @property
    def location(self) -> str:
        return self.src or self.url


def _is_url(path: str) -> bool:
    return "://" in path


def expand(pattern: str) -> list[str]:
    """The files a path, glob or URL names, sorted; none is an error."""
    magic = any(ch in pattern for ch in "*?[")
    if not _is_url(pattern):
        if not magic:
            return [pattern]
        found = sorted(p for p in _glob.glob(pattern) if os.path.isfile(p))
    else:
        fs, path = _fs(pattern)
        if not magic:
            return [pattern]
        found = sorted(fs.unstrip_protocol(p) for p in fs.glob(path) if fs.isfile(p))
    if not found:
        raise LossInputError(f"{pattern}: no file matches")
    return found


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise LossInputError(f"{url}: URLs need fsspec: pip install 'losscli[dask]'") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise LossInputError(f"{url}: cannot read this URL ({e})") from None
    return fs, path


def kind_of(url: str) -> str:
    base = split_compression(url.lower())[0]
    return "parquet" if base.endswith((".parquet", ".parq", ".pq")) else "csv"


def open_file(url: str, name: str | None = None) -> IO[bytes]:
    """The raw bytes of a local path or URL (``name`` in messages), as an input error."""
    name = name or url
    try:
        if _is_url(url):
            fs, path = _fs(url)
            return fs.open(path, "rb")
        if os.path.isdir(url):
            raise LossInputError(f"{name}: is a directory, not a file")
        return open(url, "rb")
    except FileNotFoundError:
        raise LossInputError(f"{name}: no such file") from None
    except PermissionError:
        raise LossInputError(f"{name}: permission denied") from None
    except OSError as e:
        raise LossInputError(f"{name}: cannot open ({e.strerror or e})") from None


def _size(url: str) -> int:
    if _is_url(url):
        fs, path = _fs(url)
        return int(fs.size(path))
    return os.path.getsize(url) if os.path.isfile(url) else 0


def nominal(files: list[str], block_bytes: int = BLOCK_BYTES) -> list[Piece]:
    """Pieces before counting: a Parquet or compressed file whole, a large CSV in blocks."""
    out = []
    for url in files:
        kind = kind_of(url)
        src = url if _is_url(url) else os.path.abspath(url)  # workers may run elsewhere
        size = _size(url) if kind == "csv" and split_compression(url)[1] is None else 0
        if size <= block_bytes:
            out.append(Piece(url, kind, src=src))
            continue
        cuts = [*range(0, size, block_bytes), size]
        out += [Piece(url, kind, a, b, src=src) for a, b in itertools.pairwise(cuts)]
    return out


# ---- counting: runs on a worker -------------------------------------------------------


def _align(f: IO[bytes], x: int) -> int:
    """The first line start at or after byte ``x`` (a line starting at ``x`` belongs there)."""
    if x == 0:
        return 0
    f.seek(x - 1)
    pos = x - 1
    while True:
        data = f.read(1 << 16)
        if not data:
            return pos
        cut = data.find(b"\n")
        if cut >= 0:
            return pos + cut + 1
        pos += len(data)


def _scan(f: IO[bytes], lo: int, hi: int) -> tuple[int, int, bytes]:
    """(newlines, non-blank lines, first non-blank line) of bytes ``[lo, hi)`` (``hi`` -1:
    to the end, reading from where ``f`` stands)."""
    if hi >= 0:
        f.seek(lo)
    left = hi - lo if hi >= 0 else -1
    newlines = nonblank = 0
    carry, first = b"", b""
    while left != 0:
        data = f.read(SCAN_BYTES if left < 0 else min(SCAN_BYTES, left))
        if not data:
            break
        left -= len(data) if left > 0 else 0
        data = carry + data
        cut = data.rfind(b"\n") + 1
        body, carry = data[:cut], data[cut:]
        n = body.count(b"\n")
        newlines += n
        nonblank += n - len(_BLANK.findall(body))
        if not first and nonblank:
            first = next(ln for ln in body.split(b"\n") if ln.strip()) + b"\n"
    if carry.strip():
        nonblank += 1
        first = first or carry + b"\n"
    return newlines, nonblank, first


def count(piece: Piece, header: bool) -> Piece:
    """``piece`` with its exact byte range, its row and line counts and (at a file's start)
    its first line; ``line``, ``row`` and ``file_row`` are filled in by :func:`place`."""
    f = open_file(piece.location, piece.url)
    try:
        if piece.kind == "parquet":
            from losscli.readers.columnar import parquet_rows

            return replace(
                piece, rows=parquet_rows(f if _is_url(piece.location) else piece.location, piece.url)
            )
        if piece.hi < 0:  # a whole file, perhaps compressed: count what the reader will see
            stream, _ = decompressed(Peekable(f), piece.url, split_compression(piece.url)[1])
            newlines, nonblank, first = _scan(stream, 0, -1)  # type: ignore[arg-type]
            return replace(piece, rows=nonblank - (1 if header and nonblank else 0), head=first)
        lo, hi = _align(f, piece.lo), _align(f, piece.hi)
        newlines, nonblank, first = _scan(f, lo, hi)
        rows = nonblank - (1 if header and lo == 0 and nonblank else 0)
        return replace(piece, lo=lo, hi=hi, rows=rows, newlines=newlines, head=first if lo == 0 else b"")
    finally:
        f.close()


def place(counted: list[Piece]) -> list[Piece]:
    """Give each counted piece its first file line, its first global row and its file's
    header line (from the file's first piece)."""
    out: list[Piece] = []
    row = 0
    for p in counted:
        prev = out[-1] if out and out[-1].url == p.url else None
        if prev is None:
            p = replace(p, line=1, row=row, file_row=row)
        else:
            p = replace(p, line=prev.line + prev.newlines, row=row, file_row=prev.file_row, head=prev.head)
        out.append(p)
        row += p.rows
    return out


# ---- opening a piece: runs on a worker (or on the client for the plan) -----------------


def open_piece(piece: Piece, opts: ReadOptions) -> Source:
    """The rows of ``piece`` as a Source whose chunks carry global rows and file lines."""
    f = open_file(piece.location, piece.url)
    try:
        if piece.kind == "parquet":
            from losscli.readers.columnar import open_parquet_file

            # a local file by its path: pyarrow's own reader, ~2x faster than a Python file
            src = open_parquet_file(f if _is_url(piece.location) else piece.location, piece.url)
            src.closer.append(f)
        else:
            src = _open_csv(f, piece, opts)
    except BaseException:
        f.close()
        raise
    src.chunks = _shifted(src.chunks, piece.row)
    return src


def _open_csv(f: IO[bytes], piece: Piece, opts: ReadOptions) -> Source:
    raw: Any = f
    if piece.lo > 0 or piece.hi >= 0:
        raw = _Range(f, piece.lo, piece.hi, piece.head if piece.lo > 0 and opts.header else b"")
        first = piece.line - (1 if piece.lo > 0 and opts.header else 0)
        opts = replace(opts, first_line=first)
    reader = by_extension(split_compression(piece.url.lower())[0]) or by_extension(".csv")
    assert reader is not None
    peek = Peekable(raw)
    stream, compressed = decompressed(peek, piece.url, split_compression(piece.url)[1])
    src = reader.open(stream, Context(piece.url, piece.url, compressed is not None, opts, None))
    src.closer.append(peek)
    return src


def _shifted(chunks: Iterator[Chunk], row: int) -> Iterator[Chunk]:
    for c in chunks:
        yield Chunk(c.values, c.text, c.start_row + row, c.lines)


class _Range:
    """Bytes ``[lo, hi)`` of an open file, after ``head`` (the file's header line)."""

    def __init__(self, f: IO[bytes], lo: int, hi: int, head: bytes) -> None:
        f.seek(lo)
        self.f, self.left, self.head = f, hi - lo, head

    def read(self, n: int = -1) -> bytes:
        out = b""
        if self.head:
            out, self.head = (
                (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            )
            if n >= 0:
                n -= len(out)
        if n == 0 or self.left <= 0:
            return out
        data = self.f.read(self.left if n < 0 else min(n, self.left))
        self.left -= len(data)
        return out + data

    def close(self) -> None:
        self.f.close()
