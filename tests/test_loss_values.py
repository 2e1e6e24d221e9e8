"""Loss values and refusals that depend on the input kind and the convention, end to end:
log-probabilities of −∞ for other classes, Keras' all-zero probability rows, scikit-learn's
label smoothing of BCE.

Expected numbers are closed forms computed here with plain ``math``; the wide comparison
against PyTorch / scikit-learn / Keras lives in test_reference.py.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import assert_input_error, run


def test_ce_log_probs_of_minus_infinity_for_other_classes(write) -> None:
    path = write("lp.csv", "a,b,c,label\n0,-inf,-inf,0\n-0.6931471805599453,-0.6931471805599453,-inf,1\n")
    r = run("ce", "--log-probs", path, "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(math.log(2) / 2, rel=1e-12)


def test_keras_refuses_all_zero_probability_rows(write) -> None:
    path = write("z.csv", "a,b,label\n0,0,0\n0.5,0.5,1\n")
    assert_input_error(run("ce", "--probs", path, "--convention", "keras"), "z.csv:2", "all 0")


def test_sklearn_bce_label_smoothing_matches_the_closed_form(write) -> None:
    path = write("p.csv", "logit,label\n0.4,1\n-2.0,0\n")
    eps, tiny = 0.2, 2.220446049250313e-16

    def ref(x: float, y: float) -> float:
        p = min(max(1 / (1 + math.exp(-x)), tiny), 1 - tiny)
        t = y * (1 - eps) + eps / 2
        return -(t * math.log(p) + (1 - t) * math.log(1 - p))

    r = run("bce", "--logits", path, "--convention", "sklearn", "--label-smoothing", "0.2", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ref(0.4, 1) + ref(-2.0, 0)) / 2, rel=1e-12)
