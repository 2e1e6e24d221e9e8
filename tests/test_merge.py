"""``losscli merge``: shard results of one data set combine into the result of the whole, and
parts that cannot be merged are refused.

Expected values come from relations between two losscli runs (merging shards equals the whole
file), with the whole checked against closed-form losses in plain Python (``ref_bce``,
``ref_ce``). No losscli output is hard-coded.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_input_error, run, run_json


def ref_bce(x: float, y: float) -> float:
    """BCEWithLogits per element: max(x, 0) - x·y + log1p(exp(-|x|))."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def ref_ce(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(math.fsum(math.exp(v - m) for v in row)) - row[t]


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _binary_file(write, name: str, xs: list[float], ys: list[int]) -> str:
    return write(name, "x,label\n" + "".join(f"{x!r},{y}\n" for x, y in zip(xs, ys, strict=True)))


def _data(n: int, seed: int, sharp: float = 1.0) -> tuple[list[float], list[int]]:
    rng = np.random.default_rng(seed)
    ys = [int(v) for v in rng.integers(0, 2, n)]
    xs = [float(sharp * (2 * y - 1) + rng.normal(0.0, 1.5)) for y in ys]
    return xs, ys


# ---------------------------------------------------------------------------------------
# Shards combine into the whole


CLASSES = ["cat", "dog", "bird"]


@st.composite
def merge_case(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(["binary", "multiclass"]))
    n = draw(st.integers(2, 30))
    weighted = draw(st.booleans())
    ignore = kind == "multiclass" and draw(st.booleans())
    per_class = draw(st.booleans())
    val = st.floats(-8.0, 8.0, allow_nan=False)
    rows = []
    for _ in range(n):
        w = draw(st.floats(0.1, 3.0)) if weighted else None
        if kind == "binary":
            rows.append(([draw(val)], draw(st.integers(0, 1)), w))
        else:
            t = draw(st.integers(0, 2))
            if ignore and draw(st.integers(0, 3)) == 0:
                t = -100
            rows.append(([draw(val) for _ in range(3)], t, w))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=min(3, n - 1))))
    bounds = [0, *cuts, n]
    parts = [rows[a:b] for a, b in itertools.pairwise(bounds)]
    if ignore:
        assume(all(any(t != -100 for _, t, _ in part) for part in parts))
    return {
        "kind": kind,
        "weighted": weighted,
        "ignore": ignore,
        "per_class": per_class,
        "rows": rows,
        "parts": parts,
    }


def _shard_csv(kind: str, weighted: bool, rows: list) -> str:
    head = (["x"] if kind == "binary" else list(CLASSES)) + ["label"] + (["w"] if weighted else [])
    out = [",".join(head)]
    for xs, t, w in rows:
        fields = [repr(v) for v in xs] + [str(t)] + ([repr(w)] if weighted else [])
        out.append(",".join(fields))
    return "\n".join(out) + "\n"


def _args(case: dict[str, object], path: str) -> list[str]:
    args = ["bce" if case["kind"] == "binary" else "ce", "--logits", path]
    if case["weighted"]:
        args += ["--sample-weight-col", "w"]
    if case["ignore"]:
        args += ["--ignore-index", "-100"]
    if case["per_class"]:
        args.append("--per-class")
    return args


def _same_samples(a: list, b: list) -> None:
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        assert (u is None) == (v is None), (a, b)
        if u is not None:
            assert close(u, v, 1e-13), (u, v)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=merge_case())
def test_merged_shards_equal_the_whole_file(case: dict[str, object]) -> None:
    kind, weighted = str(case["kind"]), bool(case["weighted"])
    with tempfile.TemporaryDirectory() as d:
        whole_path = os.path.join(d, "whole.csv")
        with open(whole_path, "w") as f:
            f.write(_shard_csv(kind, weighted, case["rows"]))  # type: ignore[arg-type]
        whole = run_json(*_args(case, whole_path))
        part_jsons = []
        for i, part in enumerate(case["parts"]):  # type: ignore[arg-type]
            sp = os.path.join(d, f"part{i}.csv")
            with open(sp, "w") as f:
                f.write(_shard_csv(kind, weighted, part))
            doc = run_json(*_args(case, sp))
            jp = os.path.join(d, f"part{i}.json")
            with open(jp, "w") as f:
                json.dump(doc, f)
            part_jsons.append(jp)
        merged = run_json("merge", *part_jsons)
        quiet = run("merge", *part_jsons, "-q")
    assert merged["n"] == whole["n"]
    for key in ("mean", "sum", "weight_sum"):
        assert close(merged[key], whole[key], 1e-12), (key, merged[key], whole[key])
    assert close(merged["accuracy"], whole["accuracy"], 1e-12, 1e-15)
    assert merged["loss"] == whole["loss"] and merged["mode"] == whole["mode"]
    assert merged["signature"] == whole["signature"]
    _same_samples(merged["per_sample"], whole["per_sample"])
    if case["per_class"]:
        assert len(merged["per_class"]) == len(whole["per_class"])
        for m, w in zip(merged["per_class"], whole["per_class"], strict=True):
            assert m["class"] == w["class"] and m["n"] == w["n"]
            assert (m["mean"] is None) == (w["mean"] is None)
            if w["mean"] is not None:
                assert close(m["mean"], w["mean"], 1e-12)
    # and the whole agrees with the plain-Python reference
    rows = case["rows"]
    terms = []
    for xs, t, w in rows:  # type: ignore[attr-defined]
        if t == -100:
            continue
        loss = ref_bce(xs[0], t) if kind == "binary" else ref_ce(xs, t)
        terms.append((w if weighted else 1.0, loss))
    ref = math.fsum(w * v for w, v in terms) / math.fsum(w for w, _ in terms)
    assert close(whole["mean"], ref, 1e-9, 1e-14)
    # merge -q: the bare mean on one line
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stdout.count("\n") == 1
    assert close(float(quiet.stdout), whole["mean"], 1e-12)


