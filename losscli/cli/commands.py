"""The commands: options → request → pipeline → statistics → renderer → gates.

Command bodies hold no logic of their own: the request is built from click's values, the
pipeline computes, :mod:`losscli.compare` adds intervals, a renderer writes, and the CI gates
set the exit code. NumPy and rich load inside the bodies, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from losscli.cli.group import EXIT_CHECK_FAILED, cli
from losscli.cli.options import input_options, loss_options, output_options, stats_options
from losscli.cli.output import Destination, ProgressBar
from losscli.errors import LossInputError
from losscli.options import Request

MAX_RESAMPLES = 10_000  # losscli.stats.MAX_RESAMPLES (not imported: NumPy loads lazily)
ROW_FORMATS = ("csv", "tsv", "jsonl")
TABLE_PER_SAMPLE_ROWS = 1_000_000  # 8 MiB a kept array: the table's quantiles and histogram


def _score_source(command: str, p: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The one kind of score source given: (input kind, its paths — several models)."""
    sources = [(k, tuple(p.get(k) or ())) for k in ("logits", "probs", "log_probs")]
    given = [(k, v) for k, v in sources if v]
    if len(given) != 1:
        flags = "--logits, --probs" + (", --log-probs" if command in ("ce", "auto") else "")
        raise click.UsageError(
            f"give exactly one score source: {flags}" + (" (got several)" if given else "")
        )
    return given[0]


def _loss_options(command: str, kind: str, p: dict[str, Any]) -> Any:
    """``LossOptions`` from click's values of the shared options and the loss's own params."""
    from losscli import core
    from losscli.specs import LOSSES, SHARED

    params = [q for q in SHARED if q.name != "sample_weight"]
    if command in LOSSES:
        params += LOSSES[command].params
    values = {q.name: p.get(q.name, q.default) for q in params}
    return core.LossOptions(loss=command, input=kind, convention=p["convention"], **values)


def _needs_per_sample(fmt: str) -> bool:
    from losscli.render import RENDERERS

    return RENDERERS[fmt].needs_per_sample


def build_request(command: str, p: dict[str, Any], fmt: str) -> Request:
    """The :class:`Request` for click's parameter values ``p``."""
    kind, paths = _score_source(command, p)
    path = paths[0]
    return Request(
        command=command,
        input=kind,
        score_path=path,
        labels_path=p.get("labels"),
        header=p.get("header"),
        delimiter=p.get("delimiter"),
        score_cols=p.get("score_cols"),
        label_cols=",".join(p["label_col"]) if p.get("label_col") else None,
        weight_col=p.get("sample_weight_col"),
        classes=[c.strip() for c in p["classes"].split(",")] if p.get("classes") is not None else None,
        options=_loss_options(command, kind, p),
        # the renderer may need them (json prints them, the table and markdown draw and
        # summarise them); the bootstrap resamples them, --plot draws them
        keep_per_sample=_needs_per_sample(fmt)
        or p.get("ci") is not None
        or len(paths) > 1
        or bool(p.get("plot")),
        # the table alone wants them for its summary: not past TABLE_PER_SAMPLE_ROWS
        per_sample_cap=TABLE_PER_SAMPLE_ROWS
        if fmt == "table" and not p.get("ci") and len(paths) == 1 and not p.get("plot")
        else None,
        top=p["top"] if fmt == "table" else None,
        sort=p["sort"],
        baseline_path=p.get("baseline"),
        calibration=p.get("calibration"),
        class_axis=p.get("class_axis"),
        read_kwargs={"reader": os.environ.get("LOSSCLI_READER", "auto")},
    )


def _run(command: str, p: dict[str, Any]) -> None:
    """Shared body of bce / ce / focal / auto."""
    fmt = "quiet" if p["quiet"] else p["fmt"]
    req = build_request(command, p, fmt)
    models = _score_source(command, p)[1]
    _check_run_options(p, fmt, len(models))
    if p.get("plot"):
        from losscli.plot import check_plot_path

        check_plot_path(p["plot"])

    from losscli import compare, pipeline, render

    dest = Destination(p.get("output"), big=fmt in ("json", *ROW_FORMATS))
    bar = ProgressBar(f"reading {req.score_path}") if fmt == "table" and sys.stderr.isatty() else None
    try:
        sink = render.RowWriter(fmt, dest.stream) if fmt in ROW_FORMATS else None
        try:
            res = pipeline.run(req, sink, bar)
        finally:
            if bar is not None:
                bar.close()
        res.extra["sort"] = p["sort"]
        if p.get("per_class"):
            res.extra["per_class"] = True
        so = compare.StatsOptions(p.get("ci"), p["resamples"], p["seed"], p.get("baseline"))
        compare.apply(res, so)
        if p.get("plot"):
            _plot(res, p["plot"])
        if len(models) > 1:
            others = [pipeline.run(replace(req, score_path=m, top=None)) for m in models[1:]]
            res.extra["models"] = compare.models(res, others, so)
        _write_summary(res, fmt, dest, p)
    except BaseException:
        dest.abort()
        raise
    _finish(res, fmt, dest, p)


