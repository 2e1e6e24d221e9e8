"""Bootstrap intervals (``losscli.stats`` and ``--ci``), the ``--baseline`` comparison, the CI
gates and their exit codes, and the Markdown summary that shows an interval and a verdict.

Expected values come from statistics written here (the mean and variance of a bootstrap sum,
Σa/Σb) or from closed-form losses in plain Python (``ref_bce``). No losscli output is
hard-coded. Merging shards lives in test_merge.py.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from losscli import stats
from tests.conftest import assert_input_error, run, run_json


def ref_bce(x: float, y: float) -> float:
    """BCEWithLogits per element: max(x, 0) - x·y + log1p(exp(-|x|))."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


# ---------------------------------------------------------------------------------------
# losscli.stats: bootstrap_ratio and resampled_sums


def _losses(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).exponential(0.7, size=n)


def test_same_seed_gives_the_same_interval() -> None:
    a = _losses(300, 1)
    i1 = stats.bootstrap_ratio(a, None, resamples=500, seed=42)
    i2 = stats.bootstrap_ratio(a, None, resamples=500, seed=42)
    assert (i1.low, i1.high) == (i2.low, i2.high)
    assert (i1.level, i1.resamples, i1.seed) == (stats.DEFAULT_LEVEL, 500, 42)


def test_different_seeds_give_different_intervals() -> None:
    a = _losses(300, 1)
    i1 = stats.bootstrap_ratio(a, None, resamples=500, seed=1)
    i2 = stats.bootstrap_ratio(a, None, resamples=500, seed=2)
    assert (i1.low, i1.high) != (i2.low, i2.high)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_interval_contains_the_mean(seed: int) -> None:
    a = _losses(500, 10 + seed)
    iv = stats.bootstrap_ratio(a, None, seed=seed)
    assert iv.low < float(np.mean(a)) < iv.high


def test_interval_narrows_with_n() -> None:
    small = stats.bootstrap_ratio(_losses(100, 5), None, resamples=1000, seed=3)
    big = stats.bootstrap_ratio(_losses(10_000, 5), None, resamples=1000, seed=3)
    # the width shrinks like 1/sqrt(n): expected ratio 10; demand a clear factor of 4
    assert (big.high - big.low) < (small.high - small.low) / 4
    assert big.high > big.low


def test_higher_level_is_wider() -> None:
    a = _losses(400, 8)
    narrow = stats.bootstrap_ratio(a, None, level=0.5, seed=1)
    wide = stats.bootstrap_ratio(a, None, level=0.99, seed=1)
    assert wide.low < narrow.low < narrow.high < wide.high


@pytest.mark.parametrize("value", [0.5, 0.7, 3.0])
def test_constant_loss_gives_a_zero_width_interval(value: float) -> None:
    a = np.full(200, value)
    iv = stats.bootstrap_ratio(a, None, resamples=300, seed=9)
    assert iv.low == pytest.approx(value, rel=1e-12)
    assert iv.high == pytest.approx(value, rel=1e-12)
    assert iv.high - iv.low <= 4 * math.ulp(value)


def test_weighted_ratio_contains_point_estimate() -> None:
    rng = np.random.default_rng(4)
    loss = rng.exponential(1.0, 400)
    w = rng.uniform(0.1, 3.0, 400)
    a, b = w * loss, w
    iv = stats.bootstrap_ratio(a, b, seed=5)
    point = math.fsum(a) / math.fsum(b)
    assert iv.low < point < iv.high


def test_unit_weights_equal_plain_mean() -> None:
    # Σa/Σ1 over a resample is Σa/n: the same draws, so the same interval
    a = _losses(250, 6)
    plain = stats.bootstrap_ratio(a, None, resamples=400, seed=11)
    ones = stats.bootstrap_ratio(a, np.ones(250), resamples=400, seed=11)
    assert ones.low == pytest.approx(plain.low, rel=1e-12)
    assert ones.high == pytest.approx(plain.high, rel=1e-12)


def test_resampled_sums_are_paired() -> None:
    # several arrays share the draws (the paired bootstrap of --baseline relies on it)
    a = _losses(100, 2)
    s1, s2 = stats.resampled_sums([a, 2.0 * a], 200, seed=4)
    np.testing.assert_array_equal(s2, 2.0 * s1)


