"""The signature: a stable string naming everything that changes the numbers (sacrebleu-style).

``bce|mode:binary|input:logits|convention:torch|…|losscli:0.1.0``. Built as ordered
key → value pairs so that later steps (the bootstrap, an engine) add fields without string
surgery, and ``merge`` can name the first field in which two shards differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from losscli import __version__

if TYPE_CHECKING:
    from losscli.core import LossOptions


def num(v: float) -> str:
    """``2`` for whole numbers, else the shortest repr that round-trips."""
    return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))


@dataclass(frozen=True)
class Signature:
    """Ordered fields; the first is the loss name alone, the last ``losscli:VERSION``."""

    fields: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return "|".join(v if k == "loss" else f"{k}:{v}" for k, v in self.fields)

    def with_(self, *pairs: tuple[str, str]) -> Signature:
        """A copy with ``pairs`` added just before the version field."""
        return Signature(self.fields[:-1] + tuple(pairs) + self.fields[-1:])

    @staticmethod
    def parse(text: str) -> Signature:
        out = []
        for part in text.split("|"):
            key, _, val = part.partition(":")
            out.append((key, val) if val else ("loss", key))
        return Signature(tuple(out))

    def first_difference(self, other: Signature) -> str:
        """``"gamma (2 vs 0)"``: the first field whose value differs between the two."""
        da, db = dict(self.fields), dict(other.fields)
        for key in list(da) + [k for k in db if k not in da]:
            if da.get(key) != db.get(key):
                return f"{key} ({da.get(key, 'unset')} vs {db.get(key, 'unset')})"
        return "signature"


def loss_signature(opts: LossOptions, mode: str, sample_weight_col: str | None = None) -> Signature:
    """The signature of a loss computed with ``opts`` in ``mode``."""
    f: list[tuple[str, str]] = [
        ("loss", opts.loss),
        ("mode", mode),
        ("input", opts.input),
        ("convention", opts.convention),
    ]
    if opts.pos_weight is not None:
        f.append(("pos_weight", ",".join(num(v) for v in opts.pos_weight)))
    if opts.weight is not None:
        f.append(("weight", ",".join(num(v) for v in opts.weight)))
    if opts.ignore_index is not None:
        f.append(("ignore_index", str(opts.ignore_index)))
    if opts.label_smoothing:
        f.append(("label_smoothing", num(opts.label_smoothing)))
    if opts.loss == "focal":
        alpha = opts.focal_alpha()
        f.append(("alpha", num(alpha) if alpha is not None else "off"))
        f.append(("gamma", num(opts.gamma)))
    if opts.threshold != 0.5:
        f.append(("threshold", num(opts.threshold)))
    if opts.sample_weights:
        f.append(("sample_weight", sample_weight_col or "yes"))
    f.append(("losscli", __version__))
    return Signature(tuple(f))
