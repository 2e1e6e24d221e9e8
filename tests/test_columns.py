"""Which columns are scores, labels and weights, and how labels are decoded: picks by name,
1-based index and range, index and id columns that are never scores, class names and
``--classes``, labels that change type late in a file.

Expected numbers are closed forms computed here with plain ``math``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import assert_input_error, run


def bce(x: float, y: float) -> float:
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def ce(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row)) - row[t]


BINARY_MEAN = math.fsum([bce(0.2, 1), bce(-1.0, 0), bce(3.0, 1)]) / 3


# ---------------------------------------------------------------------------------------
# Picks by name, index and range


def test_labels_file_and_column_picks(write) -> None:
    scores = write("s.csv", "id,w,a,b,c\n7,1,1.0,2.0,0.5\n8,1,0.1,0.2,3.0\n")
    labels = write("y.csv", "1\n2\n")
    want = (ce([1.0, 2.0, 0.5], 1) + ce([0.1, 0.2, 3.0], 2)) / 2
    for cols in ("a,b,c", "3-5", "a-c", "3,4,5"):
        r = run("ce", "--logits", scores, "--labels", labels, "--score-cols", cols, "-q")
        assert r.exit_code == 0, r.stderr
        assert float(r.stdout) == pytest.approx(want, rel=1e-14)


def test_digit_column_picks_are_indices_even_with_numeric_headers(write) -> None:
    path = write("pd.csv", ",0,1,label\n7,5.0,-5.0,1\n8,-5.0,5.0,0\n")
    r = run("ce", "--logits", path, "--score-cols", "2,3", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(ce([5.0, -5.0], 1), rel=1e-12)
    doc = write("two.json", json.dumps({"logits": [[5, -5], [-5, 5]], "labels": [1, 0]}))
    r = run(
        "bce", "--logits", doc, "--score-cols", "1", "--label-col", "3", "--labels", write("y.txt", "1\n0\n")
    )
    assert r.exit_code == 2  # a score file with --labels and a labels key: ambiguous


def test_ranges_of_names_that_contain_dashes(write) -> None:
    path = write("d.csv", "s-a,s-b,s-c,label\n1,2,3,0\n3,2,1,2\n")
    r = run("ce", "--logits", path, "--score-cols", "s-a-s-c", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ce([1, 2, 3], 0) + ce([3, 2, 1], 2)) / 2, rel=1e-12)


def test_label_column_by_index_and_true_false_labels(write) -> None:
    path = write("p.csv", "score,truth\n0.2,TRUE\n-1.0,false\n3.0,True\n")
    r = run("bce", "--logits", path, "--label-col", "2", "-q")
    assert float(r.stdout) == pytest.approx(BINARY_MEAN, rel=1e-15)
    r = run("bce", "--logits", path, "--label-col", "truth", "-q")
    assert float(r.stdout) == pytest.approx(BINARY_MEAN, rel=1e-15)


def test_index_and_id_columns_are_not_taken_as_scores(write) -> None:
    pandas = write("pd.csv", ",logit,label\n0,0.3,1\n1,-1.0,0\n")
    assert_input_error(
        run("auto", "--logits", pandas, "-q"), "pd.csv", "column 1 has no name", "--score-cols"
    )
    ids = write("id.jsonl", '{"id": 17, "logit": 0.3, "label": 1}\n{"id": 18, "logit": -1.0, "label": 0}\n')
    assert_input_error(run("auto", "--logits", ids, "-q"), "id.jsonl", "'id'")
    r = run("bce", "--logits", pandas, "--score-cols", "logit", "-q")
    assert float(r.stdout) == pytest.approx((bce(0.3, 1) + bce(-1.0, 0)) / 2, rel=1e-12)


# ---------------------------------------------------------------------------------------
# Class names and --classes


def test_classes_option_maps_names(write) -> None:
    scores = write("s.npy", b"")
    np.save(scores, np.array([[2.0, 0.5], [0.1, 0.3]]))
    labels = write("y.csv", "label\ndog\ncat\n")
    r = run("ce", "--logits", scores, "--labels", labels, "--classes", "cat,dog", "-q")
    want = (ce([2.0, 0.5], 1) + ce([0.1, 0.3], 0)) / 2
    assert float(r.stdout) == pytest.approx(want, rel=1e-14)


def test_npy_labels_of_class_names_map_through_classes(tmp_path: Path) -> None:
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, np.array([[2.0, 0.5], [0.1, 0.3]]))
    np.save(y, np.array(["dog", "cat"]))
    r = run("ce", "--logits", str(x), "--labels", str(y), "--classes", "cat,dog", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ce([2.0, 0.5], 1) + ce([0.1, 0.3], 0)) / 2, rel=1e-12)


def test_classes_disagreeing_with_the_header_are_refused(write) -> None:
    path = write("m.csv", "cat,dog,bird,label\n2.0,1.0,0.1,cat\n")
    assert_input_error(
        run("ce", "--logits", path, "--classes", "bird,cat,dog"), "disagrees with the score header"
    )
    r = run("ce", "--logits", path, "--classes", "cat,dog,bird", "-q")
    assert float(r.stdout) == pytest.approx(ce([2.0, 1.0, 0.1], 0), rel=1e-12)


# ---------------------------------------------------------------------------------------
# Labels that change type late in a file


def test_labels_turning_true_false_late_are_decoded_and_text_is_located(write) -> None:
    body = "0.1,1\n" * 1500 + "0.2,true\n0.3,FALSE\n"
    path = write("late.csv", "logit,label\n" + body)
    want = (1500 * bce(0.1, 1) + bce(0.2, 1) + bce(0.3, 0)) / 1502
    r = run("bce", "--logits", path, "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(want, rel=1e-12)
    bad = write("bad.csv", "logit,label\n" + "0.1,1\n" * 1500 + "oops,1\n")
    assert_input_error(run("bce", "--logits", bad), "bad.csv:1502:1", "'oops' is not a number")
