"""Every registered reader: its extensions are its own, its magic bytes pick it, and a tiny
file read by name, by sniffing and through gzip gives back exactly the values written."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from losscli.errors import LossInputError
from losscli.readers import READERS, Reader, Source, base, open_source, register
from losscli.readers.base import by_extension, by_magic

X = [[0.5, -1.25], [3.0, 0.0], [-2.5, 7.75]]  # exactly representable: the round trip is exact
Y = [1, 0, 1]
TABLE = np.column_stack([np.array(X), np.array(Y, dtype=float)])


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, logits=np.array(X), labels=np.array(Y))
    return buf.getvalue()


def _rows(delim: str) -> bytes:
    lines = ["a", "b", "label"], *([*map(str, x), str(y)] for x, y in zip(X, Y, strict=True))
    return "".join(delim.join(ln) + "\n" for ln in lines).encode()


def _arrow(kind: str) -> bytes:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather
    import pyarrow.parquet

    table = pa.table({"logits": pa.array(X, pa.list_(pa.float32())), "label": pa.array(Y, pa.int8())})
    buf = io.BytesIO()
    if kind == "parquet":
        pyarrow.parquet.write_table(table, buf)
    else:
        pyarrow.feather.write_feather(table, buf)
    return buf.getvalue()


# reader name → (bytes of a tiny file, the values its chunks must hold)
SAMPLES: dict[str, Callable[[], tuple[bytes, np.ndarray]]] = {
    "csv": lambda: (_rows(","), TABLE),
    "tsv": lambda: (_rows("\t"), TABLE),
    "json": lambda: (json.dumps({"logits": X, "labels": Y}).encode(), TABLE),
    "jsonl": lambda: (
        "".join(json.dumps({"logits": x, "label": y}) + "\n" for x, y in zip(X, Y, strict=True)).encode(),
        TABLE,
    ),
    "npy": lambda: (_npy(np.array(X)), np.array(X)),
    "npz": lambda: (_npz(), TABLE),
    "parquet": lambda: (_arrow("parquet"), TABLE),
    "arrow": lambda: (_arrow("arrow"), TABLE),
}


def _values(src: Source) -> np.ndarray:
    try:
        return np.vstack([c.values for c in src.chunks])
    finally:
        src.close()


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_every_reader_has_a_sample() -> None:
    assert set(SAMPLES) == set(READERS)


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_extensions_are_dotted_lower_case_and_owned_by_one_reader(reader: Reader) -> None:
    for ext in reader.extensions:
        assert ext.startswith(".") and ext == ext.lower()
        assert by_extension("x" + ext) is reader
        assert [r.name for r in READERS.values() if ext in r.extensions] == [reader.name]


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_a_tiny_file_round_trips_by_extension(reader: Reader, tmp_path: Path) -> None:
    data, expected = SAMPLES[reader.name]()
    for ext in reader.extensions:
        got = _values(open_source(_write(tmp_path, "t" + ext, data)))
        np.testing.assert_array_equal(got, expected)


def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return bytes(zstandard.ZstdCompressor().compress(data))


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": _zstd,
}


@pytest.mark.parametrize("suffix", COMPRESS)
@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_a_tiny_file_round_trips_through_compression(reader: Reader, suffix: str, tmp_path: Path) -> None:
    data, expected = SAMPLES[reader.name]()
    path = _write(tmp_path, f"t{reader.extensions[0]}{suffix}", COMPRESS[suffix](data))
    if reader.needs_path:
        with pytest.raises(LossInputError, match="decompress it"):
            open_source(path)
        return
    np.testing.assert_array_equal(_values(open_source(path)), expected)
    # by magic bytes alone, under a name that says nothing
    np.testing.assert_array_equal(
        _values(open_source(_write(tmp_path, "t.dat", COMPRESS[suffix](data)))), expected
    )


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_magic_bytes_pick_the_reader_and_sniffing_reads_the_same(reader: Reader, tmp_path: Path) -> None:
    data, expected = SAMPLES[reader.name]()
    if reader.magic or reader.sniff:
        assert by_magic(data[:64]) is reader
    np.testing.assert_array_equal(_values(open_source(_write(tmp_path, "t.dat", data))), expected)


def test_register_refuses_a_taken_name_or_extension() -> None:
    csv = READERS["csv"]
    with pytest.raises(ValueError, match="twice"):
        register(csv)
    with pytest.raises(ValueError, match="taken"):
        register(Reader("other", (".csv",), csv.open))
    assert READERS["csv"] is csv and "other" not in READERS


def test_an_unknown_binary_input_is_read_as_text_and_refused(tmp_path: Path) -> None:
    with pytest.raises(LossInputError, match="binary data"):
        _values(open_source(_write(tmp_path, "t.dat", b"\x00\x01\x02")))


# ---------------------------------------------------------------------------------------
# Chunks bounded by bytes


@pytest.fixture
def three_rows(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Shrink the chunk budget to three rows of ``width`` float64 columns."""

    def shrink(width: int) -> None:
        monkeypatch.setattr(base, "CHUNK_BYTES", 3 * 8 * width)

    return shrink


