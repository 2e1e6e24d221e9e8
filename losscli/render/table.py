"""The table for people: per-sample rows (``--top``), a summary and the notes, drawn by rich.

rich is imported inside the functions, so only drawing a table loads it. Every cell is a
:class:`rich.text.Text`, so names like ``p[cat]`` are shown, not read as markup.
"""

from __future__ import annotations

import os
import re
from typing import IO, TYPE_CHECKING, Literal

from losscli.evaluate import Result
from losscli.render.grid import Column, body_lines, cell_width, choose_columns
from losscli.render.numbers import DEFAULT_PRECISION, FULL, Numbers
from losscli.render.summary import notes, per_class, summary_pairs

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


PIPE_WIDTH = 200  # the width a pipe's layout is chosen for (its lines are never wrapped)


def render_table(
    res: Result, out: IO[str], *, is_tty: bool, width: int | None = None, precision: int | None = None
) -> None:
    """Per-sample rows (``--top``) and a summary, laid out for ``width`` terminal cells.

    ``width`` None: the terminal's width when ``is_tty``, else the layout of PIPE_WIDTH
    with no line wrapped. Score columns are all shown when they fit, else one digest
    column (see :func:`~losscli.render.grid.choose_columns`); a table wider than the width
    is printed at its natural width (the terminal wraps the lines) rather than having rich
    shorten numbers or drop columns. Long summary values wrap at spaces and ``|``.

    ``precision``: decimals of every statistic and per-sample loss (default
    DEFAULT_PRECISION); counts get thousands separators. Machine formats keep full precision.
    """
    num = Numbers(DEFAULT_PRECISION if precision is None else precision)
    console = _console(out, is_tty, width)
    wrap = width if width is not None else (console.width if is_tty else None)
    if len(res.rows):
        _print_samples(console, choose_columns(res, wrap or PIPE_WIDTH, num))
    for note in (row_numbers_note(res), hidden_rows_note(res, num)):
        if note is not None:
            console.print(note)
    for line in summary_lines(res, wrap, num):
        console.print(line, crop=False, soft_wrap=True)
    if res.extra.get("per_class"):
        _print_natural_width(console, per_class_table(res, num))
    for sentence in notes(res):
        console.print(_text(sentence))


def _console(out: IO[str], is_tty: bool, width: int | None = None) -> Console:
    """A console on ``out``: the terminal's (or the given) width and colour, or plain and
    unbounded in a pipe."""
    from rich.console import Console

    if width is None and not is_tty:
        width = 10_000  # a pipe never truncates a number
    return Console(
        file=out,
        force_terminal=is_tty,
        no_color=bool(os.environ.get("NO_COLOR")) or not is_tty,
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
            line.append(part)
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


def per_class_table(res: Result, numbers: Numbers = FULL) -> Table:
    """``--per-class``: count and mean loss by true class (or by output for multi-label)."""
    from rich import box
    from rich.table import Table

    pc = Table(box=box.SIMPLE_HEAD, show_edge=False, title=None)
    pc.add_column(_text("output" if res.mode == "multilabel" else "class"))
    pc.add_column(_text("n"), justify="right")
    pc.add_column(_text("mean loss"), justify="right", no_wrap=True)
    for r in per_class(res) or []:
        pc.add_row(
            _text(r["class"]),
            _text(numbers.count(r["n"])),
            _text("–" if r["mean"] is None else numbers.value(r["mean"])),
        )
    return pc
