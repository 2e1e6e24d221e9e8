"""Reduction: accumulating pieces of a stream and merging them is accumulating the whole, and a
shard's Summary stands in for its accumulator."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import core
from losscli.errors import LossInputError

SETTINGS = settings(max_examples=60, deadline=None)


def _chunk(rng: np.random.Generator, n: int, loss: str, k: int, weighted: bool) -> core.ChunkResult:
    """A ChunkResult as compute makes it, from random scores and labels."""
    x = rng.normal(size=(n, k)) * 3
    if loss == "ce":
        idx = rng.integers(-1, k, size=n)  # -1: ignored rows
        opts = core.LossOptions(
            "ce", "logits", ignore_index=-1, weight=(0.5, 2.0, 1.0)[:k] if weighted else None
        )
        return core.compute(x, core.Targets(index=idx), opts)
    y = rng.integers(0, 2, size=(n, k)).astype(float)
    return core.compute(x, core.Targets(y=y), core.LossOptions(loss, "logits"))


CASES = st.tuples(
    st.sampled_from(
        [("bce", 1, "binary"), ("bce", 3, "multilabel"), ("focal", 2, "multilabel"), ("ce", 3, "multiclass")]
    ),
    st.sampled_from(["torch", "keras"]),
    st.booleans(),  # sample weights
    st.lists(st.integers(1, 9), min_size=1, max_size=8),  # chunk sizes
    st.integers(0, 2**32 - 1),
    st.data(),
)


def _stream(
    case: tuple,
) -> tuple[core.LossOptions, str, int, list[tuple[core.ChunkResult, np.ndarray | None]]]:
    (loss, k, mode), conv, weighted, sizes, seed, _ = case
    rng = np.random.default_rng(seed)
    opts = core.LossOptions(loss, "logits", conv, ignore_index=-1 if loss == "ce" else None)
    chunks = [
        (_chunk(rng, n, loss, k, weighted and conv == "torch"), rng.uniform(0.1, 3, n) if weighted else None)
        for n in sizes
    ]
    return opts, mode, k, chunks


def _accumulate(opts: core.LossOptions, mode: str, k: int, chunks: list) -> core.Accumulator:
    acc = core.Accumulator(opts, mode, k)
    for r, s in chunks:
        acc.add(r, s)
    return acc


def _assert_same(got: core.Summary, want: core.Summary, rel: float) -> None:
    assert (got.n, got.clamped, got.nonfinite, got.ignored) == (
        want.n,
        want.clamped,
        want.nonfinite,
        want.ignored,
    )
    assert (got.class_count == want.class_count).all()
    for name in ("mean", "sum", "weight_sum", "accuracy", "exact_match"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=rel, abs_tol=0), (name, a, b)
    np.testing.assert_allclose(got.class_sum, want.class_sum, rtol=1e-14)


def _cuts(data: st.DataObject, n: int) -> list[int]:
    return sorted(set(data.draw(st.lists(st.integers(0, n), max_size=4))) | {0, n})


@SETTINGS
@given(CASES)
def test_merging_accumulators_of_pieces_of_a_stream_is_accumulating_it_whole(case: tuple) -> None:
    opts, mode, k, chunks = _stream(case)
    whole = _accumulate(opts, mode, k, chunks)
    cuts = _cuts(case[-1], len(chunks))
    pieces = [_accumulate(opts, mode, k, chunks[a:b]) for a, b in itertools.pairwise(cuts)]
    merged = core.Accumulator(opts, mode, k)
    for p in pieces:
        merged.merge(p)
    if whole.n == 0:  # every row ignored: both refuse, with the same message
        with pytest.raises(LossInputError, match="skipped by --ignore-index"):
            merged.summary()
        return
    got, want = merged.summary(), whole.summary()
    _assert_same(got, want, rel=0.0)  # the same parts reach the same fsum: exact
    assert got.mean == want.mean and got.sum == want.sum


@SETTINGS
@given(CASES)
def test_a_shard_summary_merged_with_the_rest_is_the_whole(case: tuple) -> None:
    opts, mode, k, chunks = _stream(case)
    whole_acc = _accumulate(opts, mode, k, chunks)
    cut = case[-1].draw(st.integers(1, len(chunks)))
    head = _accumulate(opts, mode, k, chunks[:cut])
    if head.n == 0:  # all rows ignored: no shard is written
        return
    whole = whole_acc.summary()
    shard = core.Accumulator.from_summary(opts, mode, k, head.summary())
    _assert_same(shard.summary(), head.summary(), rel=1e-15)
    shard.merge(_accumulate(opts, mode, k, chunks[cut:]))
    _assert_same(shard.summary(), whole, rel=1e-15)


@SETTINGS
@given(CASES)
def test_the_mean_is_the_weighted_mean_of_the_concatenated_rows(case: tuple) -> None:
    opts, mode, k, chunks = _stream(case)
    acc = _accumulate(opts, mode, k, chunks)
    if acc.n == 0:
        return
    loss = np.concatenate([r.per_sample[r.valid] for r, _ in chunks])
    d = np.concatenate([r.denom[r.valid] for r, _ in chunks])
    s = np.concatenate([sw[r.valid] if sw is not None else np.ones(r.valid.sum()) for r, sw in chunks])
    den = d if opts.convention == "keras" else s * d  # Keras: mean over the rows
    want = math.fsum((s * loss).tolist()) / math.fsum(den.tolist())
    assert acc.summary().mean == pytest.approx(want, rel=1e-14)


def test_merging_a_shard_without_a_per_class_table_drops_the_breakdown() -> None:
    opts = core.LossOptions("bce", "logits")
    r = core.compute(np.array([[0.0], [1.0]]), core.Targets(y=np.array([[1.0], [0.0]])), opts)
    acc = core.Accumulator(opts, "binary", 1)
    acc.add(r, None)
    s = acc.summary()
    bare = core.Summary(
        **{**s.__dict__, "class_sum": np.zeros(0), "class_count": np.zeros(0, dtype=np.int64)}
    )
    acc.merge(core.Accumulator.from_summary(opts, "binary", 1, bare))
    got = acc.summary()
    assert got.n == 4 and len(got.class_count) == 0 and got.mean == pytest.approx(s.mean, rel=1e-15)


def test_a_shard_without_accuracy_makes_the_union_have_none() -> None:
    opts = core.LossOptions("bce", "logits")
    s = core.Summary(3, 0.5, 1.5, 3.0, None, None, 0, 0, 0, np.zeros(2), np.array([1, 2]))
    acc = core.Accumulator.from_summary(opts, "binary", 1, s)
    got = acc.summary()
    assert got.accuracy is None and got.mean == 0.5 and got.sum == 1.5 and got.weight_sum == 3.0


# ---------------------------------------------------------------------------------------
# float64's limits: every finite answer comes out finite and right


def _rows(per_sample: list[float], denom: list[float] | None = None) -> core.ChunkResult:
    """A binary chunk with the given per-sample losses (all rows valid)."""
    ps = np.array(per_sample, dtype=np.float64)
    n = len(ps)
    d = np.ones(n) if denom is None else np.array(denom, dtype=np.float64)
    flat = np.zeros((n, 1), dtype=bool)
    return core.ChunkResult(ps, np.ones(n, dtype=bool), d, np.ones(n), flat, flat, 0, ps[:, None])


def _binary(chunks: list[tuple[core.ChunkResult, np.ndarray | None]], conv: str = "torch") -> core.Summary:
    acc = core.Accumulator(core.LossOptions("bce", "logits", conv), "binary", 1)
    for r, s in chunks:
        acc.add(r, s)
    return acc.summary()


def test_sample_weights_of_1e308_give_the_weighted_mean() -> None:
    # (1·w + 2·w + 4·w/2) / (w + w + w/2) = 5 / 2.5 = 2, whatever w is
    w = 1e308
    s = _binary([(_rows([1.0, 2.0, 4.0]), np.array([w, w, w / 2]))])
    assert s.mean == pytest.approx(2.0, rel=1e-15)
    assert s.weight_sum == math.inf  # 2.5e308: the true sum is beyond float64


def test_subnormal_sample_weights_give_the_weighted_mean() -> None:
    # weights 2^-1074 and 2^-1073: (0.3·1 + 0.6·2) / 3 = 0.5 (the plain products round to 0)
    s = _binary([(_rows([0.3, 0.6]), np.array([5e-324, 1e-323]))])
    assert s.mean == pytest.approx(0.5, rel=1e-15)
    assert s.weight_sum == 1.5e-323


def test_keras_counts_rows_even_with_huge_weights() -> None:
    # keras: Σ sᵢ·lossᵢ / N = 1e308·(1 + 3) / 2
    s = _binary([(_rows([1.0, 3.0]), np.array([1e308, 1e308]))], conv="keras")
    assert math.isinf(s.mean)  # 2e308: the mean itself is beyond float64
    s = _binary([(_rows([0.5, 0.25]), np.array([1e308, 1e308]))], conv="keras")
    assert s.mean == pytest.approx(1e308 * 0.375, rel=1e-15)


def test_two_losses_of_1e308_in_one_chunk_have_a_finite_mean() -> None:
    x = np.array([[-1e308], [-1e308], [50.0]])  # y = 1: losses 1e308, 1e308, ~2e-22
    opts = core.LossOptions("bce", "logits")
    r = core.compute(x, core.Targets(y=np.ones((3, 1))), opts)
    assert r.per_sample[0] == 1e308
    acc = core.Accumulator(opts, "binary", 1)
    acc.add(r, None)
    s = acc.summary()
    assert s.mean == pytest.approx(1e308 * (2 / 3), rel=1e-15)
    assert s.nonfinite == 0 and s.sum == math.inf  # the sum itself, 2e308, is beyond float64


def test_chunks_of_losses_near_1e308_merge_into_a_finite_mean() -> None:
    s = _binary([(_rows([1.5e308]), None), (_rows([1.5e308]), None), (_rows([0.0, 0.0]), None)])
    assert s.mean == pytest.approx(0.75e308, rel=1e-15) and s.n == 4


def test_shards_with_means_near_1e308_merge_without_overflow() -> None:
    opts = core.LossOptions("bce", "logits")
    acc = core.Accumulator(opts, "binary", 1)
    for mean, w in ((1.5e308, 1.0), (1.5e308, 1.0), (1e308, 1e10)):
        s = core.Summary(1, mean, mean, w, 1.0, None, 0, 0, 0, np.zeros(2), np.array([1, 0]))
        acc.merge(core.Accumulator.from_summary(opts, "binary", 1, s))
    got = acc.summary()
    # (1.5e308 + 1.5e308 + 1e318) / (2 + 1e10)
    want = float((Fraction(1.5e308) * 2 + Fraction(1e308) * Fraction(1e10)) / (2 + Fraction(1e10)))
    assert got.mean == pytest.approx(want, rel=1e-15) and got.n == 3 and got.sum == math.inf


EXTREME = st.sampled_from([1e-320, 1e-300, 2.0**-300, 1.0, 3.0, 2.0**300, 1e300, 1e308])


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(1, 6), EXTREME, EXTREME, st.booleans()), min_size=1, max_size=6
    ),  # (rows, weight scale, loss scale, weighted)
    st.sampled_from(["torch", "keras"]),
    st.integers(0, 2**32 - 1),
    st.data(),
)
def test_extreme_chunks_give_the_exact_weighted_mean_and_merge_exactly(
    spec: list, conv: str, seed: int, data: st.DataObject
) -> None:
    rng = np.random.default_rng(seed)
    weighted = spec[0][3]
    chunks = []
    for n, ws, ls, _ in spec:
        loss = rng.uniform(0.0, 1.0, n) * ls
        chunks.append((_rows(loss.tolist()), rng.uniform(0.5, 1.0, n) * ws if weighted else None))
    # the exact rational weighted mean, rounded once
    num = den = Fraction(0)
    for r, s in chunks:
        for i, li in enumerate(r.per_sample.tolist()):
            si = Fraction(float(s[i])) if s is not None else Fraction(1)
            num += si * Fraction(li)
            den += Fraction(1) if conv == "keras" else si
    want = float(num / den) if num / den < Fraction(1.7976931348623157e308) else math.inf
    whole = _binary(chunks, conv)
    assert whole.mean == pytest.approx(want, rel=1e-13, abs=0.0) or whole.mean == want
    cut = data.draw(st.integers(0, len(chunks)))
    opts = core.LossOptions("bce", "logits", conv)
    merged = _accumulate(opts, "binary", 1, chunks[:cut])
    merged.merge(_accumulate(opts, "binary", 1, chunks[cut:]))
    got = merged.summary()
    assert (got.mean, got.sum, got.weight_sum, got.n) == (whole.mean, whole.sum, whole.weight_sum, whole.n)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_sum", math.nan, "'weight_sum' must be a finite number >= 0, got nan"),
        ("weight_sum", -1.0, "'weight_sum' must be a finite number >= 0, got -1.0"),
        ("weight_sum", math.inf, "'weight_sum' must be a finite number >= 0, got inf"),
        ("sum", math.nan, "'sum' must be a number, got NaN"),
        ("mean", math.nan, "'mean' must be a number, got NaN"),
        ("accuracy", 1.5, "'accuracy' must be in [0, 1], got 1.5"),
    ],
)
def test_a_shard_summary_no_reduction_can_produce_is_refused(field: str, value: float, message: str) -> None:
    s = core.Summary(2, 0.5, 1.0, 2.0, 1.0, None, 0, 0, 0, np.zeros(2), np.array([1, 1]))
    setattr(s, field, value)
    with pytest.raises(LossInputError) as e:
        core.Accumulator.from_summary(core.LossOptions("bce", "logits"), "binary", 1, s)
    assert str(e.value) == message


def test_accumulators_of_different_widths_do_not_merge() -> None:
    opts = core.LossOptions("bce", "logits")
    with pytest.raises(ValueError, match="cannot merge"):
        core.Accumulator(opts, "multilabel", 3).merge(core.Accumulator(opts, "multilabel", 2))