def _check_moments(sums: np.ndarray, values: np.ndarray) -> None:
    """A bootstrap sum of n draws with replacement has mean n·μ and variance n·σ²."""
    n, r = len(values), len(sums)
    mu, var = float(np.mean(values)), float(np.var(values))
    se = math.sqrt(n * var / r)
    assert abs(float(np.mean(sums)) - n * mu) < 4 * se, (np.mean(sums), n * mu, se)
    assert float(np.var(sums)) == pytest.approx(n * var, rel=0.15)


def test_resampled_sums_have_the_bootstrap_mean_and_variance() -> None:
    values = np.array([0.5, 1.0, 3.0, 7.0, 2.0, 0.0, 4.5])
    (sums,) = stats.resampled_sums([values], 20_000, seed=123)
    assert sums.shape == (20_000,)
    _check_moments(sums, values)
    # every resample sums n of the given values: min·n ≤ sum ≤ max·n
    assert sums.min() >= 0.0 and sums.max() <= 7.0 * len(values)


def test_resampled_sums_draw_evenly_across_blocks() -> None:
    # more rows than one internal block: the rows of each block are drawn in the right
    # proportion (indicator of the first block) and uniformly within a block (indicator of
    # a few rows at the very end)
    n = 2 * stats.BLOCK_ROWS + 500
    first = np.zeros(n)
    first[: stats.BLOCK_ROWS] = 1.0
    tail = np.zeros(n)
    tail[-50:] = 1.0
    s_first, s_tail = stats.resampled_sums([first, tail], 800, seed=7)
    _check_moments(s_first, first)
    _check_moments(s_tail, tail)


# ---------------------------------------------------------------------------------------
# CLI: --ci


def _binary_file(write, name: str, xs: list[float], ys: list[int]) -> str:
    return write(name, "x,label\n" + "".join(f"{x!r},{y}\n" for x, y in zip(xs, ys, strict=True)))


def _data(n: int, seed: int, sharp: float = 1.0) -> tuple[list[float], list[int]]:
    rng = np.random.default_rng(seed)
    ys = [int(v) for v in rng.integers(0, 2, n)]
    xs = [float(sharp * (2 * y - 1) + rng.normal(0.0, 1.5)) for y in ys]
    return xs, ys


def test_ci_is_reproducible_contains_the_mean_and_is_in_the_signature(write) -> None:
    xs, ys = _data(120, 1)
    p = _binary_file(write, "s.csv", xs, ys)
    d1 = run_json("bce", "--logits", p, "--ci")
    d2 = run_json("bce", "--logits", p, "--ci")
    ref = math.fsum(ref_bce(x, y) for x, y in zip(xs, ys, strict=True)) / len(xs)
    assert d1["mean"] == pytest.approx(ref, rel=1e-12)
    low, high = d1["ci"]
    assert low <= d1["mean"] <= high and low < high
    assert d1["ci"] == d2["ci"] and d1["signature"] == d2["signature"]
    sig = d1["signature"]
    for part in ("ci:", "bootstrap:", "seed:"):
        assert part in sig, sig
    d3 = run_json("bce", "--logits", p, "--ci", "--seed", "7")
    assert "seed:7" in d3["signature"] and d3["signature"] != sig
    assert d3["mean"] == d1["mean"]
    assert d3["ci"] != d1["ci"]
    d4 = run_json("bce", "--logits", p, "--ci", "0.5", "--bootstrap", "300")
    assert "bootstrap:300" in d4["signature"]
    assert d1["ci"][0] <= d4["ci"][0] <= d4["ci"][1] <= d1["ci"][1]


@pytest.mark.parametrize("bad", ["0", "-1"])
def test_bootstrap_count_must_be_positive(write, bad: str) -> None:
    p = _binary_file(write, "s.csv", [0.5, -1.0], [1, 0])
    assert_input_error(
        run("bce", "--logits", p, "--ci", "--bootstrap", bad, "--format", "json"), "--bootstrap"
    )