def _chunks(path: str) -> list[np.ndarray]:
    src = open_source(path)
    try:
        return [c.values for c in src.chunks]
    finally:
        src.close()


def test_rows_per_chunk_divides_the_budget_by_the_width() -> None:
    assert base.rows_per_chunk(1) == base.CHUNK_BYTES // 8
    assert base.rows_per_chunk(1000) == base.CHUNK_BYTES // 8000
    assert base.rows_per_chunk(10**9) == 1
    assert base.CHUNK_BYTES == 32 << 20


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.bool_])
@pytest.mark.parametrize("how", ["mmap", "gzip", "fortran"])
def test_npy_is_read_in_budget_sized_float64_chunks(
    dtype: type, how: str, tmp_path: Path, three_rows: Callable[[int], None]
) -> None:
    arr = (np.arange(40).reshape(10, 4) % 7 - 3).astype(dtype)
    if how == "fortran":
        arr = np.asfortranarray(arr)
    three_rows(4)
    path = tmp_path / "x.npy"
    np.save(path, arr)
    if how == "gzip":
        path = tmp_path / "x.npy.gz"
        path.write_bytes(gzip.compress((tmp_path / "x.npy").read_bytes()))
    got = _chunks(str(path))
    assert [len(c) for c in got] == [3, 3, 3, 1]
    assert all(c.dtype == np.float64 for c in got)
    np.testing.assert_array_equal(np.vstack(got), arr.astype(np.float64))


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
@pytest.mark.parametrize("gz", [False, True])
def test_npz_members_are_read_side_by_side_chunk_by_chunk(
    save: Callable[..., None], gz: bool, tmp_path: Path, three_rows: Callable[[int], None]
) -> None:
    x = np.linspace(-3, 3, 14, dtype=np.float32).reshape(7, 2)
    y = np.array([0, 1, 1, 0, 1, 0, 0])
    w = np.arange(7, dtype=np.float16)
    names = np.array(["a", "b", "c", "d", "e", "f", "g"])
    path = tmp_path / "p.npz"
    save(path, logits=x, labels=y, w=w, names=names)
    if gz:
        data = path.read_bytes()
        path = tmp_path / "p.npz.gz"
        path.write_bytes(gzip.compress(data))
    three_rows(5)
    src = open_source(str(path))
    try:
        assert src.names == ["0", "1", "labels", "w", "names"] and src.text_cols == {4}
        got = list(src.chunks)
    finally:
        src.close()
    assert [len(c) for c in got] == [3, 3, 1]
    values = np.vstack([c.values for c in got])
    np.testing.assert_array_equal(values[:, :4], np.column_stack([x, y, w]).astype(np.float64))
    assert np.isnan(values[:, 4]).all()
    assert np.concatenate([c.text[4] for c in got]).tolist() == names.tolist()
    assert [c.start_row for c in got] == [0, 3, 6]


def test_a_corrupt_npz_member_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "p.npz"
    np.savez(path, logits=np.arange(64.0))
    data = bytearray(path.read_bytes())
    data[data.index(b"\x93NUMPY") + 200] ^= 0xFF  # inside the array's bytes: the CRC fails
    path.write_bytes(bytes(data))
    with pytest.raises(LossInputError, match=r"not a valid \.npz archive"):
        _chunks(str(path))


@pytest.mark.parametrize("ext", [".json", ".jsonl"])
def test_json_rows_arrive_in_budget_sized_chunks(
    ext: str, tmp_path: Path, three_rows: Callable[[int], None]
) -> None:
    rows = [[float(i), float(-i)] for i in range(8)]
    text = json.dumps(rows) if ext == ".json" else "".join(json.dumps(r) + "\n" for r in rows)
    three_rows(2)
    src = open_source(_write(tmp_path, "r" + ext, text.encode()))
    try:
        got = list(src.chunks)
    finally:
        src.close()
    assert [len(c) for c in got] == [3, 3, 2] and [c.start_row for c in got] == [0, 3, 6]
    np.testing.assert_array_equal(np.vstack([c.values for c in got]), np.array(rows))
    if ext == ".jsonl":
        assert np.concatenate([c.lines for c in got if c.lines is not None]).tolist() == list(range(1, 9))


