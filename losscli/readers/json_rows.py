"""JSON rows → columns: lists of numbers, nested lists (n-d arrays), objects per row.

Shared by JSON documents and JSON Lines; locations are ``path:line`` in JSON Lines and
``path: row R`` in a document.
"""

from __future__ import annotations

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import LABEL_KEYS, SCORE_KEYS, Chunk, ReadOptions, Source
from losscli.readers.nd import shape_of


def _cell(v: object) -> float | str:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v
    if v is None:
        raise ValueError("null")
    raise ValueError(_jtype(v))


def _table(
    name: str, cols: list[list[object]], names: list[str] | None, lines: np.ndarray | None
) -> tuple[np.ndarray, dict[int, np.ndarray], set[int]]:
    """Columns of JSON scalars → (values, text columns, text column set)."""
    m = len(cols[0]) if cols else 0
    values = np.full((m, len(cols)), np.nan)
    texts: dict[int, np.ndarray] = {}
    for j, col in enumerate(cols):
        if None not in col:  # NumPy would turn null into NaN without a word
            try:
                values[:, j] = np.array(col, dtype=np.float64)
                continue
            except (TypeError, ValueError):
                pass
        out: list[float | str] = []
        for i, v in enumerate(col):
            try:
                out.append(_cell(v))
            except ValueError as e:
                where = f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"
                field = f"field {names[j]!r}" if names else f"column {j + 1}" if len(cols) > 1 else ""
                at = f"{where}, {field}" if field else where
                raise LossInputError(f"{at}: {e} where a number or label belongs") from None
        if all(isinstance(v, float) for v in out):
            values[:, j] = np.array(out, dtype=np.float64)
        else:
            texts[j] = np.array([v if isinstance(v, str) else repr(v) for v in out], dtype=str)
    return values, texts, set(texts)


def from_rows(
    items: list[object], name: str, lines: np.ndarray | None, opts: ReadOptions | None = None
) -> Source:
    """A list of numbers, of lists, or of objects (one per row)."""

    def where(i: int) -> str:
        return f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"

    first = items[0]
    positions: tuple[int, ...] | None = None
    if isinstance(first, dict):
        return _from_records(items, name, lines)
    if isinstance(first, list):
        width = len(first)
        if width == 0:
            raise LossInputError(f"{where(0)}: empty row")
        for i, it in enumerate(items):
            if not isinstance(it, list):
                raise LossInputError(f"{where(i)}: expected a list like the first row, got {_jtype(it)}")
            if len(it) != width:
                raise LossInputError(f"{where(i)}: {len(it)} values, expected {width} like the first row")
        try:
            if any(None in it for it in items):  # type: ignore[operator]
                raise ValueError("null")  # located column by column below
            values = np.array(items, dtype=np.float64)
            if values.ndim < 2 or (values.ndim > 2 and (opts is None or opts.family is None)):
                raise ValueError  # ragged, or n-d without a loss family: located below
            values, lines, positions = _nd(values, lines, name, opts)
            texts: dict[int, np.ndarray] = {}
            text_cols: set[int] = set()
        except (TypeError, ValueError):  # text in the rows: column by column, with locations
            rows_: list[list[object]] = items  # type: ignore[assignment]
            cols = [[it[j] for it in rows_] for j in range(width)]
            for i, it in enumerate(rows_):
                for j, v in enumerate(it):
                    if isinstance(v, (list, dict)):
                        raise LossInputError(
                            f"{where(i)}, column {j + 1}: {_jtype(v)} inside a row; rows hold numbers"
                        ) from None
            values, texts, text_cols = _table(name, cols, None, lines)
    else:
        for i, it in enumerate(items):
            if isinstance(it, (list, dict)):
                raise LossInputError(f"{where(i)}: expected a number like the first row, got {_jtype(it)}")
        values, texts, text_cols = _table(name, [list(items)], None, lines)
    chunk = Chunk(values, texts, 0, lines)
    fmt = "jsonl" if lines is not None else "json"
    src = Source(name, values.shape[1], None, text_cols, iter([chunk]), fmt=fmt)
    if positions is not None:
        src.extra["positions"] = positions
    return src


