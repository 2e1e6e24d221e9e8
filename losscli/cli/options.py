"""The options of the commands, as click decorators, in the order ``--help`` shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

FORMATS = ("table", "json", "csv", "tsv", "jsonl", "markdown")


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


def loss_options(f: Callable[..., Any], *, command: str) -> Callable[..., Any]:
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
