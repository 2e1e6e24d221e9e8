"""The table for people: per-sample rows (``--top``), a summary and the notes, drawn by rich.

rich is imported inside the functions, so only drawing a table loads it. Every cell is a
:class:`rich.text.Text`, so names like ``p[cat]`` are shown, not read as markup.
"""

from __future__ import annotations

import os
import re
from typing import IO, TYPE_CHECKING, Literal

from losscli.model import Result
from losscli.render.grid import Column, body_lines, cell_width, choose_columns
from losscli.render.marks import paint
from losscli.render.numbers import DEFAULT_PRECISION, FULL, Numbers
from losscli.render.pictures import bar, histogram_lines, reliability_lines
from losscli.render.summary import all_losses, notes, per_class, summary_pairs

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


PIPE_WIDTH = 200  # the width a pipe's layout is chosen for (its lines are never wrapped)
BAR_CELLS = 20  # the longest per-class bar
VERDICT_STYLE = {"worse": "bold red", "better": "green"}


def render_table(
    res: Result,
    out: IO[str],
    *,
    is_tty: bool,
    width: int | None = None,
    precision: int | None = None,
    color: bool | None = None,
    pictures: bool | None = None,
) -> None:
    """Per-sample rows (``--top``) and a summary, laid out for ``width`` terminal cells.

    ``width`` None: the terminal's width when ``is_tty``, else the layout of PIPE_WIDTH
    with no line wrapped. Score columns are all shown when they fit, else one digest
    column (see :func:`~losscli.render.grid.choose_columns`); a table wider than the width
    is printed at its natural width (the terminal wraps the lines) rather than having rich
    shorten numbers or drop columns. Long summary values wrap at spaces and ``|``.

    ``precision``: decimals of every statistic and per-sample loss (default
    DEFAULT_PRECISION); counts get thousands separators. Machine formats keep full precision.

    ``color``: None follows the terminal (``NO_COLOR`` off, ``FORCE_COLOR`` on); False
    writes no escape code at all. ``pictures`` (None: when ``is_tty``): the loss histogram
    under the summary and bars in ``--per-class``.
    """
    num = Numbers(DEFAULT_PRECISION if precision is None else precision)
    use_color = _use_color(color, is_tty)
    console = _console(out, is_tty, width, use_color)
    wrap = width if width is not None else (console.width if is_tty else None)
    if len(res.rows):
        cols = choose_columns(res, wrap or PIPE_WIDTH, num)
        _print_samples(console, paint(res, cols) if use_color else cols)
    for note in (row_numbers_note(res), hidden_rows_note(res, num)):
        if note is not None:
            console.print(note)
    for line in summary_lines(res, wrap, num):
        console.print(line, crop=False, soft_wrap=True)
    draw = is_tty if pictures is None else pictures
    if draw:
        for line in [
            *histogram_text(res, wrap or PIPE_WIDTH, num),
            *reliability_text(res, wrap or PIPE_WIDTH, num),
        ]:
            console.print(line, crop=False, soft_wrap=True)
    if res.extra.get("per_class"):
        _print_natural_width(console, per_class_table(res, num, bars=draw))
    for sentence in notes(res):
        console.print(_text(sentence), style="yellow")


def _use_color(color: bool | None, is_tty: bool) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or is_tty


def _console(out: IO[str], is_tty: bool, width: int | None = None, color: bool | None = None) -> Console:
    """A console on ``out``: the terminal's (or the given) width, or unbounded in a pipe;
    styles only with ``color`` (no colour system at all without it: no escape codes)."""
    from rich.console import Console

    if color is None:
        color = _use_color(None, is_tty)
    if width is None and not is_tty:
        width = 10_000  # a pipe never truncates a number
    return Console(
        file=out,
        force_terminal=is_tty or color,
        color_system=("auto" if is_tty else "standard") if color else None,
        highlight=False,
        width=width,
        soft_wrap=width == 10_000,
    )


def _print_natural_width(console: Console, renderable: Table) -> None:
    """Print at least at the renderable's natural width, so rich never shortens a cell."""
    from rich.measure import Measurement

    wide_open = console.options.update_width(10_000)
    natural = Measurement.get(console, wide_open, renderable).maximum
    width = console.width
    console.width = max(natural, width)  # print() itself never goes past console.width
    try:
        console.print(renderable, crop=False)
    finally:
        console.width = width


def _text(s: str) -> Text:
    from rich.text import Text

    return Text(s)


