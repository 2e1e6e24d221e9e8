"""Percentile bootstrap of a (weighted) mean loss: pure NumPy, deterministic for a seed.

The mean losscli reports is always a ratio ``Σ aᵢ / Σ bᵢ`` over the rows that entered it
(``aᵢ = sᵢ·lᵢ``; ``bᵢ = sᵢ·dᵢ``, which is 1 for a plain mean). A resample draws n rows with
replacement and recomputes that ratio; a paired resample (for ``--baseline``) uses the same
rows for both models, so ``aᵢ`` is the per-row difference of the two models' losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losscli.errors import LossInputError

DEFAULT_SEED = 12345
DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
# rows are split into blocks that fit in a core's cache: each block's values are gathered
# for all resamples at once, so the random reads stay cache-local (≈5× faster than one
# gather over the whole array per resample)
BLOCK_ROWS = 1 << 14  # a power of two <= 2**16: see _uniform_indices
# bounds on the work --bootstrap can ask for (docs/limits.md): memory grows with the
# resamples (their counts per block, and one block's draws for all of them as 2-4 byte
# indices: ~400 MB at 10 000), time with resamples x rows
MAX_RESAMPLES = 10_000
GATHER = 1 << 22  # draws gathered into float64 at once (32 MiB)
MAX_DRAWS = 10**10


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float
    resamples: int
    seed: int


def resampled_sums(values: list[np.ndarray], resamples: int, seed: int) -> list[np.ndarray]:
    """Sums of each float64 (n,) array in ``values`` over the same ``resamples`` bootstrap
    draws; returns one float64 (resamples,) array per input.

    Draws are multinomial counts per block of rows, then uniform picks within each block:
    exactly the distribution of n draws with replacement, with a fixed sequence for a seed.
    """
    n = len(values[0])
    rng = np.random.Generator(np.random.PCG64(seed))
    blocks = max(1, -(-n // BLOCK_ROWS))
    sizes = np.full(blocks, BLOCK_ROWS)
    sizes[-1] = n - BLOCK_ROWS * (blocks - 1)
    counts = rng.multinomial(n, sizes / n, size=resamples)  # (resamples, blocks)
    out = [np.zeros(resamples) for _ in values]
    for g in range(blocks):
        lo, size = g * BLOCK_ROWS, int(sizes[g])
        c = counts[:, g]
        total = int(c.sum())
        if total == 0:
            continue
        idx = _uniform_indices(rng, size, total)
        ends = np.cumsum(c)
        rows = np.flatnonzero(c)
        step = max(1, GATHER // size)  # resamples gathered at a time: bounded float64 memory
        for acc, v in zip(out, values, strict=True):
            block = v[lo : lo + size]
            for i in range(0, len(rows), step):
                group = rows[i : i + step]
                starts = ends[group] - c[group]
                a, b = int(starts[0]), int(ends[group[-1]])
                # the same sums, segment by segment, as one reduceat over all the draws
                acc[group] += np.add.reduceat(block[idx[a:b]], starts - a)
    return out


def _uniform_indices(rng: np.random.Generator, size: int, count: int) -> np.ndarray:
    """``count`` uniform draws from ``range(size)``.

    A full block has a power-of-two size, so four indices come from each raw 64-bit draw by
    masking (exactly uniform, about 2x faster than ``Generator.integers``, which spends one
    bounded draw per index); a short last block uses ``integers``.
    """
    if size == BLOCK_ROWS:
        raw = rng.bit_generator.random_raw(-(-count // 4)).view(np.uint16)[:count]
        raw &= np.uint16(BLOCK_ROWS - 1)  # in place: no second array of `count` indices
        return raw
    return rng.integers(0, size, size=count, dtype=np.uint32)


def bootstrap_ratio(
    a: np.ndarray,
    b: np.ndarray | None,
    *,
    level: float = DEFAULT_LEVEL,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Interval:
    """Percentile interval of ``Σ a / Σ b`` (``b=None``: Σ a / n) over bootstrap resamples.

    ``a``, ``b``: float64 (n,) over the rows that entered the mean. The percentiles are
    NumPy's default (linear) quantiles of the resampled ratios.
    """
    n = len(a)
    check_work(resamples, n)
    if b is None:
        (sa,) = resampled_sums([a], resamples, seed)
        ratios = sa / n
    else:
        sa, sb = resampled_sums([a, b], resamples, seed)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios = sa / sb
        ratios = ratios[~np.isnan(ratios)]  # a resample whose weights are all 0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    return Interval(float(low), float(high), level, resamples, seed)


def check_work(resamples: int, n: int | None = None) -> None:
    """Refuse a bootstrap over MAX_RESAMPLES resamples or MAX_DRAWS draws (resamples x n)."""
    if resamples > MAX_RESAMPLES:
        raise LossInputError(f"--bootstrap {resamples} is over the limit of {MAX_RESAMPLES} resamples")
    if n is not None and resamples * n > MAX_DRAWS:
        raise LossInputError(
            f"--bootstrap {resamples} on {n} rows is {resamples * n:.3g} draws, over the limit of "
            f"{MAX_DRAWS:.0e}; lower --bootstrap to {max(1, MAX_DRAWS // n)} or less"
        )
