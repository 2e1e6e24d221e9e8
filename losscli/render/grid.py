"""The samples table as columns of plain strings, and their layout as text lines.

rich measures and renders every cell of a table (about 1 ms a row), which a ``--top 0``
table of 100k rows cannot afford. Cells here are built a column at a time and laid out
exactly as rich lays out the table's body (natural widths, three spaces between columns,
no outer padding), so rich is only needed for the header; ``tests/unit/test_render.py``
checks the two agree byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from losscli.model import Meta, Result
from losscli.render.cells import class_name, row_label, row_pred
from losscli.render.numbers import Numbers

MAX_SCORE_COLUMNS = 4  # wider inputs show the target's score (or correct/K) in the table
GAP = "   "  # right padding + the SIMPLE_HEAD box's blank divider + left padding


class _Plain(Numbers):
    """0.1's cells: six significant digits."""

    def value(self, x: float) -> str:
        return f"{x:.6g}"


PLAIN = _Plain()


@dataclass
class Column:
    """One column: its header, its cells (one ``str`` per row) and its justification."""

    head: str
    cells: list[str]
    right: bool
    paint: list[str] | None = None  # an SGR code per row ("31" red, "" none) when coloured

    def width(self) -> int:
        """The natural width in terminal cells (a cell is never wrapped or cut)."""
        return max(cell_width(self.head), max(map(cell_width, set(self.cells)), default=0))

    def plain(self) -> bool:
        """Every cell printable (no tabs, newlines or control codes that rich would expand)."""
        return all(c.isprintable() for c in set(self.cells))


def cell_width(s: str) -> int:
    """Terminal cells taken by ``s`` (wide East Asian characters count twice)."""
    if s.isascii():
        return len(s)
    from rich.cells import cell_len

    return cell_len(s)


def _memo(keys: list, show: dict) -> list[str]:
    return [show[k] for k in keys]


def label_cells(res: Result, meta: Meta) -> list[str]:
    """Row labels: the class (multiclass) or the space-separated 0/1/soft values."""
    rows = res.rows
    if res.mode == "multiclass":
        idx = (rows.target if res.soft else rows.labels[:, 0]).astype(np.int64).tolist()
        return _memo(idx, {v: class_name(v, meta) for v in set(idx)})
    keys = [tuple(r) for r in rows.labels.tolist()]
    first = {k: i for i, k in enumerate(keys)}
    return _memo(keys, {k: row_label(rows, i, meta) for k, i in first.items()})


def pred_cells(res: Result, meta: Meta) -> list[str]:
    """Predictions: the class (multiclass) or the space-separated 0/1 decisions."""
    rows = res.rows
    if res.mode == "multiclass":
        idx = rows.pred.astype(np.int64).tolist()
        return _memo(idx, {v: class_name(v, meta) for v in set(idx)})
    keys = [tuple(r) for r in rows.pred.tolist()]
    first = {k: i for i, k in enumerate(keys)}
    return _memo(keys, {k: row_pred(rows, i, meta) for k, i in first.items()})


def score_columns(res: Result, digest: bool) -> list[Column]:
    """Every score column, or (``digest``) the score of the true class (multiclass) or
    ``correct/K`` (multi-label) in one column."""
    rows = res.rows
    if not digest or res.k == 1:
        cols = rows.scores.T.tolist() if len(rows) else [[] for _ in res.score_names]
        return [Column(n, [f"{v:.6g}" for v in c], True) for n, c in zip(res.score_names, cols, strict=True)]
    if res.mode == "multiclass":
        t = (rows.target if res.soft else rows.labels[:, 0]).astype(np.int64)
        ok = (t >= 0) & (t < res.k)
        picked = rows.scores[np.arange(len(t)), np.where(ok, t, 0)].tolist()
        cells = [f"{v:.6g}" if good else "–" for v, good in zip(picked, ok.tolist(), strict=True)]
        return [Column("score of label", cells, True)]
    correct = np.sum(rows.pred == rows.target, axis=1).astype(np.int64).tolist()
    return [Column("correct", [f"{c}/{res.k}" for c in correct], True)]


