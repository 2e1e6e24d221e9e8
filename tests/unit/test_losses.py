"""Each loss spec is what compute and check_options do, and the formulas agree with each other
and with closed forms (as optax tests its integer-label CE against one-hot CE)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from losscli import core
from losscli.errors import LossInputError
from losscli.specs import CONVENTION_NAMES, LOSSES, SHARED, LossSpec

SPECS = list(LOSSES.values())
IDS = list(LOSSES)
KINDS = ("logits", "probs", "log_probs")
# a valid non-default value of each shared option, for k = 2 columns
GIVEN = {
    "pos_weight": (2.0,),
    "weight": (1.0, 3.0),
    "ignore_index": -100,
    "label_smoothing": 0.1,
    "threshold": 0.3,
    "sample_weight": True,
}
OPTION_FIELDS = {f.name: f for f in dataclasses.fields(core.LossOptions)}


def _field(name: str) -> str:
    return "sample_weights" if name == "sample_weight" else name


def _mode(spec: LossSpec) -> str:
    return "multiclass" if spec.family == "softmax" else "multilabel"


def _data(spec: LossSpec, kind: str) -> tuple[np.ndarray, core.Targets]:
    x = np.array([[0.5, -1.0], [2.0, 0.1], [-0.3, 0.8]])
    if spec.family == "softmax":
        logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
        scores = {"logits": x, "probs": np.exp(logp), "log_probs": logp}[kind]
        return scores, core.Targets(index=np.array([0, 1, 1]))
    scores = x if kind == "logits" else 1.0 / (1.0 + np.exp(-x))
    return scores, core.Targets(y=np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))


def test_the_losses_are_bce_ce_focal_in_that_order() -> None:
    assert list(LOSSES) == ["bce", "ce", "focal"]
    assert [s.name for s in SPECS] == IDS


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_spec_names_only_real_kinds_options_and_fields(spec: LossSpec) -> None:
    assert spec.family in ("sigmoid", "softmax") and spec.help
    assert set(spec.inputs) <= set(KINDS) and "logits" in spec.inputs
    assert spec.accepts <= {p.name for p in SHARED}
    for p in spec.params:
        assert OPTION_FIELDS[p.name].default == p.default  # one default, not two
        assert p.check is None or p.check(p.default) is None
    assert core.LossOptions(loss=spec.name, input="logits").family == spec.family


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_compute_takes_exactly_the_spec_inputs(spec: LossSpec, kind: str) -> None:
    opts = core.LossOptions(loss=spec.name, input=kind)
    if kind not in spec.inputs:
        with pytest.raises(LossInputError, match=f"is only for ce; {spec.name} takes"):
            core.check_options(opts, 2, _mode(spec))
        return
    core.check_options(opts, 2, _mode(spec))
    scores, t = _data(spec, kind)
    r = core.compute(scores, t, opts)
    assert r.per_sample.shape == (3,) and np.isfinite(r.per_sample).all() and (r.per_sample > 0).all()


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("option", list(GIVEN))
def test_check_options_accepts_exactly_the_spec_accepts(spec: LossSpec, option: str) -> None:
    opts = core.LossOptions(loss=spec.name, input="logits", **{_field(option): GIVEN[option]})  # type: ignore[arg-type]
    if option in spec.accepts:
        core.check_options(opts, 2, _mode(spec))
    else:
        with pytest.raises(LossInputError, match=f"--{option.replace('_', '-')} is "):
            core.check_options(opts, 2, _mode(spec))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_out_of_range_own_parameters_are_refused(spec: LossSpec) -> None:
    for p in spec.params:
        opts = core.LossOptions(loss=spec.name, input="logits", **{p.name: math.inf})  # type: ignore[arg-type]
        with pytest.raises(LossInputError, match=f"--{p.name} must be"):
            core.check_options(opts, 2, _mode(spec))


@pytest.mark.parametrize("convention", [c for c in CONVENTION_NAMES if c != "sklearn"])
@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_two_class_ce_on_zero_and_x_is_binary_bce_on_x(convention: str, kind: str) -> None:
    x = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    y = np.array([0, 1, 1, 0, 1])
    ce_scores = np.stack([np.zeros_like(x), x], axis=1)
    bce_scores = x[:, None]
    if kind == "probs":
        p = 1.0 / (1.0 + np.exp(-x))
        ce_scores, bce_scores = np.stack([1.0 - p, p], axis=1), p[:, None]
    ce = core.compute(ce_scores, core.Targets(index=y), core.LossOptions("ce", kind, convention))
    bce = core.compute(
        bce_scores, core.Targets(y=y[:, None].astype(float)), core.LossOptions("bce", kind, convention)
    )
    np.testing.assert_allclose(ce.per_sample, bce.per_sample, rtol=1e-12)
    assert (ce.correct == bce.correct).all()


def test_two_class_ce_matches_bce_under_sklearn_too() -> None:
    p = np.array([0.1, 0.4, 0.9])
    y = np.array([0, 1, 1])
    ce = core.compute(
        np.stack([1 - p, p], axis=1), core.Targets(index=y), core.LossOptions("ce", "probs", "sklearn")
    )
    bce = core.compute(
        p[:, None], core.Targets(y=y[:, None] * 1.0), core.LossOptions("bce", "probs", "sklearn")
    )
    np.testing.assert_allclose(ce.per_sample, bce.per_sample, rtol=1e-12)


@pytest.mark.parametrize("convention", ["torch", "keras"])
def test_focal_with_gamma_0_and_no_alpha_is_bce(convention: str) -> None:
    x = np.array([[-2.0, 0.3], [1.5, 5.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    focal = core.compute(
        x, core.Targets(y=y), core.LossOptions("focal", "logits", convention, gamma=0.0, alpha=-1.0)
    )
    bce = core.compute(x, core.Targets(y=y), core.LossOptions("bce", "logits", convention))
    np.testing.assert_allclose(focal.elements, bce.elements, rtol=1e-9)  # keras: via clipped σ(x)


def test_torch_focal_alpha_defaults_to_a_quarter_on_positives() -> None:
    x, y = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])
    r = core.compute(x, core.Targets(y=y), core.LossOptions("focal", "logits", gamma=0.0))
    np.testing.assert_allclose(r.elements, [[0.25 * math.log(2), 0.75 * math.log(2)]], rtol=1e-15)


@pytest.mark.parametrize("convention", CONVENTION_NAMES)
def test_ce_on_one_hot_targets_equals_ce_on_class_indices(convention: str) -> None:
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    idx = np.array([2, 1])
    opts = core.LossOptions("ce", "logits", convention)
    hard = core.compute(x, core.Targets(index=idx), opts)
    soft = core.compute(x, core.Targets(y=np.eye(3)[idx]), opts)
    np.testing.assert_allclose(hard.per_sample, soft.per_sample, rtol=1e-12)


def test_the_logits_fast_path_equals_ce_on_log_softmax() -> None:
    x = np.array([[1.0, -2.0, 0.5], [0.0, 30.0, -10.0], [900.0, -900.0, 0.0]])
    idx = np.array([2, 0, 0])
    w = np.array([0.5, 2.0, 1.0])
    fast, fast_d = core.softmax_ce_int_labels_from_logits(x, idx, w, core.TORCH)
    slow, slow_d, _ = core.softmax_ce_int_labels(core.log_softmax(x), idx, w, 0.0, core.TORCH)
    np.testing.assert_allclose(fast, slow, rtol=1e-13)
    assert (fast_d == slow_d).all() and (fast_d == w[idx]).all()


def test_closed_forms_log_2_and_log_k() -> None:
    zero = np.zeros((1, 1))
    r = core.compute(zero, core.Targets(y=np.ones((1, 1))), core.LossOptions("bce", "logits"))
    assert r.per_sample[0] == pytest.approx(math.log(2), rel=1e-15)
    r = core.compute(np.zeros((1, 5)), core.Targets(index=np.array([3])), core.LossOptions("ce", "logits"))
    assert r.per_sample[0] == pytest.approx(math.log(5), rel=1e-15)
