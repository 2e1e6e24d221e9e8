"""Readers: a path (or ``-``) → a :class:`Source` that yields row chunks.

Every format becomes the same thing: a table of ``c`` columns, optionally named, delivered
in chunks of rows so that large files stream. Numeric columns arrive as float64; columns
that hold text (class names, ``true``/``false``) arrive as strings next to them. Nothing here
knows about losses: which column holds scores or labels is decided in :mod:`losscli.select`.

Every failure is a :class:`~losscli.errors.LossInputError` whose message names the file and,
where it applies, the 1-based line and column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from losscli.errors import LossInputError

LABEL_NAMES = ("label", "labels", "target", "y")  # picked as the label column by default
HEADER_LABEL_NAMES = (*LABEL_NAMES, "class")  # make an all-text first row a header
SCORE_KEYS = ("logits", "probs", "log_probs")
EXTRA_SCORE_KEYS = ("scores",)
LABEL_KEYS = ("labels", "label", "targets", "target", "y")
FIRST_BLOCK = 1 << 20  # bytes read to detect the header, delimiter and column kinds
BLOCK = 2 << 20  # bytes per later chunk: memory stays flat whatever the file size
NPY_ROWS = 1 << 20  # rows per chunk of a .npy array
SAMPLE_ROWS = 1000  # rows of the first block used to decide header and column kinds
MAX_JSON_BYTES = 1 << 31
# below this size NumPy's parser finishes before pyarrow has even been imported (~150 ms)
ARROW_MIN_BYTES = 4 << 20


@dataclass
class Chunk:
    """A block of rows: ``values`` float64 (m, c) with NaN in text columns; ``text`` maps a
    text column to its str array (m,); ``lines`` int64 (m,) holds each row's 1-based file
    line (None where lines mean nothing, e.g. JSON)."""

    values: np.ndarray
    text: dict[int, np.ndarray]
    start_row: int
    lines: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def slice(self, a: int, b: int) -> Chunk:
        return Chunk(
            self.values[a:b],
            {j: t[a:b] for j, t in self.text.items()},
            self.start_row + a,
            None if self.lines is None else self.lines[a:b],
        )


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
    closer: list[_Peekable] = field(default_factory=list)
    fmt: str = "csv"  # "csv" (line:column locations), "json", "jsonl" or "npy"
    fast: bool = False  # parsed by pyarrow: errors are located by a rerun with NumPy
    meter: list[IO[bytes]] = field(default_factory=list)  # the file whose position is progress

    def progress(self) -> tuple[int, int] | None:
        """(bytes read, file size) of a regular file, for a progress bar; None if unknown."""
        for f in self.meter:
            try:
                if f.closed:
                    return None
                return f.tell(), os.fstat(f.fileno()).st_size
            except (OSError, ValueError):
                return None
        return None

    def close(self) -> None:
        """Release the underlying file (stdin is left open)."""
        for f in self.closer:
            f.close()  # a _Peekable never closes stdin
        self.closer.clear()

    def locate(self, chunk: Chunk, row: int | None, col: int | None) -> str:
        """Where a cell is, 1-based: ``path:line:column`` in CSV/TSV; ``path:line`` plus the
        field's name in JSON Lines; ``path: row R`` plus the name or column elsewhere."""
        if row is None:
            return self.path
        if chunk.lines is not None:
            where = f"{self.path}:{int(chunk.lines[row])}"
            if col is None:
                return where
            return where + (f":{col + 1}" if self.fmt == "csv" else f": {self._field(col)}")
        where = f"{self.path}: row {chunk.start_row + row + 1}"
        return where + (f", {self._field(col)}" if col is not None else "")

    def _field(self, col: int) -> str:
        name = self.names[col] if self.names and self.fmt != "csv" else ""
        return f"field {name!r}" if name and not name.isdigit() else f"column {col + 1}"


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


# ---------------------------------------------------------------------------------------
# Opening bytes


def _open_bytes(path: str) -> IO[bytes]:
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


class _Peekable:
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
        if self.raw is not sys.stdin.buffer:
            self.raw.close()


class _SafeStream:
    """Wraps a (possibly gzip) stream so that decompression errors become input errors."""

    def __init__(self, stream: IO[bytes] | _Peekable, name: str, compressed: bool = False) -> None:
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
        assert isinstance(inner, _Peekable)
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


