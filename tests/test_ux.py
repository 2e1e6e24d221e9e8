"""What a new user trips over: probabilities given as logits, string labels, pandas and
Excel files, shell completion, grouped --help, progress on every reader.

Expected numbers are closed forms written here with plain ``math``.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import assert_input_error, run, run_json


def bce_p(p: float, y: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def ce_logits(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row)) - row[t]


# ---------------------------------------------------------------------------------------
# String labels with one score column: --pos-label, --classes NEG,POS

CATDOG = "p_dog,label\n0.9,dog\n0.2,cat\n0.7,dog\n"
CATDOG_MEAN = (bce_p(0.9, 1) + bce_p(0.2, 0) + bce_p(0.7, 1)) / 3


def test_pos_label_maps_string_labels_to_one_and_zero(write) -> None:
    path = write("cd.csv", CATDOG)
    doc = run_json("bce", "--probs", path, "--pos-label", "dog")
    assert doc["mean"] == pytest.approx(CATDOG_MEAN, rel=1e-12)
    assert "pos_label:dog" in doc["signature"]
    flipped = run_json("bce", "--probs", path, "--pos-label", "cat")
    assert flipped["mean"] == pytest.approx((bce_p(0.9, 0) + bce_p(0.2, 1) + bce_p(0.7, 0)) / 3, rel=1e-12)
    assert "pos_label:cat" in flipped["signature"]


def test_classes_neg_pos_for_one_score_column(write) -> None:
    path = write("cd.csv", CATDOG)
    doc = run_json("bce", "--probs", path, "--classes", "cat,dog")
    assert doc["mean"] == pytest.approx(CATDOG_MEAN, rel=1e-12)
    assert "pos_label:dog" in doc["signature"]
    assert_input_error(run("bce", "--probs", path, "--classes", "cat,dog,x"), "--classes NEG,POS")
    assert_input_error(run("bce", "--probs", path, "--classes", "cat,dog", "--pos-label", "cat"), "disagrees")


def test_string_labels_without_pos_label_name_it(write) -> None:
    path = write("cd.csv", CATDOG)
    assert_input_error(run("bce", "--probs", path), "'dog'", "--pos-label")
    three = write("three.csv", "p,label\n0.9,dog\n0.2,cat\n0.3,bird\n")
    assert_input_error(run("bce", "--probs", three, "--pos-label", "dog"), "3 values", "--classes NEG,POS")


# ---------------------------------------------------------------------------------------
# An explicit --classes wins over a c0,c1,c2 header


def test_explicit_classes_win_over_a_generic_header(write) -> None:
    path = write("c.csv", "c0,c1,c2,label\n2.0,1.0,0.1,dog\n0.5,0.2,1.5,bird\n")
    r = run("ce", "--logits", path, "--classes", "cat,dog,bird", "-q")
    assert r.exit_code == 0, r.stderr
    want = (ce_logits([2.0, 1.0, 0.1], 1) + ce_logits([0.5, 0.2, 1.5], 2)) / 2
    assert float(r.stdout) == pytest.approx(want, rel=1e-12)
    doc = run_json("ce", "--logits", path, "--classes", "cat,dog,bird")
    assert doc["classes"] == ["cat", "dog", "bird"]


# ---------------------------------------------------------------------------------------
# The line of a bad label is the first bad row


def test_bad_label_line_is_the_first_bad_row(write) -> None:
    rows = ["0.1,dog"] + [f"0.{i},1" for i in range(6)] + ["0.3,cat"]
    path = write("bad.csv", "logit,label\n" + "\n".join(rows) + "\n")
    assert_input_error(run("bce", "--logits", path), "bad.csv:2:2", "'dog'")
