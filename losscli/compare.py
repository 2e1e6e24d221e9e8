"""Statistics on a finished result: the bootstrap interval of the mean (``--ci``) and the
paired comparison with a baseline (``--baseline``). Return values; the caller renders them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losscli import core, stats
from losscli.errors import LossInputError
from losscli.model import Result
from losscli.signature import Signature


@dataclass(frozen=True)
class StatsOptions:
    """``level`` None: no ``--ci``; ``baseline`` the baseline's path or None."""

    level: float | None
    resamples: int = stats.DEFAULT_RESAMPLES
    seed: int = stats.DEFAULT_SEED
    baseline: str | None = None

    @property
    def wanted(self) -> bool:
        return self.level is not None or self.baseline is not None


def losses_are_infinite(n: int) -> str:
    noun = "1 loss is" if n == 1 else f"{n} losses are"
    return f"{noun} infinite (a probability of exactly 0 for the true class)"


def mean_parts(res: Result, per_sample: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(a, b)`` with ``mean == Σa / Σb`` over the rows that entered the mean (``b`` None
    for a plain mean): the input of the bootstrap. ``per_sample`` float64 (rows,)."""
    assert res.denom is not None
    valid = ~np.isnan(per_sample) if res.summary.ignored else np.ones(len(per_sample), dtype=bool)
    a = per_sample[valid]
    d = res.denom[valid]
    s = res.sample_weights[valid] if res.sample_weights is not None else None
    if s is not None and len(s) and s.max() > 0:
        # Σ s·l / Σ s·d does not change when every weight is divided by the largest one, and
        # weights near float64's limits then neither overflow nor underflow in the resamples
        s = s / s.max()
    if s is not None:
        a = s * a
        count = core.convention(res.opts.convention).sample_weight_denominator == "count"
        d = d if count else s * d
    if np.all(d == 1.0):
        return a, None
    return a, d


def apply(res: Result, so: StatsOptions) -> None:
    """Add ``ci`` and ``baseline`` to ``res.extra`` and their fields to the signature."""
    if not so.wanted:
        return
    if res.summary.nonfinite:
        raise LossInputError(
            f"{res.path}: {losses_are_infinite(res.summary.nonfinite)}, so the mean is infinite "
            "and has no interval; give logits, or a convention that clips (keras, sklearn)"
        )
    level = so.level if so.level is not None else stats.DEFAULT_LEVEL
    assert res.per_sample is not None
    a_new, b = mean_parts(res, res.per_sample)
    if so.level is not None:
        iv = stats.bootstrap_ratio(a_new, b, level=level, resamples=so.resamples, seed=so.seed)
        res.extra["ci"] = [iv.low, iv.high]
    _note_bootstrap(res, so, level)
    if so.baseline is not None:
        res.extra["baseline"] = _compare(res, so, level, a_new, b)


def _note_bootstrap(res: Result, so: StatsOptions, level: float) -> None:
    """Name the bootstrap's level, resamples and seed in the extras and the signature (once)."""
    if "ci_level" in res.extra:
        return
    res.extra["ci_level"] = level
    res.extra["bootstrap"] = so.resamples
    res.extra["seed"] = so.seed
    res.signature = str(
        Signature.parse(res.signature).with_(
            ("ci", repr(level)), ("bootstrap", str(so.resamples)), ("seed", str(so.seed))
        )
    )


def _compare(
    res: Result, so: StatsOptions, level: float, a_new: np.ndarray, b: np.ndarray | None
) -> dict[str, object]:
    """The paired comparison with the baseline: its mean, the delta, the delta's interval."""
    assert res.baseline_per_sample is not None and res.baseline_summary is not None
    path = so.baseline
    if res.baseline_summary.nonfinite:
        raise LossInputError(
            f"{path}: {losses_are_infinite(res.baseline_summary.nonfinite)}, so the "
            "baseline mean is infinite and the delta has no interval"
        )
    a_base, _ = mean_parts(res, res.baseline_per_sample)
    iv = stats.bootstrap_ratio(a_new - a_base, b, level=level, resamples=so.resamples, seed=so.seed)
    base_mean = res.baseline_summary.mean
    return {
        "path": path,
        "mean": base_mean,
        "delta": res.summary.mean - base_mean,
        "delta_ci": [iv.low, iv.high],
        "verdict": verdict(iv.low, iv.high),
    }


def verdict(low: float, high: float) -> str:
    """``worse`` when the delta's interval lies entirely above 0, ``better`` below."""
    if low > 0:
        return "worse"
    if high < 0:
        return "better"
    return "no significant difference"


def models(first: Result, others: list[Result], so: StatsOptions) -> list[dict[str, object]]:
    """``"models"``: every model's mean and accuracy, and for each later model the delta
    against the first with a paired-bootstrap interval and verdict (the same rows, the same
    resamples). Every result must hold its per-sample values."""
    assert first.per_sample is not None
    level = so.level if so.level is not None else stats.DEFAULT_LEVEL
    a_first, b = mean_parts(first, first.per_sample)
    _note_bootstrap(first, so, level)
    rows: list[dict[str, object]] = [_model_row(first, None)]
    for res in others:
        assert res.per_sample is not None
        if res.summary.nonfinite or first.summary.nonfinite:
            raise LossInputError(
                f"{res.path if res.summary.nonfinite else first.path}: "
                f"{losses_are_infinite(res.summary.nonfinite or first.summary.nonfinite)}, "
                "so the delta between the models has no interval"
            )
        if res.summary.n != first.summary.n:  # ignore_index is per label row, so never
            raise LossInputError(f"{res.path} and {first.path} do not cover the same rows")
        a, _ = mean_parts(res, res.per_sample)
        iv = stats.bootstrap_ratio(a - a_first, b, level=level, resamples=so.resamples, seed=so.seed)
        rows.append(_model_row(res, (res.summary.mean - first.summary.mean, iv)))
    return rows


def _model_row(res: Result, vs_first: tuple[float, stats.Interval] | None) -> dict[str, object]:
    row: dict[str, object] = {"path": res.path, "mean": res.summary.mean, "accuracy": res.summary.accuracy}
    if vs_first is None:
        row.update(delta=None, delta_ci=None, verdict=None)
    else:
        delta, iv = vs_first
        row.update(delta=delta, delta_ci=[iv.low, iv.high], verdict=verdict(iv.low, iv.high))
    return row
