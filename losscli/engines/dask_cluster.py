"""The Dask client's lifecycle: join a running scheduler, or start a local cluster of worker
processes on 127.0.0.1 for one run and close it (and its processes) at the end."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

from losscli.errors import LossInputError

SCHEDULER_TIMEOUT = 60.0  # seconds to reach a scheduler before giving up (exit 2)
ENV_TIMEOUT = "LOSSCLI_DASK_TIMEOUT"  # overrides it (tests use a short one)
INSTALL = "--engine dask needs dask and distributed: pip install 'losscli[dask]'"


def distributed() -> Any:
    """The ``distributed`` module, or an input error saying how to install it."""
    try:
        import distributed as d
    except ImportError:
        raise LossInputError(INSTALL) from None
    return d


def timeout() -> float:
    raw = os.environ.get(ENV_TIMEOUT)
    try:
        return float(raw) if raw else SCHEDULER_TIMEOUT
    except ValueError:
        raise LossInputError(f"{ENV_TIMEOUT} must be a number of seconds, got {raw!r}") from None


@contextlib.contextmanager
def client(scheduler: str | None, workers: int | None, wait: float | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: of ``scheduler`` (reached within ``wait`` seconds), else of a
    LocalCluster of ``workers`` single-threaded processes (default: the cores), no dashboard."""
    d = distributed()
    wait = timeout() if wait is None else wait
    quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client", "tornado")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)  # Dask's own log lines would break "one Error: line"
    try:
        if scheduler:
            c = _join(d, scheduler, wait)
            try:
                yield c
            finally:
                c.close()
            return
        with (
            _local(d, workers or os.cpu_count() or 1) as cluster,
            d.Client(cluster, set_as_default=False) as c,
        ):
            yield c
    finally:
        for lg, level in zip(quiet, levels, strict=True):
            lg.setLevel(level)


def _local(d: Any, n: int) -> Any:
    """A LocalCluster of ``n`` single-threaded worker processes on 127.0.0.1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port 8787 in use": the scheduler's HTTP server moves
        return d.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )


def _join(d: Any, scheduler: str, wait: float) -> Any:
    try:
        return d.Client(scheduler, timeout=wait, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise LossInputError(
            f"cannot reach the Dask scheduler at {scheduler} within {wait:g} s ({why})"
        ) from None
