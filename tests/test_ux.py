"""What a new user trips over: probabilities given as logits, string labels, pandas and
Excel files, shell completion, grouped --help, progress on every reader.

Expected numbers are closed forms written here with plain ``math``.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import assert_input_error, run, run_json


def bce_p(p: float, y: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def ce_logits(row: list[float], t: int) -> float:
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row)) - row[t]


# ---------------------------------------------------------------------------------------
# String labels with one score column: --pos-label, --classes NEG,POS

CATDOG = "p_dog,label\n0.9,dog\n0.2,cat\n0.7,dog\n"
CATDOG_MEAN = (bce_p(0.9, 1) + bce_p(0.2, 0) + bce_p(0.7, 1)) / 3


def test_pos_label_maps_string_labels_to_one_and_zero(write) -> None:
    path = write("cd.csv", CATDOG)
    doc = run_json("bce", "--probs", path, "--pos-label", "dog")
    assert doc["mean"] == pytest.approx(CATDOG_MEAN, rel=1e-12)
    assert "pos_label:dog" in doc["signature"]
    flipped = run_json("bce", "--probs", path, "--pos-label", "cat")
    assert flipped["mean"] == pytest.approx((bce_p(0.9, 0) + bce_p(0.2, 1) + bce_p(0.7, 0)) / 3, rel=1e-12)
    assert "pos_label:cat" in flipped["signature"]


def test_classes_neg_pos_for_one_score_column(write) -> None:
    path = write("cd.csv", CATDOG)
    doc = run_json("bce", "--probs", path, "--classes", "cat,dog")
    assert doc["mean"] == pytest.approx(CATDOG_MEAN, rel=1e-12)
    assert "pos_label:dog" in doc["signature"]
    assert_input_error(run("bce", "--probs", path, "--classes", "cat,dog,x"), "--classes NEG,POS")
    assert_input_error(run("bce", "--probs", path, "--classes", "cat,dog", "--pos-label", "cat"), "disagrees")


def test_string_labels_without_pos_label_name_it(write) -> None:
    path = write("cd.csv", CATDOG)
    assert_input_error(run("bce", "--probs", path), "'dog'", "--pos-label")
    three = write("three.csv", "p,label\n0.9,dog\n0.2,cat\n0.3,bird\n")
    assert_input_error(run("bce", "--probs", three, "--pos-label", "dog"), "3 values", "--classes NEG,POS")


# ---------------------------------------------------------------------------------------
# An explicit --classes wins over a c0,c1,c2 header


def test_explicit_classes_win_over_a_generic_header(write) -> None:
    path = write("c.csv", "c0,c1,c2,label\n2.0,1.0,0.1,dog\n0.5,0.2,1.5,bird\n")
    r = run("ce", "--logits", path, "--classes", "cat,dog,bird", "-q")
    assert r.exit_code == 0, r.stderr
    want = (ce_logits([2.0, 1.0, 0.1], 1) + ce_logits([0.5, 0.2, 1.5], 2)) / 2
    assert float(r.stdout) == pytest.approx(want, rel=1e-12)
    doc = run_json("ce", "--logits", path, "--classes", "cat,dog,bird")
    assert doc["classes"] == ["cat", "dog", "bird"]


# ---------------------------------------------------------------------------------------
# The line of a bad label is the first bad row


def test_bad_label_line_is_the_first_bad_row(write) -> None:
    rows = ["0.1,dog"] + [f"0.{i},1" for i in range(6)] + ["0.3,cat"]
    path = write("bad.csv", "logit,label\n" + "\n".join(rows) + "\n")
    assert_input_error(run("bce", "--logits", path), "bad.csv:2:2", "'dog'")


# ---------------------------------------------------------------------------------------
# Probabilities passed to --logits: a warning, never a refusal


def test_probabilities_given_as_logits_are_warned_about(write) -> None:
    path = write("p.csv", "prob,label\n0.9,1\n0.2,0\n0.65,1\n")
    r = run("bce", "--logits", path, "-q")
    assert r.exit_code == 0
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("Warning: ")]
    assert len(warnings) == 1 and "look like probabilities" in warnings[0] and "--probs" in warnings[0]
    assert "'prob'" in warnings[0] and "[0, 1]" in warnings[0]
    sig = lambda x, y: max(x, 0) - x * y + math.log1p(math.exp(-abs(x)))  # noqa: E731
    assert float(r.stdout) == pytest.approx((sig(0.9, 1) + sig(0.2, 0) + sig(0.65, 1)) / 3, rel=1e-12)
    table = run("bce", "--logits", path)
    assert "look like probabilities" in table.stdout  # the table's summary says it too
    assert "Warning" not in run("bce", "--probs", path, "-q").stderr


def test_the_probability_hint_needs_only_one_of_its_two_signs(write) -> None:
    by_values = write("v.csv", "score,label\n0.9,1\n0.2,0\n")
    assert "every score of the first 2 rows" in run("bce", "--logits", by_values, "-q").stderr
    by_name = write("n.csv", "p_dog,label\n2.5,1\n-0.2,0\n")
    err = run("bce", "--logits", by_name, "-q").stderr
    assert "'p_dog'" in err and "[0, 1]" not in err
    real = write("r.csv", "logit,label\n2.5,1\n-0.2,0\n")
    assert run("bce", "--logits", real, "-q").stderr == ""
    softmax = write("s.csv", "softmax_cat,softmax_dog,label\n3.0,1.0,0\n0.1,2.0,1\n")
    assert "'softmax_cat', 'softmax_dog'" in run("ce", "--logits", softmax, "-q").stderr


# ---------------------------------------------------------------------------------------
# pandas' to_csv() index column


def test_pandas_index_column_is_skipped_and_said(write) -> None:
    path = write("pd.csv", ",logit,label\n0,0.3,1\n1,-1.0,0\n2,2.0,1\n")
    r = run("bce", "--logits", path, "-q")
    assert r.exit_code == 0, r.stderr
    sig = lambda x, y: max(x, 0) - x * y + math.log1p(math.exp(-abs(x)))  # noqa: E731
    assert float(r.stdout) == pytest.approx((sig(0.3, 1) + sig(-1.0, 0) + sig(2.0, 1)) / 3, rel=1e-12)
    assert "column 1 has no name and counts the rows" in r.stderr and "skipped" in r.stderr
    assert "skipped" in run("bce", "--logits", path).stdout  # the table's summary
    unnamed = write("un.csv", "Unnamed: 0,a,b,label\n0,2.0,1.0,0\n1,0.5,2.5,1\n")
    assert run_json("ce", "--logits", unnamed)["outputs"] == 2


def test_an_unnamed_column_that_stops_counting_is_refused_at_its_line(write) -> None:
    rows = "".join(f"{i},{i / 10},{i % 2}\n" for i in range(5)) + "7,0.5,1\n"
    path = write("pd.csv", ",logit,label\n" + rows)
    assert_input_error(run("bce", "--logits", path, "-q"), "pd.csv:7:1", "--score-cols")
    assert_input_error(run("bce", "--logits", write("id.csv", ",logit,label\n5,0.3,1\n")), "--score-cols")


def test_pandas_index_is_checked_on_every_chunk(write) -> None:
    from losscli import pipeline
    from losscli.options import Request

    rows = "".join(f"{i},{(i % 7) / 3 - 1},{i % 2}\n" for i in range(3000))
    path = write("big.csv", ",logit,label\n" + rows)
    req = Request("bce", "logits", path, read_kwargs={"first_block": 1 << 10, "block": 1 << 10})
    assert pipeline.run(req).n == 3000
    bad = write("bad.csv", ",logit,label\n" + rows.replace("2500,", "2501,", 1))
    with pytest.raises(Exception, match=r"bad.csv:2502:1"):
        pipeline.run(Request("bce", "logits", bad, read_kwargs={"first_block": 1 << 10, "block": 1 << 10}))


# ---------------------------------------------------------------------------------------
# Excel's decimal commas: --decimal ,

EXCEL = "score;label\n0,6912;1\n-1,5;0\n2;1\n"


def test_decimal_comma_files_are_read_with_decimal_comma(write) -> None:
    sig = lambda x, y: max(x, 0) - x * y + math.log1p(math.exp(-abs(x)))  # noqa: E731
    path = write("xl.csv", EXCEL)
    r = run("bce", "--logits", path, "--decimal", ",", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((sig(0.6912, 1) + sig(-1.5, 0) + sig(2.0, 1)) / 3, rel=1e-12)
    no_header = write("xl2.csv", "0,25;1\n-1,5;0\n")
    r = run("bce", "--logits", no_header, "--decimal", ",", "--label-col", "2", "-q")
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx((sig(0.25, 1) + sig(-1.5, 0)) / 2, rel=1e-12)


def test_a_decimal_comma_without_the_option_names_it(write) -> None:
    path = write("xl.csv", EXCEL)
    assert_input_error(run("bce", "--logits", path), "xl.csv:2:1", "'0,6912'", "--decimal ,")
    assert_input_error(
        run("bce", "--logits", path, "--decimal", ",", "--delimiter", ","), "another field delimiter"
    )


# ---------------------------------------------------------------------------------------
# Progress: real positions from every reader


def _progress_of(path: str, **read_kwargs: object) -> list[tuple[int, int]]:
    from losscli import pipeline
    from losscli.options import Request

    seen: list[tuple[int, int]] = []
    req = Request("bce", "logits", path, read_kwargs=dict(read_kwargs))
    pipeline.run(req, progress=lambda done, total: seen.append((done, total)))
    return seen


def _assert_moves_to_the_end(seen: list[tuple[int, int]], size: int) -> None:
    assert len(seen) >= 4, seen
    assert all(total == size for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(set(done)) >= 4  # it moves, never backwards
    assert done[0] < size // 2 and done[-1] >= size * 0.9


@pytest.fixture
def big_csv(tmp_path) -> str:
    path = tmp_path / "big.csv"
    path.write_text("logit,label\n" + "".join(f"{(i % 13) / 4 - 1.5},{i % 2}\n" for i in range(60_000)))
    return str(path)


def test_progress_of_the_pyarrow_csv_reader_moves(big_csv, monkeypatch) -> None:
    pytest.importorskip("pyarrow")
    from losscli.readers import arrow_csv

    monkeypatch.setattr(arrow_csv, "PIECE_BYTES", 64 << 10)
    seen = _progress_of(big_csv, reader="arrow", first_block=16 << 10)
    _assert_moves_to_the_end(seen, __import__("os").path.getsize(big_csv))


def test_progress_of_the_numpy_csv_reader_moves(big_csv) -> None:
    seen = _progress_of(big_csv, reader="numpy", first_block=16 << 10, block=64 << 10)
    _assert_moves_to_the_end(seen, __import__("os").path.getsize(big_csv))


def test_progress_of_parquet_moves(tmp_path, monkeypatch) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from losscli.readers import base

    path = str(tmp_path / "p.parquet")
    n = 40_000
    table = pa.table({"logit": [(i % 13) / 4 - 1.5 for i in range(n)], "label": [i % 2 for i in range(n)]})
    pq.write_table(table, path, row_group_size=5_000)
    monkeypatch.setattr(base, "CHUNK_BYTES", 8 * 2 * 5_000)
    seen = _progress_of(path)
    _assert_moves_to_the_end(seen, __import__("os").path.getsize(path))
    assert seen[-1][0] == seen[-1][1]


# ---------------------------------------------------------------------------------------
# Shell completion: file options complete files, in bash, zsh and fish

FILE_OPTIONS = [
    ("bce", "--logits"),
    ("bce", "--probs"),
    ("ce", "--log-probs"),
    ("bce", "--labels"),
    ("bce", "--baseline"),
    ("bce", "-o"),
    ("bce", "--output"),
    ("bce", "--plot"),
    ("auto", "--logits"),
]


def _complete(shell: str, words: str, cword: int, incomplete: str) -> str:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_LOSSCLI_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        # fish passes the word being completed, bash and zsh its position
        "COMP_CWORD": incomplete if shell == "fish" else str(cword),
    }
    r = subprocess.run(
        [sys.executable, "-m", "losscli"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_file_options_complete_files(shell: str) -> None:
    want = {"bash": "file,pre\n", "fish": "file,pre\n", "zsh": "file\npre\n_\n"}[shell]
    for command, flag in FILE_OPTIONS:
        assert _complete(shell, f"losscli {command} {flag} pre", 3, "pre") == want, (command, flag)
    assert _complete(shell, "losscli merge a.json pre", 3, "pre") == want  # merge's arguments
    # a non-file option still completes nothing (no file names where a column is asked for)
    assert "file" not in _complete(shell, "losscli bce --score-cols pre", 3, "pre")


def test_help_says_how_to_install_completion() -> None:
    r = run("--help")
    for shell in ("bash", "zsh", "fish"):
        assert f"_LOSSCLI_COMPLETE={shell}_source losscli" in r.stdout


# ---------------------------------------------------------------------------------------
# --help: sections, words that fit the command, summaries not cut

SECTIONS = ["Score source:", "Labels and columns:", "Loss options:", "Output:", "Statistics:", "CI gates:"]


def _help(*args: str, width: int = 100) -> str:
    from click.testing import CliRunner

    from losscli.cli import cli

    r = CliRunner().invoke(cli, [*args, "--help"], terminal_width=width, catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    return r.stdout


def _section(text: str, name: str) -> str:
    after = text.split(f"\n{name}\n", 1)[1]
    return after.split("\n\n", 1)[0]


@pytest.mark.parametrize("command", ["bce", "ce", "focal", "auto"])
def test_help_is_grouped_in_sections(command: str) -> None:
    text = _help(command)
    at = [text.index(f"\n{s}\n") for s in SECTIONS]
    assert at == sorted(at), "sections in their order"
    assert "--logits" in _section(text, "Score source:")
    assert "--label-col" in _section(text, "Labels and columns:")
    assert "--pos-label" in _section(text, "Labels and columns:")
    assert "--convention" in _section(text, "Loss options:")
    assert "--format" in _section(text, "Output:") and "--plot" in _section(text, "Output:")
    assert "--ci" in _section(text, "Statistics:") and "--baseline" in _section(text, "Statistics:")
    gates = _section(text, "CI gates:")
    assert "--fail-above" in gates and "--fail-if-worse" in gates
    assert "\nOptions:\n" not in text


def test_help_speaks_of_the_command_it_is_shown_for() -> None:
    bce, ce = " ".join(_help("bce").split()), " ".join(_help("ce").split())
    assert "ce's mean" not in bce and "(ce)" not in bce and "Per-output weights" in bce
    assert "(bce)" not in ce and "Per-class weights" in ce and "y(1-ε)+ε/2" not in ce
    assert "negative weights are refused; PyTorch accepts them" in bce
    assert "Every row ignored is an error (PyTorch returns NaN)" in ce


def test_command_summaries_are_not_cut_at_200_columns() -> None:
    text = _help(width=200)
    assert "…" not in text and "..." not in text.split("Commands:")[1]
    assert "binary or multi-label." in " ".join(text.split())
    assert "into the result of their union." in " ".join(text.split())


# ---------------------------------------------------------------------------------------
# The docs say exactly what is compared and what is refused


def test_readme_states_what_keras_agreement_means_with_numbers_that_hold(write) -> None:
    import numpy as np

    from tests.conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "agreement to ~1e-7 with real Keras output" not in readme
    assert "match losscli to 1e-9" in readme
    assert "costs 15.942385 there and 16.118096 here" in readme
    float32_bound = float(np.float32(1 - 1e-7))  # what Keras' float32 clip really uses
    assert f"{-math.log(1 - float32_bound):.6f}" == "15.942385"
    path = write("p.csv", "prob,label\n1.0,0\n")
    r = run("bce", "--probs", path, "--convention", "keras", "-q")
    assert f"{float(r.stdout):.6f}" == f"{-math.log(1e-7):.6f}" == "16.118096"


def test_docs_say_all_ignored_is_an_error_and_negative_weights_are_refused(write) -> None:
    from tests.conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "all skipped by `--ignore-index` is an error, exit 2 (PyTorch returns NaN" in readme
    assert "Negative weights" in readme and "are refused (PyTorch accepts them" in readme
    assert "are yours to supply" in readme
    ce_help = " ".join(_help("ce").split())
    assert "Every row ignored is an error (PyTorch returns NaN)" in ce_help
    assert "negative weights are refused; PyTorch accepts them" in ce_help
    # and the behaviour is what they say
    path = write("m.csv", "a,b,label\n2.0,1.0,0\n0.5,2.5,0\n")
    assert_input_error(run("ce", "--logits", path, "--ignore-index", "0", "-q"), "--ignore-index")
    assert_input_error(run("ce", "--logits", path, "--weight", "-1,1", "-q"), ">= 0")
