"""Arrays read row block by row block: from a memory map, or from a stream after its ``.npy``
header, and assembled into float64 chunks of at most :data:`~.base.CHUNK_BYTES`.

Nothing here holds a whole array: a float32 (n, k) array becomes float64 one chunk at a time
(the assignment into the chunk's float64 block is the upcast), so the peak is one chunk
whatever n and k.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import Chunk, ReadOptions, rows_per_chunk
from losscli.readers.nd import Shape, shape_of

KINDS = {"U": "text", "S": "bytes", "c": "complex numbers", "M": "dates", "V": "records"}
# bounds checked on the header, before anything is allocated (docs/limits.md)
MAX_ROW_BYTES = 1 << 28  # one row of an array: a chunk holds at least one
MAX_WHOLE_BYTES = 1 << 31  # an array that must be read whole (Fortran order from a stream, 0-d)


def npy_error(name: str, e: Exception) -> LossInputError:
    msg = str(e)
    if "allow_pickle" in msg or "Object arrays" in msg or "Python objects" in msg:
        return LossInputError(f"{name}: holds Python objects (a pickle); refused, losscli never unpickles")
    return LossInputError(f"{name}: not a valid .npy/.npz file ({msg})")


def as_text(arr: np.ndarray, name: str) -> np.ndarray:
    """A str array from text (U) or byte strings (S); bytes must be UTF-8."""
    if arr.dtype.kind == "S":
        try:
            return np.char.decode(arr, "utf-8")
        except UnicodeDecodeError:
            raise LossInputError(f"{name}: byte strings that are not UTF-8 text") from None
    return arr.astype(str)


def check_numbers(dtype: np.dtype, name: str, what: str) -> None:
    if dtype.kind not in "biuf":
        found = KINDS.get(dtype.kind, f"values of type {dtype}")
        raise LossInputError(f"{name}: {what} holds {found}; expected numbers")


def table_width(dtype: np.dtype, shape: tuple[int, ...], name: str, what: str) -> int:
    """k of an (n,) → 1 or (n, k) → k array of numbers; anything else is an input error."""
    check_numbers(dtype, name, what)
    if len(shape) == 1:
        return 1
    if len(shape) != 2:
        raise LossInputError(f"{name}: {what} has {len(shape)} dimensions; expected (n,) or (n, k)")
    return shape[1]


def array_shape(dtype: np.dtype, shape: tuple[int, ...], name: str, what: str, opts: ReadOptions) -> Shape:
    """How an array of numbers becomes rows and columns (see :mod:`.nd`)."""
    check_numbers(dtype, name, what)
    return shape_of(
        shape, name, what, family=opts.family, class_axis=opts.class_axis, positions=opts.positions
    )


@dataclass
class Rows:
    """An array's rows in order: ``take(m)`` returns the next m rows, shape (m, *shape[1:]),
    in the array's own dtype; ``finish()`` reads what is left (so a zip member's CRC is
    checked) and releases the stream."""

    dtype: np.dtype
    shape: tuple[int, ...]
    take: Callable[[int], np.ndarray]
    finish: Callable[[], None] = field(default=lambda: None)


def mapped(arr: np.ndarray, check: Callable[[], None] | None = None) -> Rows:
    """Rows of an array already addressable (a memory map, or a small array in memory).
    ``check`` runs before each block is copied out (a memory map checks that its file was
    not truncated meanwhile: touching a page past the end would be a SIGBUS)."""
    pos = 0

    def take(m: int) -> np.ndarray:
        nonlocal pos
        pos += m
        if check is not None:
            check()
            return np.array(arr[pos - m : pos])
        return arr[pos - m : pos]

    return Rows(arr.dtype, tuple(arr.shape), take)


def read_header(f: IO[bytes] | Any, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) of the .npy stream ``f``, which is left at its data."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            shape, fortran, dtype = fmt._read_array_header(f, version)  # type: ignore[attr-defined]  # 3.0: utf-8
    except (ValueError, OSError, EOFError) as e:
        raise npy_error(name, e) from None
    if dtype.hasobject:
        raise npy_error(name, ValueError("Object arrays cannot be loaded when allow_pickle=False"))
    return tuple(shape), bool(fortran), dtype


def _eof(need: int, got: int) -> ValueError:
    return ValueError(f"EOF: reading array data, expected {need} bytes got {got}")


def _read_exact(f: IO[bytes] | Any, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = f.read(min(n - got, 1 << 24))  # a short stream stops early: never ask for all of n
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _unchanged(arr: np.ndarray, name: str) -> Callable[[], None] | None:
    """For a memory map: a check that its file still holds every mapped byte."""
    path = getattr(arr, "filename", None)
    if path is None:
        return None
    end = int(getattr(arr, "offset", 0)) + arr.nbytes

    def check() -> None:
        try:
            size = os.path.getsize(path)
        except OSError as e:
            raise LossInputError(f"{name}: cannot read it any more ({e.strerror or e})") from None
        if size < end:
            raise LossInputError(f"{name}: the file was truncated while it was being read")

    return check


def check_declared(
    shape: tuple[int, ...], dtype: np.dtype, name: str, available: int | None, whole: bool
) -> None:
    """Refuse a header whose shape cannot be real before any memory is allocated for it:
    more bytes than the file (or zip member) holds, a row over MAX_ROW_BYTES, or an array
    read whole over MAX_WHOLE_BYTES."""
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    what = f"the header declares shape {tuple(shape)} of {dtype} ({declared} bytes)"
    if math.prod(d for d in shape if d) * max(dtype.itemsize, 1) >= 1 << 62:  # NumPy cannot even
        raise LossInputError(f"{name}: {what}: no array can have that shape")  # describe it
    if available is not None and declared > available:
        raise LossInputError(f"{name}: {what} but only {available} bytes are there; truncated or corrupt")
    row = math.prod(shape[1:]) * dtype.itemsize
    if row > MAX_ROW_BYTES:
        raise LossInputError(f"{name}: {what}: one row is over the {MAX_ROW_BYTES >> 20} MiB limit")
    if whole and declared > MAX_WHOLE_BYTES:
        raise LossInputError(
            f"{name}: {what}, read whole here (text, or Fortran order from a stream), is over the "
            f"{MAX_WHOLE_BYTES >> 30} GiB limit"
        )


def streamed(
    f: IO[bytes] | Any,
    name: str,
    fortran: Callable[[], np.ndarray] | None = None,
    available: int | None = None,
) -> Rows:
    """Rows of the .npy array on stream ``f`` (at its magic bytes), read as they are taken.
    A Fortran-order array has no contiguous rows: ``fortran()`` opens it another way (a
    memory map), else it is read whole. ``available``: the most bytes the data can have
    (a file's or zip member's size), None for a stream."""
    shape, fortran_order, dtype = read_header(f, name)
    # read whole: Fortran order from a stream, a 0-d array, text (class names are taken at once)
    whole = (fortran_order and fortran is None) or not shape or dtype.kind in "US"
    check_declared(shape, dtype, name, available, whole)
    if fortran_order and fortran is not None:
        arr = fortran()
        return mapped(arr, check=_unchanged(arr, name))
    row_shape = shape[1:]
    row_bytes = math.prod(row_shape) * dtype.itemsize

    def take(m: int) -> np.ndarray:
        need = m * row_bytes
        data = _read_exact(f, need)
        if len(data) < need:
            raise npy_error(
                name, ValueError(f"EOF: reading array data, expected {need} bytes got {len(data)}")
            )
        return np.frombuffer(data, dtype=dtype).reshape((m, *row_shape))

    def finish() -> None:
        while f.read(1 << 20):
            pass

    if fortran_order or not shape:
        size = math.prod(shape) * dtype.itemsize
        data = _read_exact(f, size)
        if len(data) < size:
            raise npy_error(
                name, ValueError(f"EOF: reading array data, expected {size} bytes got {len(data)}")
            )
        return mapped(np.frombuffer(data, dtype=dtype).reshape(shape[::-1]).transpose())
    return Rows(dtype, shape, take, finish)


@dataclass(frozen=True)
class Part:
    """One member of a chunk's columns: rows of numbers laid out by ``shape`` (``width``
    columns), or (rows None) one text column whose strings are ``text``."""

    width: int
    rows: Rows | None = None
    text: np.ndarray | None = None
    shape: Shape | None = None

    def take(self, m: int) -> np.ndarray:
        """The next m items as (m·per_item, width), in the array's dtype."""
        assert self.rows is not None
        block = self.rows.take(m)
        return self.shape.table(block) if self.shape is not None else block.reshape(m, self.width)


def chunks(parts: list[Part], n: int, per_item: int = 1) -> Iterator[Chunk]:
    """Chunks of the parts side by side, at most CHUNK_BYTES of float64 each (but at least
    one item): ``n`` items of ``per_item`` rows each."""
    width = sum(p.width for p in parts)
    step = max(1, rows_per_chunk(width) // max(per_item, 1))
    for a in range(0, max(n, 1), step):
        m = min(step, n - a)
        rows = m * per_item
        values = np.empty((rows, width))
        texts: dict[int, np.ndarray] = {}
        j = 0
        for p in parts:
            if p.rows is None:
                assert p.text is not None
                values[:, j] = np.nan
                texts[j] = p.text[a : a + m]
            else:
                values[:, j : j + p.width] = p.take(m)  # the upcast to float64
            j += p.width
        yield Chunk(values, texts, a * per_item, None)
    for p in parts:
        if p.rows is not None:
            p.rows.finish()
