"""The command line as users meet it: formats, inputs, streams, usage errors, exit codes,
start-up.

Expected numbers are closed forms computed here with plain ``math``; the wide comparison
against PyTorch / scikit-learn lives in test_reference.py. The table format has its own file
(test_table.py), and so do column picks (test_columns.py), --ci/--baseline (test_stats.py)
and merge (test_merge.py).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, assert_input_error, run, run_json

SPEC_KEYS = [
    "version", "loss", "mode", "input", "convention", "n", "outputs",
    "mean", "sum", "accuracy", "per_sample", "signature",
]  # fmt: skip


def bce_logit(x: float, y: float) -> float:
    """-[y·log σ(x) + (1-y)·log(1-σ(x))], written independently of the package."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


def ce_logits(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row)) - row[t]


BINARY = "logit,label\n0.2,1\n-1.0,0\n3.0,1\n"


BINARY_LOSSES = [bce_logit(0.2, 1), bce_logit(-1.0, 0), bce_logit(3.0, 1)]


BINARY_MEAN = math.fsum(BINARY_LOSSES) / 3


@pytest.fixture
def binary(write) -> str:
    return write("preds.csv", BINARY)


# ---------------------------------------------------------------------------------------
# Basics


def test_version_and_help() -> None:
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == "losscli, version 0.1.0"
    top = run("--help")
    assert top.exit_code == 0
    for cmd in ("bce", "ce", "focal", "auto", "merge"):
        assert cmd in top.stdout
        h = run(cmd, "--help")
        assert h.exit_code == 0 and "Example" in h.stdout, cmd


def test_no_arguments_shows_help_and_exits_2() -> None:
    r = run("bce")
    assert r.exit_code == 2
    assert "Usage" in r.stdout + r.stderr


def test_python_dash_m_runs(binary: str) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "losscli", "bce", "--logits", binary, "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    assert float(p.stdout) == pytest.approx(BINARY_MEAN, rel=1e-12)


def test_importing_cli_imports_neither_rich_nor_numpy() -> None:
    code = "import sys, losscli.cli; print(sorted(m for m in ('rich', 'numpy') if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert p.stdout.strip() == "[]"