# ---------------------------------------------------------------------------------------
# Parquet and Arrow


def _table_file(tmp_path: Path, kind: str, **columns: object) -> str:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather
    import pyarrow.parquet

    table = pa.table(columns)
    path = str(tmp_path / f"t.{kind}")
    if kind == "parquet":
        pyarrow.parquet.write_table(table, path, row_group_size=4)
    else:
        pyarrow.feather.write_feather(table, path, chunksize=4)
    return path


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_list_columns_become_indexed_score_and_label_columns(
    kind: str, tmp_path: Path, three_rows: Callable[[int], None]
) -> None:
    pa = pytest.importorskip("pyarrow")
    x = np.arange(30, dtype=np.float64).reshape(10, 3) / 4 - 3
    y = (np.arange(30).reshape(10, 3) % 2).astype(np.int64)
    fixed = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), 3)
    names = [f"r{i}" for i in range(10)]
    path = _table_file(tmp_path, kind, logits=fixed, labels=pa.array(y.tolist()), id=names, w=np.ones(10))
    three_rows(8)
    src = open_source(path)
    try:
        assert src.names == [
            "logits[0]",
            "logits[1]",
            "logits[2]",
            "labels[0]",
            "labels[1]",
            "labels[2]",
            "id",
            "w",
        ]
        assert src.label_hint == [3, 4, 5] and src.extra["score_cols"] == [0, 1, 2]
        assert src.kind_hint == "logits" and src.text_cols == {6}
        got = list(src.chunks)
    finally:
        src.close()
    assert (
        max(len(c) for c in got) <= 3
        and [c.start_row for c in got] == np.cumsum([0] + [len(c) for c in got[:-1]]).tolist()
    )
    values = np.vstack([c.values for c in got])
    np.testing.assert_array_equal(values[:, :6], np.column_stack([x, y]))
    assert np.concatenate([c.text[6] for c in got]).tolist() == names


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_ragged_list_or_a_null_is_an_error_at_its_row(kind: str, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    ragged = _table_file(tmp_path, kind, logits=pa.array([[1.0, 2.0], [3.0, 4.0], [5.0]]))
    with pytest.raises(LossInputError, match=r"row 3, field 'logits': 1 values, expected 2"):
        _values(open_source(ragged))
    (tmp_path / f"t.{kind}").unlink()
    null = _table_file(tmp_path, kind, p=pa.array([0.5, None]), label=[1, 0])
    with pytest.raises(LossInputError, match=r"row 2, field 'p': null where a number"):
        _values(open_source(null))


def test_parquet_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "t.parquet", SAMPLES["parquet"]()[0])
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(LossInputError, match=r"needs pyarrow: pip install 'losscli\[fast\]'"):
        open_source(path)


def test_parquet_and_arrow_from_stdin_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("parquet", "arrow"):
        fake = io.TextIOWrapper(io.BytesIO(SAMPLES[kind]()[0]))
        monkeypatch.setattr(sys, "stdin", fake)
        monkeypatch.setattr(fake, "isatty", lambda: False)
        with pytest.raises(LossInputError, match="give its path instead of -"):
            open_source("-")


# ---------------------------------------------------------------------------------------
# Several files as one data set


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_a_glob_reads_the_sorted_matches_as_one_source(reader: Reader, tmp_path: Path) -> None:
    data, expected = SAMPLES[reader.name]()
    ext = reader.extensions[0]
    for stem in ("b", "a", "c"):
        _write(tmp_path, f"part-{stem}{ext}", data)
    src = open_source(str(tmp_path / f"part-*{ext}"))
    try:
        got = list(src.chunks)
    finally:
        src.close()
    np.testing.assert_array_equal(np.vstack([c.values for c in got]), np.vstack([expected] * 3))
    assert [c.start_row for c in got] == [0, 3, 6]
    assert [Path(c.origin).name for c in got if c.origin] == [f"part-{s}{ext}" for s in "abc"]


