"""The error catalogue, round 2: inputs at the edges of Python, float64, text and archives,
bounded work and memory, and merge shards that would give a wrong number.

Each case exits 2 with one ``Error:`` line naming the file (and the line or row where it
applies), nothing on stdout, no traceback and no stray warning; the valid ones compute the
number a closed form gives.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from tests.conftest import assert_input_error
from tests.errors.common import run

Writer = Callable[[str, "str | bytes"], str]
OK_CSV = "s,label\n0.5,1\n-0.25,0\n1.5,1\n"


def bce_mean(rows: list[tuple[float, float]]) -> float:
    return math.fsum(max(x, 0) - x * y + math.log1p(math.exp(-abs(x))) for x, y in rows) / len(rows)


OK_MEAN = bce_mean([(0.5, 1.0), (-0.25, 0.0), (1.5, 1.0)])


class Bad(NamedTuple):
    args: list[str]
    fragments: list[str]
    input: bytes | None = None
    absent: tuple[str, ...] = ()  # words the error line must not say


CASES: dict[str, Callable[[Writer, Path], Bad]] = {}


def case(name: str) -> Callable[[Callable[[Writer, Path], Bad]], Callable[[Writer, Path], Bad]]:
    def deco(f: Callable[[Writer, Path], Bad]) -> Callable[[Writer, Path], Bad]:
        assert name not in CASES
        CASES[name] = f
        return f

    return deco


def _npy_header(shape: tuple[int, ...], fortran: bool = False, descr: str = "<f8") -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return b.getvalue()


def _npz(tmp: Path, members: dict[str, bytes], name: str = "a.npz") -> Path:
    p = tmp / name
    with zipfile.ZipFile(p, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return p


def _npy_bytes(arr: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


# --- numbers at the edges of Python -------------------------------------------------------


@case("json_integer_of_5000_digits")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("big.json", '{"logits": [1, 2], "labels": [1, ' + "9" * 5000 + "]}")
    return Bad(["bce", "--logits", p], [f"{p}: row 2"])


@case("json_score_integer_of_500_digits")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("big.json", '{"logits": [1, ' + "9" * 500 + '], "labels": [1, 0]}')
    return Bad(["bce", "--logits", p], [f"{p}: row 2", "finite"])


@case("jsonl_integer_of_5000_digits")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("big.jsonl", '{"s": 0.5, "label": 1}\n{"s": ' + "9" * 5000 + ', "label": 1}\n')
    return Bad(["bce", "--logits", p], [f"{p}:2"])


@case("merge_shard_count_of_5000_digits")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("s.json", json.dumps(_shard(w)).replace('"n": 3', '"n": ' + "9" * 5000))
    return Bad(["merge", p], [p, "'n'"])


@case("label_1e300_bce")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("l.csv", "s,label\n1,1\n0.5,1e300\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2", "out of range"], absent=("--ignore-index", "ce"))


@pytest.mark.parametrize("label", ["1e300", "-1e300", "9223372036854775808", "-9223372036854775809"])
def test_huge_class_index_is_out_of_range_without_a_hint(label: str, write: Writer) -> None:
    p = write("l.csv", f"a,b,label\n1,2,0\n1,2,{label}\n")
    err = assert_input_error(run("ce", "--logits", p), f"{p}:3:3", "out of range")
    assert "--ignore-index" not in err


# --- text at the edges --------------------------------------------------------------------


@case("csv_field_over_128_KiB")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("f.csv", "s,label\n1,1\n0.5," + "x" * 200_000 + "\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2", "200000 characters"])


@case("csv_quoted_field_over_128_KiB")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("f.csv", 's,label\n1,1\n"' + "7" * 200_000 + '",1\n')
    return Bad(["ce", "--logits", p], [p])


@case("dev_zero")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", "/dev/zero"], ["/dev/zero:1", "binary"])


@case("gzip_of_one_line_of_digits_over_the_line_limit")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("digits.csv.gz", gzip.compress(b"1" * (65 << 20) + b"\n", 1))
    return Bad(["bce", "--logits", p], [f"{p}:1", "64 MiB"])


@case("cr_only_bad_cell_line_number")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("cr.csv", "s,label\r0.5,1\r-1,0\rzz,1\r2,0\r")
    return Bad(["bce", "--logits", p], [f"{p}:4:1"])


# --- odd archives -------------------------------------------------------------------------


@case("npz_with_a_non_array_member")
def _(w: Writer, tmp: Path) -> Bad:
    p = _npz(tmp, {"logits.npy": _npy_bytes(np.zeros(3)), "readme.txt": b"hello"})
    return Bad(["bce", "--logits", str(p)], [str(p), "readme.txt"])


def _patched_npz(tmp: Path, patch: Callable[[bytearray, int, int], None]) -> Path:
    p = tmp / "src.npz"
    np.savez(p, logits=np.zeros(3), labels=np.ones(3))
    data = bytearray(p.read_bytes())
    for sig, off in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
        i = data.find(sig)
        while i >= 0:
            patch(data, i, off)
            i = data.find(sig, i + 4)
    out = tmp / "odd.npz"
    out.write_bytes(bytes(data))
    return out


@case("npz_encrypted_member")
def _(w: Writer, tmp: Path) -> Bad:
    def encrypt(d: bytearray, i: int, off: int) -> None:
        d[i + 6 + off] |= 1  # general-purpose flag bit 0

    p = _patched_npz(tmp, encrypt)
    return Bad(["bce", "--logits", str(p)], [str(p), "encrypted"])


@case("npz_unknown_compression_method")
def _(w: Writer, tmp: Path) -> Bad:
    def method(d: bytearray, i: int, off: int) -> None:
        d[i + 8 + off : i + 10 + off] = struct.pack("<H", 99)

    p = _patched_npz(tmp, method)
    return Bad(["bce", "--logits", str(p)], [str(p), "compression method 99"])


@case("npy_huge_declared_shape")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("h.npy", _npy_header((10**12, 1000)) + b"\0" * 64)
    y = w("y.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--labels", y], [p, "declares shape"])


@case("npy_huge_declared_shape_overflowing_int64")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("h.npy", _npy_header((2**62, 2**62)) + b"\0" * 64)
    return Bad(["bce", "--logits", p], [p, "declares shape"])


@case("npy_gz_huge_fortran_shape")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("h.npy.gz", gzip.compress(_npy_header((10**9, 3), fortran=True) + b"\0" * 64))
    return Bad(["bce", "--logits", p], [p, "GiB limit"])


@case("npy_stdin_huge_row")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", "-"], ["<stdin>", "one row"], input=_npy_header((2, 10**12)) + b"\0" * 64)


@case("npy_stdin_huge_rows_truncated")
def _(w: Writer, tmp: Path) -> Bad:
    y = w("y.csv", OK_CSV)
    return Bad(
        ["bce", "--logits", "-", "--labels", y], ["<stdin>"], input=_npy_header((10**12,)) + b"\0" * 64
    )


@case("npz_member_with_huge_declared_shape")
def _(w: Writer, tmp: Path) -> Bad:
    p = _npz(tmp, {"logits.npy": _npy_header((10**12,)) + b"\0" * 64})
    return Bad(["bce", "--logits", str(p)], [str(p), "declares shape"])


# --- bounded work and size ----------------------------------------------------------------


@case("bootstrap_1000000000")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", w("ok.csv", OK_CSV), "--ci", "--bootstrap", "1000000000"], ["10000"])


@case("json_over_2_GiB_refused_before_reading")
def _(w: Writer, tmp: Path) -> Bad:
    p = tmp / "huge.json"
    with p.open("wb") as f:
        f.truncate((2 << 30) + 1)  # sparse: no disk, and refused by its size alone
    return Bad(["bce", "--logits", str(p)], [str(p), "2 GiB"])


@case("merge_shard_over_2_GiB_refused_before_reading")
def _(w: Writer, tmp: Path) -> Bad:
    p = tmp / "huge.json"
    with p.open("wb") as f:
        f.truncate((2 << 30) + 1)
    return Bad(["merge", str(p)], [str(p), "2 GiB"])


# --- merge shards that would give a wrong number -------------------------------------------


def _shard(w: Writer, name: str = "s.json") -> dict:
    r = run("bce", "--logits", w("ok.csv", OK_CSV), "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


TAMPERED: dict[str, dict[str, object]] = {
    "weight_sum_nan": {"weight_sum": math.nan},
    "weight_sum_negative": {"weight_sum": -3.0},
    "weight_sum_null": {"weight_sum": None},
    "sum_nan": {"sum": math.nan},
    "mean_nan": {"mean": math.nan},
    "mean_infinite": {"mean": math.inf},
    "mean_null_without_nonfinite": {"mean": None},
    "per_sample_too_short": {"per_sample": [0.5]},
    "per_sample_nan": {"per_sample": [math.nan, 0.1, 0.2]},
    "per_sample_null_without_ignored": {"per_sample": [None, 0.1, 0.2]},
    "n_inconsistent": {"n": 7},
    "n_zero": {"n": 0},
    "accuracy_2": {"accuracy": 2.0},
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_merge_refuses_a_tampered_shard(name: str, write: Writer) -> None:
    good = _shard(write)
    a = write("a.json", json.dumps(good))
    bad = write("b.json", json.dumps({**good, **TAMPERED[name]}))  # NaN/Infinity as json writes them
    assert_input_error(run("merge", a, bad), bad)


@pytest.mark.parametrize("how", ["dot", "absolute", "symlink", "hardlink", "parent"])
def test_merge_refuses_one_shard_under_two_names(
    how: str, write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Path(write("a.json", json.dumps(_shard(write))))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    other = {
        "dot": "./a.json",
        "absolute": str(a),
        "parent": "sub/../a.json",
        "symlink": "link.json",
        "hardlink": "hard.json",
    }[how]
    if how == "symlink":
        os.symlink("a.json", "link.json")
    if how == "hardlink":
        os.link("a.json", "hard.json")
    assert_input_error(run("merge", "a.json", other), "same file")


def test_merge_of_two_distinct_copies_still_works(write: Writer) -> None:
    doc = _shard(write)
    a, b = write("a.json", json.dumps(doc)), write("b.json", json.dumps(doc))
    r = run("merge", a, b, "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(OK_MEAN, rel=1e-15)


# --- duplicate class names -------------------------------------------------------------------


@case("header_with_a_class_name_twice")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("d.csv", "a,a,label\n1,2,a\n0,1,a\n")
    return Bad(["ce", "--logits", p], [f"{p}:2:3", "'a'", "distinct"])


@case("classes_option_with_a_name_twice")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("d.csv", "1,2,3,a\n0,1,2,b\n")
    return Bad(["ce", "--logits", p, "--label-col", "4", "--classes", "a,a,b"], ["--classes", "'a'"])


@case("column_pick_matching_two_columns")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("d.csv", "s,y,y\n1,1,0\n")
    return Bad(["bce", "--logits", p, "--label-col", "y"], ["'y'", "not unique"])


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_round_2(name: str, write: Writer, tmp_path: Path) -> None:
    bad = CASES[name](write, tmp_path)
    err = assert_input_error(run(*bad.args, input=bad.input), *bad.fragments)
    assert len(err) < 400, err  # one readable line, whatever the field's length
    for word in bad.absent:
        assert f" {word} " not in f" {err} ".replace(",", " "), err


# --- awkward but valid ------------------------------------------------------------------------


def test_header_field_over_128_KiB_is_valid(write: Writer) -> None:
    p = write("h.csv", "s" * 200_000 + ",label\n0.5,1\n-0.25,0\n1.5,1\n")
    r = run("bce", "--logits", p, "--label-col", "label", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(OK_MEAN, rel=1e-15)


def test_cr_only_line_ends_are_valid(write: Writer) -> None:
    rows = [(i / 7 - 3, float(i % 2)) for i in range(5000)]
    text = "s,label\r" + "".join(f"{x!r},{int(y)}\r" for x, y in rows)
    r = run("bce", "--logits", write("cr.csv", text), "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(bce_mean(rows), rel=1e-12)


def test_cr_only_file_is_cut_into_blocks() -> None:
    from losscli.readers import open_source

    rows = "".join(f"{i},{i % 2}\r" for i in range(50_000))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"losscli-cr-{os.getpid()}.csv"
    path.write_text("s,label\r" + rows)
    try:
        src = open_source(str(path), block=1 << 14, first_block=1 << 14, reader="numpy")
        sizes = [len(c) for c in src.chunks]
        src.close()
    finally:
        path.unlink()
    assert sum(sizes) == 50_000
    assert len(sizes) > 10  # streamed in blocks, not one line holding the whole file


def test_json_output_with_a_weight_sum_beyond_float64_is_valid_json(write: Writer) -> None:
    p = write("w.csv", "s,label,w\n1,1,1e308\n2,0,1e308\n")
    r = run("bce", "--logits", p, "--sample-weight-col", "w", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)  # strict: no Infinity
    assert doc["weight_sum"] is None


def test_bootstrap_work_limit_names_the_rows(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    from losscli import stats

    monkeypatch.setattr(stats, "MAX_DRAWS", 100)
    r = run("bce", "--logits", write("ok.csv", OK_CSV), "--ci", "--bootstrap", "50")
    assert_input_error(r, "--bootstrap 50 on 3 rows", "lower --bootstrap to 33")


def test_stats_check_work_bounds() -> None:
    from losscli import stats
    from losscli.errors import LossInputError

    stats.check_work(stats.MAX_RESAMPLES, stats.MAX_DRAWS // stats.MAX_RESAMPLES)
    with pytest.raises(LossInputError):
        stats.check_work(stats.MAX_RESAMPLES + 1)
    with pytest.raises(LossInputError):
        stats.check_work(10, stats.MAX_DRAWS // 10 + 1)


def test_json_stream_is_refused_at_the_limit_while_it_is_read(
    write: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from losscli.readers import jsontext

    monkeypatch.setattr(jsontext, "MAX_JSON_BYTES", 1 << 16)
    doc = json.dumps({"logits": [0.5] * 40_000, "labels": [1] * 40_000}).encode()
    p = write("bomb.json.gz", gzip.compress(doc))
    assert_input_error(run("bce", "--logits", p), p, "read whole")
    assert_input_error(run("bce", "--logits", "-", input=doc), "<stdin>", "read whole")


def test_wide_csv_is_read_by_numpy_even_when_pyarrow_is_there(write: Writer) -> None:
    from losscli.readers import csv as csvreader
    from losscli.readers import open_source
    from losscli.readers.arrow_csv import available

    if not available():
        pytest.skip("pyarrow not installed")
    for k in (csvreader.ARROW_MAX_COLUMNS, csvreader.ARROW_MAX_COLUMNS + 1):
        text = ",".join(f"c{j}" for j in range(k)) + "\n" + ",".join("1" for _ in range(k)) + "\n"
        src = open_source(write(f"w{k}.csv", text), arrow_min_bytes=0)
        try:
            assert src.fast == (k <= csvreader.ARROW_MAX_COLUMNS), k
            assert sum(len(c) for c in src.chunks) == 1
        finally:
            src.close()


TRUNCATE_WHILE_MAPPED = """
import os, sys
import numpy as np
from losscli.errors import LossInputError
from losscli.readers import open_source
path = sys.argv[1]
np.save(path, np.asfortranarray(np.arange(3 * 400_000, dtype=np.float64).reshape(400_000, 3)))
src = open_source(path)
os.truncate(path, 4096)  # another process cuts the file while it is mapped
try:
    for c in src.chunks:
        pass
except LossInputError as e:
    print("LossInputError:", e)
finally:
    src.close()
"""


def test_npy_truncated_while_mapped_is_an_error_not_sigbus(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.errors.common import env

    p = subprocess.run(
        [sys.executable, "-c", TRUNCATE_WHILE_MAPPED, str(tmp_path / "f.npy")],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )
    assert p.returncode == 0, (p.returncode, p.stderr)  # -7 would be SIGBUS
    assert "LossInputError:" in p.stdout and "truncated" in p.stdout, p.stdout
