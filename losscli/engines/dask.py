"""The Dask engine: the serial engine's plan and core, run on the partitions of the inputs by
Dask workers; the client only lists files, fixes the plan and merges partial results.

1. The client expands the paths (globs, fsspec URLs) and builds the :class:`~losscli.plan.Plan`
   from the first file's first chunk, exactly as the serial engine does.
2. Workers count the rows of every piece (Parquet footers, newlines of CSV blocks), so each
   piece knows its first file line and its first global row.
3. One task per piece of the scores: the worker opens its rows (and the labels' and
   baseline's same rows), runs :func:`~losscli.engines.serial.add_chunk` on every chunk and
   returns a :class:`~losscli.engines.partial.Partial` — never the rows themselves.
4. The client merges the partials in input order with :meth:`Partial.merge` and finishes
   them with :func:`losscli.pipeline.finish`: the same numbers as one pass.
"""

from __future__ import annotations

import contextlib
import glob as _glob
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from losscli import columns
from losscli.compare import StatsOptions
from losscli.engines import dask_cluster, dask_stats
from losscli.engines.dask_tasks import Job, Outcome, Role, count_task, header_opts, partition_task
from losscli.engines.partitions import BLOCK_BYTES, Piece, expand, nominal, open_piece, place
from losscli.errors import LossInputError
from losscli.inputs import Inputs
from losscli.model import Result
from losscli.options import Request, validate
from losscli.pipeline import finish
from losscli.plan import Plan, make_plan
from losscli.readers import ReadOptions, Source

ENV_BLOCK = "LOSSCLI_DASK_BLOCK_BYTES"  # CSV block size (tests make it small)
RETRIES = 2  # a task that raised something other than bad input is tried again this often
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Settings:
    """``scheduler`` address or None (a local cluster of ``workers`` processes)."""

    scheduler: str | None = None
    workers: int | None = None
    block_bytes: int | None = None
    timeout: float | None = None


def run(
    req: Request,
    settings: Settings,
    so: StatsOptions | None = None,
    rows: tuple[str, str] | None = None,
    progress: Progress | None = None,
    task: Callable[..., Outcome] = partition_task,
) -> Result:
    """Evaluate ``req`` on Dask. ``rows``: (csv|tsv|jsonl, directory) for part files;
    ``so``: --ci / --baseline by the Poisson bootstrap; ``task``: the per-partition function
    (a wrapper may add logging or delays)."""
    validate(req)
    dask_cluster.distributed()  # refuse early without the extra
    so = so or StatsOptions(None)
    boot = (so.resamples, so.seed) if so.wanted else None
    req = replace(req, keep_per_sample=boot is not None)
    files = _files(req)
    plan, roles = _plan(req, files)
    job = Job(plan, roles, boot, rows)
    block = settings.block_bytes or _block_bytes()
    with dask_cluster.client(settings.scheduler, settings.workers, settings.timeout) as c:
        pieces = _count(c, files, roles, block)
        _check_totals(req, pieces)
        work = [p for p in pieces["scores"] if p.rows]
        try:
            outcomes = _compute(c, job, work, pieces, progress, task)
        except BaseException:
            _remove_parts(rows, len(work))
            raise
    _clean_temp(rows)
    part = outcomes[0].part
    for o in outcomes[1:]:
        part.merge(o.part)
    res = finish(part, plan, req.score_path)
    res.extra["engine"] = "dask"
    res.extra["partitions"] = len(work)
    sums = [o.sums for o in outcomes if o.sums is not None]
    dask_stats.apply(res, so, np.sum(sums, axis=0) if sums else None)
    return res


def _block_bytes() -> int:
    raw = os.environ.get(ENV_BLOCK)
    if not raw:
        return BLOCK_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise LossInputError(f"{ENV_BLOCK} must be a positive number of bytes, got {raw!r}")
    return int(raw)


def _files(req: Request) -> dict[str, list[str]]:
    out = {}
    for role, path in (
        ("scores", req.score_path),
        ("labels", req.labels_path),
        ("baseline", req.baseline_path),
    ):
        if path is None:
            continue
        if path == "-":
            raise LossInputError("--engine dask reads files or URLs, not standard input (-)")
        out[role] = expand(path)
    return out


def _plan(req: Request, files: dict[str, list[str]]) -> tuple[Plan, dict[str, Role]]:
    """The plan from the first chunk of the first files (read on the client, then closed)."""
    base = ReadOptions(header=req.header, delimiter=req.delimiter, reader="numpy")
    srcs: dict[str, Source] = {}
    try:
        for role, found in files.items():
            srcs[role] = open_piece(Piece(found[0], _kind(found[0])), base)
        inputs = Inputs(req, srcs["scores"], srcs.get("labels"), srcs.get("baseline"))
        first = next(inputs.chunks(), None)
        if first is None:
            raise LossInputError(f"{inputs.scores.path}: no data rows")
        _refuse_probe(req, inputs, first)
        plan, _ = make_plan(req, inputs, first, iter(()))
    finally:
        for src in srcs.values():
            src.close()
    roles = {
        role: Role(header_opts(base, src.names), tuple(src.names) if src.names else None, src.path)
        for role, src in srcs.items()
    }
    return plan, roles


