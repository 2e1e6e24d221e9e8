"""Bytes in: opening a path or stdin, peeking at the first bytes, decompression, UTF-8.

Every failure here is a :class:`~losscli.errors.LossInputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib
from typing import IO, Any

from losscli.errors import LossInputError

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark is not data


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def open_bytes(path: str) -> IO[bytes]:
    """The raw byte stream of ``path``; ``-`` is stdin, refused when it is a terminal."""
    name = display_name(path)
    if path == "-":
        if sys.stdin is None:
            raise LossInputError("<stdin>: no standard input")
        if sys.stdin.isatty():
            raise LossInputError(
                "<stdin> is a terminal: pipe data in (e.g. `cat preds.csv | losscli …`) or give a file"
            )
        return sys.stdin.buffer
    try:
        if os.path.isdir(path):
            raise LossInputError(f"{name}: is a directory, not a file")
        return open(path, "rb")
    except FileNotFoundError:
        raise LossInputError(f"{name}: no such file") from None
    except PermissionError:
        raise LossInputError(f"{name}: permission denied") from None
    except OSError as e:
        raise LossInputError(f"{name}: cannot open ({e.strerror or e})") from None


class Peekable:
    """A byte stream whose first bytes can be looked at before choosing a reader."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.head = b""

    def peek(self, n: int) -> bytes:
        while len(self.head) < n:
            more = self.raw.read(n - len(self.head))
            if not more:
                break
            self.head += more
        return self.head[:n]

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            out = self.head + self.raw.read()
            self.head = b""
            return out
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            if len(out) < n:
                out += self.raw.read(n - len(out))
            return out
        return self.raw.read(n)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if sys.stdin is None or self.raw is not sys.stdin.buffer:
            self.raw.close()


class SafeStream:
    """Wraps a (possibly compressed) stream so that decompression errors become input errors.
    ``codec`` names the compression ("gzip", "bzip2", "xz", "zstd"), None for plain bytes;
    ``errors`` are the decompressor's own exception types."""

    def __init__(
        self,
        stream: IO[bytes] | Peekable,
        name: str,
        compressed: bool = False,
        codec: str | None = None,
        errors: tuple[type[Exception], ...] = (),
    ) -> None:
        self.stream = stream
        self.name = name
        self.compressed = compressed
        self.codec = codec or ("gzip" if compressed else None)
        self.errors: tuple[type[Exception], ...] = (EOFError, zlib.error, OSError, *errors)

    def _error(self, e: Exception) -> LossInputError:
        if self.compressed or isinstance(e, (EOFError, zlib.error)):
            return LossInputError(f"{self.name}: corrupt or truncated {self.codec or 'gzip'} data ({e})")
        return LossInputError(f"{self.name}: read failed ({e})")

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except self.errors as e:
            raise self._error(e) from None

    def readable(self) -> bool:
        return True

    def peek(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer at the end), without consuming them."""
        inner = self.stream
        assert isinstance(inner, Peekable)
        try:
            return inner.peek(n)
        except self.errors as e:
            raise self._error(e) from None

    def readinto(self, b: bytearray | memoryview) -> int:  # lets numpy read .npy from it
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()


def close_quietly(raw: Peekable) -> None:
    with contextlib.suppress(OSError):  # the error being raised says more than a failed close
        raw.close()


# the suffix of a compressed file's name → its codec
SUFFIXES = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}


def split_compression(path: str) -> tuple[str, str | None]:
    """(the lower-case name without a compression suffix, its codec or None) — e.g.
    ``a.CSV.xz`` → (``a.csv``, ``"xz"``)."""
    low = path.lower()
    for suffix, codec in SUFFIXES.items():
        if low.endswith(suffix):
            return low[: -len(suffix)], codec
    return low, None


def codec_of(head: bytes) -> str | None:
    """The compression the first bytes announce, if any."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"  # magic, block size, then a block or the end-of-stream marker
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def _decompressor(codec: str, raw: Peekable, name: str) -> tuple[IO[bytes], tuple[type[Exception], ...]]:
    """A reader of the decompressed bytes and the exceptions it raises on bad data."""
    if codec == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb"), ()  # type: ignore[call-overload]
    if codec == "bzip2":
        import bz2

        return bz2.BZ2File(raw, mode="rb"), ()  # type: ignore[call-overload]
    if codec == "xz":
        import lzma

        return lzma.LZMAFile(raw, mode="rb"), (lzma.LZMAError,)  # type: ignore[arg-type]
    return _zstd(raw, name)


