"""One pass from files to a result: open sources, align their chunks, pick the mode,
compute per chunk, reduce. No printing; renderers get a :class:`Result` and, while the pass
runs, :class:`RowBlock` s for streamed per-sample output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli import __version__, core, select
from losscli.errors import LossInputError
from losscli.readers import Chunk, Source, open_source


@dataclass
class Request:
    """What the user asked for, as plain values (the CLI fills it in)."""

    command: str  # "bce" | "ce" | "focal" | "auto"
    input: str  # "logits" | "probs" | "log_probs"
    score_path: str
    labels_path: str | None = None
    header: bool | None = None
    delimiter: str | None = None
    score_cols: str | None = None
    label_cols: str | None = None
    weight_col: str | None = None
    classes: list[str] | None = None
    # the loss options as given; the pass fills in the loss its mode needs, the input kind
    # and whether sample weights are used
    options: core.LossOptions | None = None
    keep_per_sample: bool = False  # per-sample losses in the result (json, bootstrap)
    top: int | None = 20  # table rows; None when no table is drawn
    sort: str = "index"
    baseline_path: str | None = None
    read_kwargs: dict[str, Any] = field(default_factory=dict)  # passed to open_source


@dataclass
class RowBlock:
    """Rows for display or streamed output. ``index`` int64 (m,) 0-based row numbers;
    ``loss`` float64 (m,) (NaN when ignored); ``scores`` float64 (m, k); ``labels`` float64
    (m, L) as read; ``pred``/``target`` as in :class:`~losscli.core.ChunkResult`."""

    index: np.ndarray
    loss: np.ndarray
    valid: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    pred: np.ndarray
    target: np.ndarray

    def take(self, sel: np.ndarray) -> RowBlock:
        return RowBlock(*(getattr(self, f)[sel] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(blocks: list[RowBlock]) -> RowBlock:
        return RowBlock(
            *(np.concatenate([getattr(b, f) for b in blocks]) for f in RowBlock.__dataclass_fields__)
        )

    def __len__(self) -> int:
        return len(self.index)


@dataclass
class Result:
    path: str
    opts: core.LossOptions
    mode: str
    reason: str
    inferred: bool
    k: int
    classes: list[str] | None
    score_names: list[str]
    soft: bool
    summary: core.Summary
    per_sample: np.ndarray | None
    rows: RowBlock
    hidden: int
    warnings: list[str]
    signature: str
    sample_weight_col: str | None = None
    baseline_per_sample: np.ndarray | None = None
    baseline_summary: core.Summary | None = None
    sample_weights: np.ndarray | None = None
    denom: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def signature(
    opts: core.LossOptions, mode: str, extra: list[str] | None = None, sample_weight_col: str | None = None
) -> str:
    """A stable string naming everything that changes the numbers (sacrebleu-style)."""
    parts = [opts.loss, f"mode:{mode}", f"input:{opts.input}", f"convention:{opts.convention}"]

    def num(v: float) -> str:
        return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))

    if opts.pos_weight is not None:
        parts.append("pos_weight:" + ",".join(num(v) for v in opts.pos_weight))
    if opts.weight is not None:
        parts.append("weight:" + ",".join(num(v) for v in opts.weight))
    if opts.ignore_index is not None:
        parts.append(f"ignore_index:{opts.ignore_index}")
    if opts.label_smoothing:
        parts.append(f"label_smoothing:{num(opts.label_smoothing)}")
    if opts.loss == "focal":
        alpha = opts.focal_alpha()
        parts.append(f"alpha:{num(alpha) if alpha is not None else 'off'}")
        parts.append(f"gamma:{num(opts.gamma)}")
    if opts.threshold != 0.5:
        parts.append(f"threshold:{num(opts.threshold)}")
    if opts.sample_weights:
        parts.append(f"sample_weight:{sample_weight_col or 'yes'}")
    parts.extend(extra or [])
    parts.append(f"losscli:{__version__}")
    return "|".join(parts)


def _align(sources: list[Source]) -> Iterator[list[Chunk]]:
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


class _Pass:
    """State of one evaluation pass (the mode and layout are fixed by the first chunk)."""

    def __init__(self, req: Request, scores: Source, labels: Source | None, baseline: Source | None) -> None:
        self.req, self.scores, self.labels, self.baseline = req, scores, labels, baseline
        self.lay = select.layout(
            scores,
            labels,
            score_cols=req.score_cols,
            label_cols=req.label_cols,
            weight_col=req.weight_col,
            classes=req.classes,
        )
        self.k = len(self.lay.score_cols)
        if req.classes is not None and len(req.classes) != self.k:
            cols = "1 score column" if self.k == 1 else f"{self.k} score columns"
            raise LossInputError(f"--classes names {len(req.classes)} classes but there are {cols}")
        named = [n for n in self.lay.score_names if not n.isdigit()]
        if req.classes is not None and len(named) == self.k and named != list(req.classes):
            raise LossInputError(
                f"--classes {','.join(req.classes)} disagrees with the score header "
                f"({','.join(named)}), which already names the classes; drop --classes"
            )
        if baseline is not None:
            self.base_cols = _baseline_cols(baseline, scores, self.lay)

    def locate(self, err: LossInputError, chunks: list[Chunk], which: str = "main") -> LossInputError:
        if err.where is not None or err.row is None:
            return err
        located = self._locate(err, chunks, which)
        # a fast-path chunk without line numbers: ask evaluate() for a rerun that has them
        located.rerun = any(c.lines is None for c in chunks) and any(
            s is not None and s.fast for s in (self.scores, self.labels, self.baseline)
        )
        return located

    def _locate(self, err: LossInputError, chunks: list[Chunk], which: str) -> LossInputError:
        col = err.col
        if err.field == "labels":
            src = self.labels or self.scores
            chunk = chunks[1] if self.labels is not None else chunks[0]
            fcol = self.lay.label_cols[col] if col is not None else None
        elif err.field == "weights":
            src, chunk, fcol = self.scores, chunks[0], self.lay.weight_col
        elif which == "baseline" and self.baseline is not None:
            src, chunk = self.baseline, chunks[-1]
            fcol = self.base_cols[col] if col is not None else None
        else:
            src, chunk = self.scores, chunks[0]
            fcol = self.lay.score_cols[col] if col is not None else None
        return err.located(src.locate(chunk, err.row, fcol))


def _baseline_cols(baseline: Source, scores: Source, lay: select.Layout) -> list[int]:
    if scores.names and baseline.names:
        names = [scores.names[j] for j in lay.score_cols]
        if all(n in baseline.names for n in names):
            return [baseline.names.index(n) for n in names]
    if "score_cols" in baseline.extra:
        cols = list(baseline.extra["score_cols"])  # type: ignore[call-overload]
    else:
        skip = set(select._named_label_cols(baseline))
        if lay.weight_col is not None and scores.names and baseline.names:
            wname = scores.names[lay.weight_col]
            skip |= {j for j, n in enumerate(baseline.names) if n == wname}
        cols = [j for j in range(baseline.ncols) if j not in skip]
    if len(cols) != len(lay.score_cols):
        raise LossInputError(
            f"{baseline.path} has {len(cols)} score columns but {scores.path} has {len(lay.score_cols)}"
        )
    return cols


@dataclass(frozen=True)
class Meta:
    """What a renderer needs to print rows: fixed once the first chunk chose the mode."""

    mode: str
    k: int
    classes: list[str] | None
    score_names: list[str]
    soft: bool
    opts: core.LossOptions


Progress = Callable[[int, int], None]


def evaluate(
    req: Request, sink: Callable[[RowBlock, Meta], None] | None = None, progress: Progress | None = None
) -> Result:
    """Run the whole pass. ``sink`` receives every chunk's rows (streamed csv/jsonl output).

    Large CSV files go through pyarrow when it is installed; if anything is wrong with the
    input, the pass is rerun with the NumPy reader, whose errors name the line and column.
    """
    kwargs = dict(req.read_kwargs)
    if sink is not None:
        kwargs["reader"] = "numpy"  # streamed rows cannot be taken back for a rerun
    used_fast: list[bool] = []
    try:
        return _open_and_run(req, sink, progress, kwargs, used_fast)
    except LossInputError as e:
        # pyarrow's own errors carry no line; value errors in pieces with quoted fields
        # cannot be placed on a line either: the NumPy reader finds the exact spot
        if not any(used_fast) or not e.rerun:
            raise
    return _open_and_run(req, sink, progress, {**kwargs, "reader": "numpy"}, [])


def _open_and_run(
    req: Request,
    sink: Callable[[RowBlock, Meta], None] | None,
    progress: Progress | None,
    kwargs: dict[str, Any],
    used_fast: list[bool],
) -> Result:
    paths = [req.score_path] + [p for p in (req.labels_path, req.baseline_path) if p]
    if paths.count("-") > 1:
        raise LossInputError("standard input (-) can feed only one of the inputs")
    opened: list[Source | None] = []
    try:
        rk = dict(header=req.header, delimiter=req.delimiter, **kwargs)
        for path in (req.score_path, req.labels_path, req.baseline_path):
            src = open_source(path, **rk) if path else None
            opened.append(src)
            used_fast.append(src is not None and src.fast)
        scores, labels, baseline = opened
        assert scores is not None
        return _evaluate(req, sink, progress, scores, labels, baseline)
    finally:
        for src in opened:
            if src is not None:
                src.close()


def _evaluate(
    req: Request,
    sink: Callable[[RowBlock, Meta], None] | None,
    progress: Progress | None,
    scores: Source,
    labels: Source | None,
    baseline: Source | None,
) -> Result:
    for src in (scores, baseline):
        if src is not None and src.kind_hint and src.kind_hint != req.input:
            flag, given = (f"--{k.replace('_', '-')}" for k in (src.kind_hint, req.input))
            raise LossInputError(f"{src.path} holds {src.kind_hint!r} but was given as {given}; use {flag}")
    p = _Pass(req, scores, labels, baseline)
    sources = [s for s in (scores, labels, baseline) if s is not None]
    stream = _align(sources)

    # The first chunk fixes the mode; auto with K label columns must see every row first.
    first = next(stream, None)
    if first is None:
        raise LossInputError(f"{scores.path}: no data rows")
    lab_src = labels or scores

    def decode(chunks: list[Chunk]) -> tuple[np.ndarray, bool]:
        try:
            return select.label_values(chunks[1 if labels else 0], p.lay.label_cols, lab_src, p.lay.classes)
        except LossInputError as e:
            raise p.locate(e, chunks) from None

    lv, used_names = decode(first)
    buffered: list[tuple[list[Chunk], np.ndarray | None]] = [(first, lv)]  # labels decoded once
    n_label_cols = len(p.lay.label_cols)
    one_hot = select.is_one_hot(lv) if n_label_cols > 1 else False
    if req.command == "auto" and n_label_cols > 1 and n_label_cols == p.k:
        for chunks in stream:
            v, _ = decode(chunks)
            buffered.append((chunks, v))
            one_hot = one_hot and select.is_one_hot(v)
    kind = select.label_kind(lv, used_names)
    try:
        choice = core.choose_mode(req.command, p.k, n_label_cols, kind, one_hot)
    except LossInputError as e:
        raise LossInputError(f"{scores.path}: {e.message}") from None
    loss = req.command if req.command != "auto" else ("ce" if choice.mode == "multiclass" else "bce")
    asked = req.options or core.LossOptions(loss=loss, input=req.input)
    opts = replace(asked, loss=loss, input=req.input, sample_weights=p.lay.weight_col is not None)
    if opts.pos_weight is not None and len(opts.pos_weight) == 1 and p.k > 1:
        opts = replace(opts, pos_weight=opts.pos_weight * p.k)
    if opts.weight is not None and len(opts.weight) == 1 and opts.family == "sigmoid" and p.k > 1:
        opts = replace(opts, weight=opts.weight * p.k)
    core.check_options(opts, p.k, choice.mode)
    soft = choice.mode == "multiclass" and n_label_cols > 1
    if soft and opts.convention == "sklearn":
        raise LossInputError(
            "sklearn.metrics.log_loss takes class labels, not soft targets; use --convention torch"
        )
    if soft and opts.ignore_index is not None:
        raise LossInputError(
            "--ignore-index needs class-index labels, not soft targets (PyTorch refuses it too)"
        )
    if choice.mode != "multiclass" and opts.convention == "sklearn" and kind == "soft":
        raise LossInputError(
            "sklearn.metrics.log_loss takes 0/1 labels, not soft targets; use --convention torch"
        )

    meta = Meta(choice.mode, p.k, p.lay.classes, p.lay.score_names, soft, opts)
    acc = core.Accumulator(opts, choice.mode, p.k)
    base_acc = core.Accumulator(opts, choice.mode, p.k) if baseline else None
    per_sample: list[np.ndarray] = []
    denoms: list[np.ndarray] = []
    base_per_sample: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    keeper = _TopRows(req.top, req.sort)
    warnings: list[str] = []

    def chunks_all() -> Iterator[tuple[list[Chunk], np.ndarray | None]]:
        yield from buffered
        for chunks in stream:
            yield chunks, None

    for chunks, decoded in chunks_all():
        sc = chunks[0]
        lvals = decoded if decoded is not None else decode(chunks)[0]
        try:
            x = select.numeric(sc, p.lay.score_cols, scores)
            t = select.targets(lvals, choice.mode)
            sw = _sample_weights(sc, p.lay.weight_col, scores)
            r = core.compute(np.ascontiguousarray(x, dtype=np.float64), t, opts)
        except LossInputError as e:
            raise p.locate(e, chunks) from None
        if baseline is not None:
            try:
                bx = select.numeric(chunks[-1], p.base_cols, baseline)
                br = core.compute(np.ascontiguousarray(bx, dtype=np.float64), t, opts)
            except LossInputError as e:
                raise p.locate(e, chunks, "baseline") from None
            assert base_acc is not None
            base_acc.add(br, sw)
            base_per_sample.append(br.per_sample)
        for w in r.warnings:
            w = f"{scores.path}: {w}"
            if w not in warnings:
                warnings.append(w)
        acc.add(r, sw)
        if req.keep_per_sample or baseline is not None:
            per_sample.append(r.per_sample)
            denoms.append(r.denom)
            if sw is not None:
                weights.append(sw)
        block = RowBlock(
            np.arange(sc.start_row, sc.start_row + len(sc), dtype=np.int64),
            r.per_sample,
            r.valid,
            x,
            lvals,
            r.pred,
            r.target,
        )
        keeper.add(block)
        if sink is not None:
            sink(block, meta)
        if progress is not None:
            where = scores.progress()
            if where is not None:
                progress(*where)

    try:
        summary = acc.summary()
        base_summary = base_acc.summary() if base_acc is not None else None
    except LossInputError as e:
        raise LossInputError(f"{scores.path}: {e.message}") from None
    rows, hidden = keeper.result(summary.n + summary.ignored)
    return Result(
        path=scores.path,
        opts=opts,
        mode=choice.mode,
        reason=choice.reason,
        inferred=req.command == "auto",
        k=p.k,
        classes=p.lay.classes,
        score_names=p.lay.score_names,
        soft=soft,
        summary=summary,
        per_sample=np.concatenate(per_sample) if per_sample else None,
        rows=rows,
        hidden=hidden,
        warnings=warnings,
        signature=signature(opts, choice.mode, sample_weight_col=req.weight_col),
        sample_weight_col=req.weight_col,
        baseline_per_sample=np.concatenate(base_per_sample) if base_per_sample else None,
        baseline_summary=base_summary,
        sample_weights=np.concatenate(weights) if weights else None,
        denom=np.concatenate(denoms) if denoms else None,
    )


def mean_parts(res: Result, per_sample: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(a, b)`` with ``mean == Σa / Σb`` over the rows that entered the mean (``b`` None
    for a plain mean): the input of the bootstrap. ``per_sample`` float64 (rows,)."""
    assert res.denom is not None
    valid = ~np.isnan(per_sample) if res.summary.ignored else np.ones(len(per_sample), dtype=bool)
    a = per_sample[valid]
    d = res.denom[valid]
    s = res.sample_weights[valid] if res.sample_weights is not None else None
    if s is not None:
        a = s * a
        d = d if res.opts.convention == "keras" else s * d
    if np.all(d == 1.0):
        return a, None
    return a, d