def test_quiet_json_and_machine_formats_never_import_rich(binary: str) -> None:
    code = (
        "import sys\nfrom losscli.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)"
    )
    for extra in (["-q"], ["--format", "json"], ["--format", "csv"]):
        p = subprocess.run(
            [sys.executable, "-c", code, "bce", "--logits", binary, *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        assert p.stderr.strip() == "False", extra


# ---------------------------------------------------------------------------------------
# Output formats


def test_quiet_prints_the_full_precision_mean(binary: str) -> None:
    r = run("bce", "--logits", binary, "-q")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1
    assert float(r.stdout) == pytest.approx(BINARY_MEAN, rel=1e-15)
    assert r.stdout.strip() == repr(float(r.stdout))


def test_auto_with_quiet_says_the_chosen_mode_on_stderr(write) -> None:
    path = write("m.csv", "a,b,c,label\n1,2,3,0\n")
    r = run("auto", "--logits", path, "-q")
    assert r.exit_code == 0 and "multiclass (ce)" in r.stderr


def test_json_has_the_spec_keys_in_order(binary: str) -> None:
    out = run_json("bce", "--logits", binary)
    keys = [k for k in out if k in SPEC_KEYS]
    assert keys == SPEC_KEYS
    assert out["loss"] == "bce" and out["mode"] == "binary" and out["input"] == "logits"
    assert out["convention"] == "torch" and out["n"] == 3 and out["outputs"] == 1
    assert out["per_sample"] == pytest.approx(BINARY_LOSSES, rel=1e-15)
    assert out["mean"] == pytest.approx(BINARY_MEAN, rel=1e-15)
    assert out["sum"] == pytest.approx(math.fsum(BINARY_LOSSES), rel=1e-15)
    assert out["accuracy"] == 1.0
    assert out["signature"] == "bce|mode:binary|input:logits|convention:torch|losscli:0.1.0"


@pytest.mark.parametrize("fmt, sep", [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv_rows(binary: str, fmt: str, sep: str) -> None:
    r = run("bce", "--logits", binary, "--format", fmt)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == sep.join(["index", "label", "prediction", "loss"])
    rows = [ln.split(sep) for ln in lines[1:]]
    assert [r_[0] for r_ in rows] == ["0", "1", "2"]
    assert [r_[1] for r_ in rows] == ["1", "0", "1"]
    assert [r_[2] for r_ in rows] == ["1", "0", "1"]
    assert [float(r_[3]) for r_ in rows] == pytest.approx(BINARY_LOSSES, rel=1e-15)


def test_jsonl_rows_with_class_names(write) -> None:
    path = write("mc.csv", "cat,dog,label\n2.0,0.5,dog\n0.1,0.3,cat\n")
    r = run("ce", "--logits", path, "--format", "jsonl")
    assert r.exit_code == 0
    recs = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert [x["label"] for x in recs] == ["dog", "cat"]
    assert [x["prediction"] for x in recs] == ["cat", "dog"]
    assert recs[0]["loss"] == pytest.approx(ce_logits([2.0, 0.5], 1), rel=1e-14)
    assert recs[1]["loss"] == pytest.approx(ce_logits([0.1, 0.3], 0), rel=1e-14)


def test_markdown_summary(binary: str) -> None:
    r = run("bce", "--logits", binary, "--format", "markdown")
    assert r.exit_code == 0
    table = [ln for ln in r.stdout.splitlines() if ln.startswith("|")]
    assert all(ln.endswith("|") for ln in table)
    cells = {ln.split(" | ")[0].strip("| "): ln for ln in table}
    assert {"mode", "n", "mean", "signature"} <= set(cells)
    assert float(cells["mean"].split("|")[2]) == pytest.approx(BINARY_MEAN, rel=1e-15)


# ---------------------------------------------------------------------------------------
# -o: atomic writes


def test_output_file_is_written_and_stdout_stays_empty(binary: str, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("old")
    r = run("bce", "--logits", binary, "--format", "json", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())["mean"] == pytest.approx(BINARY_MEAN, rel=1e-15)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".losscli-")] == []


def test_failed_run_leaves_the_output_file_alone(write, tmp_path: Path) -> None:
    bad = write("bad.csv", "logit,label\n0.2,1\nabc,0\n")
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    r = run("bce", "--logits", bad, "--format", "csv", "-o", str(out))
    assert_input_error(r, "bad.csv:3:1")
    assert out.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".losscli-")] == []


# ---------------------------------------------------------------------------------------
# Inputs


def test_stdin_csv_json_jsonl_gzip_and_npy(binary: str) -> None:
    want = pytest.approx(BINARY_MEAN, rel=1e-15)
    assert float(run("bce", "--logits", "-", "-q", input=BINARY).stdout) == want
    doc = json.dumps({"logits": [0.2, -1.0, 3.0], "labels": [1, 0, 1]})
    assert float(run("bce", "--logits", "-", "-q", input=doc).stdout) == want
    jsonl = '{"logits": 0.2, "label": 1}\n{"logits": -1.0, "label": 0}\n{"logits": 3.0, "label": 1}\n'
    assert float(run("bce", "--logits", "-", "-q", input=jsonl).stdout) == want
    assert float(run("bce", "--logits", "-", "-q", input=gzip.compress(BINARY.encode())).stdout) == want
    buf = io.BytesIO()
    np.save(buf, np.array([0.2, -1.0, 3.0]))
    labels = Path(binary).with_name("y.txt")
    labels.write_text("1\n0\n1\n")
    r = run("bce", "--logits", "-", "--labels", str(labels), "-q", input=buf.getvalue())
    assert float(r.stdout) == want


def test_gzip_files_tsv_and_npz(write, tmp_path: Path) -> None:
    want = pytest.approx(BINARY_MEAN, rel=1e-15)
    gz = tmp_path / "p.csv.gz"
    gz.write_bytes(gzip.compress(BINARY.encode()))
    assert float(run("bce", "--logits", str(gz), "-q").stdout) == want
    tsv = write("p.tsv", BINARY.replace(",", "\t"))
    assert float(run("bce", "--logits", tsv, "-q").stdout) == want
    npz = tmp_path / "p.npz"
    np.savez(npz, logits=np.array([0.2, -1.0, 3.0]), labels=np.array([1, 0, 1]))
    assert float(run("bce", "--logits", str(npz), "-q").stdout) == want


def test_no_header_and_explicit_delimiter(write) -> None:
    path = write("p.txt", "0.2;1\n-1.0;0\n3.0;1\n")
    r = run("bce", "--logits", path, "--delimiter", ";", "--no-header", "--label-col", "2", "-q")
    assert float(r.stdout) == pytest.approx(BINARY_MEAN, rel=1e-15)


def test_json_holding_probs_given_as_logits_is_refused(write) -> None:
    path = write("p.json", json.dumps({"probs": [0.2, 0.9], "labels": [0, 1]}))
    assert_input_error(run("bce", "--logits", path), "p.json", "--probs")


def test_json_null_is_refused_with_its_row_not_read_as_nan(write) -> None:
    path = write("n.json", json.dumps({"logits": [0.1, 0.2], "labels": [1, None]}))
    assert_input_error(run("bce", "--logits", path), "n.json", "labels", "row 2: null")
    rows = write("r.json", "[[0.1, null], [0.2, 0.3]]")
    assert_input_error(
        run("ce", "--logits", rows, "--labels", write("y.txt", "0\n1\n")), "r.json: row 1", "null"
    )


# ---------------------------------------------------------------------------------------
# Usage errors and options that do not apply


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
        (["--per-class", "-q"], "--per-class is shown by the table"),
        (["--top", "3", "--format", "json"], "--top and --sort shape the table"),
        (["--sort", "loss", "-q"], "--top and --sort shape the table"),
    ],
)
def test_table_only_options_are_refused_elsewhere(write, args: list[str], fragment: str) -> None:
    path = write("p.csv", "logit,label\n0.5,1\n-1.0,0\n")
    r = run("bce", "--logits", path, *args)
    assert r.exit_code == 2 and r.stdout == "" and fragment in r.stderr


