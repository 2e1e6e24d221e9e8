"""CSV / TSV / whitespace-delimited text: sampled for its layout, then parsed block by block.

The first blocks (up to SAMPLE_ROWS data rows) decide the delimiter, the width, the header
and which columns hold text; the rest streams in blocks of about ``block`` bytes, each parsed
by NumPy's C parser, with a line-by-line pass only to locate an error.
"""

from __future__ import annotations

import csv
import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import HEADER_LABEL_NAMES, Chunk, Context, Reader, Source, register
from losscli.readers.streams import SafeStream, binary_hint, decode_utf8
from losscli.readers.textparse import load_floats

SAMPLE_ROWS = 1000  # rows of the first block used to decide header and column kinds
SAMPLE_BYTES = 16 << 20  # ... or fewer rows when they are this long (very wide files)
# pyarrow's memory grows with the column count (measured, 9 MB files, 2 busy cores: 165 MB
# at 1000 columns, 246 MB at 5000, 1.2 GB and 10.7 s at 100 000, where NumPy's reader
# stays at 140 MB and 1.7 s); past this many columns "auto" parses with NumPy
ARROW_MAX_COLUMNS = 1000
MAX_LINE_BYTES = 64 << 20  # a longer line is refused (docs/limits.md): no line end, no text file
# the csv module refuses fields over 128 KiB by default; a field may be as long as a line
csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_LINE_BYTES))
Block = tuple[str, int]  # (text that ends at a line end, the file line it starts on)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _split_fields(lines: list[str], delim: str | None, where: str = "") -> list[list[str]]:
    if delim is None:
        return [ln.split() for ln in lines]
    try:
        return list(csv.reader(lines, delimiter=delim, quotechar='"', skipinitialspace=True))
    except csv.Error as e:
        raise LossInputError(f"{where}: cannot split the fields ({e})") from None


def _sniff_delimiter(first: str, decimal: str = ".") -> str | None:
    # with decimal commas a comma cannot separate fields: Excel writes ';' then
    counts = {d: first.count(d) for d in (",", "\t", ";", "|") if d != decimal}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    return None if len(first.split()) > 1 else ("," if decimal != "," else ";")


def _delimiter(given: str | None, default: str | None) -> str | None:
    """``--delimiter`` (``tab`` and ``\\t`` spelled out allowed), else the format's default."""
    delim = given if given is not None else default
    if delim in ("\\t", "tab", "TAB"):
        delim = "\t"
    if delim is not None and (len(delim) != 1 or delim in '"\r\n'):
        raise LossInputError(f"--delimiter must be one character (or 'tab'), got {delim!r}")
    return delim


class _BlockReader:
    """Yields (text, first line number) blocks that end at a line boundary."""

    def __init__(self, stream: SafeStream, name: str, first_block: int, block: int, line: int = 1) -> None:
        self.stream, self.name = stream, name
        self.sizes = [first_block, block]
        self.rest = b""
        self.line = line
        self.first = True

    def __iter__(self) -> Iterator[Block]:
        # a line not ended yet is kept as a list of pieces, joined once its end arrives: no
        # quadratic copying, and a line over MAX_LINE_BYTES (no line end at all) is refused
        pending: list[bytes] = []
        pending_len = 0
        while True:
            size = self.sizes[0] if self.first else self.sizes[1]
            data = self.stream.read(size)
            if not data:
                if pending:
                    yield self._emit(b"".join(pending))
                return
            if b"\x00" in data:
                self._binary(b"".join([*pending, data]))
            cut = _last_line_end(data)
            if cut < 0:
                pending.append(data)
                pending_len += len(data)
                if pending_len > MAX_LINE_BYTES:
                    raise LossInputError(
                        f"{self.name}:{self.line}: a line longer than {MAX_LINE_BYTES >> 20} MiB "
                        "(no line end found); is this a text file?"
                    )
                continue
            block = b"".join([*pending, data[: cut + 1]])
            pending, pending_len = [data[cut + 1 :]], len(data) - cut - 1
            yield self._emit(block)

    def _binary(self, data: bytes) -> None:
        hint = binary_hint(data.removeprefix(b"\xef\xbb\xbf")[:10]) if self.line == 1 else None
        if hint:
            raise LossInputError(f"{self.name}: {hint}")
        head = data[: data.index(b"\x00")]
        line = self.line + head.count(b"\n") + (head.count(b"\r") if b"\n" not in head else 0)
        raise LossInputError(f"{self.name}:{line}: binary data (a NUL byte) in a text file")

    def _emit(self, data: bytes) -> Block:
        if self.first:
            self.first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        hint = binary_hint(data[:10]) if self.line == 1 else None
        if b"\x00" in data:
            if hint:
                raise LossInputError(f"{self.name}: {hint}")
            line = self.line + data[: data.index(b"\x00")].count(b"\n")
            raise LossInputError(f"{self.name}:{line}: binary data (a NUL byte) in a text file")
        try:
            text = decode_utf8(data, self.name, self.line)
        except LossInputError:
            if hint:
                raise LossInputError(f"{self.name}: {hint}") from None
            raise
        start = self.line
        if "\r" in text:  # CRLF and old-Mac line ends
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.line += text.count("\n")
        return text, start


