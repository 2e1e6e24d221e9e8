"""The table format: plain in a pipe, every digit of every number even on a narrow terminal,
names shown verbatim, ``--top`` / ``--sort``, and the lines under the summary.

Expected numbers are closed forms computed here with plain ``math``; the presentation of the
samples is pinned byte for byte by tests/test_golden.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from tests.conftest import run, run_json


def bce_logit(x: float, y: float) -> float:
    """-[y·log σ(x) + (1-y)·log(1-σ(x))], written independently of the package."""
    return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


# ---------------------------------------------------------------------------------------
# Numbers and names are shown whole


def test_table_is_plain_in_a_pipe_and_never_cuts_numbers(write) -> None:
    x = 0.123456789012345678
    rows = "".join(f"{x + i},{i % 2}\n" for i in range(30))
    path = write("long.csv", "a_rather_long_score_column_name_for_width,label\n" + rows)
    r = run("bce", "--logits", path, "--top", "5")
    assert r.exit_code == 0
    assert "\x1b[" not in r.stdout and "…" not in r.stdout
    assert "showing the first 5 of 30 rows (25 hidden" in r.stdout
    mean = math.fsum(bce_logit(x + i, i % 2) for i in range(30)) / 30
    (mean_line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("mean ")]
    shown = mean_line.split()[1]
    assert shown == f"{mean:.6f}"  # the table's six decimals (machine formats keep every digit)
    body = [ln for ln in r.stdout.splitlines() if ln[:1].isdigit()]
    assert len(body) == 5


def test_table_on_a_narrow_terminal_never_shortens_numbers(write) -> None:
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


def test_table_shows_names_with_brackets_verbatim(write) -> None:
    path = write("p.csv", "p[cat],[/],label\n0.2,0.9,p[cat]\n1.0,0.1,[/]\n")
    r = run("ce", "--logits", path, "--per-class")
    assert r.exit_code == 0, r.stderr
    assert "p[cat]" in r.stdout and "[/]" in r.stdout


# ---------------------------------------------------------------------------------------
# --top and --sort


def test_table_sort_loss_shows_the_worst_rows_first(write) -> None:
    path = write("p.csv", "logit,label\n" + "".join(f"{v},0\n" for v in [0.1, 5.0, -2.0, 3.0, 0.0]))
    r = run("bce", "--logits", path, "--top", "2", "--sort", "loss")
    first_cells = [ln.split()[0] for ln in r.stdout.splitlines() if ln[:1].isdigit()]
    assert first_cells == ["1", "3"]
    assert "worst 2 of 5 rows (3 hidden" in r.stdout


def test_table_top_zero_shows_every_row(write) -> None:
    path = write("p.csv", "logit,label\n" + "0.5,1\n" * 40)
    r = run("bce", "--logits", path, "--top", "0")
    assert sum(1 for ln in r.stdout.splitlines() if ln.lstrip()[:1].isdigit()) == 40
    assert "hidden" not in r.stdout


def test_table_top_zero_sorted_by_loss_shows_every_row_worst_first(write) -> None:
    path = write("p.csv", "logit,label\n" + "".join(f"{i / 10},{i % 2}\n" for i in range(50)))
    r = run("bce", "--logits", path, "--top", "0", "--sort", "loss")
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.lstrip()[:1].isdigit()]
    losses = [float(x[-1]) for x in rows]
    assert len(rows) == 50 and losses == sorted(losses, reverse=True)


# ---------------------------------------------------------------------------------------
# Summary and notes


def test_table_summary_states_mode_and_reason_for_auto(write) -> None:
    path = write("mc.csv", "a,b,c,label\n1,2,3,0\n3,2,1,2\n")
    r = run("auto", "--logits", path)
    assert "multiclass (auto: 3 score columns and one label column of class indices" in r.stdout
    assert run_json("auto", "--logits", path)["mode"] == "multiclass"


def test_table_notes_that_a_clipping_convention_clips_even_logits(write) -> None:
    path = write("p.csv", "logit,label\n40,0\n")
    r = run("bce", "--logits", path, "--convention", "sklearn")
    assert "clips probabilities even from logits" in r.stdout
    assert "logits would give exact values" not in r.stdout


def test_the_table_drops_per_sample_values_past_its_cap(write, monkeypatch) -> None:
    """The table's quantiles need every loss; past the cap it says so instead of growing."""
    from losscli.cli import commands

    path = write("p.csv", "logit,label\n" + "".join(f"{i / 10},{i % 2}\n" for i in range(30)))
    assert "quantiles" in run("bce", "--logits", path, "--top", "3").stdout
    monkeypatch.setattr(commands, "TABLE_PER_SAMPLE_ROWS", 20)
    out = run("bce", "--logits", path, "--top", "3").stdout
    assert "\nquantiles " not in out and "More than 20 rows" in out
    assert "quantiles" in json.dumps(run("bce", "--logits", path, "--format", "markdown").stdout)