def _format_from_name(path: str) -> tuple[str | None, bool]:
    """(format, gzipped) from the file name; format None means "sniff"."""
    low = path.lower()
    gz = low.endswith(".gz")
    if gz:
        low = low[:-3]
    ext = os.path.splitext(low)[1]
    fmt = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".txt": "txt",
        ".json": "json",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".npy": "npy",
        ".npz": "npz",
    }.get(ext)
    return fmt, gz


def open_source(
    path: str,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    first_block: int = FIRST_BLOCK,
    block: int = BLOCK,
    reader: str = "auto",
    arrow_min_bytes: int = ARROW_MIN_BYTES,
) -> Source:
    """Open ``path`` (``-`` for stdin) and return a :class:`Source` of row chunks.

    The format comes from the extension (``.gz`` may follow it); stdin and unknown
    extensions are sniffed from their first bytes. ``reader``: ``"auto"`` parses CSV files
    of at least ``arrow_min_bytes`` with pyarrow when it is installed (``losscli[fast]``),
    ``"numpy"`` never does, ``"arrow"`` always does for CSV files.
    """
    name = display_name(path)
    fmt, gz = _format_from_name(path) if path != "-" else (None, False)
    raw = _Peekable(_open_bytes(path))
    try:
        src = _open_stream(
            raw, path, name, fmt, gz, header, delimiter, first_block, block, reader, arrow_min_bytes
        )
    except BaseException:
        _close_quietly(raw)
        raise
    src.closer.append(raw)
    if path != "-" and not src.meter:
        src.meter.append(raw.raw)
    return src


def _open_stream(
    raw: _Peekable,
    path: str,
    name: str,
    fmt: str | None,
    gz: bool,
    header: bool | None,
    delimiter: str | None,
    first_block: int,
    block: int,
    reader: str,
    arrow_min_bytes: int,
) -> Source:
    try:
        magic = raw.peek(2)
    except OSError as e:
        raise LossInputError(f"{name}: read failed ({e})") from None
    stream: _SafeStream
    if magic == b"\x1f\x8b":  # gzip magic, whatever the name says
        import gzip  # only for compressed input

        gz_stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[call-overload]
        stream = _SafeStream(_Peekable(gz_stream), name, compressed=True)
    elif gz:
        raise LossInputError(f"{name}: not gzip data (the name ends in .gz)")
    else:
        stream = _SafeStream(raw, name)
    if fmt is None or fmt == "txt":
        fmt = _sniff(stream.peek(64), fmt)
    arrow = _arrow_path(path, fmt, reader, arrow_min_bytes)
    return _open_format(
        fmt, stream, path, name, header, delimiter, first_block, block, gz or magic == b"\x1f\x8b", arrow
    )


def _arrow_path(path: str, fmt: str | None, reader: str, min_bytes: int) -> str | None:
    """The path to hand to pyarrow, or None to parse with NumPy."""
    if reader == "numpy" or path == "-" or fmt not in ("csv", "tsv", "txt"):
        return None
    try:
        if not os.path.isfile(path) or (reader != "arrow" and os.path.getsize(path) < min_bytes):
            return None
    except OSError:
        return None
    from losscli import fastcsv

    if not fastcsv.available():
        if reader == "arrow":
            raise LossInputError("LOSSCLI_READER=arrow needs pyarrow: pip install 'losscli[fast]'")
        return None
    return path


def _close_quietly(raw: _Peekable) -> None:
    with contextlib.suppress(OSError):  # the error being raised says more than a failed close
        raw.close()


def _open_format(
    fmt: str,
    stream: _SafeStream,
    path: str,
    name: str,
    header: bool | None,
    delimiter: str | None,
    first_block: int,
    block: int,
    compressed: bool,
    arrow: str | None = None,
) -> Source:
    if fmt in ("csv", "tsv", "txt"):
        delim = delimiter if delimiter is not None else ("\t" if fmt == "tsv" else None)
        if delim in ("\\t", "tab", "TAB"):
            delim = "\t"
        if delim is not None and (len(delim) != 1 or delim in '"\r\n'):
            raise LossInputError(f"--delimiter must be one character (or 'tab'), got {delim!r}")
        return _csv_source(stream, name, header, delim, first_block, block, arrow)
    if fmt in ("json", "jsonl"):
        return _json_source(stream, name, fmt)
    if fmt == "npy":
        return _npy_source(stream, path, name, compressed)
    return _npz_source(stream, name)


