"""``--engine``, ``--scheduler``, ``--workers``: which engine runs the plan, and the Dask
engine's part of a command (its checks, its part files, its progress bar)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from losscli.engines import ENGINES
from losscli.errors import LossInputError

if TYPE_CHECKING:
    from losscli.compare import StatsOptions
    from losscli.model import Result
    from losscli.options import Request

ENGINE_NAMES = tuple(ENGINES)
ROW_FORMATS = ("csv", "tsv", "jsonl")


def engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The engine options, after the others in ``--help``."""
    opts = [
        click.option(
            "--engine",
            type=click.Choice(ENGINE_NAMES),
            default="serial",
            envvar="LOSSCLI_ENGINE",
            show_envvar=True,
            show_default=True,
            help="serial: one streaming pass here; dask: partitions (files, blocks of large "
            "CSV files) computed by Dask workers, e.g. --logits 's3://b/preds/*.parquet' --engine dask.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            envvar="DASK_SCHEDULER_ADDRESS",
            show_envvar=True,
            help="--engine dask: join this scheduler (tcp://host:8786) instead of starting local workers.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            metavar="N",
            help="--engine dask without --scheduler: local worker processes (default: the cores).",
        ),
    ]
    for option in reversed(opts):
        f = option(f)
    return f


def check(p: dict[str, Any], fmt: str, models: int) -> str | None:
    """Refuse what the engine cannot do; the folder for part files (dask with csv/tsv/jsonl)."""
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("workers") not in (None, click.core.ParameterSource.DEFAULT)
    if p.get("engine") != "dask":
        if explicit:
            raise click.UsageError("--workers applies to --engine dask")
        return None
    if explicit and p.get("scheduler"):
        raise click.UsageError(
            "--workers starts local workers; with --scheduler the cluster's workers are used"
        )
    if models > 1:
        raise click.UsageError("several models are compared by --engine serial")
    if p.get("plot"):
        raise LossInputError(
            "--plot draws every per-sample loss, which --engine dask never gathers; use --engine serial"
        )
    if fmt not in ROW_FORMATS:
        return None
    out = p.get("output")
    if not out or out == "-" or not (out.endswith(("/", os.sep)) or os.path.isdir(out)):
        raise LossInputError(
            f"--format {fmt} under --engine dask writes one part file per partition: give -o DIR/"
        )
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise LossInputError(f"-o {out}: cannot create the folder ({e.strerror or e})") from None
    return out


def run_dask(req: Request, p: dict[str, Any], fmt: str, so: StatsOptions, folder: str | None) -> Result:
    """Run ``req`` on Dask, with a partitions-done bar on an interactive stderr."""
    from losscli.cli.output import ProgressBar
    from losscli.engines import dask

    settings = dask.Settings(scheduler=p.get("scheduler") or None, workers=p.get("workers"))
    bar = ProgressBar(f"partitions of {req.score_path}", unit="partitions") if sys.stderr.isatty() else None
    rows = (fmt, folder) if folder is not None else None
    try:
        return dask.run(req, settings, so, rows, bar)
    finally:
        if bar is not None:
            bar.close()
