"""``--calibration`` end to end: the CLI, the Python API and ``merge`` give the Brier score,
ECE, MCE and bins that scikit-learn and torchmetrics give (tests/fixtures/calibration.json,
made by tools/make_calibration_reference.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import losscli
from tests.conftest import FIXTURES, assert_input_error, run

REF = json.loads((FIXTURES / "calibration.json").read_text())
DATA = REF["datasets"]
# every binary and multiclass case (multi-label ones are checked through the accumulator in
# tests/unit/test_calibration.py)
CASES = [c for c in REF["cases"] if DATA[c["data"]]["mode"] != "multilabel"]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def _file(data: dict, path: Path) -> list[str]:
    scores = np.asarray(data["scores"], dtype=np.float64)
    doc = {data["input"]: scores.tolist(), "labels": data["labels"]}
    path.write_text(json.dumps(doc))
    loss = "ce" if data["mode"] == "multiclass" else "bce"
    return [loss, "--" + data["input"].replace("_", "-"), str(path)]


def _check(got: dict, want: dict, brier: float | None) -> None:
    assert _close(got["ece"], want["ece"]) and _close(got["mce"], want["mce"]), (got, want)
    if brier is not None:
        assert _close(got["brier"], brier)
    gb = [b for b in got["bins"] if b["n"]]
    wb = [b for b in want["bins"] if b["n"]]
    assert [(b["lo"], b["hi"], b["n"]) for b in gb] == [(b["lo"], b["hi"], b["n"]) for b in wb]
    for g, w in zip(gb, wb, strict=True):
        assert _close(g["confidence"], w["confidence"]) and _close(g["accuracy"], w["accuracy"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_cli_calibration_matches_sklearn_and_torchmetrics(case: dict, tmp_path: Path) -> None:
    data = DATA[case["data"]]
    r = run(*_file(data, tmp_path / "d.json"), "--calibration", str(case["bins"]), "--format", "json")
    assert r.exit_code == 0, r.stderr
    _check(json.loads(r.stdout)["calibration"], case["expected"], data.get("brier"))


def test_api_calibration_equals_the_cli(tmp_path: Path) -> None:
    data = DATA["binary-torchmetrics-doc"]
    r = losscli.bce(probs=data["scores"], labels=data["labels"], calibration=2)
    out = json.loads(run(*_file(data, tmp_path / "d.json"), "--calibration", "2", "--format", "json").stdout)
    cal = dict(out["calibration"])
    cal.pop("partial")
    assert r.calibration == cal


def test_merge_of_shards_equals_the_whole(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(90, 4))
    y = rng.integers(0, 4, 90)
    parts = []
    for i, sl in enumerate((slice(0, 31), slice(31, 60), slice(60, 90))):
        p = tmp_path / f"s{i}.json"
        p.write_text(json.dumps({"logits": x[sl].tolist(), "labels": y[sl].tolist()}))
        out = tmp_path / f"r{i}.json"
        assert (
            run("ce", "--logits", str(p), "--calibration", "7", "--format", "json", "-o", str(out)).exit_code
            == 0
        )
        parts.append(str(out))
    whole = tmp_path / "all.json"
    whole.write_text(json.dumps({"logits": x.tolist(), "labels": y.tolist()}))
    want = json.loads(run("ce", "--logits", str(whole), "--calibration", "7", "--format", "json").stdout)
    got = json.loads(run("merge", *parts, "--format", "json").stdout)
    for key in ("brier", "ece", "mce"):
        assert got["calibration"][key] == pytest.approx(want["calibration"][key], rel=1e-15)
    assert [b["n"] for b in got["calibration"]["bins"]] == [b["n"] for b in want["calibration"]["bins"]]


def test_calibration_refuses_soft_labels_and_row_formats(write) -> None:
    soft = write("s.csv", "p,label\n0.2,0.3\n0.9,1\n")
    assert_input_error(run("bce", "--probs", soft, "--calibration"), "--calibration needs hard labels")
    hard = write("h.csv", "p,label\n0.2,0\n0.9,1\n")
    assert_input_error(run("bce", "--probs", hard, "--calibration", "--format", "csv"), "--calibration")


@pytest.mark.parametrize(
    ("ext", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml"), (".pdf", b"%PDF-")]
)
def test_plot_writes_the_pictures(ext: str, magic: bytes, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")  # the plot extra; without it, the error is tested below
    out = tmp_path / f"p{ext}"
    r = run(
        "ce",
        "--logits",
        "samples/multiclass_logits.csv",
        "--calibration",
        "5",
        "--per-class",
        "--plot",
        str(out),
    )
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(magic) and len(data) > 5000


def test_plot_with_a_bad_extension_fails_before_reading(tmp_path: Path) -> None:
    r = run("bce", "--logits", str(tmp_path / "missing.csv"), "--plot", str(tmp_path / "p.gif"))
    assert_input_error(r, "--plot writes .png, .svg, .pdf files")


def test_markdown_has_a_mermaid_histogram() -> None:
    out = run("ce", "--logits", "samples/multiclass_logits.csv", "--format", "markdown").stdout
    block = out.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0] == "xychart-beta"
    bars = next(line for line in block if line.strip().startswith("bar ["))
    counts = [int(v) for v in bars.strip()[5:-1].split(",")]
    assert sum(counts) == 6  # every row of the sample in one bar
    labels = next(line for line in block if line.strip().startswith("x-axis"))
    assert labels.count('"') == 2 * (len(counts) + 1)  # every category quoted, and the axis title


def test_the_table_draws_a_reliability_diagram_when_asked() -> None:
    r = run("bce", "--probs", "samples/binary_probs.csv", "--calibration", "5", "--pictures", "--no-color")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    start = lines.index("reliability (bar: accuracy, │: mean confidence)")
    rows = lines[start + 1 :]
    cal = json.loads(
        run("bce", "--probs", "samples/binary_probs.csv", "--calibration", "5", "--format", "json").stdout
    )
    bins = cal["calibration"]["bins"]
    assert len([ln for ln in rows if " n " in ln]) == len(bins)
    for line, b in zip(rows, bins, strict=False):
        assert f"n {b['n']}" in line and "│" in line
    assert "\x1b[" not in r.stdout


def test_pictures_vanish_in_a_pipe_unless_asked() -> None:
    plain = run("bce", "--probs", "samples/binary_probs.csv", "--calibration").stdout
    assert "reliability" not in plain and "loss histogram" not in plain
    assert "\x1b[" not in plain


def test_color_is_forced_and_refused_outside_the_table() -> None:
    r = run("bce", "--logits", "samples/binary_logits.csv", "--color")
    assert "\x1b[" in r.stdout
    assert_input_error(
        run("bce", "--logits", "samples/binary_logits.csv", "--color", "-q"), "--color shapes the table"
    )
    assert_input_error(
        run("bce", "--logits", "samples/binary_logits.csv", "--precision", "3", "--format", "json"),
        "--precision",
    )


def test_precision_rounds_the_table_only() -> None:
    out = run("bce", "--logits", "samples/binary_logits.csv", "--precision", "2").stdout
    mean = next(ln for ln in out.splitlines() if ln.startswith("mean"))
    exact = json.loads(run("bce", "--logits", "samples/binary_logits.csv", "--format", "json").stdout)["mean"]
    assert mean.split()[1] == f"{exact:.2f}"


def test_plot_without_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a)
    )
    r = run("bce", "--logits", "samples/binary_logits.csv", "--plot", str(tmp_path / "p.png"))
    assert_input_error(r, "pip install 'losscli[plot]'")
    assert not (tmp_path / "p.png").exists()
