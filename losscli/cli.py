"""Click wiring: options → :class:`~losscli.evaluate.Request` → renderer → stdout or ``-o``.

The only place where :class:`~losscli.errors.LossInputError` becomes a user-facing
``Error: …`` line with exit 2. NumPy and rich are imported inside the commands, so that
``--help``, ``--version`` and shell completion start fast.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import sys
from collections.abc import Callable
from typing import IO, Any

import click

from losscli import __version__
from losscli.errors import LossInputError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
FORMATS = ("table", "json", "csv", "tsv", "jsonl", "markdown")


class InputError(click.ClickException):
    """Bad input: ``Error: …`` on stderr, exit 2 (click's default for this class is 1)."""

    exit_code = EXIT_BAD_INPUT


class LossGroup(click.Group):
    """The one place where errors become exit codes and ``Error: …`` lines.

    ``LossInputError`` (bad data) and click's usage errors exit 2 with a single line on
    stderr; a closed stdout (``| head``) exits 141 quietly; Ctrl-C exits 130.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LossInputError as e:
            raise InputError(str(e)) from None
        except BrokenPipeError:
            # click would turn EPIPE into exit 1, which means "a check failed" here
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else EXIT_OK
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help() if e.ctx else e.format_message(), err=True)
            code = EXIT_BAD_INPUT
        except click.UsageError as e:
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
            click.echo(f"Error: {e.format_message()}{where}", err=True)
            code = EXIT_BAD_INPUT
        except click.ClickException as e:
            e.show()
            code = e.exit_code
        except click.exceptions.Exit as e:
            code = e.exit_code
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            code = EXIT_BROKEN_PIPE
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            code = EXIT_BROKEN_PIPE
        sys.exit(code)


class FloatList(click.ParamType):
    """``2`` or ``1,2,0.5``: a comma list of numbers."""

    name = "W[,W…]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            vals = tuple(float(v) for v in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not a comma list of numbers", param, ctx)
        return vals


def _apply(options: list[Callable[..., Any]], f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f`` with click options, listed in the order --help shows them."""
    for option in reversed(options):
        f = option(f)
    return f


def _input_options(f: Callable[..., Any], *, log_probs: bool) -> Callable[..., Any]:
    opts = [
        click.option(
            "--logits", "logits", metavar="PATH", help="Raw scores (any real number); '-' for stdin."
        ),
        click.option(
            "--probs",
            "probs",
            metavar="PATH",
            help="Probabilities in [0, 1]" + (" (rows summing to 1)." if log_probs else "."),
        ),
        click.option(
            "--log-probs",
            "log_probs",
            metavar="PATH",
            hidden=not log_probs,
            help="Log-probabilities (NLLLoss input).",
        ),
        click.option("--labels", metavar="PATH", help="Labels file (else a label column of the score file)."),
        click.option(
            "--label-col",
            multiple=True,
            metavar="NAME|INDEX",
            help="Label column(s) in the score file: name or 1-based index, ranges 2-5, comma lists.",
        ),
        click.option(
            "--score-cols", metavar="COLS", help="Score columns (default: all but labels and weights)."
        ),
        click.option(
            "--sample-weight-col", metavar="COL", help="Per-sample weights: mean = Σwᵢlᵢ / Σwᵢ (keras: / N)."
        ),
        click.option(
            "--classes", metavar="A,B,…", help="Class names in score-column order, for name labels."
        ),
        click.option(
            "--header/--no-header", default=None, help="Force or deny a header row (default: detect)."
        ),
        click.option(
            "--delimiter", metavar="CHAR", help="CSV delimiter (default: by extension, else sniffed)."
        ),
    ]
    return _apply(opts, f)


def _output_options(f: Callable[..., Any], *, rows: bool = True) -> Callable[..., Any]:
    """--format, -q, -o, --fail-above; with ``rows``, the table's --top, --sort, --per-class."""
    opts = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            envvar="LOSSCLI_FORMAT",
            show_envvar=True,
            show_default=True,
            help="table for people; json (summary + per_sample), csv/tsv/jsonl (per-sample rows), markdown.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only the mean, full precision."),
        click.option("-o", "--output", metavar="PATH", help="Write to PATH (atomically) instead of stdout."),
        click.option("--fail-above", type=float, metavar="X", help="Exit 1 when the mean loss is above X."),
    ]
    if not rows:
        return _apply(opts, f)
    opts += [
        click.option(
            "--top",
            type=click.IntRange(min=0),
            default=20,
            show_default=True,
            help="Table rows shown; 0 = all.",
        ),
        click.option(
            "--sort",
            type=click.Choice(["index", "loss"]),
            default="index",
            show_default=True,
            help="Table row order; loss = worst first.",
        ),
        click.option(
            "--per-class", is_flag=True, help="Mean loss and count per class (per output for multi-label)."
        ),
    ]
    return _apply(opts, f)


