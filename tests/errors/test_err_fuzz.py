"""Hypothesis over merge shards, .npy/.npz headers, CSV text at the edges and option values.

The same contract as ``tests/test_fuzz.py`` and the same budget knob: examples per test
come from ``LOSSCLI_FUZZ_EXAMPLES`` (default 300 there; these tests take a third of it, so
CI's fixed budget stays small). Any input exits 0, or 2 with one ``Error:`` line, no
traceback and nothing on stdout; a warning escaping losscli or a file left open fails.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_input_error
from tests.errors.common import run

EXAMPLES = max(10, int(os.environ.get("LOSSCLI_FUZZ_EXAMPLES", "300")) // 3)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK_CSV = "s,label\n0.5,1\n-0.25,0\n1.5,1\n"


def assert_outcome(r: object) -> None:
    if r.exit_code == 0:  # type: ignore[attr-defined]
        assert "Traceback" not in r.stderr  # type: ignore[attr-defined]
        return
    assert_input_error(r)  # type: ignore[arg-type]


# --- merge shards ----------------------------------------------------------------------------

EDGE_NUMBERS = st.sampled_from(
    [0, -1, 1, 2, 10**19, 10**400, -(10**30), 0.0, -0.0, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf]
)
SHARD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    EDGE_NUMBERS,
    st.floats(),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.lists(st.one_of(st.none(), EDGE_NUMBERS, st.floats(-3, 3)), max_size=5),
)
SHARD_KEYS = st.sampled_from(
    [
        "n",
        "mean",
        "sum",
        "weight_sum",
        "accuracy",
        "per_sample",
        "ignored",
        "nonfinite",
        "clamped",
        "outputs",
        "signature",
        "mode",
        "loss",
        "per_class",
        "classes",
        "threshold",
    ]
)


def _good_shard(tmp_path: Path) -> dict:
    p = tmp_path / "ok.csv"
    p.write_text(OK_CSV)
    r = run("bce", "--logits", str(p), "--format", "json")
    return json.loads(r.stdout)


@FUZZ
@given(edits=st.dictionaries(SHARD_KEYS, SHARD_VALUES, min_size=1, max_size=4), drop=st.booleans())
def test_edited_merge_shards_exit_0_or_2(edits: dict, drop: bool, tmp_path: Path) -> None:
    good = _good_shard(tmp_path)
    bad = {**good, **edits}
    if drop:
        bad.pop(next(iter(edits)), None)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(good))
    b.write_text(json.dumps(bad))  # NaN and Infinity as Python's json writes them
    r = run("merge", str(a), str(b), "--format", "json")
    assert_outcome(r)
    if r.exit_code == 0:
        doc = json.loads(r.stdout)  # strict JSON out
        assert doc["n"] == good["n"] + bad["n"]
        assert doc["mean"] is None or math.isfinite(doc["mean"])


# --- .npy headers and .npz members ------------------------------------------------------------

DIMS = st.one_of(st.integers(0, 4), st.sampled_from([10**6, 10**12, 2**62, 2**63 - 1]))
DESCRS = st.sampled_from(["<f8", "<f4", ">f8", "<i8", "|u1", "|b1", "<U3", "|S2", "<c16", "<M8[s]", "|V8"])


def _npy(shape: tuple[int, ...], fortran: bool, descr: str, data: bytes) -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return b.getvalue() + data


@FUZZ
@given(
    shape=st.lists(DIMS, min_size=0, max_size=3).map(tuple),
    fortran=st.booleans(),
    descr=DESCRS,
    data=st.binary(max_size=256),
    how=st.sampled_from(["npy", "stdin", "npz", "npy.gz"]),
)
def test_npy_headers_exit_0_or_2(
    shape: tuple[int, ...], fortran: bool, descr: str, data: bytes, how: str, tmp_path: Path
) -> None:
    import gzip

    raw = _npy(shape, fortran, descr, data)
    labels = tmp_path / "y.csv"
    labels.write_text("label\n1\n0\n")
    if how == "stdin":
        r = run("bce", "--logits", "-", "--labels", str(labels), input=raw)
    else:
        p = tmp_path / f"x.{how}"
        if how == "npz":
            with zipfile.ZipFile(p, "w") as z:
                z.writestr("logits.npy", raw)
        else:
            p.write_bytes(gzip.compress(raw) if how == "npy.gz" else raw)
        r = run("bce", "--logits", str(p), "--labels", str(labels))
    assert_outcome(r)


# --- CSV text at the edges --------------------------------------------------------------------

PIECES = st.sampled_from(
    ["\r", "\n", "\r\n", ",", '"', "1", "0.5", "-2", "x" * 70_000, "9" * 500, "\x00", "label", " ", "\t", "é"]
)


@FUZZ
@given(body=st.lists(PIECES, max_size=30).map("".join), gz=st.booleans())
def test_csv_text_at_the_edges_exits_0_or_2(body: str, gz: bool, tmp_path: Path) -> None:
    import gzip

    data = ("s,label\r" + body).encode()
    p = tmp_path / ("x.csv.gz" if gz else "x.csv")
    p.write_bytes(gzip.compress(data) if gz else data)
    r = run("bce", "--logits", str(p), "-q")
    assert_outcome(r)
    if r.exit_code != 0:
        assert len(r.stderr) < 2000, r.stderr  # long fields are cut short in the message


# --- option values ----------------------------------------------------------------------------

OPTION_VALUES = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "-inf",
        "1e-320",
        "99999999999999999999999",
        "1,1",
        ",",
        "a,a",
        "label",
        "1-",
        "0-0",
        "999",
        "-",
    ]
)
OPTIONS = st.sampled_from(
    [
        "--pos-weight",
        "--weight",
        "--label-smoothing",
        "--threshold",
        "--fail-above",
        "--ignore-index",
        "--label-col",
        "--score-cols",
        "--sample-weight-col",
        "--classes",
        "--delimiter",
        "--labels",
        "--baseline",
        "-o",
        "--top",
        "--bootstrap",
        "--seed",
        "--ci",
    ]
)


@FUZZ
@given(
    command=st.sampled_from(["bce", "ce", "auto", "focal"]),
    picks=st.lists(st.tuples(OPTIONS, OPTION_VALUES), max_size=3, unique_by=lambda t: t[0]),
)
def test_option_values_exit_0_1_or_2(command: str, picks: list[tuple[str, str]], tmp_path: Path) -> None:
    p = tmp_path / "ok.csv"
    p.write_text("a,b,label\n0.5,1,1\n-0.25,2,0\n1.5,0,1\n")
    args = [command, "--logits", str(p)]
    for opt, val in picks:
        if opt == "-o" and val not in ("", " ", "-"):
            val = str(tmp_path / "out" / val.replace("/", "_"))
        args += [opt, val]
    r = run(*args)
    if r.exit_code == 1:  # --fail-above: a check failed, said on stderr
        assert any(opt == "--fail-above" for opt, _ in picks), r.stderr
        return
    assert_outcome(r)
    assert not list(tmp_path.rglob(".losscli-*.tmp"))
