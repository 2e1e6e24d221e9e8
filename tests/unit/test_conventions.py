"""Every convention decides every rule explicitly, and the rules mean what the fields say."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest

from losscli import core
from losscli.core.conventions import CONVENTIONS, TORCH, Convention
from losscli.errors import LossInputError
from losscli.specs import CONVENTION_NAMES, LOSSES, SHARED

CONVS = list(CONVENTIONS.values())
IDS = list(CONVENTIONS)
FIELDS = [f.name for f in dataclasses.fields(Convention)]
# the libraries' constants, written out rather than read from losscli
KERAS_EPSILON = 1e-7
FLOAT64_EPS = 2.220446049250313e-16


def test_the_registry_holds_exactly_the_convention_names_of_the_specs() -> None:
    assert tuple(CONVENTIONS) == CONVENTION_NAMES == ("torch", "keras", "sklearn")


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_every_convention_sets_every_field_and_is_named_by_its_key(conv: Convention) -> None:
    assert CONVENTIONS[conv.name] is conv
    for f in dataclasses.fields(Convention):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        assert hasattr(conv, f.name)


@pytest.mark.parametrize("left_out", FIELDS)
def test_a_convention_that_leaves_out_a_rule_cannot_be_built(left_out: str) -> None:
    kwargs = {f: getattr(TORCH, f) for f in FIELDS if f != left_out}
    with pytest.raises(TypeError, match=left_out):
        Convention(**kwargs)


def test_a_misspelt_rule_value_is_refused_when_the_convention_is_built() -> None:
    with pytest.raises(ValueError, match="class_weight"):
        dataclasses.replace(TORCH, class_weight="denominator")  # type: ignore[arg-type]


def test_conventions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TORCH.exact_logits = False  # type: ignore[misc]


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_a_probability_of_0_or_1_is_capped_where_the_clamp_fields_say(conv: Convention) -> None:
    p = np.array([[0.0, 1.0, 0.5]])
    lp, l1p, clipped = conv.prob_logs(p)
    if conv.log_clamp is not None:
        cap = -conv.log_clamp
        assert conv.eps is None and cap == 100.0  # BCELoss: log terms clamped at -100
    else:
        assert conv.eps in (KERAS_EPSILON, FLOAT64_EPS)
        cap = -math.log(conv.eps)
    assert -lp[0, 0] == pytest.approx(cap, rel=1e-12) and -l1p[0, 1] == pytest.approx(cap, rel=1e-9)
    assert lp[0, 2] == l1p[0, 2] == pytest.approx(math.log(0.5), rel=1e-12)
    assert clipped[0, 0, 0] and clipped[1, 0, 1]  # the term that was capped is marked
    assert not clipped[:, 0, 2].any()


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_class_logs_agree_across_score_kinds_for_moderate_scores(conv: Convention) -> None:
    x = np.array([[0.3, -1.2, 2.0], [0.0, 0.0, 0.0]])
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # reference log-softmax
    for kind, scores in (("logits", x), ("log_probs", logp), ("probs", np.exp(logp))):
        got, clipped = conv.class_logs(scores, kind)
        np.testing.assert_allclose(got, logp, rtol=1e-12, err_msg=kind)
        assert clipped is None or not clipped.any()


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_refusals_name_real_options_and_losses_and_say_what_to_use(conv: Convention) -> None:
    names = {p.name for p in SHARED} | {"loss"}
    for rule in conv.unsupported:
        assert rule.option in names and rule.losses <= set(LOSSES)
        assert "use --convention" in rule.message
        assert conv.name not in re.findall(r"--convention (\w+)", rule.message)
    assert set(conv.refuses_soft_targets) <= {"sigmoid", "softmax"}


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_each_refusal_is_what_check_options_reports(conv: Convention) -> None:
    values = {"pos_weight": (2.0,), "weight": (1.0,), "ignore_index": -100, "label_smoothing": 0.1}
    for rule in conv.unsupported:
        for loss in sorted(rule.losses):
            if rule.option != "loss" and rule.option not in LOSSES[loss].accepts:
                continue
            hits = [r for r in conv.unsupported if loss in r.losses and r.option in ("loss", rule.option)]
            first = hits[0]
            changes = {} if rule.option == "loss" else {rule.option: values[rule.option]}
            opts = core.LossOptions(loss=loss, input="logits", convention=conv.name, **changes)  # type: ignore[arg-type]
            k = 2 if loss == "ce" else 1
            with pytest.raises(LossInputError) as e:
                core.check_options(opts, k, "multiclass" if loss == "ce" else "binary")
            assert str(e.value) == first.message


def test_no_module_of_the_core_branches_on_a_convention_name() -> None:
    src = Path(core.__file__).parent
    for path in src.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"convention\s*[!=]=|conv\s*[!=]=\s*\"", text), path.name
