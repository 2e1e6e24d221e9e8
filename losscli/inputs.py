"""Opened inputs and the per-chunk step from file columns to arrays.

:class:`Inputs` holds the opened score, label and baseline sources with the column
:class:`~losscli.columns.Layout` chosen for them; :func:`align` cuts their chunk streams into
equal row counts; :meth:`Inputs.arrays` turns one aligned chunk into the float64 arrays the
core takes, and :meth:`Inputs.locate` adds ``path:line:column`` to an error raised on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from losscli import columns, hints
from losscli.errors import LossInputError
from losscli.options import Request
from losscli.readers import Chunk, Source, open_source


@dataclass
class ChunkArrays:
    """One aligned chunk of ``m`` rows as arrays: ``x`` float64 (m, k) scores, ``labels``
    float64 (m, L) decoded labels, ``weights`` float64 (m,) or None, ``baseline`` float64
    (m, k) or None, ``start_row`` the first row's 0-based number."""

    x: np.ndarray
    labels: np.ndarray
    weights: np.ndarray | None
    baseline: np.ndarray | None
    start_row: int


class Inputs:
    """The opened sources of one run and where their columns are."""

    def __init__(self, req: Request, scores: Source, labels: Source | None, baseline: Source | None) -> None:
        self.scores, self.labels, self.baseline = scores, labels, baseline
        self.lay = columns.layout(
            scores,
            labels,
            score_cols=req.score_cols,
            label_cols=req.label_cols,
            weight_col=req.weight_col,
            classes=req.classes,
        )
        self.k = len(self.lay.score_cols)
        self.base_cols = _baseline_cols(baseline, scores, self.lay) if baseline is not None else []

    @property
    def sources(self) -> list[Source]:
        return [s for s in (self.scores, self.labels, self.baseline) if s is not None]

    @property
    def fast(self) -> bool:
        return any(s.fast for s in self.sources)

    def close(self) -> None:
        for src in self.sources:
            src.close()

    def chunks(self) -> Iterator[list[Chunk]]:
        return align(self.sources)

    def decode(self, chunks: list[Chunk]) -> tuple[np.ndarray, bool]:
        """Labels of one aligned chunk: float64 (m, L) and whether class names were used."""
        try:
            chunk = chunks[1 if self.labels else 0]
            return columns.label_values(
                chunk, self.lay.label_cols, self.labels or self.scores, self.lay.classes
            )
        except LossInputError as e:
            raise self.locate(e, chunks) from None

    def arrays(self, chunks: list[Chunk], labels: np.ndarray | None = None) -> ChunkArrays:
        """The arrays of one aligned chunk (``labels`` when already decoded)."""
        lv = labels if labels is not None else self.decode(chunks)[0]
        sc = chunks[0]
        try:
            if self.lay.index_col is not None:
                hints.check_index(sc, self.lay.index_col, self.scores)
            x = np.ascontiguousarray(columns.numeric(sc, self.lay.score_cols, self.scores), dtype=np.float64)
            sw = _sample_weights(sc, self.lay.weight_col, self.scores)
        except LossInputError as e:
            raise self.locate(e, chunks) from None
        bx = None
        if self.baseline is not None:
            try:
                bx = columns.numeric(chunks[-1], self.base_cols, self.baseline)
            except LossInputError as e:
                raise self.locate(e, chunks, "baseline") from None
            bx = np.ascontiguousarray(bx, dtype=np.float64)
        return ChunkArrays(x, lv, sw, bx, sc.start_row)

    def locate(self, err: LossInputError, chunks: list[Chunk], which: str = "main") -> LossInputError:
        """``err`` with the file, line and column of its row and column in ``chunks``."""
        if err.where is not None or err.row is None:
            return err
        located = self._locate(err, chunks, which)
        # a fast-path chunk without line numbers: ask for a rerun that has them
        located.rerun = any(c.lines is None for c in chunks) and self.fast
        return located

    def _locate(self, err: LossInputError, chunks: list[Chunk], which: str) -> LossInputError:
        col = err.col
        if err.field == "labels":
            src = self.labels or self.scores
            chunk = chunks[1] if self.labels is not None else chunks[0]
            fcol = self.lay.label_cols[col] if col is not None else None
        elif err.field in ("weights", "index"):
            fcol = self.lay.weight_col if err.field == "weights" else self.lay.index_col
            src, chunk = self.scores, chunks[0]
        elif which == "baseline" and self.baseline is not None:
            src, chunk = self.baseline, chunks[-1]
            fcol = self.base_cols[col] if col is not None else None
        else:
            src, chunk = self.scores, chunks[0]
            fcol = self.lay.score_cols[col] if col is not None else None
        return err.located(src.locate(chunk, err.row, fcol))