def _last_line_end(data: bytes) -> int:
    """The index of the last line end in ``data`` (LF, or CR for old-Mac files), or -1. A CR
    as the very last byte may be the first half of a CRLF, so it does not count."""
    cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
    return cut


@dataclass
class Sample:
    """The first blocks: ``pieces`` as read, their non-blank ``lines`` from the first one on,
    the file line of the first piece and the number of blank lines before the first row."""

    pieces: list[Block]
    lines: list[str]
    line0: int
    skip: int


@dataclass(frozen=True)
class CsvLayout:
    """What the sample decided: delimiter (None: runs of whitespace), width, header, the
    header's names, the columns holding text, and the file line of the header."""

    delim: str | None
    ncols: int
    header: bool
    names: list[str] | None
    text_cols: set[int]
    header_line: int | None


def _sample(blocks: Iterator[Block], name: str) -> Sample:
    """Blocks up to SAMPLE_ROWS data rows; an input of blank lines only is an error."""
    pieces: list[Block] = []
    line0 = 1
    rows = size = 0
    for t, ln in blocks:
        if not pieces:
            line0 = ln
        pieces.append((t, ln))
        # pieces end at line ends, so rows add up piece by piece
        rows += sum(1 for x in t.split("\n", SAMPLE_ROWS + 2) if x.strip())
        size += len(t)
        if rows > SAMPLE_ROWS + 1 or (size > SAMPLE_BYTES and rows > 1):
            break
    text = "".join(p for p, _ in pieces)
    if not text.strip():
        raise LossInputError(f"{name}: empty input (no rows)")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    skip = 0  # leading blank lines
    while skip < len(lines) and not lines[skip].strip():
        skip += 1
    return Sample(pieces, lines, line0, skip)


def detect(
    sample: Sample, name: str, header: bool | None, delim: str | None, decimal: str = "."
) -> CsvLayout:
    """Delimiter, width, header and text columns from the sampled rows."""
    if delim is None:
        delim = _sniff_delimiter(sample.lines[sample.skip], decimal)
    sample_lines = [ln for ln in sample.lines[sample.skip : sample.skip + SAMPLE_ROWS + 1] if ln.strip()]
    rows = _split_fields(sample_lines, delim, name)
    ncols = len(rows[0])
    if ncols == 0 or (ncols == 1 and not rows[0][0].strip()):
        raise LossInputError(f"{name}: empty input (no rows)")
    first = [f.strip() for f in rows[0]]
    rest = [[f.strip() for f in r] for r in rows[1:]]
    if header is None:
        header = _looks_like_header(first, rest, ncols)
    body = rest if header else [first, *rest]
    text_cols = {j for j in range(ncols) if not all(j < len(r) and _is_number(r[j]) for r in body)}
    header_line = sample.line0 + sample.skip if header else None
    return CsvLayout(delim, ncols, header, first if header else None, text_cols, header_line)