def _nd(
    values: np.ndarray, lines: np.ndarray | None, name: str, opts: ReadOptions | None
) -> tuple[np.ndarray, np.ndarray | None, tuple[int, ...] | None]:
    """Nested lists of numbers (N, d1, …) as rows (see :mod:`~losscli.readers.nd`): the
    table, each row's line, and the positions (N, d1, …) of n-d softmax scores."""
    if opts is None:
        return values, lines, None
    shape = shape_of(
        values.shape,
        name,
        "the rows",
        family=opts.family,
        class_axis=opts.class_axis,
        positions=opts.positions,
    )
    table = np.ascontiguousarray(shape.table(values))
    if lines is not None and shape.per_item != 1:
        lines = np.repeat(lines, shape.per_item)
    return table, lines, shape.positions


def _jtype(v: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(v), "a number")


def _where(name: str, lines: np.ndarray | None, i: int) -> str:
    """Row ``i``'s location: ``path:line`` in JSON Lines, ``path: row R`` in a document."""
    return f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"


def _from_records(items: list[object], name: str, lines: np.ndarray | None) -> Source:
    """Objects per row: ``{"logits": [...], "label": 2}`` or flat records ``{"p": .3, "y": 1}``."""
    first = items[0]
    assert isinstance(first, dict)
    keys = list(first)
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise LossInputError(
                f"{_where(name, lines, i)}: expected an object like the first row, got {_jtype(it)}"
            )
        if list(it) != keys and set(it) != set(keys):
            raise LossInputError(
                f"{_where(name, lines, i)}: keys {sorted(it)} differ from the first row's {sorted(keys)}"
            )
    records: list[dict[str, object]] = items  # type: ignore[assignment]
    cols, names, label_hint = _record_columns(records, keys, name, lines)
    kind_hint = next((k for k in keys if k in SCORE_KEYS), None)
    values, texts, text_cols = _table(name, cols, names, lines)
    if kind_hint is not None:
        # the score key names its columns by index; the rest keep their keys
        names = [n.split("[")[1].rstrip("]") if n.startswith(kind_hint + "[") else n for n in names]
    chunk = Chunk(values, texts, 0, lines)
    return Source(
        name,
        len(cols),
        names,
        text_cols,
        iter([chunk]),
        label_hint=label_hint or None,
        kind_hint=kind_hint,
        fmt="jsonl" if lines is not None else "json",
        extra={"score_cols": _score_cols(keys, kind_hint, first)} if kind_hint else {},
    )


def _record_columns(
    items: list[dict[str, object]], keys: list[str], name: str, lines: np.ndarray | None
) -> tuple[list[list[object]], list[str], list[int]]:
    """The records' columns (a list value of width w becomes w columns ``key[j]``), their
    names, and the positions of the label keys' columns."""
    first = items[0]
    cols: list[list[object]] = []
    names: list[str] = []
    label_hint: list[int] = []
    for key in keys:
        v0 = first[key]
        start = len(cols)
        if isinstance(v0, list):
            width = len(v0)
            for i, it in enumerate(items):
                v = it[key]
                if not isinstance(v, list) or len(v) != width:
                    raise LossInputError(
                        f"{_where(name, lines, i)}: {key!r} must be a list of {width} values "
                        "like the first row"
                    )
            for j in range(width):
                cols.append([it[key][j] for it in items])  # type: ignore[index]
                names.append(f"{key}[{j}]")
        else:
            if isinstance(v0, dict):
                raise LossInputError(
                    f"{_where(name, lines, 0)}: {key!r} holds an object; expected a number, string or list"
                )
            cols.append([it[key] for it in items])
            names.append(key)
        if key in LABEL_KEYS:
            label_hint.extend(range(start, len(cols)))
    return cols, names, label_hint


def _score_cols(keys: list[str], kind: str, first: dict[str, object]) -> list[int]:
    """Positions of the score key's columns among the record's flattened columns."""
    out: list[int] = []
    j = 0
    for key in keys:
        v = first[key]
        width = len(v) if isinstance(v, list) else 1
        if key == kind:
            out.extend(range(j, j + width))
        j += width
    return out
