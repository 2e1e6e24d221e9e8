"""The plan: everything decided before any chunk is computed, fixed in one frozen value.

:func:`make_plan` looks at the options and at the first chunk of the data — columns, label
kind, the mode (``auto`` picks it), the loss options resolved for the width, the
convention's refusals — and returns a :class:`Plan`. Engines execute a plan; they decide
nothing. A plan holds plain values only, so it can be sent to other processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from losscli import columns, core
from losscli.errors import LossInputError
from losscli.inputs import Inputs
from losscli.model import Meta
from losscli.options import Request
from losscli.readers import Chunk, open_source
from losscli.signature import Signature, loss_signature

# auto with K label columns on standard input keeps at most this much to look at every row
# (a file is read twice instead: labels only, then everything)
PROBE_STDIN_BYTES = 64 << 20


@dataclass(frozen=True)
class Plan:
    """What to compute. ``opts`` are the resolved loss options (the loss the mode needs,
    weights broadcast to ``k`` outputs); ``meta`` is what renderers need for rows."""

    req: Request
    opts: core.LossOptions
    mode: str
    reason: str
    k: int
    soft: bool
    label_kind: str
    score_cols: tuple[int, ...]
    label_cols: tuple[int, ...]
    weight_col: int | None
    base_cols: tuple[int, ...]
    meta: Meta
    signature: str
    warnings: tuple[str, ...] = ()  # decided on the first chunk, e.g. logits that look like probabilities
    notes: tuple[str, ...] = ()  # what was decided for the user, e.g. pandas' index column skipped

    @property
    def inferred(self) -> bool:
        return self.req.command == "auto"


def make_plan(
    req: Request, inputs: Inputs, first: list[Chunk], rest: Iterator[list[Chunk]]
) -> tuple[Plan, list[tuple[list[Chunk], np.ndarray]]]:
    """The plan, from the options and the first aligned chunk ``first``.

    Returns the plan and the chunks already decoded on the way (the first, plus what an
    ``auto`` probe of standard input had to keep), which the engine computes before ``rest``.
    """
    _check_kind_hints(req, inputs)
    _check_classes(req, inputs, first)
    lv, used_names = inputs.decode(first)
    decoded = [(first, lv)]
    n_label_cols = len(inputs.lay.label_cols)
    one_hot = columns.is_one_hot(lv) if n_label_cols > 1 else False
    if req.command == "auto" and n_label_cols > 1 and n_label_cols == inputs.k and one_hot:
        one_hot = _rest_is_one_hot(req, inputs, rest, decoded)
    kind = columns.label_kind(lv, used_names)
    try:
        choice = core.choose_mode(req.command, inputs.k, n_label_cols, kind, one_hot)
    except LossInputError as e:
        raise LossInputError(f"{inputs.scores.path}: {e.message}") from None
    opts = _resolve(req, inputs, choice.mode)
    soft = choice.mode == "multiclass" and n_label_cols > 1
    _refuse(opts, choice.mode, kind, soft)
    if req.calibration is not None and (soft or kind == "soft"):
        raise LossInputError(
            f"{inputs.scores.path}: --calibration needs hard labels (0/1 or class indices), not soft "
            "targets: neither brier_score_loss nor the calibration errors define it for them"
        )
    lay = inputs.lay
    meta = Meta(choice.mode, inputs.k, lay.classes, lay.score_names, soft, opts)
    plan = Plan(
        req=req,
        opts=opts,
        mode=choice.mode,
        reason=choice.reason,
        k=inputs.k,
        soft=soft,
        label_kind=kind,
        score_cols=tuple(lay.score_cols),
        label_cols=tuple(lay.label_cols),
        weight_col=lay.weight_col,
        base_cols=tuple(inputs.base_cols),
        meta=meta,
        signature=str(_signature(opts, choice.mode, req, lay)),
        warnings=tuple(_first_chunk_warnings(req, inputs, first)),
        notes=tuple(_notes(inputs)),
    )
    return plan, decoded


def _signature(opts: core.LossOptions, mode: str, req: Request, lay: columns.Layout) -> Signature:
    sig = loss_signature(opts, mode, req.weight_col)
    if mode == "binary" and lay.classes and len(lay.classes) == 2:
        # which name is positive changes every number
        sig = sig.with_(("pos_label", lay.classes[1]))
    return sig


def _notes(inputs: Inputs) -> list[str]:
    if inputs.lay.index_col is None:
        return []
    return [
        f"{inputs.scores.path}: column 1 has no name and counts the rows 0, 1, 2, … "
        "(the index pandas' to_csv() writes), so it was skipped"
    ]


def _first_chunk_warnings(req: Request, inputs: Inputs, first: list[Chunk]) -> list[str]:
    if req.input != "logits":
        return []
    from losscli import hints

    try:
        x: np.ndarray | None = columns.numeric(first[0], inputs.lay.score_cols, inputs.scores)
    except LossInputError:
        x = None  # the pass reports it, with its line
    w = hints.probabilities_as_logits(inputs.scores.path, x, inputs.lay.score_names)
    return [w] if w else []


def _check_kind_hints(req: Request, inputs: Inputs) -> None:
    for src in (inputs.scores, inputs.baseline):
        if src is not None and src.kind_hint and src.kind_hint != req.input:
            flag, given = (f"--{k.replace('_', '-')}" for k in (src.kind_hint, req.input))
            raise LossInputError(f"{src.path} holds {src.kind_hint!r} but was given as {given}; use {flag}")


def _check_classes(req: Request, inputs: Inputs, first: list[Chunk]) -> None:
    """``--classes`` against the score columns; for one score column, ``--classes NEG,POS``
    or ``--pos-label POS`` name the two label values (NEG → 0, POS → 1)."""
    k = inputs.k
    if k == 1 and (req.classes is not None or req.pos_label is not None):
        inputs.lay.classes = _binary_classes(req, inputs, first)
        return
    if req.pos_label is not None:
        raise LossInputError(
            f"--pos-label is for one score column (binary); there are {k} score columns, "
            "whose classes come from the header or --classes"
        )
    if req.classes is not None and len(req.classes) != k:
        raise LossInputError(f"--classes names {len(req.classes)} classes but there are {k} score columns")
    named = [n for n in inputs.lay.score_names if not n.isdigit()]
    # an explicit --classes wins over the header (``c0,c1,c2`` names columns, not classes),
    # except when it reorders the header's own names: that contradiction has no safe reading
    if req.classes is not None and named != list(req.classes) and sorted(named) == sorted(req.classes):
        raise LossInputError(
            f"--classes {','.join(req.classes)} disagrees with the score header "
            f"({','.join(named)}), which already names the classes; drop --classes"
        )


def _binary_classes(req: Request, inputs: Inputs, first: list[Chunk]) -> list[str]:
    """``[NEG, POS]`` for one score column: from ``--classes``, or ``--pos-label`` and the
    other label value of the first chunk."""
    if req.classes is not None:
        if len(req.classes) != 2:
            raise LossInputError(
                f"--classes names {len(req.classes)} classes but there is 1 score column: "
                "give the two label values as --classes NEG,POS (or --pos-label POS)"
            )
        if req.pos_label is not None and req.pos_label != req.classes[1]:
            raise LossInputError(
                f"--pos-label {req.pos_label} disagrees with --classes {','.join(req.classes)}, "
                "whose second name is the positive class"
            )
        return list(req.classes)
    assert req.pos_label is not None
    pos = req.pos_label
    chunk = first[1 if inputs.labels else 0]
    cols = inputs.lay.label_cols
    seen = sorted({str(v).strip() for j in cols if j in chunk.text for v in np.unique(chunk.text[j])})
    others = [v for v in seen if v != pos]
    if len(others) > 1:
        raise LossInputError(
            f"--pos-label {pos}: the labels hold {len(seen)} values ({', '.join(seen[:5])}); "
            "binary labels have two: name them with --classes NEG,POS"
        )
    if not others and pos not in seen:
        raise LossInputError(f"--pos-label {pos}: the labels are not class names; --pos-label names one")
    if not others:
        raise LossInputError(
            f"--pos-label {pos}: every label of the first rows is {pos!r}, so the negative class "
            "is unknown; name both with --classes NEG,POS"
        )
    return [others[0], pos]


def _rest_is_one_hot(
    req: Request, inputs: Inputs, rest: Iterator[list[Chunk]], decoded: list[tuple[list[Chunk], np.ndarray]]
) -> bool:
    """``auto``'s probe: is every later label row one-hot too?

    A file is read once more, labels only, and closed; standard input cannot be read twice,
    so up to :data:`PROBE_STDIN_BYTES` of it are kept (in ``decoded``) and looked at."""
    label_src = inputs.labels or inputs.scores
    path = req.labels_path or req.score_path
    if path != "-":
        src = open_source(path, header=req.header, delimiter=req.delimiter, **req.read_kwargs)
        try:
            for chunk in src.chunks:
                try:
                    v, _ = columns.label_values(chunk, inputs.lay.label_cols, src, inputs.lay.classes)
                except LossInputError as e:
                    raise e.located(src.locate(chunk, e.row, _label_col(inputs, e.col))) from None
                if not columns.is_one_hot(v):
                    return False
        finally:
            src.close()
        return True
    kept = 0
    for chunks in rest:
        v, _ = inputs.decode(chunks)
        decoded.append((chunks, v))
        kept += sum(c.values.nbytes for c in chunks)
        if not columns.is_one_hot(v):
            return False
        if kept > PROBE_STDIN_BYTES:
            raise LossInputError(
                f"{label_src.path}: losscli auto must see every label row to tell multiclass from "
                f"multi-label, and standard input is larger than {PROBE_STDIN_BYTES >> 20} MiB; "
                "name the loss (bce or ce) or pass a file"
            )
    return True


def _label_col(inputs: Inputs, col: int | None) -> int | None:
    return inputs.lay.label_cols[col] if col is not None else None


def _resolve(req: Request, inputs: Inputs, mode: str) -> core.LossOptions:
    """The loss options for this mode and width: the loss auto picked, the input kind,
    sample weights on or off, one weight broadcast to every output."""
    k = inputs.k
    loss = req.command if req.command != "auto" else ("ce" if mode == "multiclass" else "bce")
    asked = req.options or core.LossOptions(loss=loss, input=req.input)
    opts = replace(asked, loss=loss, input=req.input, sample_weights=inputs.lay.weight_col is not None)
    if opts.pos_weight is not None and len(opts.pos_weight) == 1 and k > 1:
        opts = replace(opts, pos_weight=opts.pos_weight * k)
    if opts.weight is not None and len(opts.weight) == 1 and opts.family == "sigmoid" and k > 1:
        opts = replace(opts, weight=opts.weight * k)
    core.check_options(opts, k, mode)
    return opts


def _refuse(opts: core.LossOptions, mode: str, kind: str, soft: bool) -> None:
    """Label encodings a convention or option cannot take (in the order users meet them)."""
    refusal = core.convention(opts.convention).refuses_soft_targets.get(opts.family)
    if soft and refusal:
        raise LossInputError(refusal)
    if soft and opts.ignore_index is not None:
        raise LossInputError(
            "--ignore-index needs class-index labels, not soft targets (PyTorch refuses it too)"
        )
    if mode != "multiclass" and kind == "soft" and refusal:
        raise LossInputError(refusal)
