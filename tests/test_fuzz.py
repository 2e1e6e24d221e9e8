"""Fuzzing the readers and ``losscli bce --logits FILE`` with Hypothesis.

Valid inputs are random numeric tables with a ``s,label`` header (labels 0/1, sometimes
``true``/``false``) written as CSV, TSV, JSON or JSON Lines in the awkward ways the spec
allows (BOM, CRLF, no final newline, spaces, gzip, stdin). Mutated inputs start from a valid
one and are truncated, have a byte flipped, delimiters shuffled, cells replaced by junk, or
lines duplicated and dropped. Properties:

* valid: :func:`losscli.readers.open_source` yields every row; the CLI exits 0 with the
  closed-form mean;
* anything: ``open_source`` plus consuming every chunk raises nothing but
  :class:`~losscli.errors.LossInputError`; the CLI exits 0, or exits 2 with exactly one
  ``Error:`` line, no traceback and nothing on stdout. Any other exception or exit code is
  a failure, and so is a warning escaping losscli or a file left open.

Examples per test come from ``LOSSCLI_FUZZ_EXAMPLES`` (default 300, the whole file in well
under a minute). The longer pre-release run::

    LOSSCLI_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import gc
import gzip
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from losscli.errors import LossInputError
from losscli.readers import open_source
from tests.conftest import assert_input_error
from tests.conftest import run as _run

EXAMPLES = int(os.environ.get("LOSSCLI_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # tmp_path is only a folder to overwrite files in
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


# ---------------------------------------------------------------------------------------
# Hygiene: warnings and open files are failures of the example that caused them


def _open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


@contextmanager
def clean() -> Iterator[None]:
    """Fail on any warning escaping the block and on any file it leaves open."""
    before = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        if before is None or _open_fds() != before:
            gc.collect()  # a leaked file object says so (ResourceWarning) when collected
    stray = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert not stray, stray


def run(*args: str, input: str | bytes | None = None) -> Result:
    with clean():
        full = _run(*args, input=input)
        # drop the exception: its traceback keeps the failed run's frames (and files) alive
        r = Result(
            full.runner, full.stdout_bytes, full.stderr_bytes, full.output_bytes, None, full.exit_code, None
        )
        del full
    return r


def read_all(path: str) -> int | None:
    """Rows read by ``open_source`` + every chunk; None for a LossInputError. Anything else
    propagates and fails the test."""
    with clean():
        try:
            src = open_source(path)
        except LossInputError:
            return None
        try:
            return sum(len(c) for c in src.chunks)
        except LossInputError:
            return None
        finally:
            src.close()


def assert_outcome(r: Result) -> None:
    """The contract for any input: exit 0, or exit 2 with one ``Error:`` line."""
    if r.exit_code == 0:
        assert "Traceback" not in r.stderr, r.stderr
        assert not [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")], r.stderr
        return
    assert_input_error(r)


# ---------------------------------------------------------------------------------------
# Valid documents


@dataclass
class Doc:
    data: bytes
    ext: str  # ".csv", ".tsv", ".json", ".jsonl", each maybe + ".gz"
    rows: list[tuple[float, int]]  # (score as read, label)

    def expected_mean(self) -> float:
        return math.fsum(max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x))) for x, y in self.rows) / len(
            self.rows
        )


scores = st.one_of(
    st.floats(min_value=-50, max_value=50, allow_nan=False),
    st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False),
    st.integers(-1000, 1000).map(float),
)
labels = st.sampled_from([0, 1])
tables = st.lists(st.tuples(scores, labels), min_size=1, max_size=40)


def _num_formats(x: float) -> list[str]:
    out = [repr(x), f"{x:.17g}", f"{x:.6e}", f"{x:+g}"]
    if x.is_integer() and abs(x) < 1e15:
        out.append(str(int(x)))
    return out


@st.composite
def csv_docs(draw: st.DrawFn) -> Doc:
    rows = draw(tables)
    tsv = draw(st.booleans())
    sep = "\t" if tsv else ","
    pad = draw(st.sampled_from(["", " ", "  "])) if not tsv else ""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bool_labels = draw(st.booleans())
    lines = [f"{pad}s{pad}{sep}{pad}label{pad}"]
    read: list[tuple[float, int]] = []
    for x, y in rows:
        cell = draw(st.sampled_from(_num_formats(x)))
        if bool_labels:
            word = draw(st.sampled_from([["false", "False", "FALSE"], ["true", "True", "TRUE"]][y]))
        else:
            word = str(y)
        lines.append(f"{pad}{cell}{pad}{sep}{pad}{word}{pad}")
        read.append((float(cell), y))
    text = eol.join(lines)
    text += draw(st.sampled_from(["", eol, eol + eol, eol + "  " + eol]))
    data = text.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return Doc(data, ".tsv" if tsv else ".csv", read)


@st.composite
def json_docs(draw: st.DrawFn) -> Doc:
    rows = draw(tables)
    as_bool = draw(st.booleans())
    ys: list[int | bool] = [bool(y) if as_bool else y for _, y in rows]
    if draw(st.booleans()):
        doc: object = {"logits": [x for x, _ in rows], "labels": ys}
    else:
        doc = [{"s": x, "label": y} for (x, _), y in zip(rows, ys, strict=True)]
    text = json.dumps(doc, indent=draw(st.sampled_from([None, 1])))
    return Doc(text.encode(), ".json", [(x, y) for x, y in rows])


@st.composite
def jsonl_docs(draw: st.DrawFn) -> Doc:
    rows = draw(tables)
    key = draw(st.sampled_from(["s", "logits"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(json.dumps({key: x, "label": y}) for x, y in rows)
    text += draw(st.sampled_from(["", eol, eol + eol]))
    return Doc(text.encode(), ".jsonl", [(x, y) for x, y in rows])


@st.composite
def valid_docs(draw: st.DrawFn) -> Doc:
    doc = draw(st.one_of(csv_docs(), json_docs(), jsonl_docs()))
    if draw(st.integers(0, 4)) == 0:
        doc = Doc(gzip.compress(doc.data, mtime=0), doc.ext + ".gz", doc.rows)
    return doc


# ---------------------------------------------------------------------------------------
# Mutations

JUNK = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "-inf",
            "1e999",
            "0x1F",
            "1_000",
            "--1",
            "1e",
            ".",
            "-",
            "null",
            "None",
            "true",
            "maybe",
            '"',
            "'",
            '""',
            "[",
            "]",
            "{",
            "}",
            "[[1]]",
            '{"a": 1}',
            ",",
            "\t",
            ";",
            "\\",
            "\x00",
            "\x1f\x8b",
            "\ufeff",
            "é",
            "\u2212" + "1",
            "1,5",
            "٣",
            "\r",
            "label",
            "logits",
        ]
    ),
    st.text(max_size=8),
)
NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|true|false|True|False|TRUE|FALSE")
DELIMS = [b",", b"\t", b";", b"|", b" ", b"", b",,", b"\n", b":"]


def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _flip(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    i = draw(st.integers(0, len(data) - 1))
    return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]


def _delimiters(draw: st.DrawFn, data: bytes) -> bytes:
    parts = re.split(rb"([,\t;:|])", data)
    return b"".join(draw(st.sampled_from(DELIMS)) if i % 2 else p for i, p in enumerate(parts))


def _junk(draw: st.DrawFn, data: bytes) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(data)]
    if not spans:
        return data
    picks = draw(st.sets(st.integers(0, len(spans) - 1), min_size=1, max_size=min(3, len(spans))))
    for i in sorted(picks, reverse=True):
        a, b = spans[i]
        data = data[:a] + draw(JUNK).encode("utf-8", "surrogatepass") + data[b:]
    return data


def _lines(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if draw(st.booleans()):
            lines.insert(i, lines[i])
        else:
            del lines[i]
    return b"\n".join(lines)


MUTATIONS: dict[str, Callable[[st.DrawFn, bytes], bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "delimiters": _delimiters,
    "junk": _junk,
    "lines": _lines,
}


@st.composite
def mutated_docs(draw: st.DrawFn) -> tuple[bytes, str]:
    """(bytes, extension): a valid document, mutated 1-3 times before or after gzip."""
    doc = draw(st.one_of(csv_docs(), json_docs(), jsonl_docs()))
    data, ext = doc.data, doc.ext
    names = draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3))
    for name in names:
        data = MUTATIONS[name](draw, data)
    if draw(st.integers(0, 5)) == 0:
        data = gzip.compress(data, mtime=0)
        ext += ".gz"
        if draw(st.booleans()):
            data = MUTATIONS[draw(st.sampled_from(["truncate", "flip"]))](draw, data)
    return data, ext


EXTS = [".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".npy", ".npz", ".csv.gz", ".dat"]


# ---------------------------------------------------------------------------------------
# Properties


def _write(tmp_path: Path, data: bytes, ext: str) -> str:
    p = tmp_path / f"fuzz{ext}"
    p.write_bytes(data)
    return str(p)


@FUZZ
@given(doc=valid_docs())
def test_valid_documents_read_every_row(doc: Doc, tmp_path: Path) -> None:
    assert read_all(_write(tmp_path, doc.data, doc.ext)) == len(doc.rows)


@FUZZ
@given(doc=valid_docs(), stdin=st.booleans())
def test_valid_documents_give_the_closed_form_mean(doc: Doc, stdin: bool, tmp_path: Path) -> None:
    if stdin:
        r = run("bce", "--logits", "-", "-q", input=doc.data)
    else:
        r = run("bce", "--logits", _write(tmp_path, doc.data, doc.ext), "-q")
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "Error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    got, want = float(r.stdout), doc.expected_mean()
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-300), (got, want)


@FUZZ
@given(case=mutated_docs())
def test_mutated_documents_read_or_raise_loss_input_error(case: tuple[bytes, str], tmp_path: Path) -> None:
    read_all(_write(tmp_path, *case))


@FUZZ
@given(case=mutated_docs(), stdin=st.booleans(), fmt=st.sampled_from(["table", "json", "csv", "jsonl", "-q"]))
def test_mutated_documents_exit_0_or_2(
    case: tuple[bytes, str], stdin: bool, fmt: str, tmp_path: Path
) -> None:
    data, ext = case
    out = ["-q"] if fmt == "-q" else ["--format", fmt]
    if stdin:
        r = run("bce", "--logits", "-", *out, input=data)
    else:
        r = run("bce", "--logits", _write(tmp_path, data, ext), *out)
    assert_outcome(r)
    if r.exit_code == 0 and fmt == "json":
        json.loads(r.stdout)


@FUZZ
@given(data=st.binary(max_size=2048), ext=st.sampled_from(EXTS), stdin=st.booleans())
@example(data=b"\x93NUMPY", ext=".npy", stdin=False)
@example(data=b"PK\x03\x04", ext=".npz", stdin=False)
@example(data=b"\x1f\x8b", ext=".csv", stdin=False)
@example(data=b"s,label\n0.5,1\n", ext=".csv.gz", stdin=False)
def test_arbitrary_bytes_exit_0_or_2(data: bytes, ext: str, stdin: bool, tmp_path: Path) -> None:
    read_all(_write(tmp_path, data, ext))
    if stdin:
        r = run("bce", "--logits", "-", input=data)
    else:
        r = run("bce", "--logits", _write(tmp_path, data, ext))
    assert_outcome(r)


JSON_KEYS = st.sampled_from(
    ["logits", "probs", "log_probs", "scores", "labels", "label", "y", "s", "classes", "target"]
) | st.text(max_size=3)
JSON_SCALARS = st.none() | st.booleans() | st.floats() | st.integers(-3, 3) | st.text(max_size=4)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda c: st.lists(c, max_size=5) | st.dictionaries(JSON_KEYS, c, max_size=4), max_leaves=20
)


@FUZZ
@given(doc=JSON_VALUES, jsonl=st.booleans(), command=st.sampled_from(["bce", "ce", "auto"]))
def test_arbitrary_json_documents_exit_0_or_2(doc: object, jsonl: bool, command: str, tmp_path: Path) -> None:
    if jsonl and isinstance(doc, list):
        data, ext = "\n".join(json.dumps(v) for v in doc).encode(), ".jsonl"
    else:
        data, ext = json.dumps(doc).encode(), ".json"
    path = _write(tmp_path, data, ext)
    read_all(path)
    assert_outcome(run(command, "--logits", path))
