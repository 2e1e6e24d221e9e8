"""Every registered reader: its extensions are its own, its magic bytes pick it, and a tiny
file read by name, by sniffing and through gzip gives back exactly the values written."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from losscli.errors import LossInputError
from losscli.readers import READERS, Reader, Source, open_source, register
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


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_a_tiny_file_round_trips_through_gzip(reader: Reader, tmp_path: Path) -> None:
    data, expected = SAMPLES[reader.name]()
    path = _write(tmp_path, f"t{reader.extensions[0]}.gz", gzip.compress(data))
    np.testing.assert_array_equal(_values(open_source(path)), expected)


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
