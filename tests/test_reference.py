"""losscli against numbers produced by PyTorch 2.13, scikit-learn 1.9 and Keras 3's formulas.

``tests/fixtures/reference.json`` is written by ``tools/make_reference.py`` (which needs torch
and scikit-learn; the suite does not). Each case is checked twice: through the NumPy core,
and end to end through the CLI reading the same data from a JSON file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from losscli import core
from tests.conftest import FIXTURES, run

CASES = json.loads((FIXTURES / "reference.json").read_text())["cases"]
RTOL = 1e-9  # the contract is 1e-6; float64 NumPy agrees with torch far closer
ATOL = 1e-15


def _mode(case: dict) -> str:
    scores = np.asarray(case["scores"])
    if case["loss"] == "ce":
        return "multiclass"
    return "binary" if scores.shape[1] == 1 else "multilabel"


def _options(case: dict) -> core.LossOptions:
    o = case["options"]
    return core.LossOptions(
        loss=case["loss"],
        input=case["input"],
        convention=case["convention"],
        pos_weight=tuple(o["pos_weight"]) if "pos_weight" in o else None,
        weight=tuple(o["weight"]) if "weight" in o else None,
        ignore_index=o.get("ignore_index"),
        label_smoothing=o.get("label_smoothing", 0.0),
        alpha=o.get("alpha"),
        gamma=o.get("gamma", 2.0),
        sample_weights="sample_weight" in o,
    )


def _targets(case: dict) -> core.Targets:
    labels = case["labels"]
    if case["loss"] == "ce" and not isinstance(labels[0], list):
        return core.Targets(index=np.asarray(labels, dtype=np.int64))
    return core.Targets(y=np.asarray(labels, dtype=np.float64))


def _close(got: float | None, want: float | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=RTOL, abs_tol=ATOL)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_core_matches_reference(case: dict) -> None:
    opts = _options(case)
    scores = np.asarray(case["scores"], dtype=np.float64)
    mode = _mode(case)
    core.check_options(opts, scores.shape[1], mode)
    r = core.compute(scores, _targets(case), opts)
    acc = core.Accumulator(opts, mode, scores.shape[1])
    sw = case["options"].get("sample_weight")
    acc.add(r, None if sw is None else np.asarray(sw, dtype=np.float64))
    s = acc.summary()
    want = case["expected"]
    got_ps = [None if not ok else float(v) for v, ok in zip(r.per_sample, r.valid, strict=True)]
    assert all(_close(g, w) for g, w in zip(got_ps, want["per_sample"], strict=True)), (
        got_ps,
        want["per_sample"],
    )
    assert _close(s.mean, want["mean"]), (s.mean, want["mean"])
    assert _close(s.sum, want["sum"]), (s.sum, want["sum"])


def _cli_args(case: dict, path: Path) -> list[str]:
    o = case["options"]
    doc: dict = {case["input"]: case["scores"], "labels": case["labels"]}
    if "sample_weight" in o:
        doc["sample_weight"] = o["sample_weight"]
    path.write_text(json.dumps(doc))
    args = [
        case["loss"],
        "--" + case["input"].replace("_", "-"),
        str(path),
        "--convention",
        case["convention"],
    ]
    for key in ("pos_weight", "weight"):
        if key in o:
            args += ["--" + key.replace("_", "-"), ",".join(repr(float(v)) for v in o[key])]
    for key in ("ignore_index", "label_smoothing", "alpha", "gamma"):
        if key in o:
            args += ["--" + key.replace("_", "-"), str(o[key])]
    if "sample_weight" in o:
        args += ["--sample-weight-col", "sample_weight"]
    return args


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_cli_matches_reference(case: dict, tmp_path: Path) -> None:
    r = run(*_cli_args(case, tmp_path / "case.json"), "--format", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    want = case["expected"]
    assert out["mode"] == _mode(case)
    assert all(_close(g, w) for g, w in zip(out["per_sample"], want["per_sample"], strict=True))
    assert _close(out["mean"], want["mean"])
    assert _close(out["sum"], want["sum"])
