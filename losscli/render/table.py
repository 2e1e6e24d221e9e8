"""The table for people: per-sample rows (``--top``), a summary and the notes, drawn by rich.

rich is imported inside the functions, so only drawing a table loads it. Every cell is a
:class:`rich.text.Text`, so names like ``p[cat]`` are shown, not read as markup.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING

import numpy as np

from losscli.model import Meta, Result
from losscli.render.cells import full, row_label, row_pred
from losscli.render.summary import notes, per_class, summary_pairs

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

MAX_SCORE_COLUMNS = 4  # wider inputs show the target's score (or correct/K) in the table


def render_table(res: Result, out: IO[str], *, is_tty: bool) -> None:
    """Per-sample rows (``--top``) and a summary; plain and full-width when not a terminal.

    A table wider than the terminal is printed at its natural width (the terminal wraps the
    lines) rather than having rich shorten numbers or drop columns.
    """
    console = _console(out, is_tty)
    if len(res.rows):
        _print_natural_width(console, samples_table(res))
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


def samples_table(res: Result) -> Table:
    """One row per kept sample: ``#``, label, score(s) (or their digest), prediction, loss."""
    from rich import box
    from rich.table import Table

    meta = Meta(res.mode, res.k, res.classes, res.score_names, res.soft, res.opts)
    rows = res.rows
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(_text("#"), justify="right", no_wrap=True)
    table.add_column(_text("label"), no_wrap=True)
    wide = res.k > MAX_SCORE_COLUMNS
    score_heads = [("score of label" if res.mode == "multiclass" else "correct")] if wide else res.score_names
    for name in score_heads:
        table.add_column(_text(name), justify="right", no_wrap=True)
    table.add_column(_text("pred"), no_wrap=True)
    table.add_column(_text("loss"), justify="right", no_wrap=True)
    for i in range(len(rows)):
        cells = [str(int(rows.index[i])), row_label(rows, i, meta)]
        if wide:
            if res.mode == "multiclass":
                t = int(rows.target[i]) if res.soft else int(rows.labels[i, 0])
                cells.append(f"{rows.scores[i, t]:.6g}" if 0 <= t < res.k else "–")
            else:
                cells.append(f"{int(np.sum(rows.pred[i] == rows.target[i]))}/{res.k}")
        else:
            cells.extend(f"{v:.6g}" for v in rows.scores[i])
        cells.append(row_pred(rows, i, meta))
        cells.append("ignored" if not rows.valid[i] else f"{float(rows.loss[i]):.6g}")
        table.add_row(*(_text(c) for c in cells))
    return table


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