def _looks_like_header(first: list[str], rest: list[list[str]], ncols: int) -> bool:
    """A first row with a non-number above a numeric column, or a label-like name."""
    for j, f in enumerate(first):
        if _is_number(f):
            continue
        numeric_below = all(j < len(r) and _is_number(r[j]) for r in rest)
        if numeric_below or (f.lower() in HEADER_LABEL_NAMES):
            return True
    return False


def _from_line(pieces: list[Block], start: int) -> list[Block]:
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


def _chunks(layout: CsvLayout, sample: Sample, blocks: Iterator[Block], name: str) -> Iterator[Chunk]:
    """The sampled blocks minus leading blank lines and the header, then the rest as it
    comes; each block stays a chunk of its own."""
    row = 0
    parser = _CsvParser(name, layout.ncols, layout.delim, layout.text_cols)
    start = (layout.header_line + 1) if layout.header_line is not None else sample.line0 + sample.skip
    for t, ln in itertools.chain(_from_line(sample.pieces, start), blocks):
        c = parser.parse(t, ln, row)
        if c is not None:
            row += len(c)
            yield c
    if row == 0:
        raise LossInputError(f"{name}: no data rows" + (" (only a header)" if layout.header else ""))


def _open_csv(stream: SafeStream, ctx: Context, default_delim: str | None) -> Source:
    opts, name = ctx.opts, ctx.name
    delim = _delimiter(opts.delimiter, default_delim)
    if opts.decimal == "," and delim == ",":
        raise LossInputError(f"{name}: --decimal , needs another field delimiter than ',' (e.g. ';')")
    blocks: Iterator[Block] = iter(_BlockReader(stream, name, opts.first_block, opts.block, opts.first_line))
    if opts.decimal == ",":
        blocks = _decimal_commas(blocks)
    sample = _sample(blocks, name)
    layout = detect(sample, name, opts.header, delim, opts.decimal)
    ncols, names, text_cols = layout.ncols, layout.names, layout.text_cols
    wide = ncols > ARROW_MAX_COLUMNS and opts.reader != "arrow"
    plain = sample.line0 == 1 and sample.skip == 0 and opts.decimal == "."
    if ctx.arrow is not None and layout.delim is not None and plain and not wide:
        from losscli.readers import arrow_csv  # pyarrow's own import is lazier still

        meter: list[IO[bytes]] = []
        skip_rows = 1 if layout.header else 0
        fast = arrow_csv.chunks(
            ctx.arrow, name, ncols, layout.delim, text_cols, skip_rows=skip_rows, meter=meter
        )
        return Source(name, ncols, names, text_cols, fast, fast=True, meter=meter)
    return Source(name, ncols, names, text_cols, _chunks(layout, sample, blocks, name))


def _decimal_commas(blocks: Iterator[Block]) -> Iterator[Block]:
    """Blocks with every ',' read as a decimal point (fields are split at another character)."""
    for text, line in blocks:
        yield text.replace(",", "."), line


def open_csv(stream: SafeStream, ctx: Context) -> Source:
    """Comma (or sniffed) delimited text."""
    return _open_csv(stream, ctx, None)


def open_tsv(stream: SafeStream, ctx: Context) -> Source:
    """Tab-separated text unless ``--delimiter`` says otherwise."""
    return _open_csv(stream, ctx, "\t")


class _CsvParser:
    """Parses blocks of lines: NumPy's C parser first, a line-by-line pass to locate errors."""

    def __init__(self, name: str, ncols: int, delim: str | None, text_cols: set[int]) -> None:
        self.name, self.ncols, self.delim, self.text_cols = name, ncols, delim, text_cols

    def parse(self, text: str, first_line: int, start_row: int) -> Chunk | None:
        if not text or text.isspace():  # (no stripped copy of the block)
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
            return load_floats(text, self.delim), {}
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
            fields = _split_fields([ln], self.delim, f"{self.name}:{lineno}")[0]
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


CSV = register(Reader("csv", (".csv",), open_csv, fast_path=True))
TSV = register(Reader("tsv", (".tsv", ".tab"), open_tsv, fast_path=True))