# ---------------------------------------------------------------------------------------
# CI checks, environment defaults


def test_fail_above_exit_codes(binary: str) -> None:
    ok = run("bce", "--logits", binary, "-q", "--fail-above", str(BINARY_MEAN + 1e-9))
    assert ok.exit_code == 0
    bad = run("bce", "--logits", binary, "-q", "--fail-above", "0.1")
    assert bad.exit_code == 1
    assert float(bad.stdout) == pytest.approx(BINARY_MEAN)  # the result is still printed
    assert bad.stdout.strip() in bad.stderr and "0.1" in bad.stderr and "preds.csv" in bad.stderr


def test_environment_defaults_and_flags_win(binary: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOSSCLI_FORMAT", "json")
    assert json.loads(run("bce", "--logits", binary).stdout)["n"] == 3
    assert run("bce", "--logits", binary, "--format", "csv").stdout.startswith("index,")
    monkeypatch.setenv("LOSSCLI_CONVENTION", "keras")
    assert json.loads(run("bce", "--logits", binary).stdout)["convention"] == "keras"
    assert json.loads(run("bce", "--logits", binary, "--convention", "torch").stdout)["convention"] == "torch"
    assert "LOSSCLI_FORMAT" in run("bce", "--help").stdout


def test_signature_changes_with_every_number_changing_option(write) -> None:
    path = write("mc.csv", "a,b,c,label\n1,2,3,0\n3,2,1,2\n0,0,1,1\n")
    base = run_json("ce", "--logits", path)["signature"]
    variants = [
        ["--weight", "1,2,3"], ["--label-smoothing", "0.1"], ["--ignore-index", "1"],
        ["--convention", "keras"],
    ]  # fmt: skip
    sigs = {base}
    for v in variants:
        sig = run_json("ce", "--logits", path, *v)["signature"]
        assert sig not in sigs, v
        sigs.add(sig)
    assert run_json("ce", "--logits", path)["signature"] == base  # stable across runs


# ---------------------------------------------------------------------------------------
# Pipes and interrupts (real processes)


def _losscli() -> list[str]:
    return [sys.executable, "-m", "losscli"]


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    np.savetxt(path, np.column_stack([rng.normal(size=200_000), rng.integers(0, 2, 200_000)]),
               delimiter=",", header="logit,label", comments="", fmt="%.6f")  # fmt: skip
    p = subprocess.run(
        f"{' '.join(_losscli())} bce --logits {path} --format csv | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.stdout.splitlines()[0] == "index,label,prediction,loss"
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


def test_closed_pipe_exits_141_and_says_nothing(tmp_path: Path) -> None:
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


def test_ctrl_c_exits_130_without_traceback() -> None:
    # stdin is a pipe that never delivers: losscli waits in read() until interrupted
    p = subprocess.Popen(
        [*_losscli(), "bce", "--logits", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 130, err
    assert "Traceback" not in err and out == ""


def test_interactive_stdin_is_refused() -> None:
    import pty

    leader, follower = pty.openpty()  # stdin is a terminal: refuse instead of waiting
    try:
        p = subprocess.run(
            [*_losscli(), "bce", "--logits", "-"],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("Error: <stdin> is a terminal")
