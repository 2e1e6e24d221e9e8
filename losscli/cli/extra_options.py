"""Options for inputs that other tools write their own way: string labels with one score
column (``--pos-label``) and decimal commas (``--decimal``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from losscli.cli.help import LABELS, tag


def label_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--pos-label NAME`` (scikit-learn's name) and ``--decimal ,``."""
    f = click.option(
        "--decimal",
        type=click.Choice([".", ","]),
        default=None,
        metavar="CHAR",
        help="Decimal mark of CSV numbers: ',' for Excel's 0,6912 (then ';' separates fields).",
    )(f)
    f = click.option(
        "--pos-label",
        metavar="NAME",
        help="One score column with name labels: the label that is class 1 (others: --classes NEG,POS).",
    )(f)
    tag(f.__click_params__[-2:], LABELS)  # type: ignore[attr-defined]
    return f
