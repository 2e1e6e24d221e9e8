"""Property tests of the loss core and of streaming, with Hypothesis.

Every expected value is either a relation between two losscli results that the mathematics
guarantees (shift invariance, BCE = 2-class CE, ignored rows change nothing, chunking does
not matter, …) or a closed form written here in plain Python (``math.log1p``, ``math.exp``).
No number printed by losscli is hard-coded.

Tolerances: relations that are exact in real arithmetic are checked at ``rel 1e-9``; where a
value is a difference of rounded inputs (``x + c``, ``max(x, 0) - x·y``) an absolute slack of a
few ulps of the inputs is added and said so next to the check.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from losscli import core, pipeline
from tests.conftest import run, run_json

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KERAS_EPS = 1e-7
SKLEARN_EPS = 2.220446049250313e-16  # float64 machine epsilon, written out (not read from losscli)

# ---------------------------------------------------------------------------------------
# Plain-Python references


def ref_bce(x: float, y: float) -> float:
    """BCEWithLogits per element: max(x, 0) - x·y + log1p(exp(-|x|))."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def ref_logsumexp(row: list[float]) -> float:
    m = max(row)
    return m + math.log(math.fsum(math.exp(v - m) for v in row))


def ref_ce(row: list[float], t: int) -> float:
    """CrossEntropyLoss of one row of logits and a class index."""
    return ref_logsumexp(row) - row[t]


# ---------------------------------------------------------------------------------------
# Core helpers


def opts(loss: str, input: str = "logits", **kw: object) -> core.LossOptions:
    return core.LossOptions(loss=loss, input=input, **kw)  # type: ignore[arg-type]


def sig(scores: list[list[float]], y: list[list[float]], o: core.LossOptions) -> core.ChunkResult:
    """compute() for a sigmoid loss (bce/focal): scores and 0/1-or-soft targets (n, k)."""
    return core.compute(np.array(scores, dtype=np.float64), core.Targets(y=np.array(y, dtype=np.float64)), o)


def soft_ce(scores: list[list[float]], y: list[list[float]], o: core.LossOptions) -> core.ChunkResult:
    return core.compute(np.array(scores, dtype=np.float64), core.Targets(y=np.array(y, dtype=np.float64)), o)


def hard_ce(scores: list[list[float]], t: list[int], o: core.LossOptions) -> core.ChunkResult:
    return core.compute(
        np.array(scores, dtype=np.float64), core.Targets(index=np.array(t, dtype=np.int64)), o
    )


def reduce(results: list[core.ChunkResult], o: core.LossOptions, mode: str, k: int) -> core.Summary:
    acc = core.Accumulator(o, mode, k)
    for r in results:
        acc.add(r, None)
    return acc.summary()


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------------------------------
# Strategies

logit = st.floats(-60.0, 60.0, allow_nan=False, allow_infinity=False)
wide_logit = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
prob = st.floats(0.0, 1.0, allow_nan=False)
soft = st.floats(0.0, 1.0, allow_nan=False)
hard = st.sampled_from([0.0, 1.0])
pos_w = st.floats(0.1, 5.0)


@st.composite
def matrix(draw: st.DrawFn, elem: st.SearchStrategy[float], k: int, n_max: int = 8) -> list[list[float]]:
    n = draw(st.integers(1, n_max))
    return [[draw(elem) for _ in range(k)] for _ in range(n)]


@st.composite
def prob_rows(draw: st.DrawFn, n: int, k: int) -> list[list[float]]:
    """Rows of k probabilities summing to 1 (zeros allowed)."""
    rows = []
    for _ in range(n):
        raw = [draw(st.floats(0.0, 1.0)) for _ in range(k)]
        j = draw(st.integers(0, k - 1))
        raw[j] += 0.05  # at least one clearly positive entry
        s = math.fsum(raw)
        rows.append([v / s for v in raw])
    return rows


def log_softmax_rows(rows: list[list[float]]) -> list[list[float]]:
    out = []
    for r in rows:
        lse = ref_logsumexp(r)
        out.append([v - lse for v in r])
    return out


