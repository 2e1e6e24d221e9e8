"""Columns → arrays: which columns are scores, labels and sample weights, and what labels mean.

Sits between the readers (tables of columns) and the core (score matrices and targets). It
knows the spec's column rules (label column names, 1-based indices, ranges, class names
matched to the score header) and turns label text (``true``/``false``, class names) into
numbers. Errors carry the chunk row and the *file* column so the caller can locate them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losscli.core import Targets
from losscli.errors import LossInputError
from losscli.readers import LABEL_NAMES, Chunk, Source

TRUE_FALSE = {"true": 1.0, "false": 0.0}


def parse_columns(spec: str, src: Source, option: str) -> list[int]:
    """Resolve a column pick to 0-based columns.

    Comma lists of: 1-based indices (``3``; digits are always indices, whatever the header
    says, so ``pandas``-style headers ``,0,1,2`` cannot shadow them), header names (exact,
    then case-insensitive), and ranges of either (``2-5``, ``p0-p9``; a name holding ``-``
    is matched whole first).
    """
    names = src.names or []
    out: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part.isdigit() or _name(part, names) is not None:
            out.append(_one(part, src, option, names))
            continue
        ends = _range(part, src, option, names)
        if ends is None:
            out.append(_one(part, src, option, names))  # raises: no such column
            continue
        ja, jb = ends
        if jb < ja:
            raise LossInputError(f"{option} {part!r}: the range runs backwards")
        out.extend(range(ja, jb + 1))
    if not out:
        raise LossInputError(f"{option}: no columns given")
    if len(set(out)) != len(out):
        raise LossInputError(f"{option} {spec!r} names a column twice")
    return out


def _name(tok: str, names: list[str]) -> int | None:
    lower = [n.lower() for n in names]
    for pool, key in ((names, tok), (lower, tok.lower())):
        if key in pool:
            if pool.count(key) > 1:
                cols = ", ".join(str(j + 1) for j, n in enumerate(pool) if n == key)
                raise LossInputError(
                    f"column name {tok!r} is not unique in the header (columns {cols}); pick by 1-based index"
                )
            return pool.index(key)
    return None


def _range(part: str, src: Source, option: str, names: list[str]) -> tuple[int, int] | None:
    """``a-b`` split at the first '-' whose two sides are both columns; None if none is."""
    for i, ch in enumerate(part):
        if ch != "-" or i == 0 or i == len(part) - 1:
            continue
        a, b = part[:i].strip(), part[i + 1 :].strip()
        ok = [t.isdigit() or _name(t, names) is not None for t in (a, b)]
        if all(ok):
            return _one(a, src, option, names), _one(b, src, option, names)
    return None


def _one(tok: str, src: Source, option: str, names: list[str]) -> int:
    tok = tok.strip()
    if tok.isdigit():
        j = int(tok)
        if not 1 <= j <= src.ncols:
            named = (
                f" (digits are 1-based positions, even where a column is named {tok!r})"
                if tok in names
                else ""
            )
            raise LossInputError(f"{option} {tok}: {src.path} has columns 1..{src.ncols}{named}")
        return j - 1
    found = _name(tok, names)
    if found is not None:
        return found
    have = f"; its columns are {', '.join(names)}" if names else " (it has no header; use 1-based indices)"
    raise LossInputError(f"{option} {tok!r}: no such column in {src.path}{have}")


@dataclass
class Layout:
    """Where things are: score columns of the score source, label columns of the label
    source (which may be the same source), an optional sample-weight column."""

    score_cols: list[int]
    label_cols: list[int]
    weight_col: int | None
    classes: list[str] | None
    score_names: list[str]


def layout(
    scores: Source,
    labels: Source | None,
    *,
    score_cols: str | None,
    label_cols: str | None,
    weight_col: str | None,
    classes: list[str] | None,
) -> Layout:
    """Apply the spec's column rules; ``labels`` is None when labels live in ``scores``."""
    wcol = _weight_col(scores, weight_col)
    named_labels = named_label_cols(scores)
    lcols, taken = _label_cols(scores, labels, label_cols, score_cols, named_labels)
    scols = _score_cols(scores, labels, score_cols, taken, wcol, named_labels)
    _check_overlaps(scores, labels, scols, lcols, wcol)
    names = scores.names
    score_names = [names[j] for j in scols] if names else [str(j) for j in range(len(scols))]
    if classes is None and scores.names and len(scols) > 1:
        classes = score_names
    return Layout(scols, lcols, wcol, classes, score_names)


def _weight_col(scores: Source, weight_col: str | None) -> int | None:
    if not weight_col:
        return None
    picked = parse_columns(weight_col, scores, "--sample-weight-col (looked up in the score file)")
    if len(picked) != 1:
        raise LossInputError("--sample-weight-col takes one column")
    return picked[0]