def test_an_error_in_the_second_file_names_that_file_and_its_row(tmp_path: Path) -> None:
    np.save(tmp_path / "s1.npy", np.zeros((4, 2)))
    np.save(tmp_path / "s2.npy", np.zeros((5, 2)))
    src = open_source(str(tmp_path / "s?.npy"))
    try:
        chunks = list(src.chunks)
        assert src.locate(chunks[1], 2, 1) == f"{tmp_path / 's2.npy'}: row 3, column 2"
        assert src.locate(chunks[0], 0, None) == f"{tmp_path / 's1.npy'}: row 1"
        assert chunks[1].slice(2, 3).start_row == 6
    finally:
        src.close()


def test_a_glob_with_no_match_or_disagreeing_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LossInputError, match="no file matches this pattern"):
        open_source(str(tmp_path / "none-*.csv"))
    _write(tmp_path, "p1.csv", b"s,label\n0.5,1\n")
    _write(tmp_path, "p2.csv", b"s,w,label\n0.5,2,1\n")
    src = open_source(str(tmp_path / "p*.csv"))
    with pytest.raises(LossInputError, match=r"p2\.csv: its columns \(s, w, label\) differ"):
        _values(src)


def test_a_file_whose_name_has_glob_characters_opens_as_itself(tmp_path: Path) -> None:
    path = _write(tmp_path, "run[1].csv", _rows(","))
    np.testing.assert_array_equal(_values(open_source(path)), TABLE)


# ---------------------------------------------------------------------------------------
# Compression and binary data where text belongs


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    fake = io.TextIOWrapper(io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", fake)
    monkeypatch.setattr(fake, "isatty", lambda: False)


@pytest.mark.parametrize("suffix", COMPRESS)
def test_compressed_stdin_is_recognised_by_its_magic_bytes(
    suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, COMPRESS[suffix](_rows(",")))
    np.testing.assert_array_equal(_values(open_source("-")), TABLE)


@pytest.mark.parametrize("suffix", COMPRESS)
def test_a_compressed_name_on_plain_bytes_or_a_truncated_stream_is_an_error(
    suffix: str, tmp_path: Path
) -> None:
    codec = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}[suffix]
    with pytest.raises(LossInputError, match=f"not {codec} data \\(the name ends in \\{suffix}\\)"):
        open_source(_write(tmp_path, f"p.csv{suffix}", _rows(",")))
    big = _rows(",") * 2000
    cut = COMPRESS[suffix](big)[:-40]
    with pytest.raises(LossInputError, match=f"corrupt or truncated {codec} data"):
        _values(open_source(_write(tmp_path, f"q.csv{suffix}", cut)))


def test_zstd_without_a_decoder_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "p.csv.zst", _zstd(_rows(",")))
    monkeypatch.setitem(sys.modules, "zstandard", None)
    monkeypatch.setitem(sys.modules, "compression", None)
    with pytest.raises(
        LossInputError, match=r"needs Python 3\.14 or the zstandard package: pip install zstandard"
    ):
        open_source(path)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (lambda: SAMPLES["parquet"]()[0], "holds Parquet data, not text; name the file .parquet"),
        (lambda: SAMPLES["arrow"]()[0], "holds Arrow IPC data, not text; name the file .arrow or .feather"),
        (
            lambda: SAMPLES["npz"]()[0],
            "holds a zip archive, not text; name an .npz archive .npz, unzip other archives",
        ),
        (lambda: SAMPLES["npy"]()[0], "holds a NumPy .npy array, not text; name the file .npy"),
        (
            lambda: gzip.compress(lzma.compress(b"s\n1\n")),
            "holds xz-compressed data, not text; decompress it",
        ),
    ],
    ids=["parquet", "arrow", "zip", "npy", "xz-in-gzip"],
)
@pytest.mark.parametrize("ext", [".csv", ".json"])
def test_binary_data_where_text_belongs_is_named_by_its_magic_bytes(
    data: Callable[[], bytes], said: str, ext: str, tmp_path: Path
) -> None:
    with pytest.raises(LossInputError) as e:
        _values(open_source(_write(tmp_path, "t" + ext, data())))
    assert str(e.value) == f"{tmp_path / ('t' + ext)}: {said}"


# ---------------------------------------------------------------------------------------
# n-d arrays: every position a row (softmax), every element a column (sigmoid)

RNG = np.random.default_rng(7)
ND_X = np.round(RNG.normal(size=(5, 3, 4)), 3).astype(np.float32)  # (N, T, C)
ND_Y = RNG.integers(0, 4, size=(5, 3))  # (N, T)


