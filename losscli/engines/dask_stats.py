"""``--ci`` and ``--baseline`` under Dask: intervals from the partitions' Poisson bootstrap
sums (see :mod:`losscli.engines.poisson`), recorded as :func:`losscli.compare.apply` records
the exact bootstrap, with ``bootstrap:poisson`` in the signature."""

from __future__ import annotations

import numpy as np

from losscli import compare, stats
from losscli.engines import poisson
from losscli.model import Result
from losscli.signature import Signature


def apply(res: Result, so: compare.StatsOptions, sums: np.ndarray | None) -> None:
    """Add ``ci`` / ``baseline`` to ``res.extra``. ``sums``: float64 (terms, resamples), the
    partitions' Poisson-weighted sums of a, b (and the baseline's a) added up."""
    if not so.wanted:
        return
    compare.check_finite(res)
    assert sums is not None
    level = so.level if so.level is not None else stats.DEFAULT_LEVEL
    if so.level is not None:
        iv = poisson.interval(sums[0], sums[1], level, so.resamples, so.seed)
        res.extra["ci"] = [iv.low, iv.high]
    res.extra["ci_level"] = level
    res.extra["bootstrap"] = so.resamples
    res.extra["bootstrap_method"] = "poisson"
    res.extra["seed"] = so.seed
    res.signature = str(
        Signature.parse(res.signature).with_(
            ("ci", repr(level)),
            ("bootstrap", "poisson"),
            ("resamples", str(so.resamples)),
            ("seed", str(so.seed)),
        )
    )
    if so.baseline is not None:
        compare.check_baseline_finite(res, so.baseline)
        assert res.baseline_summary is not None
        d = poisson.interval(sums[0] - sums[2], sums[1], level, so.resamples, so.seed)
        base_mean = res.baseline_summary.mean
        res.extra["baseline"] = {
            "path": so.baseline,
            "mean": base_mean,
            "delta": res.summary.mean - base_mean,
            "delta_ci": [d.low, d.high],
            "verdict": compare.verdict(d.low, d.high),
        }
