"""Warnings decided on the first chunk: scores given as ``--logits`` that look like
probabilities. Never a refusal (logits in [0, 1] are possible), never an extra pass."""

from __future__ import annotations

import re

import numpy as np

# a score column named like a probability: prob, probs, proba, probability, p_dog, softmax…
PROB_NAME = re.compile(
    r"^(p|probs?|proba|probabilit(y|ies)|softmax|sigmoid|confidence|conf)([\s_\-.\[(:].*)?$"
    r"|^(p|prob|proba)\d+$|prob|softmax|sigmoid",
    re.IGNORECASE,
)


def prob_like_names(names: list[str]) -> list[str]:
    """The names among ``names`` that call their column a probability."""
    return [n for n in names if PROB_NAME.search(n.strip())]


def probabilities_as_logits(path: str, x: np.ndarray | None, names: list[str]) -> str | None:
    """The warning for scores given as logits that look like probabilities, or None.

    ``x`` float64 (m, k): the first chunk's scores (None when they could not be read as
    numbers; the pass reports that). ``names``: the score columns' header names."""
    named = prob_like_names([n for n in names if not n.isdigit()])
    finite = x[np.isfinite(x)] if x is not None else np.empty(0)
    in_unit = finite.size > 0 and bool(((finite >= 0) & (finite <= 1)).all())
    if not in_unit and not named:
        return None
    why = []
    if in_unit:
        why.append(f"every score of the first {len(x) if x is not None else 0:,} rows lies in [0, 1]")
    if named:
        why.append(f"the header calls {'it' if len(named) == 1 else 'them'} {', '.join(map(repr, named))}")
    return (
        f"{path}: these --logits look like probabilities ({' and '.join(why)}); "
        "if they are, use --probs (as logits they give a different loss)"
    )