# ---------------------------------------------------------------------------------------
# 1. Losses are never negative

SIGMOID_CASES = [
    ("bce", "logits", "torch"),
    ("bce", "logits", "keras"),
    ("bce", "logits", "sklearn"),
    ("bce", "probs", "torch"),
    ("bce", "probs", "keras"),
    ("bce", "probs", "sklearn"),
    ("focal", "logits", "torch"),
    ("focal", "logits", "keras"),
    ("focal", "probs", "torch"),
    ("focal", "probs", "keras"),
]


@pytest.mark.parametrize(("loss", "kind", "conv"), SIGMOID_CASES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_sigmoid_losses_are_nonnegative(loss: str, kind: str, conv: str, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, 3), label="k")
    scores = data.draw(matrix(wide_logit if kind == "logits" else prob, k), label="scores")
    labels = soft if conv != "sklearn" else hard  # log_loss takes 0/1 labels only
    y = [[data.draw(labels) for _ in range(k)] for _ in scores]
    kw: dict[str, object] = {"convention": conv}
    if loss == "bce" and conv != "sklearn":
        kw["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    if loss == "bce" and conv == "torch":
        kw["pos_weight"] = tuple(data.draw(pos_w) for _ in range(k))
        kw["weight"] = tuple(data.draw(pos_w) for _ in range(k))
    if loss == "focal":
        kw["alpha"] = data.draw(st.sampled_from([None, -1.0, 0.0, 0.25, 0.9]))
        kw["gamma"] = data.draw(st.sampled_from([0.0, 0.5, 2.0, 5.0]))
    r = sig(scores, y, opts(loss, kind, **kw))
    assert not np.isnan(r.per_sample).any()
    assert (r.per_sample >= 0).all(), (r.per_sample, scores, y, kw)
    assert r.elements is not None and (r.elements >= 0).all()


CE_CASES = [
    ("logits", "torch"),
    ("logits", "keras"),
    ("logits", "sklearn"),
    ("probs", "torch"),
    ("probs", "keras"),
    ("probs", "sklearn"),
    ("log_probs", "torch"),
    ("log_probs", "keras"),
    ("log_probs", "sklearn"),
]


@pytest.mark.parametrize(("kind", "conv"), CE_CASES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_ce_is_nonnegative(kind: str, conv: str, data: st.DataObject) -> None:
    k = data.draw(st.integers(2, 4), label="k")
    n = data.draw(st.integers(1, 6), label="n")
    if kind == "probs":
        scores = data.draw(prob_rows(n, k), label="probs")
    else:
        scores = [[data.draw(wide_logit) for _ in range(k)] for _ in range(n)]
        if kind == "log_probs":
            scores = log_softmax_rows(scores)
    kw: dict[str, object] = {"convention": conv}
    if conv != "sklearn":
        kw["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.1, 0.7]))
        if data.draw(st.booleans()):
            kw["weight"] = tuple(data.draw(pos_w) for _ in range(k))
    if conv != "sklearn" and data.draw(st.booleans(), label="soft targets"):
        r = soft_ce(scores, data.draw(prob_rows(n, k), label="targets"), opts("ce", kind, **kw))
    else:
        t = [data.draw(st.integers(0, k - 1)) for _ in range(n)]
        r = hard_ce(scores, t, opts("ce", kind, **kw))
    assert not np.isnan(r.per_sample).any()
    assert (r.per_sample >= 0).all(), (r.per_sample, scores, kw)


# ---------------------------------------------------------------------------------------
# 2. Softmax is shift invariant


@SETTINGS
@given(
    rows=matrix(logit, 3, n_max=6),
    c=st.floats(-100.0, 100.0),
    data=st.data(),
)
def test_ce_shift_invariance(rows: list[list[float]], c: float, data: st.DataObject) -> None:
    t = [data.draw(st.integers(0, 2)) for _ in rows]
    shifted = [[v + c for v in r] for r in rows]
    a = hard_ce(rows, t, opts("ce")).per_sample
    b = hard_ce(shifted, t, opts("ce")).per_sample
    for u, v, row, sh in zip(a, b, rows, shifted, strict=True):
        # x + c is rounded (≤ ½ ulp of |x + c| ≤ 160 per entry), which moves the exact loss
        # by up to ~1e-13 absolutely; beyond that the relation is exact
        slack = 4 * max(math.ulp(abs(s)) for s in sh + row)
        assert close(float(u), float(v), 1e-9, slack), (row, c, u, v)


@SETTINGS
@given(rows=matrix(st.integers(-2000, 2000).map(lambda i: i / 64), 4, n_max=6), c=st.integers(-500, 500))
def test_ce_shift_invariance_exact_shift(rows: list[list[float]], c: int) -> None:
    # dyadic logits and an integer shift: x + c is exact, so rel 1e-9 with no slack at all
    t = [i % 4 for i in range(len(rows))]
    a = hard_ce(rows, t, opts("ce")).per_sample
    b = hard_ce([[v + c for v in r] for r in rows], t, opts("ce")).per_sample
    for u, v in zip(a, b, strict=True):
        assert close(float(u), float(v), 1e-9)


# ---------------------------------------------------------------------------------------
# 3. Binary BCE on x is 2-class CE on [0, x]


@SETTINGS
@given(xs=st.lists(st.floats(-80.0, 80.0), min_size=1, max_size=10), data=st.data())
def test_bce_equals_two_class_ce(xs: list[float], data: st.DataObject) -> None:
    ys = [data.draw(st.integers(0, 1)) for _ in xs]
    b = sig([[x] for x in xs], [[float(y)] for y in ys], opts("bce")).per_sample
    c = hard_ce([[0.0, x] for x in xs], ys, opts("ce")).per_sample
    for x, u, v in zip(xs, b, c, strict=True):
        # Both sides follow PyTorch's arrangements, which are exact only to about an ulp of
        # |x| absolutely: CE's log-sum-exp takes log(1 + e^-|x|) (not log1p), and
        # BCEWithLogits' (1-y)·x - log σ(x) cancels for x ≪ 0, y = 0. For a confident correct
        # x the loss is below that and only the absolute agreement is meaningful.
        assert close(float(u), float(v), 1e-9, 4 * math.ulp(max(abs(x), 1.0))), (x, u, v)


# ---------------------------------------------------------------------------------------
# 4. Integer labels equal one-hot soft targets (torch, no weights, no smoothing)


@pytest.mark.parametrize("kind", ["logits", "log_probs", "probs"])
@SETTINGS
@given(data=st.data())
def test_integer_labels_equal_one_hot(kind: str, data: st.DataObject) -> None:
    k = data.draw(st.integers(2, 5))
    n = data.draw(st.integers(1, 8))
    if kind == "probs":
        scores = data.draw(prob_rows(n, k))
        # a zero probability on the target would give inf on both sides; keep it finite
        t = [data.draw(st.sampled_from([j for j in range(k) if r[j] > 0])) for r in scores]
    else:
        scores = [[data.draw(wide_logit) for _ in range(k)] for _ in range(n)]
        if kind == "log_probs":
            scores = log_softmax_rows(scores)
        t = [data.draw(st.integers(0, k - 1)) for _ in range(n)]
    onehot = [[1.0 if j == ti else 0.0 for j in range(k)] for ti in t]
    o = opts("ce", kind)
    ra, rb = hard_ce(scores, t, o), soft_ce(scores, onehot, o)
    for u, v in zip(ra.per_sample, rb.per_sample, strict=True):
        assert close(float(u), float(v), 1e-12)
    sa, sb = reduce([ra], o, "multiclass", k), reduce([rb], o, "multiclass", k)
    assert close(sa.mean, sb.mean, 1e-12) and close(sa.sum, sb.sum, 1e-12) and sa.n == sb.n
    assert sa.accuracy == sb.accuracy


# ---------------------------------------------------------------------------------------
# 5. Label smoothing 0 is no smoothing; uniform class weights leave the ce mean unchanged


def _csv(rows: list[list[object]], header: list[str]) -> str:
    return (
        ",".join(header)
        + "\n"
        + "".join(",".join(repr(v) if isinstance(v, float) else str(v) for v in r) + "\n" for r in rows)
    )


@FEW
@given(rows=matrix(logit, 3, n_max=6), data=st.data())
def test_label_smoothing_zero_is_no_smoothing(rows: list[list[float]], data: st.DataObject) -> None:
    t = [data.draw(st.integers(0, 2)) for _ in rows]
    yb = [data.draw(st.integers(0, 1)) for _ in rows]
    with tempfile.TemporaryDirectory() as d:
        ce_path = os.path.join(d, "ce.csv")
        with open(ce_path, "w") as f:
            f.write(_csv([[*r, ti] for r, ti in zip(rows, t, strict=True)], ["a", "b", "c", "label"]))
        bce_path = os.path.join(d, "bce.csv")
        with open(bce_path, "w") as f:
            f.write(_csv([[r[0], y] for r, y in zip(rows, yb, strict=True)], ["x", "label"]))
        for cmd, path in (("ce", ce_path), ("bce", bce_path)):
            for conv in ("torch", "keras"):
                plain = run_json(cmd, "--logits", path, "--convention", conv)
                zero = run_json(cmd, "--logits", path, "--convention", conv, "--label-smoothing", "0")
                assert zero["per_sample"] == plain["per_sample"]
                assert zero["mean"] == plain["mean"] and zero["sum"] == plain["sum"]
                assert zero["n"] == plain["n"]
    # and in the core, for every convention that has smoothing
    for conv in ("torch", "keras"):
        a = hard_ce(rows, t, opts("ce", convention=conv)).per_sample
        b = hard_ce(rows, t, opts("ce", convention=conv, label_smoothing=0.0)).per_sample
        assert np.array_equal(a, b)


@SETTINGS
@given(
    rows=matrix(logit, 4, n_max=8),
    c=st.floats(0.01, 100.0),
    eps=st.sampled_from([0.0, 0.1, 0.3]),
    data=st.data(),
)
def test_uniform_class_weight_keeps_ce_mean(
    rows: list[list[float]], c: float, eps: float, data: st.DataObject
) -> None:
    t = [data.draw(st.integers(0, 3)) for _ in rows]
    o0 = opts("ce", label_smoothing=eps)
    ow = opts("ce", label_smoothing=eps, weight=(c,) * 4)
    r0, rw = hard_ce(rows, t, o0), hard_ce(rows, t, ow)
    # reduction='none' scales by c, reduction='mean' divides by Σ w_y = c·n
    for u, v in zip(r0.per_sample, rw.per_sample, strict=True):
        assert close(c * float(u), float(v), 1e-12)
    s0, sw = reduce([r0], o0, "multiclass", 4), reduce([rw], ow, "multiclass", 4)
    assert close(s0.mean, sw.mean, 1e-12), (s0.mean, sw.mean)
    assert close(c * s0.sum, sw.sum, 1e-12)
    assert s0.n == sw.n == len(rows)


# ---------------------------------------------------------------------------------------
# 6. Ignored rows change nothing


@SETTINGS
@given(
    rows=matrix(logit, 3, n_max=10),
    extra=matrix(logit, 3, n_max=6),
    ignore=st.sampled_from([-100, -1, 7]),
    weighted=st.booleans(),
    eps=st.sampled_from([0.0, 0.2]),
    conv=st.sampled_from(["torch", "keras"]),
    data=st.data(),
)
def test_ignored_rows_change_nothing(
    rows: list[list[float]],
    extra: list[list[float]],
    ignore: int,
    weighted: bool,
    eps: float,
    conv: str,
    data: st.DataObject,
) -> None:
    t = [data.draw(st.integers(0, 2)) for _ in rows]
    kw: dict[str, object] = {"ignore_index": ignore, "label_smoothing": eps, "convention": conv}
    if weighted:
        kw["weight"] = (1.0, 2.5, 0.5)
    o = opts("ce", **kw)
    base = hard_ce(rows, t, o)
    # interleave the ignored rows at random positions
    all_rows, all_t = list(rows), list(t)
    for r in extra:
        pos = data.draw(st.integers(0, len(all_rows)))
        all_rows.insert(pos, r)
        all_t.insert(pos, ignore)
    more = hard_ce(all_rows, all_t, o)
    s0, s1 = reduce([base], o, "multiclass", 3), reduce([more], o, "multiclass", 3)
    assert s1.n == s0.n == len(rows)
    assert s1.ignored == len(extra)
    assert close(s1.mean, s0.mean, 1e-12) and close(s1.sum, s0.sum, 1e-12)
    assert close(s1.weight_sum, s0.weight_sum, 1e-12)
    assert s1.accuracy == pytest.approx(s0.accuracy, rel=1e-12)
    kept = [i for i, ti in enumerate(all_t) if ti != ignore]
    assert np.isnan(more.per_sample[[i for i in range(len(all_t)) if i not in kept]]).all()
    np.testing.assert_allclose(more.per_sample[kept], base.per_sample, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# 7. Focal with γ = 0 and no α term is BCE


@pytest.mark.parametrize(("kind", "conv"), [("logits", "torch"), ("probs", "torch"), ("probs", "keras")])
@SETTINGS
@given(data=st.data())
def test_focal_gamma0_no_alpha_is_bce(kind: str, conv: str, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, 3))
    scores = data.draw(matrix(logit if kind == "logits" else prob, k))
    y = [[data.draw(soft) for _ in range(k)] for _ in scores]
    # torchvision: a negative α disables the α term; keras: α is off unless given
    alpha = -1.0 if conv == "torch" else None
    f = sig(scores, y, opts("focal", kind, convention=conv, gamma=0.0, alpha=alpha))
    b = sig(scores, y, opts("bce", kind, convention=conv))
    assert f.elements is not None and b.elements is not None
    np.testing.assert_allclose(f.elements, b.elements, rtol=1e-9, atol=0)


# ---------------------------------------------------------------------------------------
# 8. Extreme logits are finite and exact


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (1000.0, 0.0, 1000.0),
        (-1000.0, 1.0, 1000.0),
        (1e4, 0.0, 1e4),
        (-1e4, 1.0, 1e4),
        (1000.0, 1.0, 0.0),
        (-1e4, 0.0, 0.0),
        (1000.0, 0.3, 700.0),  # softplus(x) - x·y with softplus(1000) = 1000
        (-1000.0, 0.25, 250.0),  # softplus(-1000) = 0, so -x·y = 250
    ],
)
@pytest.mark.parametrize("conv", ["torch", "keras"])
def test_extreme_bce_logits(x: float, y: float, expected: float, conv: str) -> None:
    r = sig([[x]], [[y]], opts("bce", convention=conv))
    v = float(r.per_sample[0])
    assert math.isfinite(v)
    assert v == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert r.clamped == 0


@pytest.mark.parametrize(
    ("row", "t", "expected"),
    [
        ([1000.0, 0.0, -1000.0], 2, 2000.0),
        ([1000.0, 0.0, -1000.0], 1, 1000.0),
        ([1000.0, 0.0, -1000.0], 0, 0.0),
        ([1e4, -1e4], 1, 2e4),
        ([-1e4, 1e4, 0.0], 0, 2e4),
        ([1000.0, 1000.0, -1000.0], 0, math.log(2.0)),
        ([1e4, 1e4, 1e4, 1e4], 3, math.log(4.0)),
        ([-1000.0, -1000.0], 0, math.log(2.0)),
    ],
)
@pytest.mark.parametrize("conv", ["torch", "keras"])
def test_extreme_ce_logits(row: list[float], t: int, expected: float, conv: str) -> None:
    v = float(hard_ce([row], [t], opts("ce", convention=conv)).per_sample[0])
    assert math.isfinite(v)
    assert v == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_extreme_focal_and_sklearn_logits() -> None:
    # torchvision focal: ce = 1000, p_t = 0 so (1 - p_t)^γ = 1, α_t = 1 - 0.25 for y = 0
    v = float(sig([[1000.0]], [[0.0]], opts("focal")).per_sample[0])
    assert v == pytest.approx(0.75 * 1000.0, rel=1e-12)
    # sklearn takes probabilities: σ(1000) = 1 is clipped to 1 - eps, so -log(eps)
    v = float(sig([[1000.0]], [[0.0]], opts("bce", convention="sklearn")).per_sample[0])
    assert v == pytest.approx(-math.log(SKLEARN_EPS), rel=1e-9)


@FEW
@given(rows=matrix(st.sampled_from([-1e4, -1000.0, 0.0, 1000.0, 1e4]), 3, n_max=5), data=st.data())
def test_mixed_extreme_ce_logits_match_logsumexp(rows: list[list[float]], data: st.DataObject) -> None:
    t = [data.draw(st.integers(0, 2)) for _ in rows]
    got = hard_ce(rows, t, opts("ce")).per_sample
    for row, ti, v in zip(rows, t, got, strict=True):
        m = max(row)
        # the terms exp(v - m) with v < m are below e^-1000 = 0 in float64: exact asymptote
        expected = (m - row[ti]) + math.log(sum(1 for v2 in row if v2 == m))
        assert math.isfinite(float(v))
        assert float(v) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_extreme_logits_through_the_cli(write) -> None:
    p = write("x.csv", "x,label\n1000,0\n-1000,1\n1e4,0\n1000,1\n")
    doc = run_json("bce", "--logits", p)
    assert doc["per_sample"] == pytest.approx([1000.0, 1000.0, 1e4, 0.0], rel=1e-12, abs=1e-300)
    assert doc["nonfinite"] == 0 and doc["clamped"] == 0
    q = write("c.csv", "a,b,c,label\n1000,0,-1000,2\n")
    assert run_json("ce", "--logits", q)["mean"] == pytest.approx(2000.0, rel=1e-12)


# ---------------------------------------------------------------------------------------
# 9. BCE per sample against the plain-Python formula


@settings(max_examples=200, deadline=None)
@given(
    xs=st.lists(st.floats(-100.0, 100.0), min_size=1, max_size=20),
    data=st.data(),
)
def test_bce_matches_python_reference(xs: list[float], data: st.DataObject) -> None:
    ys = [data.draw(st.one_of(hard, soft)) for _ in xs]
    got = sig([[x] for x in xs], [[y] for y in ys], opts("bce")).per_sample
    for x, y, v in zip(xs, ys, got, strict=True):
        # max(x, 0) - x·y cancels when y is near 1, and PyTorch's own (1-y)·x - log σ(x)
        # (the contract: per_sample is PyTorch's value) cancels for x ≪ 0, y = 0: both are
        # good to a few ulps of |x| absolutely
        assert close(float(v), ref_bce(x, y), 1e-9, 4 * math.ulp(max(abs(x), 1.0))), (x, y, v)


@settings(max_examples=100, deadline=None)
@given(rows=matrix(logit, 4, n_max=10), data=st.data())
def test_ce_matches_python_reference(rows: list[list[float]], data: st.DataObject) -> None:
    t = [data.draw(st.integers(0, 3)) for _ in rows]
    got = hard_ce(rows, t, opts("ce")).per_sample
    for row, ti, v in zip(rows, t, got, strict=True):
        assert close(float(v), ref_ce(row, ti), 1e-9, 1e-13), (row, ti, v)


# ---------------------------------------------------------------------------------------
# 10. Convention clamps on probabilities of exactly 0 and 1


CLAMPS = {
    # BCELoss clamps each log term at -100
    "torch": (100.0, 100.0),
    # Keras clips p to [1e-7, 1 - 1e-7] (float64 formula)
    "keras": (-math.log(KERAS_EPS), -math.log(1.0 - (1.0 - KERAS_EPS))),
    # log_loss clips at float64 eps
    "sklearn": (-math.log(SKLEARN_EPS), -math.log(SKLEARN_EPS)),
}


@pytest.mark.parametrize("conv", sorted(CLAMPS))
def test_probability_clamps(conv: str, write) -> None:
    at_zero, at_one = CLAMPS[conv]
    r = sig([[0.0], [1.0]], [[1.0], [0.0]], opts("bce", "probs", convention=conv))
    assert float(r.per_sample[0]) == pytest.approx(at_zero, rel=1e-12)
    assert float(r.per_sample[1]) == pytest.approx(at_one, rel=1e-12)
    assert r.clamped == 2
    # through the CLI
    p = write("p.csv", "p,label\n0,1\n")
    doc = run_json("bce", "--probs", p, "--convention", conv)
    assert doc["mean"] == pytest.approx(at_zero, rel=1e-12)
    assert doc["clamped"] == 1 and doc["nonfinite"] == 0


def test_keras_clamp_value_is_the_documented_one() -> None:
    # -log(1e-7) ≈ 16.118095650958 (semantics.md); the exact digits come from math.log here
    assert CLAMPS["keras"][0] == pytest.approx(16.118095650958, rel=1e-12)


@pytest.mark.parametrize("conv", ["keras", "sklearn"])
def test_ce_probability_clips(conv: str) -> None:
    eps = KERAS_EPS if conv == "keras" else SKLEARN_EPS
    r = hard_ce([[0.0, 1.0]], [0], opts("ce", "probs", convention=conv))
    assert float(r.per_sample[0]) == pytest.approx(-math.log(eps), rel=1e-12)
    assert r.clamped == 1


def test_ce_probability_zero_under_torch_is_infinite(write) -> None:
    # NLLLoss(log p) has no clamp: p = 0 for the target gives inf (JSON null, counted)
    p = write("p.csv", "a,b,label\n0,1,0\n0.5,0.5,1\n")
    r = run("ce", "--probs", p, "--format", "json")
    assert r.exit_code == 0, r.stderr
    import json

    doc = json.loads(r.stdout)
    assert doc["per_sample"][0] is None
    assert doc["per_sample"][1] == pytest.approx(math.log(2.0), rel=1e-12)
    assert doc["nonfinite"] == 1
    assert "infinite" in r.stderr


# ---------------------------------------------------------------------------------------
# 11. Streaming: tiny blocks (many chunks, boundaries mid-file) give the same result

TINY = {"first_block": 64, "block": 97}


def _fmt(v: float) -> str:
    return repr(float(v))


@st.composite
def stream_case(draw: st.DrawFn, kind: str) -> dict[str, object]:
    n = draw(st.integers(1, 80))

    def val() -> float:  # varied digit counts, so line lengths (and chunk cuts) vary
        return round(draw(st.floats(-20.0, 20.0)), draw(st.integers(0, 17)))

    case: dict[str, object] = {"kind": kind, "n": n}
    if kind in ("binary", "weights"):
        xs = [val() for _ in range(n)]
        ys = [draw(st.integers(0, 1)) for _ in range(n)]
        ws = [draw(st.floats(0.1, 4.0)) for _ in range(n)]
        head = ["x", "label"] + (["w"] if kind == "weights" else [])
        lines = [",".join(head)]
        for i in range(n):
            lines.append(",".join([_fmt(xs[i]), str(ys[i])] + ([_fmt(ws[i])] if kind == "weights" else [])))
        case.update(xs=xs, ys=ys, ws=ws if kind == "weights" else None, scores="\n".join(lines) + "\n")
    elif kind == "multilabel":
        xs = [[val() for _ in range(3)] for _ in range(n)]
        ys = [[draw(st.integers(0, 1)) for _ in range(3)] for _ in range(n)]
        lines = ["s0,s1,s2,l0,l1,l2"]
        lines += [",".join([*map(_fmt, x), *map(str, y)]) for x, y in zip(xs, ys, strict=True)]
        case.update(xs=xs, ys=ys, scores="\n".join(lines) + "\n")
    else:  # multiclass: names, ignore, labels_file
        names = ["cat", "dog", "bird"]
        xs = [[val() for _ in range(3)] for _ in range(n)]
        ts = [draw(st.integers(0, 2)) for _ in range(n)]
        if kind == "ignore":
            ts = [t if draw(st.integers(0, 3)) else -100 for t in ts]
            assume(any(t != -100 for t in ts))
        lab = [names[t] for t in ts] if kind != "ignore" else [str(t) for t in ts]
        if kind == "labels_file":
            case["scores"] = "cat,dog,bird\n" + "".join(",".join(map(_fmt, x)) + "\n" for x in xs)
            case["labels"] = "label\n" + "".join(s + "\n" for s in lab)
        else:
            case["scores"] = "cat,dog,bird,label\n" + "".join(
                ",".join([*map(_fmt, x), s]) + "\n" for x, s in zip(xs, lab, strict=True)
            )
        case.update(xs=xs, ts=ts)
    return case


def _request(case: dict[str, object], d: str, read_kwargs: dict[str, int]) -> pipeline.Request:
    kind = case["kind"]
    sp = os.path.join(d, "scores.csv")
    lp = os.path.join(d, "labels.csv") if "labels" in case else None
    cmd = "bce" if kind in ("binary", "weights", "multilabel") else "ce"
    return pipeline.Request(
        command=cmd,
        input="logits",
        score_path=sp,
        labels_path=lp,
        label_cols="l0,l1,l2" if kind == "multilabel" else None,
        weight_col="w" if kind == "weights" else None,
        options=core.LossOptions(cmd, "logits", ignore_index=-100) if kind == "ignore" else None,
        keep_per_sample=True,
        read_kwargs=read_kwargs,
    )


def _reference_mean(case: dict[str, object]) -> float:
    kind = case["kind"]
    if kind in ("binary", "weights"):
        ls = [ref_bce(x, y) for x, y in zip(case["xs"], case["ys"], strict=True)]  # type: ignore[call-overload]
        ws = case["ws"] or [1.0] * len(ls)  # type: ignore[operator]
        return math.fsum(w * v for w, v in zip(ws, ls, strict=True)) / math.fsum(ws)
    if kind == "multilabel":
        return math.fsum(
            ref_bce(x, y)
            for xr, yr in zip(case["xs"], case["ys"], strict=True)  # type: ignore[call-overload]
            for x, y in zip(xr, yr, strict=True)
        ) / (3 * case["n"])  # type: ignore[operator]
    ls = [ref_ce(x, t) for x, t in zip(case["xs"], case["ts"], strict=True) if t != -100]  # type: ignore[call-overload]
    return math.fsum(ls) / len(ls)


@pytest.mark.parametrize("kind", ["binary", "weights", "multilabel", "names", "ignore", "labels_file"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_streaming_tiny_blocks_equal_default(kind: str, data: st.DataObject) -> None:
    case = data.draw(stream_case(kind))
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "scores.csv"), "w") as f:
            f.write(case["scores"])  # type: ignore[arg-type]
        if "labels" in case:
            with open(os.path.join(d, "labels.csv"), "w") as f:
                f.write(case["labels"])  # type: ignore[arg-type]
        whole = pipeline.run(_request(case, d, {}))
        chunks: list[int] = []
        tiny = pipeline.run(_request(case, d, TINY), sink=lambda block, meta: chunks.append(len(block)))
    a, b = whole.summary, tiny.summary
    assert b.n == a.n
    assert close(b.mean, a.mean, 1e-12) and close(b.sum, a.sum, 1e-12)
    assert close(b.weight_sum, a.weight_sum, 1e-12)
    assert close(b.accuracy, a.accuracy, 1e-12, 1e-15)  # type: ignore[arg-type]
    assert b.ignored == a.ignored
    assert whole.per_sample is not None and tiny.per_sample is not None
    np.testing.assert_allclose(tiny.per_sample, whole.per_sample, rtol=1e-13, atol=0, equal_nan=True)
    assert sum(chunks) == case["n"]
    if len(case["scores"]) > 4 * (TINY["first_block"] + TINY["block"]):  # type: ignore[arg-type]
        assert len(chunks) > 1  # the tiny blocks really did split the file
    # and both agree with the plain-Python reference
    assert close(a.mean, _reference_mean(case), 1e-9, 1e-13)
