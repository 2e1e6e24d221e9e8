"""Bad input and awkward-but-valid input, end to end through the CLI.

The contract (``shared/spec/cli.md``, "CI checks and exit codes"): every bad input or bad
usage exits 2 with exactly one ``Error: …`` line on stderr that names the file and, where
they apply, the 1-based line and column (``path:LINE:COL`` for CSV/TSV/JSON Lines,
``path: row R, column C`` for JSON and NumPy), prints nothing on stdout and no traceback;
an existing ``-o`` file survives a failing run byte for byte.

* :data:`BAD` is the catalogue: one case per class of bad input, each checked by
  :func:`test_bad_input`; :data:`AFTER_READ` repeats the cases that fail after reading
  started with ``-o existing.txt``.
* ``test_valid_*`` feed awkward but valid inputs and compare the mean with a closed form.
"""

from __future__ import annotations

import gc
import gzip
import json
import math
import os
import random
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from click.testing import Result

from tests.conftest import ROOT, assert_input_error
from tests.conftest import run as _run

Writer = Callable[[str, "str | bytes"], str]


class Bad(NamedTuple):
    """One bad-input case: CLI arguments, the fragments the ``Error:`` line must contain,
    optional stdin, and an optional extra check of the error line."""

    args: list[str]
    fragments: list[str]
    input: str | bytes | None = None
    check: Callable[[str], bool] | None = None


BAD: dict[str, Callable[[Writer, Path], Bad]] = {}


def case(name: str) -> Callable[[Callable[[Writer, Path], Bad]], Callable[[Writer, Path], Bad]]:
    def deco(f: Callable[[Writer, Path], Bad]) -> Callable[[Writer, Path], Bad]:
        assert name not in BAD
        BAD[name] = f
        return f

    return deco


def _open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def run(*args: str, input: str | bytes | None = None) -> Result:
    """``conftest.run`` that also fails, in the test that caused it, on a warning escaping
    losscli (pytest's ``filterwarnings=error`` would turn it into an exception) and on a file
    left open (a ResourceWarning that would otherwise hit whichever later test the garbage
    collector happens to run in)."""
    before = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        full = _run(*args, input=input)
        # drop the exception: its traceback keeps the failed run's frames (and files) alive
        r = Result(
            full.runner, full.stdout_bytes, full.stderr_bytes, full.output_bytes, None, full.exit_code, None
        )
        del full
        if before is None or _open_fds() != before:
            gc.collect()
    stray = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert not stray, stray
    return r


# ---------------------------------------------------------------------------------------
# Closed forms