def _nd_file(tmp_path: Path, fmt: str, name: str, **arrays: np.ndarray) -> str:
    """The arrays as ``fmt`` (npy: the first one only; npz/json: one document of them)."""
    first = next(iter(arrays.values()))
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "npy":
        np.save(path, first)
    elif fmt == "npz":
        np.savez(path, **arrays)
    elif fmt == "json":
        doc = {k: v.tolist() for k, v in arrays.items()}
        path.write_text(json.dumps(doc if len(arrays) > 1 else first.tolist()))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in first.tolist()))
    return str(path)


def _nd_read(path: str, **kw: object) -> tuple[np.ndarray, Source, list[int]]:
    src = open_source(path, **kw)  # type: ignore[arg-type]
    try:
        got = list(src.chunks)
    finally:
        src.close()
    return np.vstack([c.values for c in got]), src, [len(c) for c in got]


@pytest.mark.parametrize("fmt", ["npy", "npz", "json", "jsonl"])
@pytest.mark.parametrize("axis", [None, 1])
def test_softmax_scores_are_one_row_per_position_in_c_order(
    fmt: str, axis: int | None, tmp_path: Path, three_rows: Callable[[int], None]
) -> None:
    stored = ND_X if axis is None else np.ascontiguousarray(np.moveaxis(ND_X, -1, 1))  # (N, C, T)
    three_rows(4 if fmt in ("npy", "json", "jsonl") else 5)  # three positions: one N-item per chunk
    path = _nd_file(tmp_path, fmt, "s", logits=stored, labels=ND_Y)
    values, src, sizes = _nd_read(path, family="softmax", class_axis=axis)
    np.testing.assert_array_equal(values[:, :4], ND_X.reshape(-1, 4).astype(np.float64))
    assert src.extra["positions"] == (5, 3)
    if fmt in ("npz", "json"):
        np.testing.assert_array_equal(values[:, 4], ND_Y.reshape(-1))
    if fmt in ("npy", "npz"):  # streamed per N-item: chunks of whole items, within the budget
        assert sizes == [3] * 5


@pytest.mark.parametrize("fmt", ["npy", "json"])
def test_labels_of_the_scores_positions_are_one_row_each(fmt: str, tmp_path: Path) -> None:
    path = _nd_file(tmp_path, fmt, "y", labels=ND_Y)
    values, _, _ = _nd_read(path, family="softmax", positions=(5, 3))
    np.testing.assert_array_equal(values, ND_Y.reshape(-1, 1))
    # without the positions a 2-d array is a table, as before
    np.testing.assert_array_equal(_nd_read(path, family="softmax")[0], ND_Y)


@pytest.mark.parametrize("fmt", ["npy", "npz", "json", "jsonl"])
def test_sigmoid_arrays_are_one_row_per_item_of_all_its_elements(fmt: str, tmp_path: Path) -> None:
    y = (ND_X > 0).astype(np.int64)
    path = _nd_file(tmp_path, fmt, "b", logits=ND_X, labels=y)
    values, src, _ = _nd_read(path, family="sigmoid")
    np.testing.assert_array_equal(values[:, :12], ND_X.reshape(5, 12).astype(np.float64))
    if fmt in ("npz", "json"):
        np.testing.assert_array_equal(values[:, 12:], y.reshape(5, 12))
    assert "positions" not in src.extra


def test_n_d_without_a_family_or_with_a_bad_class_axis_is_refused(tmp_path: Path) -> None:
    path = _nd_file(tmp_path, "npy", "s", logits=ND_X)
    with pytest.raises(LossInputError, match=r"has 3 dimensions; expected \(n,\) or \(n, k\)"):
        open_source(path)
    with pytest.raises(LossInputError, match="the class axis must be the last"):
        open_source(path, family="softmax", class_axis=0)  # the items axis: neither 1 nor the last
    npz = _nd_file(tmp_path, "npz", "m", logits=ND_X, labels=ND_Y[:, :2])
    with pytest.raises(LossInputError, match=r"'labels' has shape \(5, 2\)"):
        open_source(npz, family="softmax")


def test_labels_match_the_positions_by_their_trailing_shape(tmp_path: Path) -> None:
    """N may differ (one file of a glob of shards); (d1, …) must agree."""
    path = _nd_file(tmp_path, "npy", "y", labels=ND_Y[:2])
    values, _, _ = _nd_read(path, family="softmax", positions=(5, 3))
    np.testing.assert_array_equal(values, ND_Y[:2].reshape(-1, 1))
    assert _nd_read(path, family="softmax", positions=(2, 4))[0].shape == (2, 3)  # a table then
