"""The renderer registry: every format named once, written through one interface.

Expected losses are closed forms (``log(1 + e^{∓x})``) computed here with ``math``; the
presentation itself is pinned byte for byte by tests/test_golden.py.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys

import pytest

from losscli import pipeline, render
from losscli.render import FORMATS, RENDERERS
from tests.conftest import ROOT

LOGITS = [0.2, -1.0, 3.0, 1.5, -0.3]  # samples/binary_logits.csv
LABELS = [1, 0, 1, 0, 0]
LOSSES = [
    math.log1p(math.exp(-x)) if y else math.log1p(math.exp(x)) for x, y in zip(LOGITS, LABELS, strict=True)
]


@pytest.fixture(scope="module")
def result() -> pipeline.Result:
    req = pipeline.Request(
        command="bce",
        input="logits",
        score_path=str(ROOT / "samples/binary_logits.csv"),
        keep_per_sample=True,
    )
    res = pipeline.run(req)
    res.extra["sort"] = "index"
    return res


def _written(name: str, res: pipeline.Result) -> str:
    out = io.StringIO()
    r = RENDERERS[name]
    sink = r.sink(out)
    if sink is not None:
        from losscli.model import Meta

        sink(res.rows, Meta(res.mode, res.k, res.classes, res.score_names, res.soft, res.opts))
    else:
        r.write(res, out, **({"is_tty": False} if "is_tty" in r.options else {}))
    return out.getvalue()


def test_format_choices_are_the_registry_without_quiet() -> None:
    assert FORMATS == ("table", "json", "csv", "tsv", "jsonl", "markdown")
    assert set(RENDERERS) == {*FORMATS, "quiet"}
    assert RENDERERS["quiet"].shown == "-q" and RENDERERS["csv"].shown == "--format csv"


@pytest.mark.parametrize("name", list(RENDERERS))
def test_every_renderer_writes_the_losses_of_a_result(name: str, result: pipeline.Result) -> None:
    text = _written(name, result)
    mean = sum(LOSSES) / len(LOSSES)
    if name == "json":
        doc = json.loads(text)
        assert doc["per_sample"] == pytest.approx(LOSSES, rel=1e-12)
        assert doc["mean"] == pytest.approx(mean, rel=1e-12)
    elif name == "quiet":
        assert float(text) == pytest.approx(mean, rel=1e-12)
    elif RENDERERS[name].streams_rows:
        lines = text.splitlines()
        body = [json.loads(ln)["loss"] for ln in lines] if name == "jsonl" else lines[1:]
        assert len(body) == len(LOSSES)
        if name != "jsonl":
            sep = "\t" if name == "tsv" else ","
            assert lines[0] == sep.join(("index", "label", "prediction", "loss"))
            body = [float(ln.split(sep)[-1]) for ln in body]
        assert body == pytest.approx(LOSSES, rel=1e-12)
    elif name == "markdown":  # the mean in full precision
        assert f"| mean | {result.summary.mean!r} |" in text
        assert result.summary.mean == pytest.approx(mean, rel=1e-12)
    else:  # the table: six decimals by default
        assert f"mean        {mean:.6f}\n" in text


@pytest.mark.parametrize("name", [n for n, r in RENDERERS.items() if r.streams_rows])
def test_row_renderers_write_index_and_loss_of_a_merged_result(name: str, result: pipeline.Result) -> None:
    out = io.StringIO()
    RENDERERS[name].write(result, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(LOSSES) + (name != "jsonl")
    if name == "jsonl":
        assert [json.loads(ln)["index"] for ln in lines] == list(range(len(LOSSES)))


@pytest.mark.parametrize("name", list(RENDERERS))
def test_a_renderer_refuses_an_option_it_does_not_take(name: str, result: pipeline.Result) -> None:
    with pytest.raises(TypeError, match="no option"):
        RENDERERS[name].write(result, io.StringIO(), no_such_option=1)


@pytest.mark.parametrize("name", list(RENDERERS))
def test_flags_say_what_the_pass_must_keep(name: str) -> None:
    r = RENDERERS[name]
    assert r.needs_per_sample == (name in ("json", "table", "markdown"))  # quantiles, the histogram
    assert r.top_rows == (name == "table")
    assert r.shows_summary == (name in ("table", "json", "markdown"))
    assert (r.sink(io.StringIO()) is not None) == r.streams_rows


def test_the_package_re_exports_every_public_name_lazily() -> None:
    lazy = {n for names in render._LAZY.values() for n in names}
    assert set(render.__all__) == lazy | {"FORMATS", "RENDERERS", "Renderer"}
    for name in render.__all__:
        assert getattr(render, name) is not None
    with pytest.raises(AttributeError):
        render.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    ("module", "absent"),
    [("losscli.render", ("numpy", "rich")), ("losscli.render.table", ("rich",))],
)
def test_importing_the_registry_or_the_table_module_stays_light(module: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert p.stdout.strip() == "[]"


def _evaluate(path: str, command: str = "ce", **kw: object) -> pipeline.Result:
    res = pipeline.run(pipeline.Request(command=command, input="logits", score_path=path, top=0, **kw))
    res.extra["sort"] = "index"
    return res


TABLES = {
    "binary": ("logit,label\n0.2,1\n-1,0\n3,1\n1.5,0\n-0.3,0\n", "bce", {}),
    "wide multiclass, names": (
        "a,b,c,d,e,label\n" + "".join(f"{i * 0.3},{-i},1,2,{i % 3},{'abcde'[i % 5]}\n" for i in range(12)),
        "ce",
        {},
    ),
    "wide names, ignored rows": (
        "猫,dog,x,label\n1,2,3,0\n-1e6,2,3.25,1\n0,0,0,2\n5,5,5,-100\n",
        "ce",
        {"options": None},
    ),
    "multi-label, wide": (
        "a,b,c,d,e,ya,yb,yc,yd,ye\n" + "".join(f"{i},-1,2,-3,{i - 4},1,0,1,0,{i % 2}\n" for i in range(9)),
        "bce",
        {"label_cols": "6-10"},
    ),
}


@pytest.mark.parametrize("is_tty", [False, True], ids=["pipe", "terminal"])
@pytest.mark.parametrize("case", list(TABLES))
def test_plain_rows_are_the_bytes_rich_would_draw(case: str, is_tty: bool, tmp_path, monkeypatch) -> None:
    from losscli.core import LossOptions
    from losscli.render import grid, table

    text, command, kw = TABLES[case]
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    if "options" in kw:
        kw = {"options": LossOptions(loss="ce", input="logits", ignore_index=-100)}
    cols = grid.sample_columns(_evaluate(str(path), command, **kw))
    monkeypatch.setenv("COLUMNS", "50")
    fast, slow = io.StringIO(), io.StringIO()
    table._print_samples(table._console(fast, is_tty), cols)
    table._print_natural_width(table._console(slow, is_tty), table.samples_table(cols))
    assert fast.getvalue() == slow.getvalue()
    assert len(fast.getvalue().splitlines()) == 2 + len(cols[0].cells)


DOGS = ["golden_retriever", "labrador_retriever", "german_shepherd", "border_collie"]
WIDTH_CASES = {  # name: (command, file text)
    "long_names": (
        "auto",
        ",".join(DOGS)
        + ",label\n"
        + "".join(
            f"{(i * 7 % 5) - 2},{i % 3 - 1},{(i * 3 % 4) / 2},{-i / 4},{DOGS[i % 4]}\n" for i in range(6)
        ),
    ),
    "six_classes": (
        "ce",
        "c0,c1,c2,c3,c4,c5,label\n"
        + "".join(f"{i / 7:.5f},{-i / 3:.4f},0.5,{i % 2},{2 - i / 9:.4f},1.25,{i % 6}\n" for i in range(6)),
    ),
}


@pytest.mark.parametrize("width", [60, 100, 200])
@pytest.mark.parametrize("case", list(WIDTH_CASES))
def test_table_at_a_fixed_width(case: str, width: int, tmp_path, update_golden: bool, monkeypatch) -> None:
    """Golden tables at 60, 100 and 200 columns: every score column when they fit, else the
    score of the label, names shortened only when that is what makes the table fit, and the
    long summary values wrapped at spaces and ``|``."""
    from losscli.render import table

    command, text = WIDTH_CASES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = _evaluate(path.name, command)
    out = io.StringIO()
    table.render_table(res, out, is_tty=False, width=width)
    golden = ROOT / "tests" / "golden" / f"{case}_w{width}.table"
    if update_golden or (not golden.exists() and os.environ.get("CI") != "true"):
        golden.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == golden.read_text(encoding="utf-8")
    for line in out.getvalue().splitlines():
        assert table.cell_width(line) <= width, line


@pytest.mark.parametrize(
    ("value", "width", "lines"),
    [
        ("a|bb|ccc", 5, ["a|bb|", "ccc"]),
        ("one two three", 7, ["one two", "three"]),
        ("one two three", 6, ["one", "two", "three"]),
        ("averyveryverylongword x", 5, ["averyveryverylongword", "x"]),
        ("short", 80, ["short"]),
    ],
)
def test_values_wrap_after_spaces_and_bars_only(value: str, width: int, lines: list[str]) -> None:
    from losscli.render.table import wrap_words

    assert wrap_words(value, width) == lines
    assert "".join(lines).replace(" ", "") == value.replace(" ", "")


@pytest.mark.parametrize(
    ("precision", "x", "value"),
    [(6, 0.6431512861849672, "0.643151"), (2, 1.5, "1.50"), (4, 3e-9, "3.00e-09"), (3, 0.0, "0.000"),
     (None, 0.1, "0.1"), (4, math.inf, "inf")],
)  # fmt: skip
def test_statistics_get_the_asked_decimals(precision: int | None, x: float, value: str) -> None:
    from losscli.render.numbers import Numbers

    assert Numbers(precision).value(x) == value


def test_counts_and_intervals_are_written_for_people() -> None:
    from losscli.render.numbers import FULL, Numbers

    num = Numbers(4)
    assert num.count(1234567) == "1,234,567" and FULL.count(1234567) == "1234567"
    assert num.interval([0.63791, 0.64822], 0.95) == "  95% CI [0.6379, 0.6482]"
    assert num.interval([0.1, 0.2], 0.975) == "  97.5% CI [0.1000, 0.2000]"
    assert FULL.interval([0.1, 0.2], 0.95) == " (0.1 – 0.2)" and num.interval(None, 0.95) == ""


def test_table_losses_align_on_the_decimal_point(result: pipeline.Result) -> None:
    out = io.StringIO()
    RENDERERS["table"].write(result, out, is_tty=False, precision=3)
    rows = out.getvalue().splitlines()[2:7]
    assert len({r.index(".", len(r) - 6) for r in rows}) == 1
    assert [float(r.split()[-1]) for r in rows] == pytest.approx(LOSSES, abs=5e-4)
    assert "mean        0.643" in out.getvalue()


def test_the_table_says_how_row_numbers_meet_file_lines(tmp_path) -> None:
    """Row # 3 of a CSV with a header is the file's line 5, the line an error would cite."""
    from losscli.render import table

    path = tmp_path / "p.csv"
    path.write_text("logit,label\n0.1,0\n0.2,1\n0.3,0\n9.9,0\n", encoding="utf-8")
    res = _evaluate(str(path), "bce")
    out = io.StringIO()
    table.render_table(res, out, is_tty=False)
    assert "# is 0-based; file line = # + 2 with a header, # + 1 without" in out.getvalue()
    row3 = next(ln for ln in out.getvalue().splitlines() if ln.startswith("3 "))
    assert "9.9" in row3 and path.read_text().splitlines()[3 + 2 - 1].startswith("9.9")


