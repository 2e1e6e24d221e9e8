"""NumPy arrays: ``.npy`` (memory-mapped when it is a plain file) and ``.npz`` archives.

An ``.npy`` array is (n,) or (n, k) of numbers, or (n,) of class names; an ``.npz`` archive
holds one score array (``logits``, ``probs``, ``log_probs`` or ``scores``, or a single array
of any name) and optional label and other arrays of the same number of rows.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import (
    EXTRA_SCORE_KEYS,
    LABEL_KEYS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    Source,
    register,
)
from losscli.readers.streams import SafeStream

NPY_ROWS = 1 << 20  # rows per chunk of a .npy array


def _as_table(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        kind = {"U": "text", "S": "bytes", "c": "complex numbers", "M": "dates", "V": "records"}
        found = kind.get(arr.dtype.kind, f"values of type {arr.dtype}")
        raise LossInputError(f"{name}: {what} holds {found}; expected numbers")
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise LossInputError(f"{name}: {what} has {arr.ndim} dimensions; expected (n,) or (n, k)")
    return arr


def _npy_error(name: str, e: Exception) -> LossInputError:
    msg = str(e)
    if "allow_pickle" in msg or "Object arrays" in msg or "Python objects" in msg:
        return LossInputError(f"{name}: holds Python objects (a pickle); refused, losscli never unpickles")
    return LossInputError(f"{name}: not a valid .npy/.npz file ({msg})")


def _bad_zip() -> type[Exception]:
    import zipfile  # numpy imports it for archives anyway; plain CSV runs never pay for it

    return zipfile.BadZipFile


def _npy_source(stream: SafeStream, path: str, name: str, compressed: bool) -> Source:
    head = stream.peek(6)
    if head.startswith(b"PK"):
        raise LossInputError(f"{name}: an .npz (zip) archive, not a .npy array; name it .npz")
    if head != b"\x93NUMPY":
        raise LossInputError(f"{name}: not a .npy file (it does not start with the NumPy magic bytes)")
    try:
        if not compressed and path != "-":
            stream.close()
            loaded = np.load(path, allow_pickle=False, mmap_mode="r")
            if not isinstance(loaded, np.ndarray):  # an .npz archive under a .npy name
                loaded.close()
                raise LossInputError(f"{name}: an .npz archive, not a .npy array; name it .npz")
            arr = loaded
        else:
            arr = np.lib.format.read_array(stream, allow_pickle=False)
    except LossInputError:
        raise
    except (ValueError, OSError, EOFError, _bad_zip()) as e:
        raise _npy_error(name, e) from None
    if arr.dtype.kind in "US" and arr.ndim == 1:  # class names, e.g. a labels file
        if len(arr) == 0:
            raise LossInputError(f"{name}: empty array (no rows)")
        text = np.char.strip(arr.astype(str))
        chunk = Chunk(np.full((len(arr), 1), np.nan), {0: text}, 0, None)
        return Source(name, 1, None, {0}, iter([chunk]), fmt="npy")
    table = _as_table(arr, name, "the array")
    n = table.shape[0]
    if n == 0:
        raise LossInputError(f"{name}: empty array (no rows)")

    def chunks() -> Iterator[Chunk]:
        for a in range(0, n, NPY_ROWS):
            yield Chunk(np.asarray(table[a : a + NPY_ROWS], dtype=np.float64), {}, a, None)

    return Source(name, table.shape[1], None, set(), chunks(), fmt="npy")


def _npz_source(stream: SafeStream, name: str) -> Source:
    data = stream.read()
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise LossInputError(f"{name}: a .npy array, not an .npz archive; name it .npy")
        with loaded as npz:
            arrays = {k: npz[k] for k in npz.files}
    except LossInputError:
        raise
    except _bad_zip() as e:
        raise LossInputError(f"{name}: not a valid .npz archive ({e})") from None
    except (ValueError, OSError, EOFError, zlib.error) as e:
        raise _npy_error(name, e) from None
    score_keys = [k for k in (*SCORE_KEYS, *EXTRA_SCORE_KEYS) if k in arrays]
    if len(arrays) == 1 and not score_keys:
        score_keys = list(arrays)
    if len(score_keys) != 1:
        raise LossInputError(
            f"{name}: expected one array named logits, probs, log_probs or scores "
            f"(found: {', '.join(arrays) or 'none'})"
        )
    key = score_keys[0]
    scores = _as_table(arrays[key], name, repr(key))
    n, k = scores.shape
    cols = [scores.astype(np.float64)]
    names = [str(j) for j in range(k)]
    label_hint: list[int] = []
    texts: dict[int, np.ndarray] = {}
    width = k
    for other, arr in arrays.items():
        if other == key:
            continue
        if arr.dtype.kind in "US" and arr.ndim == 1 and len(arr) == n:
            texts[width] = arr.astype(str)
            col = np.full((n, 1), np.nan)
        else:
            col = _as_table(arr, name, repr(other)).astype(np.float64)
        if col.shape[0] != n:
            raise LossInputError(f"{name}: {other!r} has {col.shape[0]} rows but {key!r} has {n}")
        if other in LABEL_KEYS:
            label_hint.extend(range(width, width + col.shape[1]))
        names.extend([other] if col.shape[1] == 1 else [f"{other}[{j}]" for j in range(col.shape[1])])
        cols.append(col)
        width += col.shape[1]
    src = Source(
        name,
        width,
        names,
        set(texts),
        iter([Chunk(np.hstack(cols), texts, 0, None)]),
        label_hint=label_hint or None,
        kind_hint=key if key in SCORE_KEYS else None,
        fmt="npy",
    )
    src.extra["score_cols"] = list(range(k))
    return src


def open_npy(stream: SafeStream, ctx: Context) -> Source:
    """A .npy array, memory-mapped from a plain file, else read from the stream."""
    return _npy_source(stream, ctx.path, ctx.name, ctx.compressed)


def open_npz(stream: SafeStream, ctx: Context) -> Source:
    """An .npz archive of named arrays."""
    return _npz_source(stream, ctx.name)


NPY = register(Reader("npy", (".npy",), open_npy, magic=(b"\x93NUMPY",)))
NPZ = register(Reader("npz", (".npz",), open_npz, magic=(b"PK\x03\x04",)))