def samples_table(cols: list[Column], *, header_only: bool = False) -> Table:
    """The columns as a rich table (``header_only``: the header and its rule, at the widths
    the rows need)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for c in cols:
        justify: Literal["right", "left"] = "right" if c.right else "left"
        table.add_column(
            _text(c.head), justify=justify, no_wrap=True, width=c.width() if header_only else None
        )
    if not header_only:
        for row in zip(*(c.cells for c in cols), strict=True):
            table.add_row(*(_text(s) for s in row))
    return table


def _print_samples(console: Console, cols: list[Column]) -> None:
    """rich draws the header; the rows are written as the plain lines rich would draw."""
    if not all(c.plain() for c in cols):
        _print_natural_width(console, samples_table(cols))
        return
    _print_natural_width(console, samples_table(cols, header_only=True))
    for text in body_lines(cols):
        console.file.write(text)


TEXT_SUFFIXES = (".csv", ".tsv", ".txt")


def row_numbers_note(res: Result) -> Text | None:
    """How ``#`` relates to the lines error messages cite, under a table that has rows."""
    if not len(res.rows):
        return None
    path = res.path.lower().removesuffix(".gz")
    if path.endswith(TEXT_SUFFIXES):  # errors cite these files' 1-based lines
        return _text("# is 0-based; file line = # + 2 with a header, # + 1 without")
    return _text("# is 0-based, as the index of --format csv and json")


def hidden_rows_note(res: Result, numbers: Numbers = FULL) -> Text | None:
    """``showing the first 20 of N rows (…)`` when ``--top`` left rows out, else None."""
    if not res.hidden:
        return None
    shown = len(res.rows)
    which = "worst" if res.extra.get("sort") == "loss" else "first"
    more = "" if which == "worst" else ", --sort loss the worst"
    return _text(
        f"showing the {which} {numbers.count(shown)} of {numbers.count(shown + res.hidden)} rows "
        f"({numbers.count(res.hidden)} hidden; --top 0 shows all{more})"
    )


def summary_lines(res: Result, width: int | None = None, numbers: Numbers = FULL) -> list[Text]:
    """Plain ``key  value`` lines: no padding to the widest row, nothing to truncate. With a
    ``width``, a long value continues on indented lines, broken after a space or ``|``
    (never inside a word or number)."""
    from rich.text import Text

    pairs = [*summary_pairs(res, numbers), ("signature", res.signature)]
    keyw = max(len(k) for k, _ in pairs) + 2
    lines = []
    for k, v in pairs:
        parts = [v] if width is None else wrap_words(v, max(width - keyw, 1))
        for i, part in enumerate(parts):
            line = Text()
            line.append((k if i == 0 else "").ljust(keyw), style="bold" if i == 0 else "")
            line.append(part, style=VERDICT_STYLE.get(part, "") if k == "verdict" else "")
            lines.append(line)
    return lines


def wrap_words(value: str, width: int) -> list[str]:
    """``value`` in lines of at most ``width`` cells, broken only after a space or ``|``; a
    word longer than ``width`` gets a line of its own, whole."""
    lines, cur = [], ""
    for token in re.split(r"(?<=[ |])", value):
        if cur and cell_width((cur + token).rstrip()) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += token
    return [*lines, cur.rstrip()] if cur or not lines else lines


def per_class_table(res: Result, numbers: Numbers = FULL, bars: bool = False) -> Table:
    """``--per-class``: count and mean loss by true class (or by output for multi-label)."""
    from rich import box
    from rich.table import Table

    pc = Table(box=box.SIMPLE_HEAD, show_edge=False, title=None)
    pc.add_column(_text("output" if res.mode == "multilabel" else "class"))
    pc.add_column(_text("n"), justify="right")
    pc.add_column(_text("mean loss"), justify="right", no_wrap=True)
    rows = per_class(res) or []
    top = max((r["mean"] for r in rows if r["mean"] is not None), default=0.0) or 1.0
    if bars:
        pc.add_column(_text(""), no_wrap=True)
    for r in rows:
        cells = [r["class"], numbers.count(r["n"]), "–" if r["mean"] is None else numbers.value(r["mean"])]
        if bars:
            cells.append(bar((r["mean"] or 0.0) / top, BAR_CELLS))
        pc.add_row(*(_text(c) for c in cells))
    return pc


def histogram_text(res: Result, width: int, numbers: Numbers) -> list[Text]:
    """The loss histogram under the summary: equal-width bins from 0 to the largest loss,
    a bar per bin and its count, the mean's bin marked; nothing without every loss."""
    from rich.text import Text

    values = all_losses(res)
    if values is None:
        return []
    lines = [Text("loss histogram (samples per bin)", style="bold")]
    for label, drawn, count in histogram_lines(values, res.summary.mean, min(width, 100), numbers):
        line = Text(f"{label}  │")
        line.append(drawn, style="cyan")
        line.append(f"  {count}")
        lines.append(line)
    return lines


def reliability_text(res: Result, width: int, numbers: Numbers) -> list[Text]:
    """With ``--calibration``: a reliability diagram, one bar of accuracy per bin with the
    bin's mean confidence marked (a perfectly calibrated bin has its mark at the bar's end)."""
    from rich.text import Text

    cal = res.calibration
    if cal is None or not cal["bins"]:
        return []
    lines = [Text("reliability (bar: accuracy, │: mean confidence)", style="bold")]
    for label, drawn, note in reliability_lines(cal["bins"], min(width, 100), numbers):
        line = Text(f"{label}  ")
        line.append(drawn, style="magenta")
        line.append(f"  {note}")
        lines.append(line)
    return lines