def sample_columns(res: Result, digest: bool | None = None, numbers: Numbers = PLAIN) -> list[Column]:
    """One row per kept sample: ``#``, label, score(s) (or their digest), prediction, loss.
    ``digest`` None: the digest when there are more than MAX_SCORE_COLUMNS scores."""
    if digest is None:
        digest = res.k > MAX_SCORE_COLUMNS
    meta = Meta(res.mode, res.k, res.classes, res.score_names, res.soft, res.opts)
    rows = res.rows
    losses = [
        numbers.value(v) if ok else "ignored"
        for v, ok in zip(rows.loss.tolist(), rows.valid.tolist(), strict=True)
    ]
    return [
        Column("#", [str(i) for i in rows.index.astype(np.int64).tolist()], True),
        Column("label", label_cells(res, meta), False),
        *score_columns(res, digest),
        Column("pred", pred_cells(res, meta), False),
        Column("loss", losses, True),
    ]


def table_width(cols: list[Column]) -> int:
    """Terminal cells a line of these columns takes."""
    return sum(c.width() for c in cols) + len(GAP) * (len(cols) - 1)


def shorten_names(cols: list[Column], width: int, floor: int = 8) -> list[Column] | None:
    """The columns with the label and prediction names cut to a common length (``…`` at the
    end, never below ``floor`` cells) so that a line fits ``width``; None when it cannot.
    Only names are cut: the label/pred columns of multi-class tables hold no numbers."""
    names = [j for j, c in enumerate(cols) if c.head in ("label", "pred")]
    limit = max(cols[j].width() for j in names)
    while limit > floor:
        limit -= 1
        out = list(cols)
        for j in names:
            out[j] = Column(cols[j].head, [_cut(s, limit) for s in cols[j].cells], cols[j].right)
        if table_width(out) <= width:
            return out
    return None


def _cut(s: str, limit: int) -> str:
    if cell_width(s) <= limit:
        return s
    while cell_width(s) > limit - 1:
        s = s[:-1]
    return s + "…"


def choose_columns(res: Result, width: int, numbers: Numbers = PLAIN) -> list[Column]:
    """The layout for ``width`` terminal cells, first that fits: every score column; one
    digest column (score of label / correct); the digest with class names shortened. When
    none fits, every column at its natural width (the terminal wraps; no number is cut)."""
    full_cols = sample_columns(res, False, numbers) if res.k * 4 <= width else None
    if full_cols is not None and table_width(full_cols) <= width:
        return full_cols
    if res.k == 1:
        return full_cols or sample_columns(res, False, numbers)
    digest = sample_columns(res, True, numbers)
    if table_width(digest) <= width:
        return digest
    if res.mode == "multiclass":
        short = shorten_names(digest, width)
        if short is not None:
            return short
    return full_cols or digest


def body_lines(cols: list[Column], block: int = 4096) -> Iterator[str]:
    """The table's rows as text, ``block`` rows (each ending in a newline) at a time."""
    padded = []
    for c in cols:
        w = c.width()
        if all(s.isascii() for s in set(c.cells)):
            padded.append([s.rjust(w) if c.right else s.ljust(w) for s in c.cells])
        else:
            fill = [(s, " " * (w - cell_width(s))) for s in c.cells]
            padded.append([p + s if c.right else s + p for s, p in fill])
    for j, c in enumerate(cols):
        if c.paint is not None:  # the code wraps the padded cell, so widths stay exact
            padded[j] = [f"\x1b[{k}m{s}\x1b[0m" if k else s for s, k in zip(padded[j], c.paint, strict=True)]
    lines = [GAP.join(parts) for parts in zip(*padded, strict=True)]
    for a in range(0, len(lines), block):
        yield "\n".join(lines[a : a + block]) + "\n"