def test_quantiles_are_numpys_linear_method_on_the_per_sample_losses(result: pipeline.Result) -> None:
    """Type-7 quantiles by hand: h = (n - 1)·q, then interpolate between the order statistics."""
    from losscli.render.summary import quantiles

    s = sorted(LOSSES)

    def q7(q: float) -> float:
        h = (len(s) - 1) * q
        lo = math.floor(h)
        return s[lo] + (h - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo])

    got = quantiles(result)
    assert got is not None and list(got) == ["median", "p90", "p99", "max"]
    assert list(got.values()) == pytest.approx([q7(0.5), q7(0.9), q7(0.99), max(s)], rel=1e-12)
    out = io.StringIO()
    RENDERERS["table"].write(result, out, is_tty=False, precision=4)
    assert f"quantiles   median {q7(0.5):.4f}   p90 {q7(0.9):.4f}" in out.getvalue()


def test_no_quantiles_without_every_per_sample_loss(tmp_path) -> None:
    from losscli.render.summary import quantiles

    path = tmp_path / "p.csv"
    path.write_text("logit,label\n" + "".join(f"{i / 10},{i % 2}\n" for i in range(30)), encoding="utf-8")
    res = pipeline.run(pipeline.Request(command="bce", input="logits", score_path=str(path), top=5))
    assert res.hidden == 25 and quantiles(res) is None


