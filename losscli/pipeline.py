"""From a :class:`~losscli.options.Request` to a :class:`~losscli.model.Result`:
open the inputs, fix the plan, let an engine execute it, finish the partial.

No printing; renderers get the :class:`Result` and, while the serial engine runs,
:class:`~losscli.model.RowBlock` s for streamed per-sample output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.engines import serial
from losscli.engines.partial import Partial
from losscli.errors import LossInputError
from losscli.inputs import Inputs, open_inputs
from losscli.model import Result
from losscli.options import Request, validate
from losscli.plan import Plan, make_plan


def run(req: Request, sink: serial.Sink | None = None, progress: serial.Progress | None = None) -> Result:
    """Evaluate ``req``. ``sink`` receives every chunk's rows (streamed csv/jsonl output).

    Large CSV files go through pyarrow when it is installed; if anything is wrong with the
    input, the pass is rerun with the NumPy reader, whose errors name the line and column.
    """
    validate(req)
    kwargs = dict(req.read_kwargs)
    if sink is not None:
        kwargs["reader"] = "numpy"  # streamed rows cannot be taken back for a rerun
    used_fast: list[bool] = []
    try:
        return _run_once(req, kwargs, sink, progress, used_fast)
    except LossInputError as e:
        # pyarrow's own errors carry no line; value errors in pieces with quoted fields
        # cannot be placed on a line either: the NumPy reader finds the exact spot
        if not any(used_fast) or not e.rerun:
            raise
    return _run_once(req, {**kwargs, "reader": "numpy"}, sink, progress, [])


def _run_once(
    req: Request,
    kwargs: dict[str, Any],
    sink: serial.Sink | None,
    progress: serial.Progress | None,
    used_fast: list[bool],
) -> Result:
    inputs = open_inputs(req, kwargs)
    used_fast.append(inputs.fast)
    return run_inputs(req, inputs, sink, progress)


def run_inputs(
    req: Request, inputs: Inputs, sink: serial.Sink | None = None, progress: serial.Progress | None = None
) -> Result:
    """Plan, execute and finish ``req`` over inputs already opened (closed at the end)."""
    validate(req)
    try:
        stream = inputs.chunks()
        first = next(stream, None)
        if first is None:
            raise LossInputError(f"{inputs.scores.path}: no data rows")
        plan, decoded = make_plan(req, inputs, first, stream)
        part = serial.run(plan, inputs, decoded, stream, sink, progress)
        return finish(part, plan, inputs.scores.path)
    finally:
        inputs.close()


def finish(part: Partial, plan: Plan, path: str) -> Result:
    """The result of a plan from the partial of all its rows."""
    try:
        summary = part.acc.summary()
        base_summary = part.baseline.summary() if part.baseline is not None else None
    except LossInputError as e:
        raise LossInputError(f"{path}: {e.message}") from None
    rows, hidden = part.top.result(summary.n + summary.ignored)
    req = plan.req
    res = Result(
        path=path,
        opts=plan.opts,
        mode=plan.mode,
        reason=plan.reason,
        inferred=plan.inferred,
        k=plan.k,
        classes=plan.meta.classes,
        score_names=plan.meta.score_names,
        soft=plan.soft,
        summary=summary,
        per_sample=_join(part.per_sample),
        rows=rows,
        hidden=hidden,
        warnings=list(part.warnings),
        signature=plan.signature,
        sample_weight_col=req.weight_col,
        baseline_per_sample=_join(part.baseline_per_sample),
        baseline_summary=base_summary,
        sample_weights=_join(part.weights),
        denom=_join(part.denom),
    )
    if part.calibration is not None:
        res.calibration_state = part.calibration
    if part.capped:
        res.extra["per_sample_cap"] = req.per_sample_cap
    if plan.mode == "multiclass" and not plan.soft:
        # exp of the mean token loss: what language-model evaluations report
        res.extra["perplexity"] = math.exp(summary.mean) if summary.mean < 709.0 else math.inf
    return res


def _join(parts: list[np.ndarray]) -> np.ndarray | None:
    return np.concatenate(parts) if parts else None


__all__ = ["Inputs", "Plan", "Request", "Result", "finish", "run"]
