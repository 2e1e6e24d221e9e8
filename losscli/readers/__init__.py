"""Readers: a path (or ``-``) → a :class:`Source` that yields row chunks.

Every format becomes the same thing: a table of ``c`` columns, optionally named, delivered
in chunks of rows so that large files stream. Numeric columns arrive as float64; columns
that hold text (class names, ``true``/``false``) arrive as strings next to them. Nothing here
knows about losses: which column holds scores or labels is decided in :mod:`losscli.select`.

Every failure is a :class:`~losscli.errors.LossInputError` whose message names the file and,
where it applies, the 1-based line and column.

Layout: :mod:`.base` (Chunk, Source, the reader registry), :mod:`.streams` (bytes, stdin,
decompression), one module per format (:mod:`.csv`, :mod:`.json`, :mod:`.numpy`) that
registers its :class:`~.base.Reader`, and :mod:`.arrow_csv`, pyarrow's CSV fast path.
"""

from __future__ import annotations

import os

from losscli.errors import LossInputError
from losscli.readers import columnar as _columnar
from losscli.readers import csv as _csv
from losscli.readers import json as _json
from losscli.readers import npz as _npz
from losscli.readers import numpy as _numpy
from losscli.readers.base import (
    ARROW_MIN_BYTES,
    BLOCK,
    CHUNK_BYTES,
    EXTRA_SCORE_KEYS,
    FIRST_BLOCK,
    HEADER_LABEL_NAMES,
    LABEL_KEYS,
    LABEL_NAMES,
    READERS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    ReadOptions,
    Source,
    by_extension,
    by_magic,
    register,
)
from losscli.readers.json import read_json
from losscli.readers.multi import is_pattern, open_glob
from losscli.readers.streams import (
    Peekable,
    close_quietly,
    decompressed,
    display_name,
    open_bytes,
    split_compression,
)

__all__ = [
    "ARROW_MIN_BYTES",
    "BLOCK",
    "CHUNK_BYTES",
    "EXTRA_SCORE_KEYS",
    "FIRST_BLOCK",
    "HEADER_LABEL_NAMES",
    "LABEL_KEYS",
    "LABEL_NAMES",
    "READERS",
    "SCORE_KEYS",
    "Chunk",
    "ReadOptions",
    "Reader",
    "Source",
    "display_name",
    "open_source",
    "read_json",
    "register",
]

_FALLBACK = _csv.CSV  # what a text input that no reader recognises is read as
_ = (_json, _numpy, _npz, _columnar)  # imported for their registrations


def open_source(
    path: str,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    first_block: int = FIRST_BLOCK,
    block: int = BLOCK,
    reader: str = "auto",
    arrow_min_bytes: int = ARROW_MIN_BYTES,
    family: str | None = None,
    class_axis: int | None = None,
    positions: tuple[int, ...] | None = None,
    decimal: str = ".",
) -> Source:
    """Open ``path`` (``-`` for stdin) and return a :class:`Source` of row chunks.

    The format comes from the extension (``.gz``, ``.bz2``, ``.xz`` or ``.zst`` may follow); stdin and unknown
    extensions are sniffed from their first bytes. A path with glob characters (``*?[``)
    that is not itself a file is expanded: the sorted matches are one data set.
    ``reader``: ``"auto"`` parses CSV files of at least ``arrow_min_bytes`` with pyarrow
    when it is installed (``losscli[fast]``), ``"numpy"`` never does, ``"arrow"`` always does
    for CSV files. ``decimal=","`` reads CSV numbers written with a decimal comma.

    Arrays of more than two dimensions (``.npy``, ``.npz``, JSON nested lists) need the loss
    ``family``: ``"softmax"`` scores (N, d1, …, C), or (N, C, d1, …) with ``class_axis=1``,
    are N·d1·… rows of C columns, and their ``Source.extra["positions"]`` is (N, d1, …);
    pass it as ``positions`` when opening the labels, so that labels of that shape are one
    row per position. ``"sigmoid"`` arrays (N, d1, …) are N rows of d1·d2·… columns.
    """
    opts = ReadOptions(
        header,
        delimiter,
        first_block,
        block,
        reader,
        arrow_min_bytes,
        family,
        class_axis,
        positions,
        decimal=decimal,
    )
    if is_pattern(path):
        return open_glob(path, lambda p: _open_one(p, opts), lambda p: _fast(p, opts))
    return _open_one(path, opts)


def _open_one(path: str, opts: ReadOptions) -> Source:
    name = display_name(path)
    base, codec = split_compression(path) if path != "-" else ("", None)
    raw = Peekable(open_bytes(path))
    try:
        src = _open_stream(raw, path, name, by_extension(base), codec, opts)
    except BaseException:
        close_quietly(raw)
        raise
    src.closer.append(raw)
    if path != "-" and not src.meter:
        src.meter.append(raw.raw)
    return src


def _open_stream(
    raw: Peekable, path: str, name: str, fmt: Reader | None, named: str | None, opts: ReadOptions
) -> Source:
    """Decompress, choose the reader (extension, else magic bytes, else CSV), open it."""
    stream, codec = decompressed(raw, name, named)
    if fmt is None:
        fmt = by_magic(stream.peek(64)) or _FALLBACK
    if fmt.needs_path and (path == "-" or codec):
        raise LossInputError(_needs_path(fmt, name, path))
    # the pyarrow path reads plain and gzip files itself
    arrow = _arrow_path(path, fmt, opts.reader, opts.arrow_min_bytes) if codec in (None, "gzip") else None
    return fmt.open(stream, Context(path, name, codec is not None, opts, arrow))


def _fast(path: str, opts: ReadOptions) -> bool:
    """Whether the pyarrow CSV fast path would read ``path``."""
    base, codec = split_compression(path)
    fmt = by_extension(base) or _FALLBACK
    return codec in (None, "gzip") and _arrow_path(path, fmt, opts.reader, opts.arrow_min_bytes) is not None


def _needs_path(fmt: Reader, name: str, path: str) -> str:
    what = fmt.title or fmt.name
    if path == "-":
        return f"{name}: {what} is read from a file (its index is at the end); give its path instead of -"
    return f"{name}: {what} cannot be read through compression; decompress it and give that path"


def _arrow_path(path: str, fmt: Reader, reader: str, min_bytes: int) -> str | None:
    """The path to hand to pyarrow, or None to parse with NumPy."""
    if reader == "numpy" or path == "-" or not fmt.fast_path:
        return None
    try:
        if not os.path.isfile(path) or (reader != "arrow" and os.path.getsize(path) < min_bytes):
            return None
    except OSError:
        return None
    from losscli.readers import arrow_csv

    if not arrow_csv.available():
        if reader == "arrow":
            raise LossInputError("LOSSCLI_READER=arrow needs pyarrow: pip install 'losscli[fast]'")
        return None
    return path