def _table(res: pipeline.Result, **kw: object) -> str:
    from losscli.render import table

    out = io.StringIO()
    table.render_table(res, out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(scope="module")
def probs() -> pipeline.Result:
    res = pipeline.run(
        pipeline.Request(command="bce", input="probs", score_path=str(ROOT / "samples/binary_probs.csv"))
    )
    res.extra.update(sort="index", per_class=True)
    return res


def test_no_escape_code_when_colour_is_off_even_on_a_terminal(probs, monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b" not in _table(probs, is_tty=True, width=100, color=False, pictures=True)
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in _table(probs, is_tty=True, width=100, pictures=True)


def test_colour_marks_wrong_predictions_and_clamped_rows_without_moving_a_cell(probs) -> None:
    import re

    plain = _table(probs, is_tty=False, width=100, color=False)
    painted = _table(probs, is_tty=False, width=100, color=True)
    assert re.sub(r"\x1b\[[0-9;]*m", "", painted) == plain
    rows = {ln.split("   ")[0]: ln for ln in painted.splitlines()[2:9]}
    # samples/binary_probs.csv: rows 3, 5, 6 are predicted wrong; row 5 (p = 0, y = 1) hit the clamp
    assert [i for i in rows if "\x1b[31m" in rows[i]] == ["3", "5", "6"]
    assert [i for i in rows if "\x1b[33m" in rows[i]] == ["5"]
    assert "\x1b[33m1 probability of exactly 0 or 1" in painted


def test_the_histogram_counts_every_loss_once(probs) -> None:
    text = _table(probs, is_tty=False, width=100, color=False, pictures=True)
    lines = text.split("loss histogram (samples per bin)\n")[1].splitlines()[:10]
    counts = [int(ln.split()[-1] if "mean" not in ln else ln.split()[-3]) for ln in lines]
    assert sum(counts) == probs.summary.n == 7
    assert counts[0] == 6 and counts[-1] == 1  # six losses below 10, the clamped 100 alone
    assert sum("◀ mean" in ln for ln in lines) == 1 and "◀ mean" in lines[1]  # mean 14.7
    assert "loss histogram" not in _table(probs, is_tty=False, width=100)  # a pipe: none unless asked


@pytest.mark.parametrize(
    ("fraction", "cells", "drawn"), [(0.3, 10, "███"), (0.35, 10, "███▌"), (1.0, 4, "████"), (0, 5, "")]
)
def test_bars_are_drawn_to_an_eighth_of_a_cell(fraction: float, cells: int, drawn: str) -> None:
    from losscli.render.pictures import bar

    assert bar(fraction, cells) == drawn


@pytest.mark.parametrize("width", [60, 100])
def test_pictures_at_a_fixed_width(probs, width: int, update_golden: bool) -> None:
    text = _table(probs, is_tty=False, width=width, color=False, pictures=True)
    golden = ROOT / "tests" / "golden" / f"pictures_w{width}.table"
    if update_golden or (not golden.exists() and os.environ.get("CI") != "true"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert max(len(ln) for ln in text.splitlines()) <= width


@pytest.mark.parametrize("width", [40, 60, 100])
def test_histogram_lines_fit_the_width_with_the_mean_on_the_tallest_bar(width: int) -> None:
    import numpy as np

    from losscli.render.numbers import Numbers
    from losscli.render.pictures import histogram_lines

    values = np.array([2.0, 2.0, 2.0, 0.1, 3.0])  # mean 1.82: in the bin of the three 2s
    lines = histogram_lines(values, float(values.mean()), width, Numbers(6))
    tallest = max(lines, key=lambda ln: len(ln[1]))
    assert tallest[2].endswith("◀ mean")
    assert all(len(f"{a}  │{b}  {c}") <= width for a, b, c in lines)
