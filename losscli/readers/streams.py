"""Bytes in: opening a path or stdin, peeking at the first bytes, decompression, UTF-8.

Every failure here is a :class:`~losscli.errors.LossInputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib
from typing import IO

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
    """Wraps a (possibly gzip) stream so that decompression errors become input errors."""

    def __init__(self, stream: IO[bytes] | Peekable, name: str, compressed: bool = False) -> None:
        self.stream = stream
        self.name = name
        self.compressed = compressed

    def _error(self, e: Exception) -> LossInputError:
        if self.compressed or isinstance(e, (EOFError, zlib.error)):
            return LossInputError(f"{self.name}: corrupt or truncated gzip data ({e})")
        return LossInputError(f"{self.name}: read failed ({e})")

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except (EOFError, zlib.error, OSError) as e:
            raise self._error(e) from None

    def readable(self) -> bool:
        return True

    def peek(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer at the end), without consuming them."""
        inner = self.stream
        assert isinstance(inner, Peekable)
        try:
            return inner.peek(n)
        except (EOFError, zlib.error, OSError) as e:
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


def split_compression(path: str) -> tuple[str, bool]:
    """(the name without a compression suffix, gzipped) — e.g. ``a.csv.gz`` → (``a.csv``, True)."""
    low = path.lower()
    if low.endswith(".gz"):
        return low[:-3], True
    return low, False


def decompressed(raw: Peekable, name: str, gz: bool) -> tuple[SafeStream, bool]:
    """The stream of decoded bytes and whether it was compressed: gzip is recognised by its
    magic bytes whatever the name says; a ``.gz`` name on other bytes is an error."""
    try:
        magic = raw.peek(2)
    except OSError as e:
        raise LossInputError(f"{name}: read failed ({e})") from None
    if magic == b"\x1f\x8b":
        import gzip  # only for compressed input

        gz_stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[call-overload]
        return SafeStream(Peekable(gz_stream), name, compressed=True), True
    if gz:
        raise LossInputError(f"{name}: not gzip data (the name ends in .gz)")
    return SafeStream(raw, name), False


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