def _stats_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "--ci",
            "ci",
            type=click.FloatRange(0, 1, min_open=True, max_open=True),
            is_flag=False,
            flag_value=0.95,
            default=None,
            metavar="[LEVEL]",
            help="Bootstrap confidence interval of the mean (LEVEL default 0.95).",
        ),
        click.option(
            "--bootstrap",
            "resamples",
            type=click.IntRange(min=1),
            default=1000,
            show_default=True,
            help="Bootstrap resamples for --ci and --baseline.",
        ),
        click.option(
            "--seed", type=click.IntRange(min=0), default=12345, show_default=True, help="Bootstrap seed."
        ),
        click.option(
            "--baseline",
            metavar="PATH",
            help="Scores of another model for the same rows: reports its mean and the paired delta.",
        ),
        click.option(
            "--fail-if-worse",
            is_flag=True,
            help="With --baseline: exit 1 when the delta's interval lies entirely above 0.",
        ),
    ]
    return _apply(opts, f)


def _loss_options(f: Callable[..., Any], *, command: str) -> Callable[..., Any]:
    sigmoid = command in ("bce", "focal", "auto")
    softmax = command in ("ce", "auto")
    opts = [
        click.option(
            "--convention",
            type=click.Choice(["torch", "keras", "sklearn"]),
            default="torch",
            envvar="LOSSCLI_CONVENTION",
            show_envvar=True,
            show_default=True,
            help="Whose numbers to reproduce, clipping rules included.",
        ),
        click.option(
            "--threshold",
            type=float,
            default=0.5,
            show_default=True,
            hidden=not sigmoid,
            help="Probability cut for predictions (on logits: σ(x) > T).",
        ),
        click.option(
            "--pos-weight",
            type=FloatList(),
            hidden=command not in ("bce", "focal", "auto"),
            help="Weight of the positive term: one value or one per output.",
        ),
        click.option(
            "--weight",
            type=FloatList(),
            hidden=command == "focal",
            help="Per-output (bce) or per-class (ce) weights; ce's mean divides by Σ weight of the targets.",
        ),
        click.option(
            "--ignore-index", type=int, hidden=not softmax, help="ce: rows with this label count nowhere."
        ),
        click.option(
            "--label-smoothing",
            type=float,
            default=0.0,
            hidden=command == "focal",
            help="ε in [0, 1]; bce targets become y(1-ε)+ε/2, ce as the convention defines it.",
        ),
    ]
    if command == "focal":
        opts += [
            click.option("--alpha", type=float, help="α of the α-term (torch default 0.25; negative: off)."),
            click.option(
                "--gamma", type=float, default=2.0, show_default=True, help="Focusing exponent γ ≥ 0."
            ),
        ]
    return _apply(opts, f)


@click.group(cls=LossGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="losscli")
def cli() -> None:
    """Classification losses from files, exactly as PyTorch (or Keras, or scikit-learn) computes them.

    \b
    Examples:
      losscli bce --logits preds.csv                 # table: per-sample losses, mean, accuracy
      losscli ce --logits logits.npy --labels y.npy -q
      cat preds.csv | losscli auto --logits - --format json
      losscli bce --probs p.csv --fail-above 0.35    # exit 1 in CI when the loss regresses

    \b
    Exit codes: 0 ok; 1 a check (--fail-above, --fail-if-worse) failed;
    2 bad usage or bad input; 130 interrupted; 141 stdout closed early (| head).
    Environment: LOSSCLI_FORMAT, LOSSCLI_CONVENTION (flags win); LOSSCLI_READER=auto|numpy|arrow.
    """


# ---------------------------------------------------------------------------------------
# Output plumbing


