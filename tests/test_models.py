"""Several models on the same labels: ``--logits a --logits b`` compares b with a."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import assert_input_error, run


@pytest.fixture
def two_models(write) -> tuple[str, str]:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 300)
    good = rng.normal(size=300) + 2.0 * (2 * y - 1)
    bad = 0.2 * good + rng.normal(size=300)
    a = write("a.csv", "logit,label\n" + "".join(f"{float(v)!r},{t}\n" for v, t in zip(good, y, strict=True)))
    b = write("b.csv", "logit,label\n" + "".join(f"{float(v)!r},{t}\n" for v, t in zip(bad, y, strict=True)))
    return a, b


def _softplus_bce(x: float, y: int) -> float:
    # BCE from logits, written out independently: log(1 + e^-x) for y=1, log(1 + e^x) for y=0
    z = x if y == 1 else -x
    return math.log1p(math.exp(-abs(z))) + max(-z, 0.0)


def test_each_model_has_its_own_mean_and_the_delta_against_the_first(two_models) -> None:
    a, b = two_models
    d = json.loads(run("bce", "--logits", a, "--logits", b, "--format", "json").stdout)
    rows = [line.split(",") for line in Path(b).read_text().splitlines()[1:]]
    want_b = math.fsum(_softplus_bce(float(x), int(t)) for x, t in rows) / len(rows)
    first, second = d["models"]
    assert first["path"] == a and first["delta"] is None and first["mean"] == d["mean"]
    assert second["path"] == b and math.isclose(second["mean"], want_b, rel_tol=1e-12)
    assert math.isclose(second["delta"], want_b - d["mean"], rel_tol=1e-12)
    assert second["verdict"] == "worse"


def test_the_paired_interval_is_the_baseline_comparison_of_the_same_files(two_models) -> None:
    a, b = two_models
    models = json.loads(run("bce", "--logits", a, "--logits", b, "--format", "json").stdout)["models"][1]
    base = json.loads(run("bce", "--logits", b, "--baseline", a, "--format", "json").stdout)["baseline"]
    assert models["delta_ci"] == base["delta_ci"]
    assert models["delta"] == pytest.approx(base["delta"], rel=1e-15)


def test_fail_if_worse_fails_when_a_later_model_is_worse(two_models) -> None:
    a, b = two_models
    r = run("bce", "--logits", a, "--logits", b, "--fail-if-worse", "-q")
    assert r.exit_code == 1
    assert "significantly worse than the first model" in r.stderr
    assert run("bce", "--logits", b, "--logits", a, "--fail-if-worse", "-q").exit_code == 0


def test_the_table_names_every_model(two_models) -> None:
    a, b = two_models
    out = run("bce", "--logits", a, "--logits", b).stdout
    assert "model 2" in out and b in out and "worse" in out


def test_several_models_with_row_formats_or_a_baseline_are_refused(two_models) -> None:
    a, b = two_models
    assert_input_error(run("bce", "--logits", a, "--logits", b, "--format", "csv"), "one model's rows")
    assert_input_error(run("bce", "--logits", a, "--logits", b, "--baseline", a), "compared with the first")
    assert_input_error(run("bce", "--logits", a, "--probs", b), "exactly one score source")
