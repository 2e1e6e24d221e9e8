"""The serial engine: one streaming pass over the aligned chunks of the opened inputs.

Memory stays flat: each chunk is computed, folded into the accumulators and dropped (only
the table's kept rows, and per-sample values when the plan asks for them, outlive it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from losscli import columns, core
from losscli.calibration import CalibrationAccumulator, probabilities
from losscli.engines.partial import Partial, TopRows
from losscli.errors import LossInputError
from losscli.inputs import Inputs
from losscli.model import Meta, RowBlock
from losscli.plan import Plan
from losscli.readers import Chunk

Sink = Callable[[RowBlock, Meta], None]
Progress = Callable[[int, int], None]


def new_partial(plan: Plan) -> Partial:
    """An empty partial for ``plan``."""
    base = core.Accumulator(plan.opts, plan.mode, plan.k) if plan.req.baseline_path else None
    part = Partial(core.Accumulator(plan.opts, plan.mode, plan.k), base, TopRows(plan.req.top, plan.req.sort))
    if plan.req.calibration is not None:
        part.calibration = CalibrationAccumulator(plan.req.calibration, plan.mode)
    return part


def run(
    plan: Plan,
    inputs: Inputs,
    decoded: Iterable[tuple[list[Chunk], np.ndarray]],
    rest: Iterator[list[Chunk]],
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> Partial:
    """Compute every chunk: first those already ``decoded`` by the plan, then ``rest``."""
    part = new_partial(plan)
    for chunks, labels in _all(decoded, rest):
        block = add_chunk(plan, inputs, part, chunks, labels)
        if sink is not None:
            sink(block, plan.meta)
        if progress is not None:
            where = inputs.scores.progress()
            if where is not None:
                progress(*where)
    return part


def _all(
    decoded: Iterable[tuple[list[Chunk], np.ndarray]], rest: Iterator[list[Chunk]]
) -> Iterator[tuple[list[Chunk], np.ndarray | None]]:
    yield from decoded
    for chunks in rest:
        yield chunks, None


def add_chunk(
    plan: Plan, inputs: Inputs, part: Partial, chunks: list[Chunk], labels: np.ndarray | None
) -> RowBlock:
    """Compute one aligned chunk into ``part``; returns its rows for display or streaming."""
    a = inputs.arrays(chunks, labels)
    try:
        t = columns.targets(a.labels, plan.mode)
        r = core.compute(a.x, t, plan.opts)
    except LossInputError as e:
        raise inputs.locate(e, chunks) from None
    if a.baseline is not None:
        try:
            br = core.compute(a.baseline, t, plan.opts)
        except LossInputError as e:
            raise inputs.locate(e, chunks, "baseline") from None
        assert part.baseline is not None
        part.baseline.add(br, a.weights)
        part.baseline_per_sample.append(br.per_sample)
    for w in r.warnings:
        w = f"{inputs.scores.path}: {w}"
        if w not in part.warnings:
            part.warnings.append(w)
    part.acc.add(r, a.weights)
    if part.calibration is not None:
        try:
            _calibrate(plan, part.calibration, a.x, t, r.valid)
        except LossInputError as e:
            raise inputs.locate(e, chunks) from None
    if a.baseline is not None:
        part.keep(r.per_sample, r.denom, a.weights, None)
    elif plan.req.keep_per_sample:
        part.keep(r.per_sample, r.denom, a.weights, plan.req.per_sample_cap)
    block = RowBlock(
        np.arange(a.start_row, a.start_row + len(a.x), dtype=np.int64),
        r.per_sample,
        r.valid,
        a.x,
        a.labels,
        r.pred,
        r.target,
    )
    part.top.add(block)
    return block


def _calibrate(
    plan: Plan, cal: CalibrationAccumulator, x: np.ndarray, t: core.Targets, valid: np.ndarray
) -> None:
    """Fold one chunk's probabilities into the reliability bins (ignored rows left out)."""
    p = probabilities(x, plan.opts.input, plan.opts.family)
    if plan.mode == "multiclass":
        assert t.index is not None
        cal.add_multiclass(p[valid], t.index[valid])
    elif plan.mode == "binary":
        assert t.y is not None
        cal.add_binary(p[:, 0], t.y[:, 0])
    else:
        assert t.y is not None
        cal.add_multilabel(p, t.y)
