"""Pictures in the table view, drawn as text: a histogram of the per-sample losses and bars
for per-class means. Pure layout over plain values; the table decides when to draw them
(a terminal, or when asked) and rich styles them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from losscli.render.numbers import Numbers

EIGHTHS = " ▏▎▍▌▋▊▉"  # a bar's last cell, in eighths of a cell
BINS = 10


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of ``fraction`` (0..1) of ``width`` cells, to an eighth of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    whole, part = divmod(eighths, 8)
    return "█" * whole + (EIGHTHS[part] if part else "")


def histogram(values: np.ndarray, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Counts (bins,) int64 of the finite ``values`` in equal-width bins from 0 (losses are
    never negative) to their max, and the bin edges (bins + 1,) float64."""
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if len(finite) else 1.0
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    counts, _ = np.histogram(finite, bins=edges)
    return counts.astype(np.int64), edges


def histogram_lines(
    values: np.ndarray, mean: float, width: int, numbers: Numbers
) -> list[tuple[str, str, str]]:
    """Rows of the loss histogram as ``(range, bar, count)`` text, fitting ``width`` cells;
    the bin holding the mean is marked ``◀ mean``."""
    counts, edges = histogram(values)
    labels = [f"{numbers.value(lo)} – {numbers.value(hi)}" for lo, hi in itertools.pairwise(edges.tolist())]
    shown = [numbers.count(int(c)) for c in counts]
    # a line is: range, "  │", bar, "  ", count, "  ◀ mean"
    room = max(width - max(map(len, labels)) - max(map(len, shown)) - len("  │  ") - len("  ◀ mean"), 1)
    most = max(int(counts.max()), 1)
    at = int(np.searchsorted(edges, mean, side="right")) - 1 if math.isfinite(mean) else -1
    out = []
    for j, (label, c) in enumerate(zip(labels, counts.tolist(), strict=True)):
        mark = "  ◀ mean" if j == min(at, len(counts) - 1) else ""
        out.append((label.rjust(max(map(len, labels))), bar(c / most, room), f"{shown[j]}{mark}"))
    return out


def reliability_lines(
    bins: list[dict[str, float]], width: int, numbers: Numbers
) -> list[tuple[str, str, str]]:
    """Rows of a reliability diagram as ``(bin, bar, note)`` text: per non-empty bin, a bar
    of its accuracy with ``│`` where its mean confidence falls, so over-confidence shows as
    the mark right of the bar's end. ``bins``: the calibration result's bins."""
    labels = [f"{numbers.value(b['lo'])} – {numbers.value(b['hi'])}" for b in bins]
    num = numbers
    lw = max(map(len, labels), default=0)
    # the full note where it fits; on a narrow terminal a shorter one, then the bar shrinks
    for form in ("acc {a}  conf {c}  n {n}", "acc {a} conf {c}", "{a}/{c}"):
        notes = [
            form.format(a=num.value(b["accuracy"]), c=num.value(b["confidence"]), n=num.count(int(b["n"])))
            for b in bins
        ]
        room = width - lw - max(map(len, notes), default=0) - len("    ")
        if room >= 12:
            break
    room = max(room, 4)
    out = []
    for label, note, b in zip(labels, notes, bins, strict=True):
        cells = list(bar(float(b["accuracy"]), room).ljust(room))
        at = min(room - 1, int(float(b["confidence"]) * room))
        cells[at] = "│"
        out.append((label.rjust(lw), "".join(cells), note))
    return out