def _check_run_options(p: dict[str, Any], fmt: str, models: int = 1) -> None:
    """Refuse combinations that would be silently ignored."""
    ctx = click.get_current_context()
    explicit = {
        name
        for name in ("resamples", "seed", "top", "sort")
        if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
    }
    if p.get("fail_if_worse") and not p.get("baseline") and models == 1:
        raise click.UsageError("--fail-if-worse needs --baseline PATH (or several --logits to compare)")
    if models > 1 and p.get("baseline"):
        raise click.UsageError(
            "several score files are compared with the first; --baseline would be a second reference"
        )
    if models > 1 and fmt in ROW_FORMATS:
        raise click.UsageError(
            f"--format {fmt} writes one model's rows; compare several models with the table, json or markdown"
        )
    if explicit & {"resamples", "seed"} and p.get("ci") is None and not p.get("baseline"):
        raise click.UsageError("--bootstrap and --seed apply to --ci and --baseline")
    ci = p.get("ci")
    if ci is not None and math.isnan(ci):  # click's range check lets NaN through
        raise click.UsageError("--ci needs a level between 0 and 1, got nan")
    if p["resamples"] > MAX_RESAMPLES:  # before any file is read
        raise click.UsageError(f"--bootstrap {p['resamples']} is over the limit of {MAX_RESAMPLES} resamples")
    shown = "-q" if fmt == "quiet" else f"--format {fmt}"
    if ctx.get_parameter_source("fmt") == click.core.ParameterSource.ENVIRONMENT:
        shown += " (from LOSSCLI_FORMAT)"
    summary_formats = ("table", "json", "markdown")
    for flag, given in (
        ("--ci", p.get("ci") is not None),
        ("--calibration", p.get("calibration") is not None),
        ("--per-class", bool(p.get("per_class"))),
        ("--baseline without --fail-if-worse", bool(p.get("baseline")) and not p.get("fail_if_worse")),
    ):
        if given and fmt not in summary_formats:
            raise click.UsageError(f"{flag} is shown by the table, json and markdown formats, not {shown}")
    if explicit & {"top", "sort"} and fmt != "table":
        raise click.UsageError(f"--top and --sort shape the table, not {shown}")
    for flag, key in (("--color", "color"), ("--pictures", "pictures")):
        if p.get(key) is not None and fmt != "table":
            raise click.UsageError(f"{flag} shapes the table, not {shown}")
    if p.get("precision") is not None and fmt not in ("table", "markdown"):
        raise click.UsageError(f"--precision rounds the table and markdown, not {shown} (full precision)")
    fail_above = p.get("fail_above")
    if fail_above is not None and math.isnan(fail_above):
        raise click.UsageError("--fail-above needs a number, got nan")
    reader = os.environ.get("LOSSCLI_READER", "auto")
    if reader not in ("auto", "numpy", "arrow"):
        raise click.UsageError(f"LOSSCLI_READER must be auto, numpy or arrow, got {reader!r}")


def _plot(res: Any, path: str) -> None:
    """``--plot``: the loss histogram, the reliability diagram and per-class bars to a file."""
    import numpy as np

    from losscli import charts, plot, render

    finite = res.per_sample[np.isfinite(res.per_sample)]
    hist = charts.loss_histogram(finite)
    plot.write_plot(
        path,
        histogram=hist,
        shares=charts.loss_shares(finite, hist[0]),
        note=charts.tail_note(finite),
        reliability=res.calibration,
        per_class=render.per_class(res) if res.extra.get("per_class") else None,
    )


def _write_summary(res: Any, fmt: str, dest: Destination, p: dict[str, Any]) -> None:
    """The summary renderers (table, json, markdown, -q); row formats were streamed."""
    from losscli.render import RENDERERS

    renderer = RENDERERS[fmt]
    if renderer.streams_rows:
        return
    given = {
        "is_tty": dest.is_tty(),
        "precision": p.get("precision"),
        "color": p.get("color"),
        "pictures": p.get("pictures"),
    }
    renderer.write(res, dest.stream, **{k: v for k, v in given.items() if k in renderer.options})


def _warn(res: Any, fmt: str) -> None:
    """Warnings and the auto note on stderr (the table says them in its summary)."""
    from losscli.compare import losses_are_infinite

    for w in res.warnings:
        click.echo(f"Warning: {w}", err=True)
    if res.summary.nonfinite and fmt != "table":
        shown = {"json": "written as null", "csv": "left empty", "tsv": "left empty", "jsonl": "null"}
        how = shown.get(fmt, "so the mean is inf")
        click.echo(f"Warning: {res.path}: {losses_are_infinite(res.summary.nonfinite)} ({how})", err=True)
    if res.inferred and fmt in ("quiet", *ROW_FORMATS):
        click.echo(f"losscli auto: {res.mode} ({res.opts.loss}): {res.reason}", err=True)


