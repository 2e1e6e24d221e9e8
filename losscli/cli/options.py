"""The options of the commands, as click decorators, in the order ``--help`` shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from losscli.render import FORMATS  # import-light: the renderer registry, not the renderers


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


def input_options(f: Callable[..., Any], *, log_probs: bool) -> Callable[..., Any]:
    opts = [
        click.option(
            "--logits",
            "logits",
            multiple=True,
            metavar="PATH",
            help="Raw scores (any real number); '-' for stdin.",
        ),
        click.option(
            "--probs",
            "probs",
            multiple=True,
            metavar="PATH",
            help="Probabilities in [0, 1]" + (" (rows summing to 1)." if log_probs else "."),
        ),
        click.option(
            "--log-probs",
            "log_probs",
            multiple=True,
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
        click.option(
            "--class-axis",
            type=click.IntRange(-1),
            hidden=not log_probs,
            help="n-d scores: the class axis (default last, as (N, T, C); 1 for PyTorch's (N, C, d1, …)).",
        ),
    ]
    return _apply(opts, f)


def output_options(f: Callable[..., Any], *, rows: bool = True) -> Callable[..., Any]:
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
        click.option(
            "--precision",
            type=click.IntRange(0, 17),
            metavar="N",
            help="Decimals of the table's numbers (default 6); machine formats keep full precision.",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour in the table (default: on a terminal; NO_COLOR, FORCE_COLOR honoured).",
        ),
        click.option(
            "--pictures/--no-pictures",
            default=None,
            help="The loss histogram, reliability diagram and bars (default: on a terminal).",
        ),
    ]
    return _apply(opts, f)


def stats_options(f: Callable[..., Any]) -> Callable[..., Any]:
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
            "--calibration",
            type=click.IntRange(1, 10_000),
            is_flag=False,
            flag_value=15,
            default=None,
            metavar="[BINS]",
            help="Brier score, ECE and MCE with reliability bins (BINS default 15).",
        ),
        click.option(
            "--plot",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Draw the loss histogram (+ reliability with --calibration, bars with --per-class) "
            "to .png/.svg/.pdf (needs losscli[plot]).",
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


# How each shared loss option of losscli.specs.SHARED is spelt on the command line, in --help
# order. Which commands show it follows from LOSSES (an option no loss of the command accepts
# is hidden, so that using it gets losscli's refusal rather than click's "no such option").
SHARED_FLAGS: dict[str, dict[str, Any]] = {
    "threshold": {
        "type": float,
        "show_default": True,
        "help": "Probability cut for predictions (on logits: σ(x) > T).",
    },
    "pos_weight": {"type": FloatList(), "help": "Weight of the positive term: one value or one per output."},
    "weight": {
        "type": FloatList(),
        "help": "Per-output (bce) or per-class (ce) weights; ce's mean divides by Σ weight of the targets.",
    },
    "ignore_index": {"type": int, "help": "ce: rows with this label count nowhere."},
    "label_smoothing": {
        "type": float,
        "help": "ε in [0, 1]; bce targets become y(1-ε)+ε/2, ce as the convention defines it.",
    },
}
# sample weights come from a column: --sample-weight-col, with the input options
_NOT_FLAGS = {"sample_weight"}


def _losses_of(command: str) -> list[Any]:
    from losscli.specs import LOSSES

    return list(LOSSES.values()) if command == "auto" else [LOSSES[command]]


def loss_options(f: Callable[..., Any], *, command: str) -> Callable[..., Any]:
    """--convention, the shared loss options, and the command's own (LossSpec.params)."""
    from losscli.specs import CONVENTION_NAMES, SHARED

    if {p.name for p in SHARED} - _NOT_FLAGS != set(SHARED_FLAGS):
        raise RuntimeError("every shared loss option needs its SHARED_FLAGS entry")  # at import
    defaults = {p.name: p.default for p in SHARED}
    specs = _losses_of(command)
    opts = [
        click.option(
            "--convention",
            type=click.Choice(CONVENTION_NAMES),
            default=CONVENTION_NAMES[0],
            envvar="LOSSCLI_CONVENTION",
            show_envvar=True,
            show_default=True,
            help="Whose numbers to reproduce, clipping rules included.",
        )
    ]
    for name, flag in SHARED_FLAGS.items():
        hidden = not any(name in spec.accepts for spec in specs)
        opts.append(click.option(_flag(name), default=defaults[name], hidden=hidden, **flag))
    if command != "auto":  # auto picks bce or ce, whose options are all shared
        for p in specs[0].params:
            show = p.default is not None
            opts.append(
                click.option(_flag(p.name), type=p.type, default=p.default, show_default=show, help=p.help)
            )
    return _apply(opts, f)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