class _Destination:
    """stdout through a spool (nothing partial is ever printed), or ``-o`` through a temp
    file in the target's folder renamed on success (a failed run never touches the file)."""

    def __init__(self, path: str | None, big: bool = True) -> None:
        self.path = path
        self.tmp: str | None = None
        if (path and path != "-") or big:
            import tempfile  # ~4 ms of imports that a -q run to stdout does without
        if path and path != "-":
            folder = os.path.dirname(os.path.abspath(path))
            if os.path.isdir(path):
                raise LossInputError(f"-o {path}: is a directory")
            try:
                fd, self.tmp = tempfile.mkstemp(prefix=".losscli-", suffix=".tmp", dir=folder)
            except OSError as e:
                raise LossInputError(f"-o {path}: cannot write there ({e.strerror or e})") from None
            self.stream: IO[str] = open(fd, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        elif big:
            # stdout is written only after success; big outputs spill to disk, not memory
            self.stream = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in commit/abort
                max_size=32 << 20, mode="w+", encoding="utf-8", newline="\n"
            )
        else:
            self.stream = io.StringIO()  # a summary: a few lines

    def commit(self) -> None:
        if self.tmp is not None:
            assert self.path is not None
            self.stream.close()
            try:
                if os.path.exists(self.path):
                    os.chmod(self.tmp, os.stat(self.path).st_mode & 0o7777)
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(self.tmp, 0o666 & ~umask)
                os.replace(self.tmp, self.path)
            except OSError as e:
                self.abort()
                raise LossInputError(f"-o {self.path}: cannot write ({e.strerror or e})") from None
            self.tmp = None
            return
        self.stream.seek(0)
        out = sys.stdout
        while True:
            block = self.stream.read(1 << 20)
            if not block:
                break
            out.write(block)
        out.flush()
        self.stream.close()

    def abort(self) -> None:
        try:
            self.stream.close()
        finally:
            if self.tmp is not None:
                with contextlib.suppress(OSError):  # already gone: nothing to clean up
                    os.unlink(self.tmp)
                self.tmp = None


class _ProgressBar:
    """A byte progress bar on stderr for inputs that take more than about a second.

    Only for the table on an interactive stderr: never in ``-q`` or machine formats, never
    in a CI log. rich is imported only when the bar actually appears.
    """

    DELAY = 1.0

    def __init__(self, label: str) -> None:
        import time

        self.label = label
        self.start = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.bar is None:
            if time.monotonic() - self.start < self.DELAY or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _run(command: str, p: dict[str, Any]) -> None:
    """Shared body of bce / ce / focal / auto."""
    sources = [(k, p.get(k)) for k in ("logits", "probs", "log_probs")]
    given = [(k, v) for k, v in sources if v is not None]
    if len(given) != 1:
        flags = "--logits, --probs" + (", --log-probs" if command in ("ce", "auto") else "")
        raise click.UsageError(
            f"give exactly one score source: {flags}" + (" (got several)" if given else "")
        )
    kind, path = given[0]
    fmt = "quiet" if p["quiet"] else p["fmt"]

    from losscli import core, evaluate, render

    req = evaluate.Request(
        command=command,
        input=kind,
        score_path=path,
        labels_path=p.get("labels"),
        header=p.get("header"),
        delimiter=p.get("delimiter"),
        score_cols=p.get("score_cols"),
        label_cols=",".join(p["label_col"]) if p.get("label_col") else None,
        weight_col=p.get("sample_weight_col"),
        classes=[c.strip() for c in p["classes"].split(",")] if p.get("classes") else None,
        options=core.LossOptions(
            loss=command,
            input=kind,
            convention=p["convention"],
            pos_weight=p.get("pos_weight"),
            weight=p.get("weight"),
            ignore_index=p.get("ignore_index"),
            label_smoothing=p.get("label_smoothing") or 0.0,
            alpha=p.get("alpha"),
            gamma=float(p["gamma"]) if p.get("gamma") is not None else 2.0,
            threshold=float(p["threshold"]) if p.get("threshold") is not None else 0.5,
        ),
        keep_per_sample=fmt == "json" or p.get("ci") is not None,
        top=p["top"] if fmt == "table" else None,
        sort=p["sort"],
        baseline_path=p.get("baseline"),
        read_kwargs={"reader": os.environ.get("LOSSCLI_READER", "auto")},
    )
    _check_run_options(p, fmt)
    dest = _Destination(p.get("output"), big=fmt in ("json", "csv", "tsv", "jsonl"))
    bar = _ProgressBar(f"reading {path}") if fmt == "table" and sys.stderr.isatty() else None
    try:
        sink = render.RowWriter(fmt, dest.stream) if fmt in ("csv", "tsv", "jsonl") else None
        try:
            res = evaluate.evaluate(req, sink, bar)
        finally:
            if bar is not None:
                bar.close()
        res.extra["sort"] = p["sort"]
        if p.get("per_class"):
            res.extra["per_class"] = True
        _statistics(res, p)
        _write_summary(res, fmt, dest, p)
    except BaseException:
        dest.abort()
        raise
    _finish(res, fmt, dest, p)


