"""Regression tests for behaviour a review found missing: refusals instead of silently
ignored options, exact locations, names shown verbatim, and the exit codes of the contract.

Expected numbers are closed forms computed here.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import assert_input_error, run, run_json


def bce(x: float, y: float) -> float:
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def ce(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row)) - row[t]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["ce", "--pos-weight", "5"], "--pos-weight is for bce and focal, not ce"),
        (["ce", "--threshold", "0.9"], "--threshold is for bce and focal, not ce"),
        (["focal", "--label-smoothing", "0.2"], "--label-smoothing is for bce and ce, not focal"),
        (["focal", "--weight", "2"], "--weight is for bce and ce, not focal"),
        (["focal", "--alpha", "nan"], "--alpha must be in [0, 1]"),
    ],
)
def test_options_of_other_commands_are_refused(write, args: list[str], fragment: str) -> None:
    path = write("p.csv", "a,b,label\n0.5,0.2,1\n-1.0,0.3,0\n")
    cmd = args[0]
    extra = ["--label-col", "3", "--score-cols", "1"] if cmd == "focal" else []
    r = run(cmd, "--logits", path, *extra, *args[1:])
    assert_input_error(r, fragment)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--ci", "-q"], "--ci is shown by the table, json and markdown formats, not -q"),
        (["--ci", "--format", "csv"], "not --format csv"),
        (["--seed", "3"], "--bootstrap and --seed apply to --ci and --baseline"),
        (["--fail-above", "nan"], "--fail-above needs a number"),
        (["--ci", "90"], "--ci"),
        (["--delimiter", "ab"], "--delimiter must be one character"),
    ],
)
def test_usage_errors_are_one_line(write, args: list[str], fragment: str) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    r = run("bce", "--logits", path, *args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), r.stderr
    assert fragment in r.stderr


def test_infinite_mean_has_no_interval(write) -> None:
    path = write("p.csv", "a,b,label\n0.0,1.0,0\n0.3,0.7,1\n")
    assert_input_error(run("ce", "--probs", path, "--format", "json", "--ci"), "p.csv", "infinite")
    r = run("ce", "--probs", path, "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["mean"] is None and out["nonfinite"] == 1 and out["per_sample"][0] is None
    assert "1 loss is infinite" in r.stderr and "p.csv" in r.stderr


def test_names_with_brackets_are_shown_verbatim(write) -> None:
    path = write("p.csv", "p[cat],[/],label\n0.2,0.9,p[cat]\n1.0,0.1,[/]\n")
    r = run("ce", "--logits", path, "--per-class")
    assert r.exit_code == 0, r.stderr
    assert "p[cat]" in r.stdout and "[/]" in r.stdout


def test_terminal_table_never_shortens_numbers(write) -> None:
    path = write("w.csv", "a_quite_long_name,b_quite_long_name,label\n1234567.123456,-9876543.2109,0\n")
    code = (
        "import sys\nfrom losscli import render, pipeline\n"
        "res = pipeline.run(pipeline.Request(command='ce', input='logits', score_path=sys.argv[1]))\n"
        "render.render_table(res, sys.stdout, is_tty=True)\n"
    )
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    p = subprocess.run(
        [sys.executable, "-c", code, path], capture_output=True, text=True, env=env, check=True
    )
    assert "…" not in p.stdout
    assert "1.23457e+06" in p.stdout and "-9.87654e+06" in p.stdout and "a_quite_long_name" in p.stdout


def test_closed_pipe_exits_141(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rng = np.random.default_rng(1)
    np.savetxt(path, np.column_stack([rng.normal(size=100_000), rng.integers(0, 2, 100_000)]),
               delimiter=",", header="logit,label", comments="", fmt="%.6f")  # fmt: skip
    cmd = f"{sys.executable} -m losscli bce --logits {path} --format jsonl"
    p = subprocess.run(
        f"{cmd} | head -n 1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 141, p.stderr
    assert p.stderr == ""


def test_json_null_is_an_error_not_nan(write) -> None:
    path = write("n.json", json.dumps({"logits": [0.1, 0.2], "labels": [1, None]}))
    assert_input_error(run("bce", "--logits", path), "n.json", "labels", "row 2: null")
    rows = write("r.json", "[[0.1, null], [0.2, 0.3]]")
    assert_input_error(
        run("ce", "--logits", rows, "--labels", write("y.txt", "0\n1\n")), "r.json: row 1", "null"
    )


def test_labels_that_turn_text_after_many_rows(write) -> None:
    body = "0.1,1\n" * 1500 + "0.2,true\n0.3,FALSE\n"
    path = write("late.csv", "logit,label\n" + body)
    want = (1500 * bce(0.1, 1) + bce(0.2, 1) + bce(0.3, 0)) / 1502
    r = run("bce", "--logits", path, "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(want, rel=1e-12)
    bad = write("bad.csv", "logit,label\n" + "0.1,1\n" * 1500 + "oops,1\n")
    assert_input_error(run("bce", "--logits", bad), "bad.csv:1502:1", "'oops' is not a number")


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


def test_dashed_names_in_ranges(write) -> None:
    path = write("d.csv", "s-a,s-b,s-c,label\n1,2,3,0\n3,2,1,2\n")
    r = run("ce", "--logits", path, "--score-cols", "s-a-s-c", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ce([1, 2, 3], 0) + ce([3, 2, 1], 2)) / 2, rel=1e-12)


def test_npy_class_name_labels(tmp_path: Path) -> None:
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, np.array([[2.0, 0.5], [0.1, 0.3]]))
    np.save(y, np.array(["dog", "cat"]))
    r = run("ce", "--logits", str(x), "--labels", str(y), "--classes", "cat,dog", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ce([2.0, 0.5], 1) + ce([0.1, 0.3], 0)) / 2, rel=1e-12)


def test_minus_infinity_log_probabilities_of_other_classes(write) -> None:
    path = write("lp.csv", "a,b,c,label\n0,-inf,-inf,0\n-0.6931471805599453,-0.6931471805599453,-inf,1\n")
    r = run("ce", "--log-probs", path, "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(math.log(2) / 2, rel=1e-12)


def test_keras_refuses_all_zero_probability_rows(write) -> None:
    path = write("z.csv", "a,b,label\n0,0,0\n0.5,0.5,1\n")
    assert_input_error(run("ce", "--probs", path, "--convention", "keras"), "z.csv:2", "all 0")


def test_merge_keeps_an_off_alpha(write, tmp_path: Path) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n2.0,0\n")
    parts = []
    for i in range(2):
        out = tmp_path / f"f{i}.json"
        assert (
            run("focal", "--logits", path, "--alpha", "-1", "--format", "json", "-o", str(out)).exit_code == 0
        )
        parts.append(str(out))
    merged = run_json("merge", *parts)
    assert merged["alpha"] is None
    assert merged["signature"] == json.loads(Path(parts[0]).read_text())["signature"]


@pytest.mark.parametrize("field, value", [("outputs", "x"), ("clamped", "lots"), ("mean", "high")])
def test_merge_refuses_malformed_parts(write, tmp_path: Path, field: str, value: str) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    out = tmp_path / "a.json"
    run("bce", "--logits", path, "--format", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    doc[field] = value
    bad = write("bad.json", json.dumps(doc))
    assert_input_error(run("merge", str(out), bad), "bad.json", field)


def test_auto_says_what_it_chose_on_stderr_for_quiet(write) -> None:
    path = write("m.csv", "a,b,c,label\n1,2,3,0\n")
    r = run("auto", "--logits", path, "-q")
    assert r.exit_code == 0 and "multiclass (ce)" in r.stderr


def test_top_zero_and_machine_formats(write) -> None:
    path = write("p.csv", "logit,label\n" + "".join(f"{i / 10},{i % 2}\n" for i in range(50)))
    r = run("bce", "--logits", path, "--top", "0", "--sort", "loss")
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.lstrip()[:1].isdigit()]
    losses = [float(x[-1]) for x in rows]
    assert len(rows) == 50 and losses == sorted(losses, reverse=True)


def test_index_and_id_columns_are_not_taken_as_scores(write) -> None:
    # an unnamed first column counting 0..n-1 is pandas' index and is skipped (tests/test_ux.py);
    # one that does not count the rows is still refused
    pandas = write("pd.csv", ",logit,label\n3,0.3,1\n1,-1.0,0\n")
    assert_input_error(
        run("auto", "--logits", pandas, "-q"), "pd.csv", "column 1 has no name", "--score-cols"
    )
    ids = write("id.jsonl", '{"id": 17, "logit": 0.3, "label": 1}\n{"id": 18, "logit": -1.0, "label": 0}\n')
    assert_input_error(run("auto", "--logits", ids, "-q"), "id.jsonl", "'id'")
    r = run("bce", "--logits", pandas, "--score-cols", "logit", "-q")
    assert float(r.stdout) == pytest.approx((bce(0.3, 1) + bce(-1.0, 0)) / 2, rel=1e-12)


def test_classes_disagreeing_with_the_header_are_refused(write) -> None:
    path = write("m.csv", "cat,dog,bird,label\n2.0,1.0,0.1,cat\n")
    assert_input_error(
        run("ce", "--logits", path, "--classes", "bird,cat,dog"), "disagrees with the score header"
    )
    r = run("ce", "--logits", path, "--classes", "cat,dog,bird", "-q")
    assert float(r.stdout) == pytest.approx(ce([2.0, 1.0, 0.1], 0), rel=1e-12)


def test_sklearn_bce_label_smoothing_follows_the_spec(write) -> None:
    path = write("p.csv", "logit,label\n0.4,1\n-2.0,0\n")
    eps, tiny = 0.2, 2.220446049250313e-16

    def ref(x: float, y: float) -> float:
        p = min(max(1 / (1 + math.exp(-x)), tiny), 1 - tiny)
        t = y * (1 - eps) + eps / 2
        return -(t * math.log(p) + (1 - t) * math.log(1 - p))

    r = run("bce", "--logits", path, "--convention", "sklearn", "--label-smoothing", "0.2", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((ref(0.4, 1) + ref(-2.0, 0)) / 2, rel=1e-12)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--per-class", "-q"], "--per-class is shown by the table"),
        (["--top", "3", "--format", "json"], "--top and --sort shape the table"),
        (["--sort", "loss", "-q"], "--top and --sort shape the table"),
    ],
)
def test_table_only_options_are_refused_elsewhere(write, args: list[str], fragment: str) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    r = run("bce", "--logits", path, *args)
    assert r.exit_code == 2 and r.stdout == "" and fragment in r.stderr


def test_baseline_needs_a_place_to_show(write) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    r = run("bce", "--logits", path, "--baseline", path, "-q")
    assert r.exit_code == 2 and "--baseline without --fail-if-worse" in r.stderr
    ok = run("bce", "--logits", path, "--baseline", path, "--fail-if-worse", "-q")
    assert ok.exit_code == 0


def test_merge_refuses_a_shard_named_twice(write, tmp_path: Path) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    out = tmp_path / "a.json"
    run("bce", "--logits", path, "--format", "json", "-o", str(out))
    assert_input_error(run("merge", str(out), str(out)), "named twice")


def test_clamp_note_for_logits_under_a_clipping_convention(write) -> None:
    path = write("p.csv", "logit,label\n40,0\n")
    r = run("bce", "--logits", path, "--convention", "sklearn")
    assert "clips probabilities even from logits" in r.stdout
    assert "logits would give exact values" not in r.stdout
