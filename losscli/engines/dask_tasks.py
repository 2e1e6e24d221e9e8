"""What a Dask worker runs for one partition: open its rows, run the serial engine's core on
them, and return a :class:`~losscli.engines.partial.Partial` (plus the Poisson bootstrap's
sums when asked for). Nothing here imports Dask: these are plain picklable functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

import numpy as np

from losscli import compare, core
from losscli.engines import poisson, serial
from losscli.engines.partial import Partial
from losscli.engines.partitions import Piece, count, open_piece
from losscli.errors import LossInputError
from losscli.inputs import Inputs
from losscli.plan import Plan
from losscli.readers import Chunk, ReadOptions, Source

ROLES = ("scores", "labels", "baseline")


@dataclass(frozen=True)
class Role:
    """How to read one input on a worker: the read options (the header decided on the
    client) and the columns every file must have, as the first file ``first`` names them."""

    opts: ReadOptions
    names: tuple[str, ...] | None
    first: str


@dataclass(frozen=True)
class Job:
    """Everything a partition task needs besides its pieces. ``boot``: (resamples, seed)
    of the Poisson bootstrap, or None; ``rows``: (format, directory) of part files, or None."""

    plan: Plan
    roles: dict[str, Role]
    boot: tuple[int, int] | None = None
    rows: tuple[str, str] | None = None


@dataclass
class Outcome:
    """A partition's result: its partial (no per-sample lists), the bootstrap's float64
    (terms, resamples) sums or None, and its row count."""

    part: Partial
    sums: np.ndarray | None
    rows: int


def count_task(piece: Piece, header: bool) -> Piece:
    """:func:`~losscli.engines.partitions.count`, with errors as plain messages."""
    try:
        return count(piece, header)
    except LossInputError as e:
        raise LossInputError(str(e)) from None  # only the message survives pickling


def partition_task(job: Job, index: int, pieces: dict[str, list[Piece]]) -> Outcome:
    """Compute partition ``index``: ``pieces["scores"]`` is one piece; labels and baseline,
    the pieces of those inputs that overlap its rows."""
    try:
        return _compute(job, index, pieces)
    except LossInputError as e:
        raise LossInputError(str(e)) from None


def _compute(job: Job, index: int, pieces: dict[str, list[Piece]]) -> Outcome:
    main = pieces["scores"][0]
    r0, r1 = main.row, main.row + main.rows
    srcs: list[Source | None] = [None, None, None]
    try:
        for i, role in enumerate(ROLES):
            if role in pieces:
                srcs[i] = _open_rows(pieces[role], r0, r1, job.roles[role])
        assert srcs[0] is not None
        inputs = Inputs(job.plan.req, srcs[0], srcs[1], srcs[2])
        part = serial.new_partial(job.plan)
        writer = _PartWriter(job, index) if job.rows else None
        n = 0
        for chunks in inputs.chunks():
            block = serial.add_chunk(job.plan, inputs, part, chunks, None)
            n += len(block)
            if writer is not None:
                writer(block, job.plan)
        if n != main.rows:
            raise LossInputError(f"{main.url}: {n} rows read where {main.rows} were counted")
        if writer is not None:
            writer.commit()
    finally:
        for src in srcs:
            if src is not None:
                src.close()
    sums = _bootstrap(job, part, index) if job.boot is not None else None
    part.per_sample, part.denom, part.weights, part.baseline_per_sample = [], [], [], []
    return Outcome(part, sums, n)


def _bootstrap(job: Job, part: Partial, index: int) -> np.ndarray:
    """The Poisson-weighted sums of the ratio's terms: a, b (and the baseline's a)."""
    assert job.boot is not None
    resamples, seed = job.boot
    opts = job.plan.opts
    count = core.convention(opts.convention).sample_weight_denominator == "count"
    ignored = opts.ignore_index is not None
    ps = np.concatenate(part.per_sample) if part.per_sample else np.zeros(0)
    denom = np.concatenate(part.denom) if part.denom else np.zeros(0)
    w = np.concatenate(part.weights) if part.weights else None
    a, b = compare.ratio_terms(ps, denom, w, count, ignored, scale=False)
    terms = [a, b if b is not None else np.ones(len(a))]
    if part.baseline_per_sample:
        base, _ = compare.ratio_terms(
            np.concatenate(part.baseline_per_sample), denom, w, count, ignored, scale=False
        )
        terms.append(base)
    return poisson.weighted_sums(terms, resamples, seed, index)


class PieceSource(Source):
    """A Source over the rows of several pieces; errors name the piece's own file."""

    pieces: list[Piece]

    def locate(self, chunk: Chunk, row: int | None, col: int | None) -> str:
        if row is None:
            return self.path
        g = chunk.start_row + row
        p = next((p for p in self.pieces if p.row <= g < p.row + p.rows), self.pieces[-1])
        if chunk.lines is not None:
            where = f"{p.url}:{int(chunk.lines[row])}"
            return where if col is None else where + (f":{col + 1}" if self.fmt == "csv" else "")
        where = f"{p.url}: row {g - p.file_row + 1}"
        return where + (f", {self._field(col)}" if col is not None else "")


def _open_rows(pieces: list[Piece], r0: int, r1: int, role: Role) -> Source:
    """Global rows ``[r0, r1)`` of an input from the pieces that hold them."""
    first = open_piece(pieces[0], role.opts)
    _check_names(first, role)
    src = PieceSource(**{f.name: getattr(first, f.name) for f in fields(first)})
    src.pieces = pieces
    src.chunks = _span(pieces, r0, r1, role, first)
    return src


def _span(pieces: list[Piece], r0: int, r1: int, role: Role, first: Source) -> Iterator[Chunk]:
    for i, p in enumerate(pieces):
        src = first if i == 0 else open_piece(p, role.opts)
        try:
            if i:
                _check_names(src, role)
            for c in src.chunks:
                if c.start_row >= r1:
                    return
                a, b = max(r0 - c.start_row, 0), min(r1 - c.start_row, len(c))
                if b > a:
                    yield c.slice(a, b)
        finally:
            src.close()


def _check_names(src: Source, role: Role) -> None:
    names = tuple(src.names) if src.names is not None else None
    if names != role.names:
        raise LossInputError(
            f"{src.path}: columns {', '.join(names or ('(no header)',))} differ from "
            f"{role.first}'s ({', '.join(role.names or ('no header',))}); the files must agree"
        )


class _PartWriter:
    """One complete csv/tsv/jsonl file per partition, renamed into place when finished."""

    def __init__(self, job: Job, index: int) -> None:
        from losscli.render import RowWriter

        assert job.rows is not None
        fmt, folder = job.rows
        self.path = os.path.join(folder, f"part-{index:05d}.{fmt}")
        self.tmp = os.path.join(folder, f".part-{index:05d}.{fmt}.{os.getpid()}.tmp")
        self.stream = open(self.tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.rows = RowWriter(fmt, self.stream)

    def __call__(self, block: object, plan: Plan) -> None:
        self.rows(block, plan.meta)  # type: ignore[arg-type]

    def commit(self) -> None:
        self.stream.close()
        os.replace(self.tmp, self.path)


def header_opts(opts: ReadOptions, names: list[str] | None) -> ReadOptions:
    """``opts`` with the header decided: every piece of an input reads like its first."""
    return replace(opts, header=names is not None, reader="numpy")
