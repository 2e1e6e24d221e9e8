"""Numbers for people (the table, and Markdown when asked): a fixed number of decimals so
that columns align, thousands separators for counts, labelled intervals. Machine formats
never come here; they keep full precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from losscli.render.cells import full

DEFAULT_PRECISION = 6  # decimals in the table unless --precision says otherwise


@dataclass(frozen=True)
class Numbers:
    """How a view writes numbers. ``precision`` None: full precision (``repr``), counts and
    intervals as 0.1 wrote them (Markdown's default); N: N decimals everywhere."""

    precision: int | None = DEFAULT_PRECISION

    def value(self, x: float) -> str:
        """A statistic (mean, sum, accuracy, a per-sample loss): N decimals. A nonzero value
        that N decimals would show as zero is written in scientific notation instead."""
        p = self.precision
        if p is None:
            return full(x)
        x = float(x)
        if math.isfinite(x) and x != 0 and abs(x) < 0.5 * 10.0**-p:
            return f"{x:.2e}"
        return f"{x:.{p}f}"

    def share(self, x: float) -> str:
        """Accuracy and exact match: N decimals (0.1: six significant digits)."""
        return f"{x:.6g}" if self.precision is None else self.value(x)

    def delta(self, x: float) -> str:
        return f"{x:+.6g}" if self.precision is None else f"{float(x):+.{self.precision}f}"

    def count(self, n: int) -> str:
        return str(n) if self.precision is None else f"{n:,}"

    def interval(self, ci: object, level: object) -> str:
        """`` 95% CI [lo, hi]`` (0.1: `` (lo – hi)``); empty when there is no interval."""
        if not (isinstance(ci, (list, tuple)) and len(ci) == 2):
            return ""
        if self.precision is None:
            return f" ({ci[0]:.6g} – {ci[1]:.6g})"
        label = f"{float(level) * 100:g}% CI " if isinstance(level, (int, float)) else "CI "
        return f"  {label}[{self.value(ci[0])}, {self.value(ci[1])}]"


FULL = Numbers(None)