def _finish(res: Any, fmt: str, dest: Destination, p: dict[str, Any]) -> None:
    """Warnings to stderr, the output out, then the CI checks (exit 1)."""
    _warn(res, fmt)
    dest.commit()
    failed = False
    fail_above = p.get("fail_above")
    if fail_above is not None and not (res.summary.mean <= fail_above):
        click.echo(
            f"losscli: mean loss {res.summary.mean!r} is above --fail-above {fail_above!r} ({res.path})",
            err=True,
        )
        failed = True
    b = res.extra.get("baseline")
    for m in res.extra.get("models", [])[1:]:
        if p.get("fail_if_worse") and m["verdict"] == "worse":
            lo, hi = m["delta_ci"]
            click.echo(
                f"losscli: {m['path']} is significantly worse than the first model {res.path}: mean "
                f"{m['mean']!r} vs {res.summary.mean!r}, delta {m['delta']:+.6g} "
                f"({res.extra['ci_level']:.0%} interval {lo:.6g} – {hi:.6g}, entirely above 0)",
                err=True,
            )
            failed = True
    if p.get("fail_if_worse") and b and b["verdict"] == "worse":
        lo, hi = b["delta_ci"]
        click.echo(
            f"losscli: {res.path} is significantly worse than the baseline {b['path']}: mean "
            f"{res.summary.mean!r} vs {b['mean']!r}, delta {b['delta']:+.6g} "
            f"({res.extra['ci_level']:.0%} interval {lo:.6g} – {hi:.6g}, entirely above 0)",
            err=True,
        )
        failed = True
    if failed:
        click.get_current_context().exit(EXIT_CHECK_FAILED)


def _command(name: str, help_text: str, *, log_probs: bool) -> None:
    def body(**p: Any) -> None:
        _run(name, p)

    body.__doc__ = help_text
    f: Callable[..., Any] = body
    f = stats_options(f)
    f = output_options(f)
    f = loss_options(f, command=name)
    f = input_options(f, log_probs=log_probs)
    cli.command(name, no_args_is_help=True)(f)


# --help of auto (each loss's own text is its LossSpec.help)
AUTO_HELP = """Pick binary, multi-label or multiclass from the data, say why, and compute it.

    One score column: binary (bce). K >= 2 score columns and one label column of class
    indices or names: multiclass (ce). K score columns and K label columns: multiclass when
    every label row is one-hot, multi-label (bce) otherwise.

    \b
    Examples:
      losscli auto --logits preds.csv
      cat preds.jsonl | losscli auto --logits - --format json
    """


def _register() -> None:
    from losscli.specs import LOSSES

    for spec in LOSSES.values():
        _command(spec.name, spec.help, log_probs="log_probs" in spec.inputs)
    # auto may pick ce, so it takes every score kind
    _command("auto", AUTO_HELP, log_probs=True)


_register()


@cli.command("merge", no_args_is_help=True)
@click.argument("parts", nargs=-1, required=True, metavar="RESULT.json...")
@functools.partial(output_options, rows=False)
def merge_command(parts: tuple[str, ...], **p: Any) -> None:
    """Combine --format json results of shards into the result of their union.

    The shards must have been computed with the same options (equal signatures). n, sum,
    mean (weighted where the parts are), accuracy and per-class figures are exact;
    per_sample is concatenated in argument order when every part has it.

    \b
    Example:
      for s in 0 1 2; do losscli ce --logits shard$s.csv --format json -o part$s.json; done
      losscli merge part0.json part1.json part2.json -q
    """
    from losscli import merge, render

    if not all(parts):
        raise LossInputError("merge: a part's path is empty (an unset shell variable?)")
    merge.check_distinct(list(parts))
    docs = [merge.load_part(path) for path in parts]
    res = merge.combine(docs, list(parts))
    fmt = "quiet" if p["quiet"] else p["fmt"]
    if fmt in ("csv", "tsv", "jsonl") and res.per_sample is None:
        raise LossInputError(
            f"--format {fmt} needs per_sample in every part (write the parts with --format json)"
        )
    dest = Destination(p.get("output"))
    try:
        if fmt in ("csv", "tsv", "jsonl"):
            assert res.per_sample is not None
            render.write_losses(res.per_sample, fmt, dest.stream)
        else:
            _write_summary(res, fmt, dest, p)
    except BaseException:
        dest.abort()
        raise
    _finish(res, fmt, dest, p)
