"""Exact running sums of bounded floats: the same result for any order or split of the data.

Pure NumPy. Used where partial sums must merge across chunks, shards and engines to well
below 1e-15 relative (calibration's per-bin confidence sums and Brier sum).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

UNIT_BITS = 48
_BLOCK = 1 << 24  # rows per bincount: 2**24 * 2**25 < 2**53, so each float sum is exact


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's error-free a + b = s + e, elementwise."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


class ExactSums:
    """``size`` running sums of float64 values in [0, 2], independent of order and chunking.

    Each value v is split without rounding into ``a·2**-24 + b·2**-48 + r·2**-48`` with
    integers a < 2**25, b < 2**24 and 0 <= r < 1. The integers are summed exactly (bincount
    of integer-valued floats below 2**53, then int64); only the r parts (below 2**-48 each)
    see rounding, carried as a double-double (``rest``, ``err``) across chunks.
    """

    def __init__(self, size: int) -> None:
        self.u24 = np.zeros(size, dtype=np.int64)
        self.u48 = np.zeros(size, dtype=np.int64)
        self.rest = np.zeros(size)
        self.err = np.zeros(size)

    def add(self, slot: np.ndarray, v: np.ndarray) -> None:
        """Add float64 ``v`` (m,) in [0, 2] to the sums at int ``slot`` (m,)."""
        size = len(self.u24)
        x = v * 2.0**24  # exact: a power-of-two scaling
        a = np.floor(x)
        y = (x - a) * 2.0**24  # x - a is exact (the fractional bits of x)
        b = np.floor(y)
        r = y - b
        for lo in range(0, len(v), _BLOCK):
            s = slot[lo : lo + _BLOCK]
            self.u24 += np.bincount(s, weights=a[lo : lo + _BLOCK], minlength=size).astype(np.int64)
            self.u48 += np.bincount(s, weights=b[lo : lo + _BLOCK], minlength=size).astype(np.int64)
        self._fold(np.bincount(slot, weights=r, minlength=size), np.zeros(size))

    def _fold(self, rest: np.ndarray, err: np.ndarray) -> None:
        self.rest, e = _two_sum(self.rest, rest)
        self.err = self.err + e + err

    def merge(self, other: ExactSums) -> None:
        """Add ``other``'s sums (same size) into these."""
        self.u24 += other.u24
        self.u48 += other.u48
        self._fold(other.rest, other.err)

    def units(self) -> list[int]:
        """Each sum's integer part in units of 2**-48 (Python ints, exact)."""
        return [(int(a) << 24) + int(b) for a, b in zip(self.u24, self.u48, strict=True)]

    def values(self) -> list[float]:
        """The sums as floats, correctly rounded but for the r parts' rounding (each integer
        part converts to float exactly while a slot holds fewer than 2**28 values)."""
        out = []
        for a, b, r, e in zip(self.u24, self.u48, self.rest, self.err, strict=True):
            terms = (
                math.ldexp(float(a), -24),
                math.ldexp(float(b), -48),
                math.ldexp(r, -48),
                math.ldexp(e, -48),
            )
            out.append(math.fsum(terms))
        return out

    def to_json(self) -> dict[str, list[Any]]:
        """``{"units": [ints], "rest": [floats], "err": [floats]}``; a sum is
        ``(units + rest + err)·2**-48``."""
        return {
            "units": self.units(),
            "rest": [float(v) for v in self.rest],
            "err": [float(v) for v in self.err],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], size: int) -> ExactSums:
        """Inverse of :meth:`to_json`; ValueError/KeyError/TypeError if malformed."""
        out = cls(size)
        units = [int(u) for u in d["units"]]
        rest, err = np.array(d["rest"], dtype=np.float64), np.array(d["err"], dtype=np.float64)
        if not len(units) == len(rest) == len(err) == size or min(units, default=0) < 0:
            raise ValueError(f"calibration sums must have {size} entries")
        out.u24 = np.array([u >> 24 for u in units], dtype=np.int64)
        out.u48 = np.array([u & ((1 << 24) - 1) for u in units], dtype=np.int64)
        out.rest, out.err = rest, err
        return out