def test_merge_keeps_alpha_off_and_the_signature(write, tmp_path: Path) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n2.0,0\n")
    parts = []
    for i in range(2):
        out = tmp_path / f"f{i}.json"
        assert (
            run("focal", "--logits", path, "--alpha", "-1", "--format", "json", "-o", str(out)).exit_code == 0
        )
        parts.append(str(out))
    merged = run_json("merge", *parts)
    assert merged["alpha"] is None
    assert merged["signature"] == json.loads(Path(parts[0]).read_text())["signature"]


# ---------------------------------------------------------------------------------------
# Refusals and gates


def _two_parts(write, *extra_b: str) -> tuple[str, str, dict]:
    xs, ys = _data(10, 8)
    a = _binary_file(write, "a.csv", xs[:6], ys[:6])
    b = _binary_file(write, "b.csv", xs[6:], ys[6:])
    ja = write("a.json", json.dumps(run_json("bce", "--logits", a)))
    jb = write("b.json", json.dumps(run_json("bce", "--logits", b, *extra_b)))
    ref = math.fsum(ref_bce(x, y) for x, y in zip(xs, ys, strict=True)) / len(xs)
    return ja, jb, {"mean": ref}


def test_merge_refuses_different_options(write) -> None:
    ja, jb, _ = _two_parts(write, "--convention", "keras")
    line = assert_input_error(run("merge", ja, jb, "--format", "json"), "convention")
    assert "a.json" in line or "b.json" in line


def test_merge_refuses_non_losscli_json(write) -> None:
    ja, _, _ = _two_parts(write)
    other = write("other.json", json.dumps({"accuracy": 0.9, "epochs": 3}))
    assert_input_error(run("merge", ja, other), "other.json")
    lst = write("list.json", "[1, 2, 3]")
    assert_input_error(run("merge", lst, ja), "list.json")


@pytest.mark.parametrize("field, value", [("outputs", "x"), ("clamped", "lots"), ("mean", "high")])
def test_merge_refuses_a_part_with_a_malformed_field(write, tmp_path: Path, field: str, value: str) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    out = tmp_path / "a.json"
    run("bce", "--logits", path, "--format", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    doc[field] = value
    bad = write("bad.json", json.dumps(doc))
    assert_input_error(run("merge", str(out), bad), "bad.json", field)


def test_merge_refuses_a_shard_named_twice(write, tmp_path: Path) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    out = tmp_path / "a.json"
    run("bce", "--logits", path, "--format", "json", "-o", str(out))
    assert_input_error(run("merge", str(out), str(out)), "named twice")


def test_merge_quiet_prints_the_mean_and_fail_above_gates(write) -> None:
    ja, jb, ref = _two_parts(write)
    q = run("merge", ja, jb, "-q")
    assert q.exit_code == 0, q.stderr
    assert q.stdout.strip() == q.stdout.rstrip("\n") and "\n" not in q.stdout.rstrip("\n")
    assert float(q.stdout) == pytest.approx(ref["mean"], rel=1e-12)
    fail = run("merge", ja, jb, "--fail-above", repr(ref["mean"] * 0.5), "--format", "json")
    assert fail.exit_code == 1, fail.stderr
    assert json.loads(fail.stdout)["mean"] == pytest.approx(ref["mean"], rel=1e-12)
    assert "fail-above" in fail.stderr
    ok = run("merge", ja, jb, "--fail-above", repr(ref["mean"] * 2.0), "-q")
    assert ok.exit_code == 0, ok.stderr