def _kind(url: str) -> str:
    from losscli.engines.partitions import kind_of

    return kind_of(url)


def _refuse_probe(req: Request, inputs: Inputs, first: list[Any]) -> None:
    """auto with K one-hot label columns must see every label row to choose the loss."""
    n_label = len(inputs.lay.label_cols)
    if (
        req.command == "auto"
        and n_label > 1
        and n_label == inputs.k
        and columns.is_one_hot(inputs.decode(first)[0])
    ):
        raise LossInputError(
            f"{inputs.scores.path}: losscli auto must see every label row to tell multiclass "
            "from multi-label; under --engine dask name the loss (bce or ce)"
        )


def _count(c: Any, files: dict[str, list[str]], roles: dict[str, Role], block: int) -> dict[str, list[Piece]]:
    """Every input's pieces, counted on the workers and placed (global rows, file lines)."""
    futures = {}
    for role, found in files.items():
        header = bool(roles[role].opts.header)
        futures[role] = [c.submit(count_task, p, header, pure=False) for p in nominal(found, block)]
    out = {}
    for role, fs in futures.items():
        out[role] = place(_gather(c, fs))
    return out


def _gather(c: Any, futures: list[Any]) -> list[Any]:
    d = dask_cluster.distributed()
    try:
        return list(c.gather(futures))
    except LossInputError as e:
        raise LossInputError(str(e)) from None
    except (d.client.FutureCancelledError, d.KilledWorker, _cancelled()) as e:
        c.cancel(futures)
        raise LossInputError(f"the Dask run did not finish ({_why(e)}); no result") from None


def _why(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _check_totals(req: Request, pieces: dict[str, list[Piece]]) -> None:
    totals = {role: sum(p.rows for p in ps) for role, ps in pieces.items()}
    for role, path in (("labels", req.labels_path), ("baseline", req.baseline_path)):
        if role in totals and totals[role] != totals["scores"]:
            raise LossInputError(
                f"{req.score_path} has {totals['scores']} rows but {path} has {totals[role]}; "
                "they must match row for row"
            )
    if totals["scores"] == 0:
        raise LossInputError(f"{req.score_path}: no data rows")


def _compute(
    c: Any,
    job: Job,
    work: list[Piece],
    pieces: dict[str, list[Piece]],
    progress: Progress | None,
    task: Callable[..., Outcome],
) -> list[Outcome]:
    """Submit one task per piece, wait for all of them (first error: cancel the rest)."""
    d = dask_cluster.distributed()
    futures = []
    for i, p in enumerate(work):
        mine: dict[str, list[Piece]] = {"scores": [p]}
        for role in ("labels", "baseline"):
            if role in pieces:
                mine[role] = [
                    q for q in pieces[role] if q.rows and q.row < p.row + p.rows and p.row < q.row + q.rows
                ]
        futures.append(c.submit(task, job, i, mine, pure=False, retries=RETRIES))
    done = 0
    try:
        for f in d.as_completed(futures, loop=c.loop):
            if f.status != "finished":
                f.result()  # raises the task's error (or CancelledError)
            done += 1
            if progress is not None:
                progress(done, len(futures))
    except LossInputError as e:
        c.cancel(futures)
        raise LossInputError(str(e)) from None
    except (d.client.FutureCancelledError, d.KilledWorker, _cancelled()) as e:
        c.cancel(futures)
        raise LossInputError(f"the Dask run did not finish ({_why(e)}); no result") from None
    except BaseException:
        c.cancel(futures)
        raise
    return _gather(c, futures)


def _cancelled() -> type[BaseException]:
    import asyncio

    return asyncio.CancelledError


def _remove_parts(rows: tuple[str, str] | None, n: int) -> None:
    """A failed run leaves no part files behind (nor half-written ones)."""
    if rows is None:
        return
    fmt, folder = rows
    for i in range(n):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, f"part-{i:05d}.{fmt}"))
    _clean_temp(rows)


def _clean_temp(rows: tuple[str, str] | None) -> None:
    """Temp files of tasks whose worker died before renaming them."""
    if rows is None:
        return
    fmt, folder = rows
    for tmp in _glob.glob(os.path.join(_glob.escape(folder), f".part-*.{fmt}.*.tmp")):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
