"""``.npz`` archives: one score array and optional label and other arrays of as many rows.

The score array is ``logits``, ``probs``, ``log_probs`` or ``scores`` (or the only array);
its columns come first, then the others in archive order. Members are read member by member
from the zip stream, chunk by chunk, side by side: the archive is never held in memory (a
stdin or compressed archive is, since a zip's directory is at its end).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.arrays import (
    MAX_WHOLE_BYTES,
    Part,
    Rows,
    array_shape,
    as_text,
    chunks,
    mapped,
    npy_error,
    streamed,
)
from losscli.readers.base import (
    EXTRA_SCORE_KEYS,
    LABEL_KEYS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    ReadOptions,
    Source,
    register,
)
from losscli.readers.streams import SafeStream, read_bounded


def _zipfile() -> Any:
    import zipfile  # numpy imports it for archives anyway; plain CSV runs never pay for it

    return zipfile


def _guarded(it: Iterator[Chunk], name: str) -> Iterator[Chunk]:
    """``it`` with a broken archive (bad CRC, corrupt deflate data) as an input error."""
    try:
        yield from it
    except LossInputError:
        raise
    except _zipfile().BadZipFile as e:
        raise LossInputError(f"{name}: not a valid .npz archive ({e})") from None
    except (ValueError, OSError, EOFError, zlib.error) as e:
        raise npy_error(name, e) from None


def _loaded(stream: SafeStream, name: str) -> dict[str, Rows]:
    """Not a zip by its first bytes: numpy decides what it is (and says why it is refused)."""
    data = read_bounded(stream, name, MAX_WHOLE_BYTES, _too_big(name))
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise LossInputError(f"{name}: a .npy array, not an .npz archive; name it .npy")
        with loaded as npz:
            return {k: mapped(npz[k]) for k in npz.files}
    except LossInputError:
        raise
    except _zipfile().BadZipFile as e:
        raise LossInputError(f"{name}: not a valid .npz archive ({e})") from None
    except (ValueError, OSError, EOFError, zlib.error) as e:
        raise npy_error(name, e) from None


def _members(zf: Any, name: str) -> dict[str, Rows]:
    """Every member's header, each member's stream left open at its data."""
    out: dict[str, Rows] = {}
    try:
        for info in zf.infolist():
            _check_member(info, name)
            key = info.filename[:-4]
            out[key] = streamed(zf.open(info), name, available=info.file_size)
    except LossInputError:
        raise
    except (RuntimeError, NotImplementedError) as e:  # encrypted, or an unknown compression
        raise LossInputError(f"{name}: cannot read the archive ({e})") from None
    except _zipfile().BadZipFile as e:
        raise LossInputError(f"{name}: not a valid .npz archive ({e})") from None
    except (ValueError, OSError, EOFError, zlib.error) as e:
        raise npy_error(name, e) from None
    return out


def _too_big(name: str) -> LossInputError:
    return LossInputError(
        f"{name}: an .npz archive over {MAX_WHOLE_BYTES >> 30} GiB from a stream or compressed is "
        "read whole; give it as a plain file"
    )


def _check_member(info: Any, name: str) -> None:
    """An .npz member losscli can read: an unencrypted ``.npy`` array, stored or compressed
    with a method this Python has."""
    zipfile = _zipfile()
    member = repr(info.filename)
    if not info.filename.endswith(".npy"):
        raise LossInputError(f"{name}: member {member} is not a .npy array; an .npz holds arrays only")
    if info.flag_bits & 0x1:
        raise LossInputError(f"{name}: member {member} is encrypted; losscli reads unencrypted archives")
    methods = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
    for mod, method in (("bz2", zipfile.ZIP_BZIP2), ("lzma", zipfile.ZIP_LZMA)):
        try:
            __import__(mod)
            methods[method] = mod
        except ImportError:
            pass
    if info.compress_type not in methods:
        raise LossInputError(
            f"{name}: member {member} uses compression method {info.compress_type}; "
            f"readable: {', '.join(sorted(methods.values()))}"
        )


def _score_key(arrays: dict[str, Rows], name: str) -> str:
    score_keys = [k for k in (*SCORE_KEYS, *EXTRA_SCORE_KEYS) if k in arrays]
    if len(arrays) == 1 and not score_keys:
        score_keys = list(arrays)
    if len(score_keys) != 1:
        raise LossInputError(
            f"{name}: expected one array named logits, probs, log_probs or scores "
            f"(found: {', '.join(arrays) or 'none'})"
        )
    return score_keys[0]


def _source(arrays: dict[str, Rows], name: str, opts: ReadOptions) -> Source:
    key = _score_key(arrays, name)
    rows = arrays[key]
    shape = array_shape(rows.dtype, rows.shape, name, repr(key), opts)
    k, n = shape.width, rows.shape[0]
    # the other arrays: labels of the scores' positions are one row per position
    others = replace(opts, positions=shape.positions or opts.positions)
    parts = [Part(k, rows, shape=shape)]
    names = [str(j) for j in range(k)]
    label_hint: list[int] = []
    width = k
    for other, arr in arrays.items():
        if other == key:
            continue
        part = _part(arr, n, shape.per_item, name, repr(other), others)
        if arr.shape[0] != n or (part.shape is not None and part.shape.per_item != shape.per_item):
            rows_of = (
                f"{arr.shape[0]} rows"
                if len(arr.shape) <= 2 and shape.per_item == 1
                else f"shape {arr.shape}"
            )
            size = f"{n}" if shape.per_item == 1 else f"shape {rows.shape}"
            raise LossInputError(f"{name}: {other!r} has {rows_of} but {key!r} has {size}")
        if other in LABEL_KEYS:
            label_hint.extend(range(width, width + part.width))
        names.extend([other] if part.width == 1 else [f"{other}[{j}]" for j in range(part.width)])
        parts.append(part)
        width += part.width
    src = Source(
        name,
        width,
        names,
        {j for j, p in _offsets(parts) if p.rows is None},
        _guarded(chunks(parts, n, shape.per_item), name),
        label_hint=label_hint or None,
        kind_hint=key if key in SCORE_KEYS else None,
        fmt="npy",
    )
    src.extra["score_cols"] = list(range(k))
    if shape.positions is not None:
        src.extra["positions"] = shape.positions
    return src


def _part(arr: Rows, n: int, per_item: int, name: str, what: str, opts: ReadOptions) -> Part:
    """A non-score member: a text column of class names, or numbers laid out like the scores."""
    if arr.dtype.kind in "US" and len(arr.shape) == 1 and arr.shape[0] == n and per_item == 1:
        return Part(1, text=as_text(arr.take(n), name))
    shape = array_shape(arr.dtype, arr.shape, name, what, opts)
    return Part(shape.width, arr, shape=shape)


def _offsets(parts: list[Part]) -> Iterator[tuple[int, Part]]:
    j = 0
    for p in parts:
        yield j, p
        j += p.width


def open_npz(stream: SafeStream, ctx: Context) -> Source:
    """An .npz archive of named arrays; a plain file is read through its zip directory."""
    if stream.peek(4) != b"PK\x03\x04":
        return _source(_loaded(stream, ctx.name), ctx.name, ctx.opts)
    zipfile = _zipfile()
    try:
        if ctx.compressed or ctx.path == "-":
            zf = zipfile.ZipFile(
                io.BytesIO(read_bounded(stream, ctx.name, MAX_WHOLE_BYTES, _too_big(ctx.name)))
            )
        else:
            stream.close()
            zf = zipfile.ZipFile(ctx.path)
    except zipfile.BadZipFile as e:
        raise LossInputError(f"{ctx.name}: not a valid .npz archive ({e})") from None
    except OSError as e:
        raise npy_error(ctx.name, e) from None
    try:
        src = _source(_members(zf, ctx.name), ctx.name, ctx.opts)
    except BaseException:
        zf.close()
        raise
    src.closer.append(zf)
    return src


NPZ = register(Reader("npz", (".npz",), open_npz, magic=(b"PK\x03\x04",)))
