"""Data for pictures: the per-sample loss histogram and its Mermaid ``xychart-beta`` block.

Pure NumPy and strings (no I/O, no rich, no matplotlib), shared by the terminal view, the
Markdown output and ``--plot``.

Binning rule (:func:`loss_histogram`). Per-sample classification losses span many orders of
magnitude: a confident right answer costs 1e-4, a confident wrong one 10 or 1000 (logits are
never clamped). Equal-width bins over [0, max] put nearly every row into the first bin as
soon as one loss is large, so the picture says nothing about the bulk; so the bins are
**log-spaced** from ``lo`` to the largest loss, ``lo`` being the smallest positive loss but
at most ``DECADES`` decades below the largest. Every decade gets the same room, and a
cluster of huge losses shows up as its own bump at the right. Losses below ``lo`` (zeros,
and losses under a millionth of the largest, which cannot move the mean) share one first
bin ``[0, lo)``, present only when it is not empty. With any negative loss (possible with
unnormalised log-probabilities) the rule falls back to equal-width bins over [min, max].

Counts alone cannot say that a 0.1 % tail carries most of the mean, so :func:`loss_shares`
gives each bin's share of the summed loss and :func:`tail_note` one line with quantiles and
the share of the sum that the top 1 % of rows carry.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

DEFAULT_BINS = 20
DECADES = 6  # the log bins cover at most this many decades below the largest loss


def loss_histogram(per_sample: np.ndarray, bins: int = DEFAULT_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the finite values of ``per_sample`` (float64 (n,); NaN = ignored rows and
    ±inf are left out -- the summary reports them).

    Returns ``(edges, counts)``: float64 (m+1,) increasing edges and int64 (m,) counts,
    ``m <= bins``; bin i holds ``edges[i] <= v < edges[i+1]``, the last bin also its right
    edge (the largest loss). No finite values: ``edges = [0.0]`` and no bins. All losses 0:
    one bin ``[0, 0]``. See the module docstring for the rule.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    v = np.asarray(per_sample, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.zeros(1), np.zeros(0, dtype=np.int64)
    low, high = float(v.min()), float(v.max())
    if low < 0:
        edges = np.linspace(low, high, bins + 1) if high > low else np.array([low, high])
    elif high == 0:
        edges = np.array([0.0, 0.0])
    else:
        edges = _log_edges(v, high, bins)
    return edges, _count(v, edges)


def _log_edges(v: np.ndarray, high: float, bins: int) -> np.ndarray:
    """Log-spaced edges up to ``high`` > 0, with a first bin [0, lo) when something is below lo."""
    positive = v[v > 0]
    lo = max(float(positive.min()), high * 10.0**-DECADES)
    if lo >= high:  # every positive loss is the same value
        return np.array([0.0, high]) if v.min() < high else np.array([high, high])
    floor_bin = bool((v < lo).any())
    if bins == 1:
        return np.array([0.0 if floor_bin else lo, high])
    edges = np.geomspace(lo, high, bins + 1 - floor_bin)  # geomspace pins both end points
    return np.concatenate(([0.0], edges)) if floor_bin else edges


def _count(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """int64 counts of ``v`` in the bins of ``edges`` (last bin closed on the right)."""
    m = len(edges) - 1
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, m - 1)
    return np.bincount(idx, minlength=m).astype(np.int64)


def loss_shares(per_sample: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each bin's share of the summed finite losses, float64 (m,) summing to 1 (all zeros
    when the losses sum to 0): how much of the mean each bin is responsible for."""
    v = np.asarray(per_sample, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    m = len(edges) - 1
    if m < 1 or len(v) == 0:
        return np.zeros(max(m, 0))
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, m - 1)
    sums = np.bincount(idx, weights=v, minlength=m)
    total = float(sums.sum())
    return sums / total if total > 0 else np.zeros(m)


def tail_note(per_sample: np.ndarray) -> str:
    """One line on the tail of the finite losses, e.g.
    ``"median 0.105 · p90 0.693 · p99 4.61 · max 1e+03 · top 1% of rows: 63% of the sum"``
    (the top 1 % is at least one row). Empty string when there are no finite losses."""
    v = np.asarray(per_sample, dtype=np.float64).ravel()
    v = np.sort(v[np.isfinite(v)])
    if len(v) == 0:
        return ""
    q50, q90, q99 = np.quantile(v, [0.5, 0.9, 0.99])
    parts = [f"median {q50:.3g}", f"p90 {q90:.3g}", f"p99 {q99:.3g}", f"max {v[-1]:.3g}"]
    total = math.fsum(v)
    if total > 0:
        top = math.fsum(v[-max(1, math.ceil(len(v) / 100)) :])
        parts.append(f"top 1% of rows: {100 * top / total:.0f}% of the sum")
    return " · ".join(parts)


def bin_labels(edges: np.ndarray) -> list[str]:
    """Short labels ``"lo–hi"`` (3 significant digits) for the bins of ``edges``."""
    return [f"{format_edge(a)}–{format_edge(b)}" for a, b in itertools.pairwise(edges)]


def format_edge(x: float) -> str:
    """A bin edge in 3 significant digits (``"0"``, ``"0.00316"``, ``"1e+03"``)."""
    return "0" if x == 0 else f"{x:.3g}"


def _mermaid_text(s: str) -> str:
    """A string Mermaid's lexer reads as one quoted token: no double quotes (there is no
    escape), no line breaks, no ``%%`` (which starts a comment)."""
    s = " ".join(s.replace('"', "'").split())
    while "%%" in s:
        s = s.replace("%%", "%")
    return f'"{s}"'


def mermaid_xychart(
    edges: np.ndarray, counts: np.ndarray, title: str, shares: np.ndarray | None = None
) -> str:
    """A fenced Mermaid ``xychart-beta`` bar chart of a histogram (for ``--format markdown``).

    ``edges`` float64 (m+1,), ``counts`` int (m,). With ``shares`` (float64 (m,), from
    :func:`loss_shares`) a line shows each bin's share of the summed loss, scaled so that
    100 % is the tallest bar (Mermaid has one y axis; say so in ``title``). Category labels
    are quoted strings; numbers are plain decimals (Mermaid's number token has no exponent).
    Returns the block with its ````` fences and a final newline; ``""`` when there are no
    bins (Mermaid has no empty axis).
    """
    counts = np.asarray(counts)
    if len(edges) != len(counts) + 1:
        raise ValueError(f"{len(edges)} edges for {len(counts)} counts")
    if len(counts) == 0:
        return ""
    labels = ", ".join(_mermaid_text(s) for s in bin_labels(np.asarray(edges)))
    values = ", ".join(str(int(c)) for c in counts)
    top = max(1, int(counts.max()))
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_mermaid_text(title)}",
        f'    x-axis "per-sample loss" [{labels}]',
        f'    y-axis "rows" 0 --> {top}',
        f"    bar [{values}]",
    ]
    if shares is not None:
        scaled = ", ".join(f"{top * float(x):.1f}" for x in np.asarray(shares))
        lines.append(f"    line [{scaled}]")
    lines.append("```")
    return "\n".join(lines) + "\n"