def bce_logit_loss(x: float, y: float) -> float:
    """BCEWithLogitsLoss for one element, the overflow-free way."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def bce_mean(rows: list[tuple[float, float]]) -> float:
    return math.fsum(bce_logit_loss(x, y) for x, y in rows) / len(rows)


def ce_loss(row: list[float], y: int) -> float:
    m = max(row)
    return m + math.log(math.fsum(math.exp(v - m) for v in row)) - row[y]


def ce_mean(rows: list[list[float]], labels: list[int]) -> float:
    return math.fsum(ce_loss(r, y) for r, y in zip(rows, labels, strict=True)) / len(rows)


def assert_mean(r: Result, expected: float) -> None:
    assert r.exit_code == 0, (r.exit_code, r.stdout, r.stderr)
    assert "Error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    got = float(r.stdout.strip())
    assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15), (got, expected)


def has_word(word: str) -> Callable[[str], bool]:
    """The error line names ``word`` as a word (e.g. the command to use instead)."""
    return lambda err: re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", err) is not None


# ---------------------------------------------------------------------------------------
# The catalogue

OK_CSV = "s,label\n0.5,1\n-0.25,0\n1.5,1\n"


@case("missing_file")
def _(w: Writer, tmp: Path) -> Bad:
    p = str(tmp / "nope.csv")
    return Bad(["bce", "--logits", p], [p])


@case("empty_file")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("empty.csv", "")
    return Bad(["bce", "--logits", p], [p])


@case("whitespace_only_file")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("blank.csv", "\n  \n\t\n")
    return Bad(["bce", "--logits", p], [p])


@case("directory")
def _(w: Writer, tmp: Path) -> Bad:
    d = tmp / "adir.csv"
    d.mkdir()
    return Bad(["bce", "--logits", str(d)], [str(d)])


@case("header_only")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("hdr.csv", "s,label\n")
    return Bad(["bce", "--logits", p], [p])


@case("non_numeric_cell")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n-0.25,0\nabc,1\n")
    return Bad(["bce", "--logits", p], [f"{p}:4:1"])


@case("non_numeric_cell_middle_column")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "a,b,c,label\n1,2,3,0\n4,oops,6,1\n")
    return Bad(["ce", "--logits", p], [f"{p}:3:2"])


@case("non_numeric_cell_in_labels_file")
def _(w: Writer, tmp: Path) -> Bad:
    s = w("scores.csv", "s\n0.5\n0.25\n-1\n")
    y = w("labels.csv", "label\n1\n0\nmaybe\n")
    return Bad(["bce", "--logits", s, "--labels", y], [f"{y}:4:1"])


@case("non_numeric_cell_late_in_big_file")
def _(w: Writer, tmp: Path) -> Bad:
    # past the first 1 MiB block, so the error comes while rows are already computed
    rows = 150_000
    p = w("big.csv", "s,label\n" + "0.123456,1\n" * (rows - 1) + "zz,0\n")
    return Bad(["bce", "--logits", p, "--format", "csv"], [f"{p}:{rows + 1}:1"])


@case("empty_score_cell")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n,0\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:1"])


@case("empty_label_cell")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n0.2,\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2"])


@case("ragged_row_short")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("rag.csv", "s,label\n0.5,1\n0.2\n0.3,1\n")
    return Bad(["bce", "--logits", p], [f"{p}:3"])


@case("ragged_row_long")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("rag.csv", "s,label\n0.5,1\n0.3,1\n0.2,1,7\n")
    return Bad(["bce", "--logits", p], [f"{p}:4"])


for _tok in ("nan", "NaN", "inf", "-inf", "Infinity"):

    def _nonfinite(w: Writer, tmp: Path, tok: str = _tok) -> Bad:
        p = w("bad.csv", f"s,label\n0.5,1\n{tok},0\n")
        return Bad(["bce", "--logits", p], [f"{p}:3:1"])

    case(f"nonfinite_score_{_tok}")(_nonfinite)


@case("nonfinite_score_json")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", '{"logits": [0.5, NaN, 1.0], "labels": [1, 0, 1]}')
    return Bad(["bce", "--logits", p], [f"{p}: row 2"])


@case("nonfinite_score_npy")
def _(w: Writer, tmp: Path) -> Bad:
    p = str(tmp / "x.npy")
    np.save(p, np.array([[0.1, 0.2], [0.3, np.inf], [0.5, 0.6]]))
    y = w("y.csv", "label\n0\n1\n0\n")
    return Bad(["ce", "--logits", p, "--labels", y], [f"{p}: row 2, column 2"])


@case("prob_above_1")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("p.csv", "p,label\n0.5,1\n1.5,0\n")
    return Bad(["bce", "--probs", p], [f"{p}:3:1"])


@case("prob_below_0")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("p.csv", "p,label\n0.5,1\n0.25,0\n-0.1,0\n")
    return Bad(["bce", "--probs", p], [f"{p}:4:1"])


@case("ce_probs_row_not_summing_to_1")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("p.csv", "a,b,c,label\n0.2,0.3,0.5,0\n0.5,0.5,0.5,1\n")
    return Bad(["ce", "--probs", p], [f"{p}:3", "--logits"])


@case("ce_log_probs_logsumexp_not_0")
def _(w: Writer, tmp: Path) -> Bad:
    ok = ",".join(repr(math.log(v)) for v in (0.2, 0.3, 0.5))
    p = w("lp.csv", f"a,b,c,label\n{ok},0\n0,0,0,1\n")
    return Bad(["ce", "--log-probs", p], [f"{p}:3"])


@case("ce_label_out_of_range")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "a,b,label\n1,2,0\n1,2,5\n")
    return Bad(["ce", "--logits", p], [f"{p}:3:3"])


@case("ce_fractional_label")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "a,b,label\n1,2,0\n1,2,0.5\n")
    return Bad(["ce", "--logits", p], [f"{p}:3:3"])


@case("ce_unknown_class_name")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "cat,dog,label\n1,2,cat\n1,2,cow\n")
    return Bad(["ce", "--logits", p], [f"{p}:3:3", "cow"])


@case("ce_negative_label_without_ignore_index")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "a,b,label\n1,2,0\n1,2,-100\n")
    return Bad(["ce", "--logits", p], [f"{p}:3:3", "--ignore-index"])


@case("bce_label_2")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n0.2,2\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2"])


@case("bce_soft_label_1.5")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n0.2,1.5\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2"], check=has_word("1.5"))


@case("bce_soft_label_1.5_among_soft_labels")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,0.3\n0.1,0.7\n0.2,1.5\n")
    return Bad(["bce", "--logits", p], [f"{p}:4:2"])


@case("bce_negative_label")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", "s,label\n0.5,1\n0.2,-1\n0.3,0\n")
    return Bad(["bce", "--logits", p], [f"{p}:3:2"])


def _counts(a: int, b: int) -> Callable[[str], bool]:
    def check(err: str) -> bool:
        return bool(re.search(rf"\b{a}\b", err) and re.search(rf"\b{b}\b", err))

    return check


@case("row_count_mismatch")
def _(w: Writer, tmp: Path) -> Bad:
    s = w("scores.csv", "s\n" + "0.5\n" * 5)
    y = w("labels.csv", "label\n" + "1\n" * 7)
    return Bad(["bce", "--logits", s, "--labels", y], [s, y], check=_counts(5, 7))


@case("row_count_mismatch_labels_shorter")
def _(w: Writer, tmp: Path) -> Bad:
    s = w("scores.csv", "s\n" + "0.5\n" * 9)
    y = w("labels.csv", "label\n" + "1\n" * 4)
    return Bad(["bce", "--logits", s, "--labels", y], [s, y], check=_counts(9, 4))


@case("both_logits_and_probs")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--probs", p], ["--logits", "--probs"])


@case("no_score_source")
def _(w: Writer, tmp: Path) -> Bad:
    y = w("labels.csv", "label\n1\n0\n")
    return Bad(["bce", "--labels", y], ["--logits"])


@case("stdin_for_both_logits_and_labels")
def _(w: Writer, tmp: Path) -> Bad:
    check = re.compile(r"stdin|standard input", re.I).search
    return Bad(["bce", "--logits", "-", "--labels", "-"], [], input=OK_CSV, check=check)


@case("invalid_json")
def _(w: Writer, tmp: Path) -> Bad:
    text = '{"logits": [0.1, 0.2],\n "labels": [1, 0,]}\n'
    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(text)
    p = w("bad.json", text)
    return Bad(["bce", "--logits", p], [f"{p}:{e.value.lineno}:{e.value.colno}"])


@case("json_a_string")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", '"hello"')
    return Bad(["bce", "--logits", p], [p])


@case("json_a_number")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", "3.5")
    return Bad(["bce", "--logits", p], [p])


@case("json_dict_without_scores")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", '{"preds": [0.1, 0.2], "labels": [1, 0]}')
    return Bad(["bce", "--logits", p], [p])


@case("json_ragged_list_of_lists")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", '{"logits": [[0.1, 0.2], [0.3]], "labels": [0, 1]}')
    return Bad(["ce", "--logits", p], [p, "row 2"])


@case("json_ragged_rows")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", "[[0.1, 0.2, 1], [0.3, 0]]")
    return Bad(["ce", "--logits", p], [f"{p}: row 2"])


@case("json_nested_list_in_row")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.json", "[[0.1, [0.2], 1], [0.3, 0.4, 0]]")
    return Bad(["ce", "--logits", p], [f"{p}: row 1, column 2"])


@case("json_100000_nested_brackets")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("deep.json", "[" * 100_000 + "]" * 100_000)
    return Bad(["bce", "--logits", p], [p])


@case("json_100000_nested_brackets_stdin")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", "-"], ["<stdin>"], input="[" * 100_000 + "]" * 100_000)


@case("jsonl_100000_nested_brackets")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("deep.jsonl", '{"s": 0.5, "label": 1}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    return Bad(["bce", "--logits", p], [f"{p}:2"])


@case("jsonl_bad_line")
def _(w: Writer, tmp: Path) -> Bad:
    bad = '{"s": 0.2, "label": 0'
    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(bad)
    p = w("bad.jsonl", '{"s": 0.1, "label": 1}\n' + bad + '\n{"s": 0.3, "label": 1}\n')
    return Bad(["bce", "--logits", p], [f"{p}:2:{e.value.colno}"])


@case("jsonl_line_of_another_shape")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.jsonl", '{"s": 0.1, "label": 1}\n{"s": 0.3, "label": 1}\n[0.2, 0]\n')
    return Bad(["bce", "--logits", p], [f"{p}:3"])


@case("random_binary_bytes_as_csv")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("noise.csv", random.Random(20240611).randbytes(4096))
    return Bad(["bce", "--logits", p], [p])


@case("random_binary_bytes_without_nul_as_csv")
def _(w: Writer, tmp: Path) -> Bad:
    data = bytes(b or 1 for b in random.Random(7).randbytes(4096))
    p = w("noise.csv", data)
    return Bad(["bce", "--logits", p], [p])


@case("invalid_utf8_in_csv")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.csv", b"s,label\n0.5,1\n0.2,0\n0.\xff3,1\n")
    return Bad(["bce", "--logits", p], [f"{p}:4"])


@case("truncated_gzip")
def _(w: Writer, tmp: Path) -> Bad:
    data = gzip.compress(("s,label\n" + "".join(f"{i / 7:.6f},{i % 2}\n" for i in range(5000))).encode())
    p = w("trunc.csv.gz", data[: len(data) // 2])
    return Bad(["bce", "--logits", p], [p])


@case("gzip_name_not_gzip")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("plain.csv.gz", OK_CSV)
    return Bad(["bce", "--logits", p], [p])


@case("npz_without_expected_arrays")
def _(w: Writer, tmp: Path) -> Bad:
    p = str(tmp / "bad.npz")
    np.savez(p, foo=np.zeros(3), bar=np.ones(3))
    return Bad(["bce", "--logits", p], [p])


@case("zip_magic_named_npy")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("z.npy", b"PK\x03\x04")
    return Bad(["bce", "--logits", p], [p])


@case("npz_archive_named_npy")
def _(w: Writer, tmp: Path) -> Bad:
    p = str(tmp / "real.npz")
    np.savez(p, logits=np.zeros(3), labels=np.ones(3))
    q = str(tmp / "renamed.npy")
    os.replace(p, q)
    return Bad(["bce", "--logits", q], [q])


@case("npy_garbage")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bad.npy", b"\x93NUMPY\x01\x00garbage")
    return Bad(["bce", "--logits", p], [p])


@case("ce_weight_wrong_length")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ce.csv", "a,b,label\n1,2,0\n3,1,1\n")
    return Bad(["ce", "--logits", p, "--weight", "1,2,3"], ["--weight"])


@case("label_smoothing_1.5")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--label-smoothing", "1.5"], ["--label-smoothing"])


@case("fail_above_not_a_number")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--fail-above", "high"], ["--fail-above"])


@case("threshold_2")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--threshold", "2"], ["--threshold"])


@case("pos_weight_not_a_number")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    return Bad(["bce", "--logits", p, "--pos-weight", "abc"], ["--pos-weight"])


@case("output_in_missing_directory")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("ok.csv", OK_CSV)
    out = str(tmp / "no" / "such" / "dir" / "out.txt")
    return Bad(["bce", "--logits", p, "-o", out], [out])


@case("bce_with_K_scores_and_class_index_labels")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("mc.csv", "a,b,c,label\n1,2,3,2\n0,1,0,0\n")
    return Bad(["bce", "--logits", p], [p], check=has_word("ce"))


@case("ce_with_one_score_column")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("bin.csv", "s,label\n0.5,1\n0.2,0\n")
    return Bad(["ce", "--logits", p], [p], check=has_word("bce"))


@case("stdin_empty")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", "-"], ["<stdin>"], input="")


@case("stdin_bad_cell")
def _(w: Writer, tmp: Path) -> Bad:
    return Bad(["bce", "--logits", "-"], ["<stdin>:3:1"], input="s,label\n0.5,1\nx,0\n")


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input(name: str, write: Writer, tmp_path: Path) -> None:
    bad = BAD[name](write, tmp_path)
    r = run(*bad.args, input=bad.input)
    err = assert_input_error(r, *bad.fragments)
    if bad.check is not None:
        assert bad.check(err), err


# Errors that happen after reading started: the existing -o file must survive them.
AFTER_READ = [
    "non_numeric_cell",
    "non_numeric_cell_late_in_big_file",
    "non_numeric_cell_in_labels_file",
    "nonfinite_score_nan",
    "prob_above_1",
    "ce_probs_row_not_summing_to_1",
    "row_count_mismatch",
    "ce_label_out_of_range",
    "ce_unknown_class_name",
    "invalid_utf8_in_csv",
    "truncated_gzip",
]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "jsonl"])
@pytest.mark.parametrize("name", AFTER_READ)
def test_output_file_survives_a_failed_run(name: str, fmt: str, write: Writer, tmp_path: Path) -> None:
    bad = BAD[name](write, tmp_path)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "existing.txt"
    precious = b"precious\r\nbytes \x00\xff kept\n"
    out.write_bytes(precious)
    args = list(bad.args)
    if "--format" in args:
        i = args.index("--format")
        del args[i : i + 2]
    r = run(*args, "--format", fmt, "-o", str(out), input=bad.input)
    err = assert_input_error(r, *bad.fragments)
    if bad.check is not None:
        assert bad.check(err), err
    assert out.read_bytes() == precious
    assert sorted(os.listdir(outdir)) == ["existing.txt"]
    assert not list(tmp_path.rglob(".losscli-*.tmp"))


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv", "jsonl", "markdown"])
def test_nothing_partial_on_stdout(fmt: str, write: Writer, tmp_path: Path) -> None:
    bad = BAD["non_numeric_cell_late_in_big_file"](write, tmp_path)
    r = run(*bad.args[:3], "--format", fmt, input=bad.input)
    assert_input_error(r, *bad.fragments)


def test_output_file_in_missing_directory_leaves_nothing(write: Writer, tmp_path: Path) -> None:
    bad = BAD["output_in_missing_directory"](write, tmp_path)
    assert_input_error(run(*bad.args), *bad.fragments)
    assert not (tmp_path / "no").exists()
    assert not list(tmp_path.rglob(".losscli-*.tmp"))


# ---------------------------------------------------------------------------------------
# Never unpickled


class _Payload:
    """Unpickling this object opens (creates) ``marker``: the proof that a pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("how", ["npy", "npy.gz", "npz", "stdin"])