def _zstd(raw: Peekable, name: str) -> tuple[IO[bytes], tuple[type[Exception], ...]]:
    try:  # Python >= 3.14
        from compression import zstd  # type: ignore[import-not-found]

        return zstd.ZstdFile(raw, mode="rb"), (zstd.ZstdError,)
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise LossInputError(
            f"{name}: zstd-compressed input needs Python 3.14 or the zstandard package: pip install zstandard"
        ) from None
    return _ZstdReader(raw, zstandard), (zstandard.ZstdError,)  # type: ignore[return-value]


class _ZstdReader:
    """zstd frames decoded as they are read; the input ending inside a frame is an error
    (zstandard's own stream reader would end quietly with what it had)."""

    def __init__(self, raw: Peekable, zstandard: Any) -> None:
        self.raw, self.zstandard = raw, zstandard
        self.dec = zstandard.ZstdDecompressor().decompressobj()
        self.buf = bytearray()
        self.done = False

    def _fill(self, n: int) -> None:
        while not self.done and (n < 0 or len(self.buf) < n):
            data = self.raw.read(1 << 20)
            if not data:
                self.done = True
                if not self.dec.eof:
                    raise EOFError("the input ended inside a zstd frame")
                return
            out = self.dec.decompress(data)
            while self.dec.eof and self.dec.unused_data:  # the next frame
                rest = self.dec.unused_data
                self.dec = self.zstandard.ZstdDecompressor().decompressobj()
                out += self.dec.decompress(rest)
            self.buf += out

    def read(self, n: int = -1) -> bytes:
        self._fill(n)
        if n < 0 or n >= len(self.buf):
            out, self.buf = bytes(self.buf), bytearray()
        else:
            out = bytes(self.buf[:n])
            del self.buf[:n]
        return out

    def close(self) -> None:
        self.raw.close()


def decompressed(raw: Peekable, name: str, named: str | None) -> tuple[SafeStream, str | None]:
    """The stream of decoded bytes and its codec (None: plain). The compression is
    recognised by its magic bytes whatever the name says; a compressed name (``.gz``,
    ``.bz2``, ``.xz``, ``.zst``) on other bytes is an error."""
    try:
        codec = codec_of(raw.peek(10))
    except OSError as e:
        raise LossInputError(f"{name}: read failed ({e})") from None
    if codec is None:
        if named is not None:
            suffix = next(k for k, v in SUFFIXES.items() if v == named)
            raise LossInputError(f"{name}: not {named} data (the name ends in {suffix})")
        return SafeStream(raw, name), None
    inner, errors = _decompressor(codec, raw, name)
    return SafeStream(Peekable(inner), name, compressed=True, codec=codec, errors=errors), codec


# the first bytes of binary formats → (what they are, what to do)
BINARY = (
    (b"PAR1", "Parquet data", "name the file .parquet"),
    (b"ARROW1", "Arrow IPC data", "name the file .arrow or .feather"),
    (b"\x93NUMPY", "a NumPy .npy array", "name the file .npy"),
    (b"PK\x03\x04", "a zip archive", "name an .npz archive .npz, unzip other archives"),
)


def binary_hint(head: bytes) -> str | None:
    """What binary data starting with ``head`` is and what to do, when it is a known format."""
    codec = codec_of(head)
    if codec is not None:  # compressed twice: the outer layer was undone already
        return f"holds {codec}-compressed data, not text; decompress it"
    for magic, what, todo in BINARY:
        if head.startswith(magic):
            return f"holds {what}, not text; {todo}"
    return None


def decode_utf8(data: bytes, name: str, first_line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = first_line + data[: e.start].count(b"\n")
        raise LossInputError(
            f"{name}:{line}: not valid UTF-8 text (byte 0x{data[e.start]:02x}); "
            "is this a binary file, or another encoding?"
        ) from None


def strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(BOM) else data


def read_bounded(stream: SafeStream | Peekable, name: str, limit: int, too_big: LossInputError) -> bytes:
    """All of ``stream`` (a format read whole: JSON, a stdin or compressed .npz), refused
    with ``too_big`` as soon as it passes ``limit`` bytes: a plain file's size is checked
    before anything is read, a stream's (decompressed) bytes are counted as they come."""
    inner = stream.stream if isinstance(stream, SafeStream) else stream
    plain = not (isinstance(stream, SafeStream) and stream.compressed)
    size = _regular_size(inner.raw) if plain and isinstance(inner, Peekable) else None
    if size is not None and size > limit:
        raise too_big
    blocks: list[bytes] = []
    got = 0
    while True:
        block = stream.read(min(1 << 24, limit + 1 - got))
        if not block:
            return b"".join(blocks)
        blocks.append(block)
        got += len(block)
        if got > limit:
            raise too_big


def _regular_size(f: object) -> int | None:
    """The size of the regular file behind ``f``, else None (a pipe, a terminal)."""
    import stat

    try:
        st = os.fstat(f.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None
