"""Closed, full and narrow standard streams, and empty arguments, in real processes.

A closed stdout is an ``Error:`` line (nothing can be printed, so say so on stderr); a full
stdout (``/dev/full``) too; a closed or full stderr loses the message but keeps the exit
code; text the output encoding cannot write comes out as backslash escapes. Empty values
(an unset ``$VAR``) of any path or column option are one ``Error:`` line each.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import assert_input_error
from tests.errors.common import assert_process_error, python_m, run, shell

OK_CSV = "s,label\n0.5,1\n-0.25,0\n1.5,1\n"


@pytest.fixture
def ok(tmp_path: Path) -> str:
    p = tmp_path / "ok.csv"
    p.write_text(OK_CSV)
    return str(p)


def test_closed_stdout_is_an_error(ok: str) -> None:
    p = shell('exec $PY bce --logits "$1" >&-', ok)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    assert p.stderr.strip() == "Error: standard output is closed; give -o PATH to write a file"


def test_closed_stdout_with_output_file_works(ok: str, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    p = shell('exec $PY bce --logits "$1" -q -o "$2" >&-', ok, str(out))
    assert p.returncode == 0, p.stderr
    assert float(out.read_text()) > 0


@pytest.mark.parametrize("args", [["-q"], ["--format", "json"], [], ["--format", "csv"]])
def test_full_stdout_is_an_error(args: list[str], ok: str) -> None:
    p = shell('exec $PY bce --logits "$@" >/dev/full', ok, *args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.strip() == "Error: standard output: cannot write (No space left on device)"


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["bce", "--help"]])
def test_full_stdout_for_help_is_an_error(args: list[str]) -> None:
    p = shell('exec $PY "$@" >/dev/full', *args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.strip() == "Error: standard output: cannot write (No space left on device)"


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
def test_closed_or_full_stderr_keeps_the_exit_code(redirect: str, ok: str, tmp_path: Path) -> None:
    good = shell(f'exec $PY bce --logits "$1" -q {redirect}', ok)
    assert good.returncode == 0 and float(good.stdout) > 0
    bad = shell(f'exec $PY bce --logits "$1" -q {redirect}', str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and bad.stdout == ""


def test_closed_stderr_never_lands_in_the_output_file(tmp_path: Path) -> None:
    # with fd 2 closed, the first file opened would get descriptor 2: an Error: line or a
    # warning written "to stderr" would then go into the output
    data = tmp_path / "p.csv"
    data.write_text("p,label\n0,1\n0.5,0\n")  # a probability of 0 for the true class: a warning
    out = tmp_path / "out.json"
    p = shell('exec $PY bce --probs "$1" --format json -o "$2" 2>&-', str(data), str(out))
    assert p.returncode == 0
    import json

    assert json.loads(out.read_text())["n"] == 2


def test_closed_stdin(ok: str) -> None:
    assert_process_error(shell("exec $PY bce --logits - <&-"), "<stdin>")


def test_all_three_streams_closed(ok: str, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    p = shell('exec $PY bce --logits "$1" -q -o "$2" <&- >&- 2>&-', ok, str(out))
    assert p.returncode == 0
    assert float(out.read_text()) > 0


def test_unencodable_class_names_on_an_ascii_stdout(tmp_path: Path) -> None:
    data = tmp_path / "names.csv"
    data.write_text("chat,café,label\n1,2,café\n0,1,chat\n", encoding="utf-8")
    p = python_m("ce", "--logits", str(data), env={**os.environ, **_pp(), "PYTHONIOENCODING": "ascii"})
    assert p.returncode == 0, p.stderr
    assert "caf\\xe9" in p.stdout
    assert "Traceback" not in p.stderr


def test_undecodable_file_name_in_an_error_and_in_json(tmp_path: Path) -> None:
    name = os.fsdecode(b"sc\xffores.csv")  # not UTF-8: a surrogate escape in Python
    bad = tmp_path / name
    bad.write_text("s,label\n0.5,1\nx,0\n")
    p = python_m("bce", "--logits", str(bad))
    err = assert_process_error(p, ":3:1")
    assert "sc\\udcffores.csv" in err or "sc\\xffores.csv" in err
    good = tmp_path / os.fsdecode(b"ok\xff.csv")
    good.write_text(OK_CSV)
    for fmt in ("json", "table", "markdown"):
        q = python_m("bce", "--logits", str(good), "--format", fmt)
        assert q.returncode == 0, (fmt, q.stderr)
        assert "Traceback" not in q.stderr


def _pp() -> dict[str, str]:
    from tests.errors.common import env

    return {"PYTHONPATH": env()["PYTHONPATH"]}


@pytest.mark.parametrize(
    "option",
    ["--labels", "--baseline", "--score-cols", "--label-col", "--sample-weight-col", "--classes", "-o"],
)
def test_empty_option_values_are_one_error_line(option: str, ok: str) -> None:
    flag = option if option != "--classes" else "--classes"
    r = run("ce" if option == "--classes" else "bce", "--logits", ok, option, "")
    err = assert_input_error(r, flag)
    assert "empty" in err


def test_empty_score_path_is_one_error_line() -> None:
    assert_input_error(run("bce", "--logits", ""), "empty")


def test_empty_merge_part_is_one_error_line(tmp_path: Path) -> None:
    assert_input_error(run("merge", ""), "empty")


@pytest.mark.parametrize("level", ["nan", "NaN"])
def test_ci_level_nan_is_one_error_line(level: str, ok: str) -> None:
    assert_input_error(run("bce", "--logits", ok, "--ci", level), "--ci", "nan")