def test_object_npy_is_never_unpickled(how: str, write: Writer, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    arr = np.empty(2, dtype=object)
    arr[0], arr[1] = _Payload(str(marker)), 1.0
    npy = tmp_path / "evil_src.npy"
    np.save(npy, arr, allow_pickle=True)
    data = npy.read_bytes()
    labels = write("y.csv", "label\n1\n0\n")
    stdin = None
    if how == "npy":
        path = str(npy)
    elif how == "npy.gz":
        path = write("evil.npy.gz", gzip.compress(data))
    elif how == "npz":
        path = str(tmp_path / "evil.npz")
        np.savez(path, logits=arr)
    else:
        path, stdin = "-", data
    r = run("bce", "--logits", path, "--labels", labels, input=stdin)
    assert_input_error(r, "<stdin>" if path == "-" else path)
    assert not marker.exists(), "losscli unpickled the array"
    # control: the payload is live, so the check above means something
    loaded = np.load(npy, allow_pickle=True)
    loaded[0].close()
    assert marker.exists()


# ---------------------------------------------------------------------------------------
# Through a real interpreter: no traceback, exit 2


def _python_m(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "losscli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def _assert_process_error(p: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    assert "Traceback" not in p.stderr, p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, p.stderr
    for f in fragments:
        assert f in errors[0], (f, errors[0])


def test_python_m_bad_cell_no_traceback(write: Writer) -> None:
    p = write("bad.csv", "s,label\n0.5,1\n-0.25,0\nabc,1\n")
    _assert_process_error(_python_m("bce", "--logits", p), f"{p}:4:1")


def test_python_m_empty_stdin(write: Writer) -> None:
    _assert_process_error(_python_m("bce", "--logits", "-", input=""), "<stdin>")


def test_python_m_closed_stdin() -> None:
    # fd 0 closed altogether (`0<&-`): sys.stdin is None in the child
    p = subprocess.run(
        ["sh", "-c", 'exec "$0" -m losscli bce --logits - 0<&-', sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _assert_process_error(p, "<stdin>")


# ---------------------------------------------------------------------------------------
# Awkward but valid

ROWS = [(0.5, 1.0), (-1.25, 0.0), (2.0, 1.0), (0.0, 0.0)]
ROWS_MEAN = bce_mean(ROWS)


def _csv(rows: list[tuple[float, float]] = ROWS, sep: str = ",", eol: str = "\n") -> str:
    return eol.join([f"s{sep}label", *(f"{x!r}{sep}{int(y)}" for x, y in rows)]) + eol


AWKWARD: dict[str, str | bytes] = {
    "bom.csv": b"\xef\xbb\xbf" + _csv().encode(),
    "crlf.csv": _csv(eol="\r\n"),
    "no_final_newline.csv": _csv().rstrip("\n"),
    "crlf_no_final_newline.csv": _csv(eol="\r\n").rstrip("\r\n"),
    "trailing_blank_lines.csv": _csv() + "\n\n  \n\n",
    "leading_blank_lines.csv": "\n\n" + _csv(),
    "spaces.csv": "  s ,  label \n" + "".join(f"  {x!r} ,\t{int(y)}  \n" for x, y in ROWS),
    "tabs.tsv": _csv(sep="\t"),
    "data.txt": _csv(),
    "bom_crlf.csv": b"\xef\xbb\xbf" + _csv(eol="\r\n").encode(),
    "quoted.csv": '"s","label"\n' + "".join(f'"{x!r}","{int(y)}"\n' for x, y in ROWS),
}


@pytest.mark.parametrize("name", list(AWKWARD))
def test_valid_awkward_csv(name: str, write: Writer) -> None:
    assert_mean(run("bce", "--logits", write(name, AWKWARD[name]), "-q"), ROWS_MEAN)


def test_valid_true_false_labels_any_case(write: Writer) -> None:
    text = "s,label\n0.5,TRUE\n-1.25,false\n2.0,True\n0.0,fAlSe\n"
    assert_mean(run("bce", "--logits", write("tf.csv", text), "-q"), ROWS_MEAN)


def test_valid_true_false_labels_without_header(write: Writer) -> None:
    text = "0.5,TRUE\n-1.25,false\n2.0,True\n0.0,fAlSe\n"
    r = run("bce", "--logits", write("tf.csv", text), "--label-col", "2", "-q")
    assert_mean(r, ROWS_MEAN)


@pytest.mark.parametrize(
    "name, text",
    [
        ("one.csv", "s,label\n0.5,true"),
        ("one.tsv", "s\tlabel\n0.5\tTRUE"),
        ("one_crlf.csv", "s,label\r\n0.5,True"),
    ],
    ids=["csv", "tsv", "csv-crlf"],
)
def test_valid_true_false_single_row_without_final_newline(name: str, text: str, write: Writer) -> None:
    assert_mean(run("bce", "--logits", write(name, text), "-q"), bce_mean([(0.5, 1.0)]))


def test_valid_true_false_labels_with_trailing_blank_line(write: Writer) -> None:
    # no stray (NumPy) warning may reach stderr either: `run` fails on any warning
    text = "s,label\n0.5,TRUE\n-1.25,false\n2.0,True\n0.0,fAlSe\n\n"
    assert_mean(run("bce", "--logits", write("tf.csv", text), "-q"), ROWS_MEAN)


def test_valid_true_false_labels_with_blank_line_python_m(write: Writer) -> None:
    text = "s,label\n0.5,TRUE\n-1.25,false\n\n2.0,True\n0.0,fAlSe\n"
    p = _python_m("bce", "--logits", write("tf.csv", text), "-q")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert math.isclose(float(p.stdout), ROWS_MEAN, rel_tol=1e-12)


def test_valid_class_names_single_row_without_final_newline(write: Writer) -> None:
    r = run("ce", "--logits", write("cn.csv", "cat,dog,label\n1.5,-0.5,dog"), "-q")
    assert_mean(r, ce_mean([[1.5, -0.5]], [1]))


def test_valid_number_notations(write: Writer) -> None:
    text = "s,label\n1e-3,1\n+3,0\n-.5,1\n2.,0\n1E+2,1\n"
    rows = [(1e-3, 1.0), (3.0, 0.0), (-0.5, 1.0), (2.0, 0.0), (100.0, 1.0)]
    assert_mean(run("bce", "--logits", write("n.csv", text), "-q"), bce_mean(rows))


def test_valid_single_row(write: Writer) -> None:
    assert_mean(run("bce", "--logits", write("one.csv", "s,label\n0.7,1\n"), "-q"), bce_mean([(0.7, 1.0)]))


def test_valid_single_row_no_newline_json(write: Writer) -> None:
    r = run("bce", "--logits", write("one.json", '{"logits": [0.7], "labels": [1]}'), "-q")
    assert_mean(r, bce_mean([(0.7, 1.0)]))


def _wide(n: int, k: int, seed: int) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(seed)
    rows = [[rng.uniform(-5, 5) for _ in range(k)] for _ in range(n)]
    return rows, [rng.randrange(k) for _ in range(n)]


def test_valid_10000_columns_npy(tmp_path: Path) -> None:
    rows, labels = _wide(4, 10_000, 1)
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, np.array(rows))
    np.save(y, np.array(labels, dtype=np.int64))
    assert_mean(run("ce", "--logits", str(x), "--labels", str(y), "-q"), ce_mean(rows, labels))


def test_valid_10000_columns_csv(write: Writer) -> None:
    rows, labels = _wide(3, 10_000, 2)
    k = len(rows[0])
    text = ",".join([*(f"c{j}" for j in range(k)), "label"]) + "\n"
    text += "".join(",".join([*map(repr, r), str(y)]) + "\n" for r, y in zip(rows, labels, strict=True))
    assert_mean(run("ce", "--logits", write("wide.csv", text), "-q"), ce_mean(rows, labels))


def test_valid_line_longer_than_a_read_block(write: Writer) -> None:
    # each line is over 1 MiB, the size of the first block read to detect the header
    rows, labels = _wide(3, 60_000, 3)
    text = "".join(",".join([*map(repr, r), str(y)]) + "\n" for r, y in zip(rows, labels, strict=True))
    assert len(text) // 3 > 1 << 20
    p = write("long.csv", text)
    r = run("ce", "--logits", p, "--label-col", str(len(rows[0]) + 1), "-q")
    assert_mean(r, ce_mean(rows, labels))


@pytest.mark.parametrize("name", ["preds.csv.gz", "preds.gz"])
def test_valid_gzip_csv(name: str, write: Writer) -> None:
    assert_mean(run("bce", "--logits", write(name, gzip.compress(_csv().encode())), "-q"), ROWS_MEAN)


def test_valid_gzip_json(write: Writer) -> None:
    doc = {"logits": [x for x, _ in ROWS], "labels": [int(y) for _, y in ROWS]}
    p = write("preds.json.gz", gzip.compress(json.dumps(doc).encode()))
    assert_mean(run("bce", "--logits", p, "-q"), ROWS_MEAN)


@pytest.mark.parametrize(
    "text",
    [
        _csv(),
        _csv(sep="\t"),
        _csv(eol="\r\n"),
        json.dumps({"logits": [x for x, _ in ROWS], "labels": [int(y) for _, y in ROWS]}),
        json.dumps([{"s": x, "label": int(y)} for x, y in ROWS]),
        "\n".join(json.dumps({"s": x, "label": int(y)}) for x, y in ROWS) + "\n",
        json.dumps({"s": 0.5, "label": 1}) + "\n",
        "\ufeff" + json.dumps({"logits": [x for x, _ in ROWS], "labels": [int(y) for _, y in ROWS]}),
    ],
    ids=["csv", "tsv", "csv-crlf", "json-object", "json-records", "jsonl", "jsonl-one-line", "json-bom"],
)
def test_valid_stdin_sniffed(text: str) -> None:
    expected = bce_mean([(0.5, 1.0)]) if text.count("\n") == 1 and text.startswith("{") else ROWS_MEAN
    assert_mean(run("bce", "--logits", "-", "-q", input=text), expected)


def test_valid_stdin_gzip() -> None:
    assert_mean(run("bce", "--logits", "-", "-q", input=gzip.compress(_csv().encode())), ROWS_MEAN)


def test_valid_jsonl_with_blank_lines_and_crlf(write: Writer) -> None:
    text = "\r\n".join(json.dumps({"s": x, "label": int(y)}) for x, y in ROWS) + "\r\n\r\n"
    assert_mean(run("bce", "--logits", write("p.jsonl", text), "-q"), ROWS_MEAN)


def test_valid_python_m_stdin() -> None:
    p = _python_m("bce", "--logits", "-", "-q", input=_csv())
    assert p.returncode == 0, p.stderr
    assert math.isclose(float(p.stdout), ROWS_MEAN, rel_tol=1e-12)


def test_option_errors_come_before_file_errors(tmp_path) -> None:
    """Data-free checks run before any file is opened: the bad value is what is reported."""
    missing = str(tmp_path / "missing.csv")
    assert_input_error(run("focal", "--logits", missing, "--gamma", "-1"), "--gamma must be >= 0")
    assert_input_error(run("bce", "--logits", missing, "--label-smoothing", "2"), "--label-smoothing")


def test_delimiter_is_checked_for_every_format(write) -> None:
    path = write("x.json", '{"logits": [0.5], "labels": [1]}')
    assert_input_error(
        run("bce", "--logits", path, "--delimiter", "xyz"), "--delimiter must be one character"
    )


# ---------------------------------------------------------------------------------------
# 0.2 input formats: Parquet and Arrow, globs, compression (same contract as BAD)

BAD_02: dict[str, Callable[[Writer, Path], Bad]] = {}


def case_02(name: str) -> Callable[[Callable[[Writer, Path], Bad]], Callable[[Writer, Path], Bad]]:
    def deco(f: Callable[[Writer, Path], Bad]) -> Callable[[Writer, Path], Bad]:
        assert name not in BAD and name not in BAD_02
        BAD_02[name] = f
        return f

    return deco


def _parquet(tmp: Path, name: str, **columns: object) -> str:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet

    path = str(tmp / name)
    pyarrow.parquet.write_table(pa.table(columns), path)
    return path


@case_02("parquet_from_stdin")
def _(w: Writer, tmp: Path) -> Bad:
    data = Path(_parquet(tmp, "p.parquet", s=[0.5, -1.0], label=[1, 0])).read_bytes()
    return Bad(["bce", "--logits", "-"], ["<stdin>", "Parquet", "instead of -"], input=data)


@case_02("parquet_ragged_list_column")
def _(w: Writer, tmp: Path) -> Bad:
    p = _parquet(tmp, "p.parquet", logits=[[0.5, 1.0], [1.0]], label=[1, 0])
    return Bad(["ce", "--logits", p], [f"{p}: row 2, field 'logits'", "expected 2"])


@case_02("parquet_null_score")
def _(w: Writer, tmp: Path) -> Bad:
    p = _parquet(tmp, "p.parquet", s=[0.5, None, 1.0], label=[1, 0, 1])
    return Bad(["bce", "--logits", p], [f"{p}: row 2, field 's'", "null"])


@case_02("parquet_truncated")
def _(w: Writer, tmp: Path) -> Bad:
    data = Path(_parquet(tmp, "full.parquet", s=[0.5, -1.0], label=[1, 0])).read_bytes()
    p = w("cut.parquet", data[: len(data) // 2])
    return Bad(["bce", "--logits", p], [p, "not a valid Parquet file"])


@case_02("glob_without_match")
def _(w: Writer, tmp: Path) -> Bad:
    pattern = str(tmp / "preds-*.csv")
    return Bad(["bce", "--logits", pattern], [pattern, "no file matches"])


@case_02("glob_shards_disagree_on_columns")
def _(w: Writer, tmp: Path) -> Bad:
    w("part-1.csv", "s,label\n0.5,1\n")
    q = w("part-2.csv", "logit,label\n0.5,1\n")
    return Bad(["bce", "--logits", str(tmp / "part-*.csv")], [q, "differ"])


@case_02("glob_bad_cell_in_second_file")
def _(w: Writer, tmp: Path) -> Bad:
    w("part-1.csv", "s,label\n0.5,1\n0.1,0\n")
    q = w("part-2.csv", "s,label\n0.5,1\n0.2,1\nx,0\n")
    return Bad(["bce", "--logits", str(tmp / "part-*.csv")], [f"{q}:4:1"])


@case_02("glob_nonfinite_score_in_second_npy")
def _(w: Writer, tmp: Path) -> Bad:
    np.save(tmp / "s-1.npy", np.zeros(3))
    np.save(tmp / "s-2.npy", np.array([0.0, np.inf]))
    y = w("y.csv", "label\n0\n1\n0\n1\n0\n")
    return Bad(["bce", "--logits", str(tmp / "s-*.npy"), "--labels", y], [f"{tmp / 's-2.npy'}: row 2"])


@case_02("xz_truncated")
def _(w: Writer, tmp: Path) -> Bad:
    import lzma

    data = lzma.compress(("s,label\n" + "0.25,1\n" * 5000).encode())
    p = w("p.csv.xz", data[: len(data) // 2])
    return Bad(["bce", "--logits", p], [p, "corrupt or truncated xz data"])


@case_02("bz2_name_on_plain_text")
def _(w: Writer, tmp: Path) -> Bad:
    p = w("p.csv.bz2", "s,label\n0.5,1\n")
    return Bad(["bce", "--logits", p], [p, "not bzip2 data (the name ends in .bz2)"])


@case_02("parquet_named_csv")
def _(w: Writer, tmp: Path) -> Bad:
    data = Path(_parquet(tmp, "p.parquet", s=[0.5, -1.0], label=[1, 0])).read_bytes()
    p = w("p.csv", data)
    return Bad(["bce", "--logits", p], [f"{p}: holds Parquet data, not text; name the file .parquet"])


@pytest.mark.parametrize("name", list(BAD_02))
def test_bad_input_02(name: str, write: Writer, tmp_path: Path) -> None:
    bad = BAD_02[name](write, tmp_path)
    r = run(*bad.args, input=bad.input)
    err = assert_input_error(r, *bad.fragments)
    if bad.check is not None:
        assert bad.check(err), err