def _label_cols(
    scores: Source, labels: Source | None, label_cols: str | None, score_cols: str | None, named: list[int]
) -> tuple[list[int], set[int]]:
    """The label columns, and the score-file columns they take away from the scores."""
    if labels is not None:
        if label_cols:
            lcols = parse_columns(label_cols, labels, "--label-col")
        elif labels.label_hint:
            lcols = list(labels.label_hint)
        else:
            lcols = named_label_cols(labels) or list(range(labels.ncols))
        return lcols, (set(named) if not score_cols else set())
    if label_cols:
        lcols = parse_columns(label_cols, scores, "--label-col")
    elif scores.label_hint:
        lcols = list(scores.label_hint)
    elif named:
        if len(named) > 1:
            found = ", ".join(repr(scores.names[j]) for j in named)  # type: ignore[index]
            raise LossInputError(
                f"{scores.path}: several label-like columns ({found}); choose one with --label-col"
            )
        lcols = named
    else:
        cols = f"; its columns are {', '.join(scores.names)}" if scores.names else ""
        if scores.ncols == 1 and scores.fmt == "csv":
            cols += " (it was read as a single column: if that is wrong, pass --delimiter)"
        raise LossInputError(
            f"{scores.path}: no labels: give --labels FILE, or --label-col NAME|INDEX "
            f"(a column named label, labels, target or y is picked by itself){cols}"
        )
    return lcols, set(lcols)


def _score_cols(
    scores: Source,
    labels: Source | None,
    score_cols: str | None,
    taken: set[int],
    wcol: int | None,
    named: list[int],
) -> list[int]:
    if score_cols:
        return parse_columns(score_cols, scores, "--score-cols")
    if "score_cols" in scores.extra:
        return list(scores.extra["score_cols"])  # type: ignore[call-overload]
    scols = [j for j in range(scores.ncols) if j not in taken and j != wcol]
    _refuse_id_columns(scores, scols)
    if labels is not None and named:
        label_names = ", ".join(repr(scores.names[j]) for j in named)  # type: ignore[index]
        raise LossInputError(
            f"{scores.path} has a label column ({label_names}) and --labels was given too; "
            "drop one, or pick the scores with --score-cols"
        )
    return scols


def _check_overlaps(
    scores: Source, labels: Source | None, scols: list[int], lcols: list[int], wcol: int | None
) -> None:
    if labels is None and set(scols) & set(lcols):
        raise LossInputError("a column cannot be both a score column and a label column")
    if wcol is not None and wcol in scols:
        raise LossInputError("the sample-weight column is also a score column; use --score-cols")
    if not scols:
        raise LossInputError(f"{scores.path}: no score columns left after taking the labels")


ID_NAMES = ("", "id", "index", "idx", "row", "sample", "sample_id", "unnamed: 0")


def _refuse_id_columns(src: Source, cols: list[int]) -> None:
    """An unnamed first column (pandas' index) or an ``id`` column is not a score; taking it
    as one would give a wrong number without a word, so ask for --score-cols instead."""
    if not src.names or src.fmt == "npy":
        return
    for j in cols:
        name = src.names[j].strip()
        if name.lower() in ID_NAMES:
            what = "has no name (an index written by pandas?)" if not name else f"is named {name!r}"
            raise LossInputError(
                f"{src.path}: column {j + 1} {what}, so it looks like a row id, not a score; "
                "pick the score columns with --score-cols"
            )


def named_label_cols(src: Source) -> list[int]:
    if not src.names:
        return []
    return [j for j, n in enumerate(src.names) if n.strip().lower() in LABEL_NAMES]


# ---------------------------------------------------------------------------------------
# Per-chunk extraction


def numeric(chunk: Chunk, cols: list[int], src: Source) -> np.ndarray:
    """float64 (m, len(cols)) of numeric columns; a text column is an error at its first
    value that is not a number."""
    for c, j in enumerate(cols):
        if j in chunk.text:
            vals = chunk.text[j]
            for i, v in enumerate(vals):
                try:
                    float(v)
                except ValueError:
                    what = "an empty field" if not v else shown(str(v))
                    raise LossInputError(f"{what} is not a number", row=i, col=c) from None
            # every value parsed: a column that looked like text in the first rows only
            chunk.values[:, j] = vals.astype(np.float64)
    return take_columns(chunk.values, cols)


def take_columns(values: np.ndarray, cols: list[int]) -> np.ndarray:
    """``values[:, cols]``, as a view when ``cols`` is a run of consecutive columns: a wide
    chunk (a vocabulary of logits) is then never gathered column by column."""
    if cols and cols[-1] - cols[0] == len(cols) - 1 and cols == list(range(cols[0], cols[-1] + 1)):
        return values[:, cols[0] : cols[-1] + 1]
    return values[:, cols]