def open_inputs(req: Request, read_kwargs: dict[str, object]) -> Inputs:
    """Open every input of ``req`` (closing what was opened if a later one fails)."""
    opened: list[Source | None] = []
    try:
        rk = dict(header=req.header, delimiter=req.delimiter, family=req.family, **read_kwargs)
        if req.class_axis is not None:
            rk["class_axis"] = req.class_axis
        scores = open_source(req.score_path, **rk)  # type: ignore[arg-type]
        opened.append(scores)
        # labels of n-d scores are one per position: the labels reader needs the scores' shape
        positions = scores.extra.get("positions")
        for path in (req.labels_path, req.baseline_path):
            kw = {**rk, "positions": positions} if positions is not None and path == req.labels_path else rk
            opened.append(open_source(path, **kw) if path else None)  # type: ignore[arg-type]
        _, labels, baseline = opened
        return Inputs(req, scores, labels, baseline)
    except BaseException:
        for src in opened:
            if src is not None:
                src.close()
        raise


def align(sources: list[Source]) -> Iterator[list[Chunk]]:
    """Chunks of equal row count from several sources; unequal lengths are an error."""
    iters = [s.chunks for s in sources]
    bufs: list[Chunk | None] = [None] * len(sources)
    totals = [0] * len(sources)
    while True:
        for i, it in enumerate(iters):
            buf = bufs[i]
            while buf is None or len(buf) == 0:
                buf = next(it, None)
                if buf is None:
                    break
                totals[i] += len(buf)
            bufs[i] = buf
        live = [b is not None and len(b) > 0 for b in bufs]
        if not any(live):
            return
        if not all(live):
            for i, it in enumerate(iters):  # count the rest to report both totals
                for c in it:
                    totals[i] += len(c)
            j = next(i for i in range(1, len(sources)) if totals[i] != totals[0])
            raise LossInputError(
                f"{sources[0].path} has {totals[0]} rows but {sources[j].path} has {totals[j]}; "
                "they must match row for row"
            )
        chunks = [b for b in bufs if b is not None]
        m = min(len(b) for b in chunks)
        yield [b.slice(0, m) for b in chunks]
        bufs = [b.slice(m, len(b)) for b in chunks]


def _baseline_cols(baseline: Source, scores: Source, lay: columns.Layout) -> list[int]:
    if scores.names and baseline.names:
        names = [scores.names[j] for j in lay.score_cols]
        if all(n in baseline.names for n in names):
            return [baseline.names.index(n) for n in names]
    if "score_cols" in baseline.extra:
        cols = list(baseline.extra["score_cols"])  # type: ignore[call-overload]
    else:
        skip = set(columns.named_label_cols(baseline))
        if lay.index_col is not None and hints.pandas_index(baseline, list(range(baseline.ncols))) == 0:
            skip.add(0)
        if lay.weight_col is not None and scores.names and baseline.names:
            wname = scores.names[lay.weight_col]
            skip |= {j for j, n in enumerate(baseline.names) if n == wname}
        cols = [j for j in range(baseline.ncols) if j not in skip]
    if len(cols) != len(lay.score_cols):
        raise LossInputError(
            f"{baseline.path} has {len(cols)} score columns but {scores.path} has {len(lay.score_cols)}"
        )
    return cols


def _sample_weights(chunk: Chunk, col: int | None, src: Source) -> np.ndarray | None:
    """float64 (m,) sample weights of one chunk, or None without a weight column."""
    if col is None:
        return None
    try:
        w = columns.numeric(chunk, [col], src)[:, 0]
    except LossInputError as e:
        raise LossInputError(e.message, row=e.row, col=None, field="weights") from None
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise LossInputError(f"sample weight {float(w[i])!r} must be finite and >= 0", row=i, field="weights")
    return w