def test_infinite_mean_refuses_ci_and_is_null_in_json(write) -> None:
    path = write("p.csv", "a,b,label\n0.0,1.0,0\n0.3,0.7,1\n")
    assert_input_error(run("ce", "--probs", path, "--format", "json", "--ci"), "p.csv", "infinite")
    r = run("ce", "--probs", path, "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["mean"] is None and out["nonfinite"] == 1 and out["per_sample"][0] is None
    assert "1 loss is infinite" in r.stderr and "p.csv" in r.stderr


# ---------------------------------------------------------------------------------------
# CLI: --baseline and --fail-if-worse


def test_identical_baseline_gives_a_zero_delta(write) -> None:
    xs, ys = _data(80, 2)
    p = _binary_file(write, "new.csv", xs, ys)
    b = _binary_file(write, "old.csv", xs, ys)
    r = run("bce", "--logits", p, "--baseline", b, "--fail-if-worse", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["baseline"]["delta"] == 0.0
    assert doc["baseline"]["delta_ci"] == [0.0, 0.0]
    assert doc["baseline"]["mean"] == doc["mean"]


def test_worse_than_baseline_fails_with_fail_if_worse(write) -> None:
    xs, ys = _data(200, 3, sharp=2.0)
    good = _binary_file(write, "good_baseline.csv", xs, ys)
    # the new model pushes every score towards the wrong label
    worse = [x - 3.0 * (2 * y - 1) for x, y in zip(xs, ys, strict=True)]
    bad = _binary_file(write, "worse_model.csv", worse, ys)
    r = run("bce", "--logits", bad, "--baseline", good, "--fail-if-worse", "--format", "json")
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert "worse_model.csv" in r.stderr and "good_baseline.csv" in r.stderr
    doc = json.loads(r.stdout)  # the output is still written
    ref_new = math.fsum(ref_bce(x, y) for x, y in zip(worse, ys, strict=True)) / len(ys)
    ref_old = math.fsum(ref_bce(x, y) for x, y in zip(xs, ys, strict=True)) / len(ys)
    assert doc["mean"] == pytest.approx(ref_new, rel=1e-12)
    assert doc["baseline"]["mean"] == pytest.approx(ref_old, rel=1e-12)
    assert doc["baseline"]["delta"] == pytest.approx(ref_new - ref_old, rel=1e-9)
    assert doc["baseline"]["delta_ci"][0] > 0
    # without the flag the comparison is reported but does not fail
    assert run("bce", "--logits", bad, "--baseline", good, "--format", "json").exit_code == 0


def test_better_than_baseline_passes(write) -> None:
    xs, ys = _data(200, 4, sharp=0.5)
    old = _binary_file(write, "old.csv", xs, ys)
    better = [x + 3.0 * (2 * y - 1) for x, y in zip(xs, ys, strict=True)]
    new = _binary_file(write, "new.csv", better, ys)
    r = run("bce", "--logits", new, "--baseline", old, "--fail-if-worse", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["baseline"]["delta"] < 0 and doc["baseline"]["delta_ci"][1] < 0


def test_baseline_with_another_row_count_is_refused(write) -> None:
    xs, ys = _data(7, 5)
    p = _binary_file(write, "seven.csv", xs, ys)
    b = _binary_file(write, "five.csv", xs[:5], ys[:5])
    line = assert_input_error(run("bce", "--logits", p, "--baseline", b, "--format", "json"))
    assert "7" in line and "5" in line, line
    assert "five.csv" in line or "seven.csv" in line, line


def test_fail_if_worse_needs_baseline(write) -> None:
    p = _binary_file(write, "s.csv", [0.5, -1.0], [1, 0])
    assert_input_error(run("bce", "--logits", p, "--fail-if-worse"), "--baseline")


def test_baseline_without_a_place_to_show_is_refused(write) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    r = run("bce", "--logits", path, "--baseline", path, "-q")
    assert r.exit_code == 2 and "--baseline without --fail-if-worse" in r.stderr
    ok = run("bce", "--logits", path, "--baseline", path, "--fail-if-worse", "-q")
    assert ok.exit_code == 0


# ---------------------------------------------------------------------------------------
# CLI: --fail-above and bad input


def test_fail_above_exits_1_and_still_writes_the_output(write) -> None:
    xs, ys = _data(30, 6)
    p = _binary_file(write, "gate.csv", xs, ys)
    ref = math.fsum(ref_bce(x, y) for x, y in zip(xs, ys, strict=True)) / len(xs)
    above = repr(round(ref * 1.1, 6))
    below = repr(round(ref * 0.9, 6))
    ok = run("bce", "--logits", p, "--fail-above", above, "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["mean"] == pytest.approx(ref, rel=1e-12)
    fail = run("bce", "--logits", p, "--fail-above", below, "--format", "json")
    assert fail.exit_code == 1, fail.stderr
    doc = json.loads(fail.stdout)  # stdout still has the output
    assert doc["mean"] == pytest.approx(ref, rel=1e-12)
    assert repr(doc["mean"]) in fail.stderr, fail.stderr
    assert below in fail.stderr and "gate.csv" in fail.stderr, fail.stderr
    # quiet output too
    q = run("bce", "--logits", p, "--fail-above", below, "-q")
    assert q.exit_code == 1 and float(q.stdout) == pytest.approx(ref, rel=1e-12)


def test_bad_input_exits_2_even_with_gates(write) -> None:
    p = write("bad.csv", "p,label\n0.5,1\n1.5,0\n")
    line = assert_input_error(run("bce", "--probs", p, "--fail-above", "10", "--format", "json"))
    assert "bad.csv" in line


# ---------------------------------------------------------------------------------------
# Markdown summary with --ci and --baseline


CELL_SPLIT = re.compile(r"(?<!\\)\|")


def test_markdown_summary_shows_interval_baseline_and_verdict(write) -> None:
    xs, ys = [2.0, -1.5, 0.25, -0.5, 1.0], [1, 0, 1, 1, 0]
    base = [0.5, -0.5, 0.0, 0.5, -0.5]
    p = _binary_file(write, "model.csv", xs, ys)
    b = _binary_file(write, "base.csv", base, ys)
    r = run("bce", "--logits", p, "--ci", "--baseline", b, "--format", "markdown", "--bootstrap", "200")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    assert table, r.stdout
    # one contiguous GFM table: header row, delimiter row, body rows with the same cell count
    first = lines.index(table[0])
    assert lines[first : first + len(table)] == table
    for ln in table:
        assert ln.startswith("|") and ln.endswith("|"), ln
    width = len(CELL_SPLIT.split(table[0]))
    assert re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", table[1]), table[1]
    assert all(len(CELL_SPLIT.split(ln)) == width for ln in table), table
    rows = {}
    for ln in table[2:]:
        cells = [c.strip() for c in CELL_SPLIT.split(ln)[1:-1]]
        rows[cells[0]] = cells[1]
    for label in ("mode", "n", "mean", "baseline mean", "delta", "verdict", "signature"):
        assert label in rows, (label, rows)
    assert rows["mode"].startswith("binary")
    assert rows["n"] == "5"
    ref = math.fsum(ref_bce(x, y) for x, y in zip(xs, ys, strict=True)) / 5
    ref_base = math.fsum(ref_bce(x, y) for x, y in zip(base, ys, strict=True)) / 5
    m = re.fullmatch(r"(\S+) \((\S+) – (\S+)\)", rows["mean"])
    assert m, rows["mean"]
    assert float(m.group(1)) == pytest.approx(ref, rel=1e-12)
    assert float(m.group(2)) <= float(m.group(1)) <= float(m.group(3))
    assert float(rows["baseline mean"]) == pytest.approx(ref_base, rel=1e-12)
    d = re.fullmatch(r"([+-]\S+) \((\S+) – (\S+)\)", rows["delta"])
    assert d, rows["delta"]
    assert float(d.group(1)) == pytest.approx(ref - ref_base, rel=1e-5)
    assert float(d.group(2)) <= float(d.group(3))
    assert rows["verdict"] in ("worse", "better", "no significant difference")
    sig = rows["signature"].strip("`").replace("\\|", "|")
    assert sig.startswith("bce|mode:binary|input:logits|convention:torch")
    for part in ("ci:", "bootstrap:200", "seed:"):
        assert part in sig, sig


def test_weights_near_the_float64_limit_give_the_same_interval(write) -> None:
    """Σ s·l / Σ s·d is unchanged by a common factor in the weights: 1e308 weights must
    give the interval of unit weights, not an overflow."""
    rows = "".join(f"{x},{y},{{w}}\n" for x, y in [(0.5, 1), (-1, 0), (2, 1), (0.3, 0), (-2, 1)])
    unit = write("u.csv", "logit,label,w\n" + rows.format(w=1))
    huge = write("h.csv", "logit,label,w\n" + rows.replace("{w}", "1e308"))
    a = run_json("bce", "--logits", unit, "--sample-weight-col", "w", "--ci")
    b = run_json("bce", "--logits", huge, "--sample-weight-col", "w", "--ci")
    assert a["ci"] == pytest.approx(b["ci"], rel=1e-12)
    assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)