def label_values(
    chunk: Chunk, cols: list[int], src: Source, classes: list[str] | None
) -> tuple[np.ndarray, bool]:
    """Labels as float64 (m, L): numbers, true/false → 1/0, class names → indices.

    Returns ``(values, used_names)``. Raises with ``row``/``col`` (the position in ``cols``).
    Text is decoded once per distinct value, so a million rows of class names cost little.
    """
    out = np.empty((len(chunk), len(cols)))
    used_names = False
    for c, j in enumerate(cols):
        if j not in chunk.text:
            out[:, c] = chunk.values[:, j]
            continue
        uniq, inverse = np.unique(chunk.text[j], return_inverse=True)
        decoded = np.empty(len(uniq))
        for u, v in enumerate(uniq):
            try:
                decoded[u], is_name = _decode_label(str(v), classes)
            except LossInputError as e:
                row = int(np.argmax(inverse == u))  # the first row holding this value
                raise LossInputError(e.message, row=row, col=c, field="labels") from None
            used_names |= is_name
        out[:, c] = decoded[inverse.reshape(-1)]
    _refuse_huge_labels(out)
    return out, used_names


MAX_LABEL = 2.0**53  # beyond this a float64 label is no whole number, class index or 0/1


def _refuse_huge_labels(out: np.ndarray) -> None:
    """A label like 1e300 or 2**63 is out of range for every kind of label: say so before
    it reaches an integer cast (a NumPy warning) or a hint to --ignore-index that could
    never match it."""
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(out) & (np.abs(out) >= MAX_LABEL)
    if huge.any():
        r, c = np.argwhere(huge)[0]
        raise LossInputError(
            f"label {float(out[r, c])!r} is out of range (labels are 0/1, probabilities or class "
            "indices, far below 2**53)",
            row=int(r),
            col=int(c),
            field="labels",
        )


def _decode_label(text: str, classes: list[str] | None) -> tuple[float, bool]:
    """One label string → (value, was a class name)."""
    s = text.strip()
    low = s.lower()
    if low in TRUE_FALSE:
        return TRUE_FALSE[low], False
    try:
        return float(s), False
    except ValueError:
        pass
    if classes:
        if s in classes:
            _refuse_ambiguous(s, classes)
            return float(classes.index(s)), True
        lowered = [c.lower() for c in classes]
        if low in lowered:
            _refuse_ambiguous(low, lowered)
            return float(lowered.index(low)), True
    if not s:
        raise LossInputError("empty label")
    if classes:
        names = ", ".join(classes)
        names = names if len(names) <= 200 else f"{names[:200]}… ({len(classes)} classes)"
        raise LossInputError(f"unknown class name {shown(s)} (classes: {names})")
    raise LossInputError(
        f"label {shown(s)} is not a number; class names need a score header that names the classes, "
        "or --classes"
    )


def _refuse_ambiguous(name: str, classes: list[str]) -> None:
    if classes.count(name) > 1:
        cols = ", ".join(str(j + 1) for j, c in enumerate(classes) if c == name)
        raise LossInputError(
            f"class name {name!r} names several score columns ({cols}); class names must be "
            "distinct: rename the columns or give --classes"
        )


def shown(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut to about ``limit`` characters: an error line stays one readable line
    even when the field is a megabyte long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def label_kind(values: np.ndarray, used_names: bool) -> str:
    """``"names"``, ``"binary"`` (all 0/1), ``"soft"`` (all in [0, 1]) or ``"index"``."""
    if used_names:
        return "names"
    finite = values[np.isfinite(values)]
    if np.isin(finite, (0.0, 1.0)).all():
        return "binary"
    if ((finite >= 0) & (finite <= 1)).all() and not (finite == np.round(finite)).all():
        return "soft"
    return "index"


def is_one_hot(values: np.ndarray) -> bool:
    """True when every row of float64 (m, K) is one-hot."""
    return bool(np.isin(values, (0.0, 1.0)).all() and (values.sum(axis=1) == 1).all())


def targets(values: np.ndarray, mode: str) -> Targets:
    """float64 label values (m, L) → :class:`Targets` for the mode.

    Class indices must be whole numbers; they keep their sign here so that
    ``--ignore-index -100`` can match and the core can report an out-of-range index.
    """
    if mode == "multiclass" and values.shape[1] == 1:
        v = values[:, 0]
        bad = ~np.isfinite(v) | (v != np.round(v))
        if bad.any():
            i = int(np.argmax(bad))
            raise LossInputError(
                f"label {float(v[i])!r} is not a class index (a whole number)", row=i, col=0, field="labels"
            )
        return Targets(index=v.astype(np.int64))
    return Targets(y=values)
