"""The table for people: per-sample rows (``--top``), a summary and the notes, drawn by rich.

rich is imported inside the functions, so only drawing a table loads it. Every cell is a
:class:`rich.text.Text`, so names like ``p[cat]`` are shown, not read as markup.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Literal

from losscli.evaluate import Result
from losscli.render.cells import full
from losscli.render.grid import Column, body_lines, sample_columns
from losscli.render.summary import notes, per_class, summary_pairs

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def render_table(res: Result, out: IO[str], *, is_tty: bool) -> None:
    """Per-sample rows (``--top``) and a summary; plain and full-width when not a terminal.

    A table wider than the terminal is printed at its natural width (the terminal wraps the
    lines) rather than having rich shorten numbers or drop columns.
    """
    console = _console(out, is_tty)
    if len(res.rows):
        _print_samples(console, sample_columns(res))
    note = hidden_rows_note(res)
    if note is not None:
        console.print(note)
    for line in summary_lines(res):
        console.print(line, crop=False, soft_wrap=True)
    if res.extra.get("per_class"):
        _print_natural_width(console, per_class_table(res))
    for sentence in notes(res):
        console.print(_text(sentence))


def _console(out: IO[str], is_tty: bool) -> Console:
    """A console on ``out``: the terminal's width and colour, or plain and unbounded in a pipe."""
    from rich.console import Console

    return Console(
        file=out,
        force_terminal=is_tty,
        no_color=bool(os.environ.get("NO_COLOR")) or not is_tty,
        highlight=False,
        width=None if is_tty else 10_000,  # a pipe never truncates a number
        soft_wrap=not is_tty,
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


def hidden_rows_note(res: Result) -> Text | None:
    """``showing the first 20 of N rows (…)`` when ``--top`` left rows out, else None."""
    if not res.hidden:
        return None
    shown = len(res.rows)
    which = "worst" if res.extra.get("sort") == "loss" else "first"
    more = "" if which == "worst" else ", --sort loss the worst"
    return _text(
        f"showing the {which} {shown} of {shown + res.hidden} rows "
        f"({res.hidden} hidden; --top 0 shows all{more})"
    )


def summary_lines(res: Result) -> list[Text]:
    """Plain ``key  value`` lines: no padding to the widest row, nothing to truncate."""
    from rich.text import Text

    pairs = [*summary_pairs(res), ("signature", res.signature)]
    width = max(len(k) for k, _ in pairs) + 2
    lines = []
    for k, v in pairs:
        line = Text()
        line.append(k.ljust(width), style="bold")
        line.append(v)
        lines.append(line)
    return lines


def per_class_table(res: Result) -> Table:
    """``--per-class``: count and mean loss by true class (or by output for multi-label)."""
    from rich import box
    from rich.table import Table

    pc = Table(box=box.SIMPLE_HEAD, show_edge=False, title=None)
    pc.add_column(_text("output" if res.mode == "multilabel" else "class"))
    pc.add_column(_text("n"), justify="right")
    pc.add_column(_text("mean loss"), justify="right", no_wrap=True)
    for r in per_class(res) or []:
        pc.add_row(
            _text(r["class"]), _text(str(r["n"])), _text("–" if r["mean"] is None else full(r["mean"]))
        )
    return pc
