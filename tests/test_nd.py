"""Sequence and dense outputs: every position is a sample, exactly as PyTorch computes it.

``tests/fixtures/nd_reference.json`` holds PyTorch 2.13's values (tools/make_nd_reference.py):
ce on (N, C, d1, …) with class-index targets, -100 padding, class weights, label smoothing;
bce elementwise on (N, d1, …). Scores are stored class axis last.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import losscli
from tests.conftest import FIXTURES, run

CASES = json.loads((FIXTURES / "nd_reference.json").read_text())["cases"]
RTOL = 1e-9
# ce runs with the class axis last and in PyTorch's (N, C, d1, …) layout; bce has no class axis
LAYOUTS = [(c, lay) for c in CASES for lay in (("last", "torch") if c["loss"] == "ce" else ("last",))]
IDS = [f"{c['id']}-{lay}" for c, lay in LAYOUTS]


def _close(got: float | None, want: float | None) -> bool:
    if want is None or got is None or (isinstance(got, float) and math.isnan(got)):
        return want is None and (got is None or math.isnan(got))
    return math.isclose(got, want, rel_tol=RTOL, abs_tol=1e-15)


def _check(per_sample: list, n: int, mean: float, total: float, want: dict) -> None:
    assert n == want["n"]
    assert len(per_sample) == len(want["per_sample"])
    assert all(_close(g, w) for g, w in zip(per_sample, want["per_sample"], strict=True))
    assert _close(mean, want["mean"]) and _close(total, want["sum"])


@pytest.mark.parametrize(("case", "layout"), LAYOUTS, ids=IDS)
def test_api_matches_pytorch(case: dict, layout: str) -> None:
    scores = np.asarray(case["scores"])
    kw = dict(case["options"])
    if case["loss"] == "ce":
        if layout == "torch":
            scores, kw["class_axis"] = np.moveaxis(scores, -1, 1), 1
        r = losscli.ce(scores, case["labels"], **kw)
    elif case["input"] == "logits":
        r = losscli.bce(scores, case["labels"], **kw)
    else:
        r = losscli.bce(probs=scores, labels=case["labels"], **kw)
    _check(r.per_sample.tolist(), r.n, r.mean, r.sum, case["expected"])
    if case["loss"] == "ce":
        assert r.to_dict()["perplexity"] == pytest.approx(math.exp(r.mean), rel=1e-15)


def _write_npy(case: dict, d: Path, layout: str) -> list[str]:
    scores = np.asarray(case["scores"])
    args: list[str] = []
    if case["loss"] == "ce" and layout == "torch":
        scores = np.moveaxis(scores, -1, 1)
        args += ["--class-axis", "1"]
    np.save(d / "scores.npy", scores)
    np.save(d / "labels.npy", np.asarray(case["labels"]))
    for key, value in case["options"].items():
        flag = "--" + key.replace("_", "-")
        args += [flag, ",".join(map(repr, value)) if isinstance(value, list) else str(value)]
    return [
        case["loss"],
        "--" + case["input"],
        str(d / "scores.npy"),
        "--labels",
        str(d / "labels.npy"),
        *args,
    ]


@pytest.mark.parametrize(("case", "layout"), LAYOUTS, ids=IDS)
def test_cli_on_npy_matches_pytorch(case: dict, layout: str, tmp_path: Path) -> None:
    r = run(*_write_npy(case, tmp_path, layout), "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    _check(d["per_sample"], d["n"], d["mean"], d["sum"], case["expected"])
