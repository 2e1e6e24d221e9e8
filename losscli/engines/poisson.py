"""The Poisson bootstrap: resampling that partitions do on their own, with no global n.

Each row gets, in each of R resamples, an independent Poisson(1) weight — the limit of the
multinomial counts of n draws with replacement as n grows (Hanley & MacGibbon 2006; Chamandy
et al. 2012, "Estimating uncertainty for massive data streams"). Because the weights of
different rows are independent, every partition draws its own (seeded by ``--seed`` and its
partition number, so reruns agree) and returns only the (R,) weighted sums of the ratio's
terms; the client adds them up and takes the percentiles of ``Σ w·a / Σ w·b``.

Weights come from 16-bit uniforms through an inverse-CDF table: Poisson(1) with every
probability rounded to a multiple of 2⁻¹⁶ (mean 1 and variance 1 to within 1e-4), four
weights per raw 64-bit draw, so a resample costs about what the exact bootstrap's does.
"""

from __future__ import annotations

import math

import numpy as np

from losscli.stats import Interval

BLOCK_ROWS = 4096  # rows per (resamples, rows) weight matrix: 1000 x 4096 fits in 40 MB


def _table() -> np.ndarray:
    """uint8 (65536,): the Poisson(1) value of each 16-bit uniform (inverse CDF at u + ½)."""
    cdf = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(20)])
    u = (np.arange(1 << 16) + 0.5) / (1 << 16)
    return np.searchsorted(cdf, u, side="right").astype(np.uint8)


TABLE = _table()


def weighted_sums(terms: list[np.ndarray], resamples: int, seed: int, partition: int) -> np.ndarray:
    """float64 (len(terms), resamples): ``Σᵢ wᵣᵢ·tᵢ`` for each float64 (m,) term, with the
    Poisson(1) weights of resample r drawn for this partition's rows in order."""
    m = len(terms[0])
    rng = np.random.Generator(np.random.PCG64([seed, partition]))
    out = np.zeros((len(terms), resamples))
    for lo in range(0, m, BLOCK_ROWS):
        size = min(BLOCK_ROWS, m - lo)
        raw = rng.bit_generator.random_raw(-(-resamples * size // 4)).view(np.uint16)
        w = TABLE[raw[: resamples * size]].reshape(resamples, size).astype(np.float64)
        for t, term in enumerate(terms):
            out[t] += w @ term[lo : lo + size]
    return out


def interval(num: np.ndarray, den: np.ndarray, level: float, resamples: int, seed: int) -> Interval:
    """Percentile interval of the resampled ratios ``num / den`` (float64 (resamples,))."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = num / den
    ratios = ratios[~np.isnan(ratios)]  # a resample whose weights are all 0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    return Interval(float(low), float(high), level, resamples, seed)
