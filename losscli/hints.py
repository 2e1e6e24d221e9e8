"""What other tools' files look like, decided on the first chunk without an extra pass:
scores given as ``--logits`` that look like probabilities (a warning, never a refusal:
logits in [0, 1] are possible), pandas' ``to_csv()`` index column, Excel's decimal commas."""

from __future__ import annotations

import re

import numpy as np

from losscli.errors import LossInputError
from losscli.readers import Chunk, Source

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


PANDAS_INDEX_NAMES = ("", "unnamed: 0")  # what DataFrame.to_csv() writes above its index


def pandas_index(src: Source, cols: list[int]) -> int | None:
    """Column 0 when it is unnamed (pandas' ``to_csv()`` index) and other score columns are
    left; whether it holds 0..n-1 is checked on every chunk (:func:`check_index`)."""
    if not src.names or src.fmt != "csv" or 0 not in cols or len(cols) < 2:
        return None
    return 0 if src.names[0].strip().lower() in PANDAS_INDEX_NAMES else None


def check_index(chunk: Chunk, col: int, src: Source) -> None:
    """Refuse an unnamed first column that does not count 0, 1, 2, … row by row (a file's
    own count: each file of a glob starts at 0)."""
    first = chunk.start_row - chunk.origin_row
    want = np.arange(first, first + len(chunk), dtype=np.float64)
    have = chunk.values[:, col] if col not in chunk.text else np.full(len(chunk), np.nan)
    bad = have != want
    if bad.any():
        i = int(np.argmax(bad))
        raise LossInputError(
            f"column {col + 1} has no name and does not count the rows 0, 1, 2, … as pandas' index "
            "does, so it may be a score or a row id; pick the score columns with --score-cols",
            row=i,
            field="index",
        )


def comma_hint(v: str) -> str:
    """A hint for ``0,6912``: a decimal comma (Excel in many locales)."""
    head, sep, tail = v.strip().lstrip("+-").partition(",")
    if sep and head.isdigit() and tail.isdigit():
        return " (a decimal comma? pass --decimal , for numbers written like 0,6912)"
    return ""