def _check_run_options(p: dict[str, Any], fmt: str) -> None:
    """Refuse combinations that would be silently ignored."""
    ctx = click.get_current_context()
    explicit = {
        name
        for name in ("resamples", "seed", "top", "sort")
        if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
    }
    if p.get("fail_if_worse") and not p.get("baseline"):
        raise click.UsageError("--fail-if-worse needs --baseline PATH")
    if explicit & {"resamples", "seed"} and p.get("ci") is None and not p.get("baseline"):
        raise click.UsageError("--bootstrap and --seed apply to --ci and --baseline")
    shown = "-q" if fmt == "quiet" else f"--format {fmt}"
    if ctx.get_parameter_source("fmt") == click.core.ParameterSource.ENVIRONMENT:
        shown += " (from LOSSCLI_FORMAT)"
    summary_formats = ("table", "json", "markdown")
    for flag, given in (
        ("--ci", p.get("ci") is not None),
        ("--per-class", bool(p.get("per_class"))),
        ("--baseline without --fail-if-worse", bool(p.get("baseline")) and not p.get("fail_if_worse")),
    ):
        if given and fmt not in summary_formats:
            raise click.UsageError(f"{flag} is shown by the table, json and markdown formats, not {shown}")
    if explicit & {"top", "sort"} and fmt != "table":
        raise click.UsageError(f"--top and --sort shape the table, not {shown}")
    fail_above = p.get("fail_above")
    if fail_above is not None and math.isnan(fail_above):
        raise click.UsageError("--fail-above needs a number, got nan")
    reader = os.environ.get("LOSSCLI_READER", "auto")
    if reader not in ("auto", "numpy", "arrow"):
        raise click.UsageError(f"LOSSCLI_READER must be auto, numpy or arrow, got {reader!r}")


def _statistics(res: Any, p: dict[str, Any]) -> None:
    """--ci and --baseline: bootstrap intervals, added to the result's extras and signature."""
    level = p.get("ci")
    if level is None and not p.get("baseline"):
        return
    from losscli import evaluate, stats

    if res.summary.nonfinite:
        raise LossInputError(
            f"{res.path}: {_losses_are_infinite(res.summary.nonfinite)}, so the mean is infinite "
            "and has no interval; give logits, or a convention that clips (keras, sklearn)"
        )
    level = level if level is not None else stats.DEFAULT_LEVEL
    kw = {"level": level, "resamples": p["resamples"], "seed": p["seed"]}
    assert res.per_sample is not None
    a_new, b = evaluate.mean_parts(res, res.per_sample)
    if p.get("ci") is not None:
        iv = stats.bootstrap_ratio(a_new, b, **kw)
        res.extra["ci"] = [iv.low, iv.high]
    res.extra["ci_level"] = level
    res.extra["bootstrap"] = p["resamples"]
    res.extra["seed"] = p["seed"]
    res.signature = res.signature.replace(
        "|losscli:", f"|ci:{level!r}|bootstrap:{p['resamples']}|seed:{p['seed']}|losscli:"
    )
    if p.get("baseline"):
        assert res.baseline_per_sample is not None and res.baseline_summary is not None
        if res.baseline_summary.nonfinite:
            raise LossInputError(
                f"{p['baseline']}: {_losses_are_infinite(res.baseline_summary.nonfinite)}, so the "
                "baseline mean is infinite and the delta has no interval"
            )
        a_base, _ = evaluate.mean_parts(res, res.baseline_per_sample)
        iv = stats.bootstrap_ratio(a_new - a_base, b, **kw)
        base_mean = res.baseline_summary.mean
        delta = res.summary.mean - base_mean
        if iv.low > 0:
            verdict = "worse"
        elif iv.high < 0:
            verdict = "better"
        else:
            verdict = "no significant difference"
        res.extra["baseline"] = {
            "path": p["baseline"],
            "mean": base_mean,
            "delta": delta,
            "delta_ci": [iv.low, iv.high],
            "verdict": verdict,
        }


def _write_summary(res: Any, fmt: str, dest: _Destination, p: dict[str, Any]) -> None:
    from losscli import render

    if fmt == "json":
        render.render_json(res, dest.stream)
    elif fmt == "quiet":
        render.render_quiet(res, dest.stream)
    elif fmt == "markdown":
        render.render_markdown(res, dest.stream)
    elif fmt == "table":
        is_tty = not p.get("output") and sys.stdout.isatty()
        render.render_table(res, dest.stream, is_tty=is_tty)


def _losses_are_infinite(n: int) -> str:
    noun = "1 loss is" if n == 1 else f"{n} losses are"
    return f"{noun} infinite (a probability of exactly 0 for the true class)"