def _sample_weights(chunk: Chunk, col: int | None, src: Source) -> np.ndarray | None:
    if col is None:
        return None
    try:
        w = select.numeric(chunk, [col], src)[:, 0]
    except LossInputError as e:
        raise LossInputError(e.message, row=e.row, col=None, field="weights") from None
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise LossInputError(f"sample weight {float(w[i])!r} must be finite and >= 0", row=i, field="weights")
    return w


class _TopRows:
    """Keeps the table's rows: the first ``top``, the ``top`` worst (``sort="loss"``), or all
    (``top == 0``); nothing at all when ``top`` is None (no table is drawn)."""

    def __init__(self, top: int | None, sort: str) -> None:
        self.top, self.sort = top, sort
        self.parts: list[RowBlock] = []
        self.kept: RowBlock | None = None

    def add(self, block: RowBlock) -> None:
        if self.top is None:
            return
        if self.top == 0:
            self.parts.append(block)  # joined once at the end, not once per chunk
            return
        if self.sort != "loss":
            if self.kept is None or len(self.kept) < self.top:
                merged = block if self.kept is None else RowBlock.concat([self.kept, block])
                self.kept = merged.take(np.arange(min(self.top, len(merged))))
            return
        merged = block if self.kept is None else RowBlock.concat([self.kept, block])
        if len(merged) > self.top:
            sel = np.argpartition(-_badness(merged), self.top - 1)[: self.top]
            merged = merged.take(np.sort(sel))
        self.kept = merged

    def result(self, total: int) -> tuple[RowBlock, int]:
        if self.top == 0 and self.parts:
            self.kept = RowBlock.concat(self.parts)
        if self.kept is None:
            return RowBlock(*(np.zeros(0) for _ in RowBlock.__dataclass_fields__)), 0
        rows = self.kept
        if self.sort == "loss":
            rows = rows.take(np.lexsort((rows.index, -_badness(rows))))
        return rows, total - len(rows)


def _badness(rows: RowBlock) -> np.ndarray:
    """Sort key, worst first: infinite losses lead, ignored rows trail."""
    return np.where(rows.valid, np.nan_to_num(rows.loss, nan=np.inf, posinf=np.inf), -np.inf)