def _sniff(head: bytes, fmt: str | None) -> str:
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"  # _json_source falls back to JSON Lines on "extra data"
    return fmt or "csv"


# ---------------------------------------------------------------------------------------
# CSV / TSV


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _decode(data: bytes, name: str, first_line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = first_line + data[: e.start].count(b"\n")
        raise LossInputError(
            f"{name}:{line}: not valid UTF-8 text (byte 0x{data[e.start]:02x}); "
            "is this a binary file, or another encoding?"
        ) from None


def _split_fields(lines: list[str], delim: str | None) -> list[list[str]]:
    if delim is None:
        return [ln.split() for ln in lines]
    return list(csv.reader(lines, delimiter=delim, quotechar='"', skipinitialspace=True))


def _sniff_delimiter(first: str) -> str | None:
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    return None if len(first.split()) > 1 else ","


class _BlockReader:
    """Yields (text, first line number) blocks that end at a line boundary."""

    def __init__(self, stream: _SafeStream, name: str, first_block: int, block: int) -> None:
        self.stream, self.name = stream, name
        self.sizes = [first_block, block]
        self.rest = b""
        self.line = 1
        self.first = True

    def __iter__(self) -> Iterator[tuple[str, int]]:
        while True:
            size = self.sizes[0] if self.first else self.sizes[1]
            data = self.stream.read(size)
            if not data:
                if self.rest:
                    yield self._emit(self.rest)
                    self.rest = b""
                return
            data = self.rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                self.rest = data
                continue
            self.rest = data[cut + 1 :]
            yield self._emit(data[: cut + 1])

    def _emit(self, data: bytes) -> tuple[str, int]:
        if self.first:
            self.first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if b"\x00" in data:
            line = self.line + data[: data.index(b"\x00")].count(b"\n")
            raise LossInputError(f"{self.name}:{line}: binary data (a NUL byte) in a text file")
        text = _decode(data, self.name, self.line)
        start = self.line
        self.line += data.count(b"\n")
        if "\r" in text:  # CRLF and old-Mac line ends
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text, start


def _csv_source(
    stream: _SafeStream,
    name: str,
    header: bool | None,
    delim: str | None,
    first_block: int,
    block: int,
    arrow: str | None = None,
) -> Source:
    blocks = iter(_BlockReader(stream, name, first_block, block))
    # The first blocks, up to SAMPLE_ROWS data rows: header, delimiter, width, column kinds.
    pieces: list[tuple[str, int]] = []
    line0 = 1
    for t, ln in blocks:
        if not pieces:
            line0 = ln
        pieces.append((t, ln))
        joined = "".join(p for p, _ in pieces)
        if sum(1 for x in joined.split("\n", SAMPLE_ROWS + 2) if x.strip()) > SAMPLE_ROWS + 1:
            break
    text = "".join(p for p, _ in pieces)
    if not text.strip():
        raise LossInputError(f"{name}: empty input (no rows)")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    # skip leading blank lines
    skip = 0
    while skip < len(lines) and not lines[skip].strip():
        skip += 1
    if delim is None:
        delim = _sniff_delimiter(lines[skip])
    sample_lines = [ln for ln in lines[skip : skip + SAMPLE_ROWS + 1] if ln.strip()]
    sample = _split_fields(sample_lines, delim)
    ncols = len(sample[0])
    if ncols == 0 or (ncols == 1 and not sample[0][0].strip()):
        raise LossInputError(f"{name}: empty input (no rows)")
    first = [f.strip() for f in sample[0]]
    rest = [[f.strip() for f in r] for r in sample[1:]]
    numeric_rest = [all(j < len(r) and _is_number(r[j]) for r in rest) for j in range(ncols)]
    if header is None:
        header = False
        for j, f in enumerate(first):
            if _is_number(f):
                continue
            if numeric_rest[j] or (f.lower() in HEADER_LABEL_NAMES):
                header = True
                break
    body = rest if header else [first, *rest]
    text_cols = {j for j in range(ncols) if not all(j < len(r) and _is_number(r[j]) for r in body)}
    names = first if header else None
    header_line = line0 + skip if header else None

    if arrow is not None and delim is not None and line0 == 1 and skip == 0:
        from losscli import fastcsv

        meter: list[IO[bytes]] = []
        fast = fastcsv.chunks(arrow, name, ncols, delim, text_cols, skip_rows=1 if header else 0, meter=meter)
        return Source(name, ncols, names, text_cols, fast, fast=True, meter=meter)

    def chunks() -> Iterator[Chunk]:
        row = 0
        parser = _CsvParser(name, ncols, delim, text_cols)
        # the sampled blocks minus leading blank lines and the header, then the rest as it
        # comes; each block stays a chunk of its own
        start = (header_line + 1) if header_line is not None else line0 + skip
        for t, ln in _from_line(pieces, start):
            c = parser.parse(t, ln, row)
            if c is not None:
                row += len(c)
                yield c
        for t, ln in blocks:
            c = parser.parse(t, ln, row)
            if c is not None:
                row += len(c)
                yield c
        if row == 0:
            raise LossInputError(f"{name}: no data rows" + (" (only a header)" if header else ""))

    return Source(name, ncols, names, text_cols, chunks())


def _from_line(pieces: list[tuple[str, int]], start: int) -> list[tuple[str, int]]:
    """The (text, first line) blocks cut so that they begin at file line ``start``."""
    out = []
    for t, ln in pieces:
        if ln < start:
            parts = t.split("\n", start - ln)
            if len(parts) <= start - ln:
                continue  # the whole block lies before ``start``
            t, ln = parts[-1], start
        out.append((t, ln))
    return out


class _CsvParser:
    """Parses blocks of lines: NumPy's C parser first, a line-by-line pass to locate errors."""

    def __init__(self, name: str, ncols: int, delim: str | None, text_cols: set[int]) -> None:
        self.name, self.ncols, self.delim, self.text_cols = name, ncols, delim, text_cols

    def parse(self, text: str, first_line: int, start_row: int) -> Chunk | None:
        if not text.strip():
            return None
        nlines = text.count("\n") + (0 if text.endswith("\n") else 1)
        try:
            values, texts = self._fast(text)
        except ValueError:
            values, texts, lines = self._slow(text, first_line)
            return Chunk(values, texts, start_row, lines)
        if values.shape[1] != self.ncols:
            values, texts, lines = self._slow(text, first_line)  # raises on the ragged line
            return Chunk(values, texts, start_row, lines)
        if len(values) == nlines:
            lines = np.arange(first_line, first_line + nlines, dtype=np.int64)
        else:  # blank lines were skipped: map rows to their file lines
            lines = np.array(
                [first_line + i for i, ln in enumerate(text.split("\n")[:nlines]) if ln.strip()],
                dtype=np.int64,
            )
        return Chunk(values, texts, start_row, lines)

    def _fast(self, text: str) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        kw = {"delimiter": self.delim, "ndmin": 2, "comments": None, "quotechar": '"'}
        if not self.text_cols:
            return np.loadtxt(io.StringIO(text), dtype=np.float64, **kw), {}  # type: ignore[call-overload]
        # Text columns: numbers and text parsed apart (a str array of the whole table would be
        # as wide as its longest field). usecols ignores extra fields, so the field count of
        # every line is checked here; quoted fields go to the exact line-by-line pass.
        if self.delim is None or '"' in text:
            raise ValueError("quoted or whitespace-delimited text: parse line by line")
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if any(ln.count(self.delim) != self.ncols - 1 for ln in lines):
            raise ValueError("ragged")
        values = np.full((len(lines), self.ncols), np.nan)
        num = [j for j in range(self.ncols) if j not in self.text_cols]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "line contained no data": blank lines
            if num:
                values[:, num] = np.loadtxt(lines, dtype=np.float64, usecols=num, **kw)  # type: ignore[call-overload]
            tcols = sorted(self.text_cols)
            raw = np.loadtxt(lines, dtype=str, usecols=tcols, **kw)  # type: ignore[call-overload]
        texts = {j: np.char.strip(raw[:, c]) for c, j in enumerate(tcols)}
        return values, texts

    def _slow(self, text: str, first_line: int) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
        """Line by line: ragged rows are errors here; a field that is not a number turns its
        column into text for this chunk, and the column selection decides whether text is
        allowed there (labels) or an error with its line and column (scores)."""
        rows: list[list[str]] = []
        lines: list[int] = []
        raw_lines = text.split("\n")
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        for i, ln in enumerate(raw_lines):
            if not ln.strip():
                continue
            lineno = first_line + i
            fields = _split_fields([ln], self.delim)[0]
            if len(fields) != self.ncols:
                raise LossInputError(
                    f"{self.name}:{lineno}: {len(fields)} field{'s' if len(fields) != 1 else ''}, "
                    f"expected {self.ncols} like the first row"
                )
            rows.append([f.strip() for f in fields])
            lines.append(lineno)
        values = np.full((len(rows), self.ncols), np.nan)
        texts: dict[int, np.ndarray] = {}
        for j in range(self.ncols):
            col = [r[j] for r in rows]
            if j not in self.text_cols:
                try:
                    values[:, j] = np.array(col, dtype=np.float64)
                    continue
                except ValueError:
                    pass
            texts[j] = np.array(col, dtype=str)
        return values, texts, np.array(lines, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# JSON and JSON Lines


def _json_source(stream: _SafeStream, name: str, fmt: str) -> Source:
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise LossInputError(
            f"{name}: JSON input over 2 GiB is read whole; split it (losscli merge combines the "
            "parts) or use CSV, which streams"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = _decode(data, name, 1)
    if not text.strip():
        raise LossInputError(f"{name}: empty input (no rows)")
    if fmt == "json":
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            if isinstance(e, json.JSONDecodeError) and e.msg == "Extra data":  # JSON Lines
                return _jsonl_source(text, name)
            raise _json_error(name, e) from None
        return _from_document(doc, name)
    return _jsonl_source(text, name)


def _json_error(name: str, e: Exception) -> LossInputError:
    if isinstance(e, json.JSONDecodeError):
        return LossInputError(f"{name}:{e.lineno}:{e.colno}: invalid JSON ({e.msg})")
    return LossInputError(f"{name}: JSON nested too deeply")


def read_json(path: str) -> object:
    """One whole JSON document from a file (or ``-``), with the readers' error messages
    for a missing file, bad bytes, invalid or too deeply nested JSON."""
    name = display_name(path)
    raw = _Peekable(_open_bytes(path))
    try:
        data = _SafeStream(raw, name).read()
    finally:
        _close_quietly(raw)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = _decode(data, name, 1)
    if not text.strip():
        raise LossInputError(f"{name}: empty input")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise _json_error(name, e) from None


def _jsonl_source(text: str, name: str) -> Source:
    items: list[object] = []
    lines: list[int] = []
    for i, ln in enumerate(text.split("\n"), start=1):
        if not ln.strip():
            continue
        try:
            items.append(json.loads(ln))
        except json.JSONDecodeError as e:
            raise LossInputError(f"{name}:{i}:{e.colno}: invalid JSON ({e.msg})") from None
        except RecursionError:
            raise LossInputError(f"{name}:{i}: JSON nested too deeply") from None
        lines.append(i)
    if not items:
        raise LossInputError(f"{name}: empty input (no rows)")
    return _from_rows(items, name, np.array(lines, dtype=np.int64))


def _is_record(doc: dict[str, object]) -> bool:
    """One row (a JSON Lines file of one line) rather than a whole ``{"logits": rows}`` object:
    nothing but scalars, or one flat list of scores next to a scalar label."""
    if not any(isinstance(v, (list, dict)) for v in doc.values()):
        return True
    scores = [doc[k] for k in (*SCORE_KEYS, *EXTRA_SCORE_KEYS) if k in doc]
    label = [doc[k] for k in LABEL_KEYS if k in doc]
    return (
        len(scores) == 1
        and isinstance(scores[0], list)
        and not any(isinstance(v, (list, dict)) for v in scores[0])
        and len(label) == 1
        and not isinstance(label[0], (list, dict))
    )


def _from_document(doc: object, name: str) -> Source:
    if isinstance(doc, list):
        if not doc:
            raise LossInputError(f"{name}: empty list (no rows)")
        return _from_rows(doc, name, None)
    if isinstance(doc, dict):
        if _is_record(doc):
            return _from_rows([doc], name, np.array([1]))  # one JSON Lines record
        return _from_object(doc, name)
    raise LossInputError(
        f'{name}: expected a list of rows or an object with "logits"/"probs"/"log_probs", '
        f"got {type(doc).__name__}"
    )


def _cell(v: object) -> float | str:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v
    if v is None:
        raise ValueError("null")
    raise ValueError(_jtype(v))


def _table(
    name: str, cols: list[list[object]], names: list[str] | None, lines: np.ndarray | None
) -> tuple[np.ndarray, dict[int, np.ndarray], set[int]]:
    """Columns of JSON scalars → (values, text columns, text column set)."""
    m = len(cols[0]) if cols else 0
    values = np.full((m, len(cols)), np.nan)
    texts: dict[int, np.ndarray] = {}
    for j, col in enumerate(cols):
        if None not in col:  # NumPy would turn null into NaN without a word
            try:
                values[:, j] = np.array(col, dtype=np.float64)
                continue
            except (TypeError, ValueError):
                pass
        out: list[float | str] = []
        for i, v in enumerate(col):
            try:
                out.append(_cell(v))
            except ValueError as e:
                where = f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"
                field = f"field {names[j]!r}" if names else f"column {j + 1}" if len(cols) > 1 else ""
                at = f"{where}, {field}" if field else where
                raise LossInputError(f"{at}: {e} where a number or label belongs") from None
        if all(isinstance(v, float) for v in out):
            values[:, j] = np.array(out, dtype=np.float64)
        else:
            texts[j] = np.array([v if isinstance(v, str) else repr(v) for v in out], dtype=str)
    return values, texts, set(texts)


def _from_rows(items: list[object], name: str, lines: np.ndarray | None) -> Source:
    """A list of numbers, of lists, or of objects (one per row)."""

    def where(i: int) -> str:
        return f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"

    first = items[0]
    if isinstance(first, dict):
        return _from_records(items, name, lines)
    if isinstance(first, list):
        width = len(first)
        if width == 0:
            raise LossInputError(f"{where(0)}: empty row")
        for i, it in enumerate(items):
            if not isinstance(it, list):
                raise LossInputError(f"{where(i)}: expected a list like the first row, got {_jtype(it)}")
            if len(it) != width:
                raise LossInputError(f"{where(i)}: {len(it)} values, expected {width} like the first row")
        try:
            if any(None in it for it in items):  # type: ignore[operator]
                raise ValueError("null")  # located column by column below
            values = np.array(items, dtype=np.float64)
            if values.ndim != 2:
                raise ValueError
            texts: dict[int, np.ndarray] = {}
            text_cols: set[int] = set()
        except (TypeError, ValueError):  # text in the rows: column by column, with locations
            rows_: list[list[object]] = items  # type: ignore[assignment]
            cols = [[it[j] for it in rows_] for j in range(width)]
            for i, it in enumerate(rows_):
                for j, v in enumerate(it):
                    if isinstance(v, (list, dict)):
                        raise LossInputError(
                            f"{where(i)}, column {j + 1}: {_jtype(v)} inside a row; rows hold numbers"
                        ) from None
            values, texts, text_cols = _table(name, cols, None, lines)
    else:
        for i, it in enumerate(items):
            if isinstance(it, (list, dict)):
                raise LossInputError(f"{where(i)}: expected a number like the first row, got {_jtype(it)}")
        values, texts, text_cols = _table(name, [list(items)], None, lines)
    chunk = Chunk(values, texts, 0, lines)
    fmt = "jsonl" if lines is not None else "json"
    return Source(name, values.shape[1], None, text_cols, iter([chunk]), fmt=fmt)


def _jtype(v: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(v), "a number")


def _from_records(items: list[object], name: str, lines: np.ndarray | None) -> Source:
    """Objects per row: ``{"logits": [...], "label": 2}`` or flat records ``{"p": .3, "y": 1}``."""

    def where(i: int) -> str:
        return f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"

    first = items[0]
    assert isinstance(first, dict)
    keys = list(first)
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise LossInputError(f"{where(i)}: expected an object like the first row, got {_jtype(it)}")
        if list(it) != keys and set(it) != set(keys):
            raise LossInputError(f"{where(i)}: keys {sorted(it)} differ from the first row's {sorted(keys)}")
    cols: list[list[object]] = []
    names: list[str] = []
    label_hint: list[int] = []
    kind_hint = next((k for k in keys if k in SCORE_KEYS), None)
    for key in keys:
        v0 = first[key]
        if isinstance(v0, list):
            width = len(v0)
            for i, it in enumerate(items):
                v = it[key]  # type: ignore[index]
                if not isinstance(v, list) or len(v) != width:
                    raise LossInputError(
                        f"{where(i)}: {key!r} must be a list of {width} values like the first row"
                    )
            start = len(cols)
            for j in range(width):
                cols.append([it[key][j] for it in items])  # type: ignore[index]
                names.append(f"{key}[{j}]")
            if key in LABEL_KEYS:
                label_hint.extend(range(start, len(cols)))
        else:
            if isinstance(v0, dict):
                raise LossInputError(
                    f"{where(0)}: {key!r} holds an object; expected a number, string or list"
                )
            if key in LABEL_KEYS:
                label_hint.append(len(cols))
            cols.append([it[key] for it in items])  # type: ignore[index]
            names.append(key)
    values, texts, text_cols = _table(name, cols, names, lines)
    if kind_hint is not None:
        # the score key names its columns by index; the rest keep their keys
        names = [n.split("[")[1].rstrip("]") if n.startswith(kind_hint + "[") else n for n in names]
    chunk = Chunk(values, texts, 0, lines)
    return Source(
        name,
        len(cols),
        names,
        text_cols,
        iter([chunk]),
        label_hint=label_hint or None,
        kind_hint=kind_hint,
        fmt="jsonl" if lines is not None else "json",
        extra={"score_cols": _score_cols(keys, kind_hint, first)} if kind_hint else {},
    )


def _score_cols(keys: list[str], kind: str, first: dict[str, object]) -> list[int]:
    """Positions of the score key's columns among the record's flattened columns."""
    out: list[int] = []
    j = 0
    for key in keys:
        v = first[key]
        width = len(v) if isinstance(v, list) else 1
        if key == kind:
            out.extend(range(j, j + width))
        j += width
    return out


def _from_object(doc: dict[str, object], name: str) -> Source:
    """``{"logits"|"probs"|"log_probs": …, "labels": …, "classes": [...], other: [...]}``."""
    kinds = [k for k in SCORE_KEYS if k in doc]
    if not kinds:
        kinds = [k for k in EXTRA_SCORE_KEYS if k in doc]
    if len(kinds) != 1:
        raise LossInputError(
            f'{name}: expected an object with one of "logits", "probs", "log_probs" '
            f"(found keys: {', '.join(map(str, doc)) or 'none'})"
        )
    kind = kinds[0]
    scores = doc[kind]
    if not isinstance(scores, list) or not scores:
        raise LossInputError(f"{name}: {kind!r} must be a non-empty list")
    inner = _from_rows(scores, f"{name} ({kind})", None)
    chunk = next(inner.chunks)
    n, k = chunk.values.shape
    classes = doc.get("classes")
    if classes is not None and (not isinstance(classes, list) or len(classes) != k):
        raise LossInputError(f'{name}: "classes" must list {k} names, one per score column')
    names = [str(c) for c in classes] if classes else [str(j) for j in range(k)]
    cols: list[np.ndarray] = [chunk.values]
    texts = dict(chunk.text)
    text_cols = set(inner.text_cols)
    label_hint: list[int] = []
    width = k
    for key, val in doc.items():
        if key in (kind, "classes"):
            continue
        if not isinstance(val, list):
            continue  # metadata, e.g. {"model": "resnet"}
        if len(val) != n:
            raise LossInputError(f"{name}: {key!r} has {len(val)} rows but {kind!r} has {n}")
        sub = _from_rows(val, f"{name} ({key})", None)
        c = next(sub.chunks)
        for j, t in c.text.items():
            texts[width + j] = t
            text_cols.add(width + j)
        if key in LABEL_KEYS:
            label_hint.extend(range(width, width + c.values.shape[1]))
        m = c.values.shape[1]
        names.extend([key] if m == 1 else [f"{key}[{j}]" for j in range(m)])
        cols.append(c.values)
        width += m
    values = np.hstack(cols)
    src = Source(
        name,
        width,
        names,
        text_cols,
        iter([Chunk(values, texts, 0, None)]),
        label_hint=label_hint or None,
        kind_hint=kind if kind in SCORE_KEYS else None,  # "scores" says nothing of the kind
        fmt="json",
    )
    src.extra["score_cols"] = list(range(k))
    return src


# ---------------------------------------------------------------------------------------
# NumPy


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


def _npy_source(stream: _SafeStream, path: str, name: str, compressed: bool) -> Source:
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


def _npz_source(stream: _SafeStream, name: str) -> Source:
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