def _finish(res: Any, fmt: str, dest: _Destination, p: dict[str, Any]) -> None:
    """Warnings to stderr, the output out, then the CI checks (exit 1)."""
    ctx = click.get_current_context()
    for w in res.warnings:
        click.echo(f"Warning: {w}", err=True)
    if res.summary.nonfinite and fmt != "table":  # the table says it in its summary
        shown = {"json": "written as null", "csv": "left empty", "tsv": "left empty", "jsonl": "null"}
        how = shown.get(fmt, "so the mean is inf")
        click.echo(f"Warning: {res.path}: {_losses_are_infinite(res.summary.nonfinite)} ({how})", err=True)
    if res.inferred and fmt in ("quiet", "csv", "tsv", "jsonl"):
        click.echo(f"losscli auto: {res.mode} ({res.opts.loss}): {res.reason}", err=True)
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
        ctx.exit(EXIT_CHECK_FAILED)


def _command(name: str, help_text: str, *, log_probs: bool) -> None:
    def body(**p: Any) -> None:
        _run(name, p)

    body.__doc__ = help_text
    f: Callable[..., Any] = body
    f = _stats_options(f)
    f = _output_options(f)
    f = _loss_options(f, command=name)
    f = _input_options(f, log_probs=log_probs)
    cli.command(name, no_args_is_help=True)(f)


_command(
    "bce",
    """Sigmoid cross-entropy: binary (1 score column) or multi-label (K columns, K labels).

    PyTorch's BCEWithLogitsLoss for --logits, BCELoss (log clamped at -100) for --probs.

    \b
    Examples:
      losscli bce --logits preds.csv                  # label column found by name
      losscli bce --probs p.npy --labels y.npy -q
      losscli bce --logits ml.csv --label-col 4-6 --pos-weight 2 --format json
    """,
    log_probs=False,
)
_command(
    "ce",
    """Softmax cross-entropy over K >= 2 classes (multiclass).

    PyTorch's CrossEntropyLoss for --logits, NLLLoss for --log-probs, NLLLoss(log p) for
    --probs. Labels are class indices, class names matching the score header, or K columns
    of (soft) targets.

    \b
    Examples:
      losscli ce --logits logits.csv                  # header cat,dog,bird,label
      losscli ce --logits x.npy --labels y.npy --weight 1,2,0.5 --ignore-index -100
      losscli ce --probs p.csv --label-smoothing 0.1 --convention keras -q
    """,
    log_probs=True,
)
_command(
    "focal",
    """Sigmoid focal loss (torchvision's sigmoid_focal_loss), binary or multi-label.

    loss = α_t·(1 - p_t)^γ·BCE, mean over all elements. --alpha defaults to 0.25
    (negative: no α term); --gamma to 2. Under --convention keras, α applies only when given.

    \b
    Examples:
      losscli focal --logits preds.csv
      losscli focal --logits preds.csv --alpha -1 --gamma 0   # equals bce
    """,
    log_probs=False,
)
_command(
    "auto",
    """Pick binary, multi-label or multiclass from the data, say why, and compute it.

    One score column: binary (bce). K >= 2 score columns and one label column of class
    indices or names: multiclass (ce). K score columns and K label columns: multiclass when
    every label row is one-hot, multi-label (bce) otherwise.

    \b
    Examples:
      losscli auto --logits preds.csv
      cat preds.jsonl | losscli auto --logits - --format json
    """,
    log_probs=True,
)


@cli.command("merge", no_args_is_help=True)
@click.argument("parts", nargs=-1, required=True, metavar="RESULT.json...")
@functools.partial(_output_options, rows=False)
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

    if len(set(parts)) != len(parts):
        twice = next(path for path in parts if parts.count(path) > 1)
        raise LossInputError(f"{twice} is named twice; each shard counts once")
    docs = [merge.load_part(path) for path in parts]
    res = merge.combine(docs, list(parts))
    fmt = "quiet" if p["quiet"] else p["fmt"]
    if fmt in ("csv", "tsv", "jsonl") and res.per_sample is None:
        raise LossInputError(
            f"--format {fmt} needs per_sample in every part (write the parts with --format json)"
        )
    dest = _Destination(p.get("output"))
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


def main(argv: list[str] | None = None, prog_name: str = "losscli") -> None:
    """Console entry point (exit codes: see :class:`LossGroup`)."""
    cli.main(args=argv, prog_name=prog_name)


def _silence_stdout() -> None:
    # the reader went away (`| head`): point stdout at /dev/null so the interpreter's final
    # flush does not print a BrokenPipeError of its own
    with contextlib.suppress(OSError, ValueError):  # no real file descriptor (tests)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
