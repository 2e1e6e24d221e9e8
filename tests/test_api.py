"""The Python API: the same numbers as PyTorch / scikit-learn / Keras (the committed
reference fixtures), the same numbers and messages as the CLI, and the array types users have."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losscli
from tests.conftest import ROOT, run
from tests.test_reference import CASES, _cli_args, _close


def _api(case: dict) -> losscli.Result:
    o = dict(case["options"])
    kw: dict = {case["input"] if case["input"] != "logits" else "logits": case["scores"]}
    kw.update(
        {
            k: o[k]
            for k in ("pos_weight", "weight", "label_smoothing", "alpha", "gamma", "ignore_index")
            if k in o
        }
    )
    if "sample_weight" in o:
        kw["sample_weight"] = o["sample_weight"]
    fn = {"bce": losscli.bce, "ce": losscli.ce, "focal": losscli.focal}[case["loss"]]
    return fn(labels=case["labels"], convention=case["convention"], **kw)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_api_matches_reference(case: dict) -> None:
    r = _api(case)
    want = case["expected"]
    got = [None if math.isnan(v) else v for v in r.per_sample.tolist()]
    assert all(_close(g, w) for g, w in zip(got, want["per_sample"], strict=True)), (got, want)
    assert _close(r.mean, want["mean"]) and _close(r.sum, want["sum"])


@pytest.mark.parametrize("case", CASES[::9], ids=[c["id"] for c in CASES[::9]])
def test_api_and_cli_print_the_same_object(case: dict, tmp_path: Path) -> None:
    out = json.loads(run(*_cli_args(case, tmp_path / "c.json"), "--format", "json").stdout)
    d = _api(case).to_dict()
    for key in ("loss", "mode", "input", "convention", "n", "outputs", "mean", "sum", "accuracy"):
        assert d[key] == out[key], key
    assert d["signature"] == out["signature"]
    assert d.get("classes") == out.get("classes")


def test_evaluate_reads_files_as_the_cli_does() -> None:
    r = losscli.evaluate(str(ROOT / "samples/multiclass_logits.csv"))
    out = json.loads(run("auto", "--logits", "samples/multiclass_logits.csv", "--format", "json").stdout)
    assert (r.mean, r.n, r.mode, r.signature) == (out["mean"], out["n"], out["mode"], out["signature"])
    assert r.to_dict() == out


def test_evaluate_takes_cli_option_names() -> None:
    path = str(ROOT / "samples/multilabel_logits.csv")
    r = losscli.evaluate(path, loss="bce", label_col="4-6", pos_weight=2)
    out = json.loads(
        run("bce", "--logits", path, "--label-col", "4-6", "--pos-weight", "2", "--format", "json").stdout
    )
    assert r.to_dict() == out


def test_array_types_agree() -> None:
    x = [[2.0, -1.0, 0.5], [0.125, 0.25, 0.375], [-3.0, 4.0, 1.0]]  # exact in float32
    y = [0, 2, 1]
    want = losscli.ce(x, y).mean
    assert losscli.ce(np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int8)).mean == want
    assert losscli.ce(tuple(map(tuple, x)), tuple(y)).mean == want


def test_pandas_and_torch_inputs_when_installed() -> None:
    x = [[2.0, -1.0], [0.1, 0.2]]
    want = losscli.ce(x, [0, 1]).mean
    pd = pytest.importorskip("pandas")
    assert losscli.ce(pd.DataFrame(x), pd.Series([0, 1])).mean == want


def test_class_axis_one_is_pytorchs_layout() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3))  # (N, T, C)
    y = rng.integers(0, 3, size=(2, 4))
    last = losscli.ce(x, y)
    first = losscli.ce(np.moveaxis(x, -1, 1), y, class_axis=1)  # (N, C, T)
    assert last.n == first.n == 8
    np.testing.assert_array_equal(last.per_sample, first.per_sample)
    # every position is a sample: the same as the flattened 2-d problem
    flat = losscli.ce(x.reshape(-1, 3), y.reshape(-1))
    np.testing.assert_array_equal(flat.per_sample, last.per_sample)


def test_ignored_positions_are_nan_and_count_nowhere() -> None:
    r = losscli.ce([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]], [1, -100, 0], ignore_index=-100)
    assert r.n == 2 and math.isnan(r.per_sample[1])
    assert r.mean == pytest.approx((math.log1p(math.exp(-1.0)) + math.log(2.0)) / 2, rel=1e-15)


def test_bad_input_raises_the_cli_message_as_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(losscli.LossInputError) as e:
        losscli.ce([[1.0, 2.0]], [5])
    assert isinstance(e.value, ValueError)
    assert "class index 5 is out of range" in str(e.value)
    with pytest.raises(ValueError, match="exactly one score argument"):
        losscli.bce([0.1], [1], probs=[0.5])
    with pytest.raises(ValueError, match="unknown option 'gama'"):
        losscli.evaluate(str(ROOT / "samples/binary_logits.csv"), gama=2)


def test_import_losscli_is_light() -> None:
    code = "import sys, losscli; print(sorted(m for m in ('numpy', 'click', 'rich') if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert p.stdout.strip() == "[]"


def test_no_module_shadows_the_evaluate_function() -> None:
    import losscli.cli

    assert callable(losscli.evaluate) and losscli.evaluate.__module__ == "losscli.api"
    assert not (ROOT / "losscli" / "evaluate.py").exists()
