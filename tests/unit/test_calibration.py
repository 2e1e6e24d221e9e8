"""losscli.calibration against scikit-learn and torchmetrics, and its streaming properties.

``tests/fixtures/calibration.json`` is written by ``tools/make_calibration_reference.py``
(sklearn ``brier_score_loss``, torchmetrics ``BinaryCalibrationError`` /
``MulticlassCalibrationError`` in float64); the suite itself needs neither.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import calibration as cal
from losscli.errors import LossInputError

DOC = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "calibration.json").read_text())
CASES = DOC["cases"]
TOL = 1e-12


def _fill(acc: cal.CalibrationAccumulator, mode: str, inp: str, scores, labels) -> None:
    family = "softmax" if mode == "multiclass" else "sigmoid"
    p = cal.probabilities(np.asarray(scores, dtype=np.float64), inp, family)
    if mode == "binary":
        acc.add_binary(p, np.asarray(labels))
    elif mode == "multiclass":
        acc.add_multiclass(p, np.asarray(labels))
    else:
        acc.add_multilabel(p, np.asarray(labels))


def _from_case(case: dict) -> dict:
    data = DOC["datasets"][case["data"]]
    acc = cal.CalibrationAccumulator(case["bins"], data["mode"])
    _fill(acc, data["mode"], data["input"], data["scores"], data["labels"])
    return acc.result()


@pytest.mark.parametrize("bins", sorted(DOC["edges"], key=int))
def test_edges_are_torch_linspace_bit_for_bit(bins: str) -> None:
    got = [float(v).hex() for v in cal.bin_edges(int(bins))]
    assert got == DOC["edges"][bins]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_sklearn_and_torchmetrics(case: dict) -> None:
    got, want = _from_case(case), case["expected"]
    assert math.isclose(got["brier"], DOC["datasets"][case["data"]]["brier"], rel_tol=TOL, abs_tol=TOL)
    assert math.isclose(got["ece"], want["ece"], rel_tol=TOL, abs_tol=TOL)
    assert math.isclose(got["mce"], want["mce"], rel_tol=TOL, abs_tol=TOL)
    assert [(b["lo"], b["hi"], b["n"]) for b in got["bins"]] == [
        (b["lo"], b["hi"], b["n"]) for b in want["bins"]
    ]
    for g, w in zip(got["bins"], want["bins"], strict=True):
        assert math.isclose(g["confidence"], w["confidence"], rel_tol=TOL, abs_tol=TOL)
        assert math.isclose(g["accuracy"], w["accuracy"], rel_tol=TOL, abs_tol=TOL)


def test_fixture_covers_what_it_should() -> None:
    ids = {c["id"] for c in CASES}
    for b in (1, 15, 100):
        assert f"binary-calibrated-b{b}" in ids and f"multiclass-dirichlet-c3-b{b}" in ids
    assert any(c["id"].startswith("binary-edges-") for c in CASES)
    # confidence exactly 1.0 gets a bin of its own
    ones = next(c for c in CASES if c["id"] == "binary-all-ones-b15")["expected"]["bins"]
    assert ones == [{"lo": 1.0, "hi": 1.0, "n": 3, "confidence": 1.0, "accuracy": 2 / 3}]


# ---------------------------------------------------------------------------------------
# properties


def _binary_calibrated(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    p = rng.uniform(size=n)
    return p, (rng.uniform(size=n) < p).astype(np.int64)


def test_ece_vanishes_for_calibrated_data() -> None:
    rng = np.random.default_rng(1)
    eces = []
    for n in (1_000, 30_000, 1_000_000):
        acc = cal.CalibrationAccumulator(15, "binary")
        acc.add_binary(*_binary_calibrated(rng, n))
        eces.append(acc.result()["ece"])
    # sampling noise shrinks like sqrt(bins / n): ~0.05, ~0.01, ~0.002
    assert eces[2] < 0.005 and eces[2] < eces[0] / 5, eces


def test_multiclass_ece_vanishes_for_calibrated_data() -> None:
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.full(4, 0.5), size=400_000)
    u = rng.uniform(size=(len(probs), 1))
    labels = (u > np.cumsum(probs, axis=1)).sum(axis=1)  # a draw from each row's distribution
    acc = cal.CalibrationAccumulator(15, "multiclass")
    acc.add_multiclass(probs, np.minimum(labels, 3))
    assert acc.result()["ece"] < 0.005


def test_a_miscalibrated_model_has_the_gap_as_ece() -> None:
    # every confidence 0.9, right half of the time: ECE = MCE = 0.4
    acc = cal.CalibrationAccumulator(10, "binary")
    acc.add_binary(np.full(1000, 0.9), np.arange(1000) % 2)
    r = acc.result()
    assert math.isclose(r["ece"], 0.4, rel_tol=1e-12) and math.isclose(r["mce"], 0.4, rel_tol=1e-12)
    assert math.isclose(r["brier"], (0.9**2 + 0.1**2) / 2, rel_tol=1e-12)


probs01 = st.one_of(
    st.floats(0.0, 1.0, allow_nan=False),
    st.sampled_from([0.0, 1.0, 0.5, 0.2, 0.3, 0.6, 1 / 3, 2 / 3, 0.06666666666666667]),
)


@settings(max_examples=60, deadline=None)
@given(
    p=st.lists(probs01, min_size=1, max_size=60),
    bins=st.sampled_from([1, 2, 3, 10, 15, 100]),
    cut=st.integers(0, 60),
    data=st.data(),
)
def test_chunked_equals_whole_and_fsum(p: list[float], bins: int, cut: int, data: st.DataObject) -> None:
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(p), max_size=len(p))))
    pa = np.array(p)
    whole = cal.CalibrationAccumulator(bins, "binary")
    whole.add_binary(pa, y)
    chunked = cal.CalibrationAccumulator(bins, "binary")
    cut = min(cut, len(p))
    chunked.add_binary(pa[:cut], y[:cut])
    chunked.add_binary(pa[cut:], y[cut:])
    a, b = whole.result(), chunked.result()
    assert [x["n"] for x in a["bins"]] == [x["n"] for x in b["bins"]]
    assert sum(x["n"] for x in a["bins"]) == len(p)
    assert math.isclose(a["ece"], b["ece"], rel_tol=1e-15, abs_tol=1e-15)
    assert math.isclose(a["brier"], b["brier"], rel_tol=1e-15, abs_tol=1e-300)
    # an independent reference: each bin's mean is the correctly rounded fsum / n
    slot = np.searchsorted(cal.bin_edges(bins), pa, side="right") - 1
    for row in a["bins"]:
        k = (
            bins
            if row["lo"] == row["hi"] == 1.0
            else int(np.flatnonzero(cal.bin_edges(bins) == row["lo"])[0])
        )
        members = pa[slot == k]
        assert row["n"] == len(members)
        assert math.isclose(row["confidence"], math.fsum(members) / len(members), rel_tol=1e-15)
        assert row["accuracy"] == y[slot == k].sum() / len(members)
    assert math.isclose(a["brier"], math.fsum((pa - y) ** 2) / len(p), rel_tol=1e-15, abs_tol=1e-300)


def test_merge_and_json_round_trip_equal_the_whole() -> None:
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(5), size=5000)
    labels = rng.integers(0, 5, size=5000)
    whole = cal.CalibrationAccumulator(15, "multiclass")
    whole.add_multiclass(probs, labels)
    shards = []
    for lo, hi in ((0, 1), (1, 1700), (1700, 1700), (1700, 5000)):
        s = cal.CalibrationAccumulator(15, "multiclass")
        s.add_multiclass(probs[lo:hi], labels[lo:hi])
        shards.append(cal.CalibrationAccumulator.from_dict(json.loads(json.dumps(s.to_dict()))))
    merged = shards[0]
    for s in shards[1:]:
        merged.merge(s)
    a, b = whole.result(), merged.result()
    assert [x["n"] for x in a["bins"]] == [x["n"] for x in b["bins"]]
    for key in ("brier", "ece", "mce"):
        assert math.isclose(a[key], b[key], rel_tol=1e-15), key
    for x, z in zip(a["bins"], b["bins"], strict=True):
        assert math.isclose(x["confidence"], z["confidence"], rel_tol=1e-15)
        assert x["accuracy"] == z["accuracy"]
    again = cal.CalibrationAccumulator.from_dict(json.loads(json.dumps(merged.to_dict())))
    assert again.to_dict() == merged.to_dict() and again.result() == b


def test_multilabel_bins_count_every_output() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(size=(300, 7))
    y = (rng.uniform(size=(300, 7)) < p).astype(np.int64)
    acc = cal.CalibrationAccumulator(15, "multilabel")
    acc.add_multilabel(p, y)
    r = acc.result()
    assert sum(b["n"] for b in r["bins"]) == 300 * 7 == acc.n
    assert math.isclose(r["brier"], float(np.mean((p - y) ** 2)), rel_tol=1e-13)


# ---------------------------------------------------------------------------------------
# refusals and helpers


def test_soft_labels_and_bad_probabilities_are_refused() -> None:
    acc = cal.CalibrationAccumulator(15, "binary")
    with pytest.raises(LossInputError, match=r"hard 0/1 labels; row 2 has the soft label 0\.3"):
        acc.add_binary(np.array([0.1, 0.2]), np.array([1.0, 0.3]))
    with pytest.raises(LossInputError, match=r"probabilities in \[0, 1\]; row 1 has nan"):
        acc.add_binary(np.array([np.nan]), np.array([1]))
    with pytest.raises(LossInputError, match=r"row 2 has 1.5"):
        cal.CalibrationAccumulator(15, "multilabel").add_multilabel(
            np.array([[0.1, 0.2], [1.5, 0.0]]), np.zeros((2, 2))
        )
    with pytest.raises(LossInputError, match=r"class indices in \[0, 3\); row 1 has 3"):
        cal.CalibrationAccumulator(15, "multiclass").add_multiclass(np.full((1, 3), 1 / 3), np.array([3]))
    with pytest.raises(LossInputError, match="no rows"):
        acc.result()


def test_merge_refuses_other_bins_and_bad_state() -> None:
    a, b = cal.CalibrationAccumulator(15, "binary"), cal.CalibrationAccumulator(10, "binary")
    with pytest.raises(LossInputError, match="10 bins into binary with 15 bins"):
        a.merge(b)
    bad = a.to_dict()
    bad["count"] = bad["count"][:-1]
    with pytest.raises(LossInputError, match="not a valid calibration state"):
        cal.CalibrationAccumulator.from_dict(bad)
    with pytest.raises(LossInputError, match="whole number of bins"):
        cal.CalibrationAccumulator(0, "binary")


def test_probability_helpers_are_exact_at_extremes() -> None:
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 1000.0])
    s = cal.sigmoid(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert math.isclose(s[2], math.exp(-40.0) / (1 + math.exp(-40.0)), rel_tol=1e-15)
    assert np.all(cal.sigmoid(-x) + s == 1.0)
    sm = cal.softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert sm[0].tolist() == [1.0, math.exp(-1000.0), 0.0] and np.allclose(sm[1], 1 / 3, rtol=1e-15)
    lp = np.log(np.array([[0.25, 0.75]]))
    assert np.allclose(cal.probabilities(lp, "log_probs", "softmax"), [[0.25, 0.75]], rtol=1e-15)


def test_bucketize_equals_a_binary_search_at_every_edge_and_its_neighbours() -> None:
    for bins in (*range(1, 120), 255, 1000):
        edges = cal.bin_edges(bins)
        c = np.concatenate(
            [edges, np.nextafter(edges, -1.0), np.nextafter(edges, 2.0), [k / bins for k in range(bins)]]
        )
        c = np.clip(c, 0.0, 1.0)
        acc = cal.CalibrationAccumulator(bins, "binary")
        assert np.array_equal(acc.bucketize(c), np.searchsorted(edges, c, side="right") - 1), bins


def test_exact_sums_do_not_depend_on_order_or_magnitude() -> None:
    from losscli.exactsum import ExactSums

    rng = np.random.default_rng(6)
    v = np.concatenate([rng.uniform(size=50_000), rng.uniform(size=50_000) * 1e-12, [2.0, 1e-300, 0.0]])
    slot = rng.integers(0, 3, size=len(v))
    want = [math.fsum(v[slot == k]) for k in range(3)]
    for perm in (np.arange(len(v)), rng.permutation(len(v))):
        s = ExactSums(3)
        for part in np.array_split(perm, 7):
            s.add(slot[part], v[part])
        assert all(math.isclose(g, w, rel_tol=2e-16) for g, w in zip(s.values(), want, strict=True))
    # values all below 2**-48 live in the remainder alone, which is summed in plain float64
    tiny = ExactSums(1)
    tiny.add(np.zeros(1000, dtype=np.intp), np.full(1000, 1e-20))
    assert math.isclose(tiny.values()[0], 1e-17, rel_tol=1e-13)
