"""JSON and JSON Lines: a document (rows, records or an object of named arrays) → one chunk.

JSON is read whole (up to MAX_JSON_BYTES); rows are lists of numbers, objects per row
(``{"logits": [...], "label": 2}``) or flat records, or one object ``{"logits": rows,
"labels": [...], "classes": [...]}``. Locations are ``path:line`` in JSON Lines and
``path: row R`` in a JSON document.
"""

from __future__ import annotations

import json

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import (
    EXTRA_SCORE_KEYS,
    LABEL_KEYS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    Source,
    register,
    split_rows,
)
from losscli.readers.jsontext import json_error, loads, read_json_bytes
from losscli.readers.streams import (
    Peekable,
    SafeStream,
    binary_hint,
    close_quietly,
    decode_utf8,
    display_name,
    open_bytes,
)


def _json_source(stream: SafeStream, name: str, fmt: str) -> Source:
    data = read_json_bytes(stream, name)
    hint = binary_hint(data[:10])
    if hint:
        raise LossInputError(f"{name}: {hint}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = decode_utf8(data, name, 1)
    if not text.strip():
        raise LossInputError(f"{name}: empty input (no rows)")
    if fmt == "json":
        try:
            doc = loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            if isinstance(e, json.JSONDecodeError) and e.msg == "Extra data":  # JSON Lines
                return _jsonl_source(text, name)
            raise json_error(name, e) from None
        return _from_document(doc, name)
    return _jsonl_source(text, name)


def read_json(path: str) -> object:
    """One whole JSON document from a file (or ``-``), with the readers' error messages
    for a missing file, bad bytes, invalid or too deeply nested JSON."""
    name = display_name(path)
    raw = Peekable(open_bytes(path))
    try:
        data = read_json_bytes(SafeStream(raw, name), name)
    finally:
        close_quietly(raw)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = decode_utf8(data, name, 1)
    if not text.strip():
        raise LossInputError(f"{name}: empty input")
    try:
        return loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise json_error(name, e) from None


def _jsonl_source(text: str, name: str) -> Source:
    items: list[object] = []
    lines: list[int] = []
    for i, ln in enumerate(text.split("\n"), start=1):
        if not ln.strip():
            continue
        try:
            items.append(loads(ln))
        except json.JSONDecodeError as e:
            raise LossInputError(f"{name}:{i}:{e.colno}: invalid JSON ({e.msg})") from None
        except RecursionError:
            raise LossInputError(f"{name}:{i}: JSON nested too deeply") from None
        lines.append(i)
    if not items:
        raise LossInputError(f"{name}: empty input (no rows)")
    return _from_rows(items, name, np.array(lines, dtype=np.int64))


def _is_record(doc: dict[str, object]) -> bool:
    """One row (a JSON Lines file of one line) rather than a whole ``{"logits": rows}`` object:
    nothing but scalars, or one flat list of scores next to a scalar label."""
    if not any(isinstance(v, (list, dict)) for v in doc.values()):
        return True
    scores = [doc[k] for k in (*SCORE_KEYS, *EXTRA_SCORE_KEYS) if k in doc]
    label = [doc[k] for k in LABEL_KEYS if k in doc]
    return (
        len(scores) == 1
        and isinstance(scores[0], list)
        and not any(isinstance(v, (list, dict)) for v in scores[0])
        and len(label) == 1
        and not isinstance(label[0], (list, dict))
    )


def _from_document(doc: object, name: str) -> Source:
    if isinstance(doc, list):
        if not doc:
            raise LossInputError(f"{name}: empty list (no rows)")
        return _from_rows(doc, name, None)
    if isinstance(doc, dict):
        if _is_record(doc):
            return _from_rows([doc], name, np.array([1]))  # one JSON Lines record
        return _from_object(doc, name)
    raise LossInputError(
        f'{name}: expected a list of rows or an object with "logits"/"probs"/"log_probs", '
        f"got {type(doc).__name__}"
    )


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


def _from_rows(items: list[object], name: str, lines: np.ndarray | None) -> Source:
    """A list of numbers, of lists, or of objects (one per row)."""

    def where(i: int) -> str:
        return f"{name}:{int(lines[i])}" if lines is not None else f"{name}: row {i + 1}"

    first = items[0]
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
            if values.ndim != 2:
                raise ValueError
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
    return Source(name, values.shape[1], None, text_cols, iter([chunk]), fmt=fmt)


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


def _from_object(doc: dict[str, object], name: str) -> Source:
    """``{"logits"|"probs"|"log_probs": …, "labels": …, "classes": [...], other: [...]}``."""
    kinds = [k for k in SCORE_KEYS if k in doc]
    if not kinds:
        kinds = [k for k in EXTRA_SCORE_KEYS if k in doc]
    if len(kinds) != 1:
        raise LossInputError(
            f'{name}: expected an object with one of "logits", "probs", "log_probs" '
            f"(found keys: {', '.join(map(str, doc)) or 'none'})"
        )
    kind = kinds[0]
    scores = doc[kind]
    if not isinstance(scores, list) or not scores:
        raise LossInputError(f"{name}: {kind!r} must be a non-empty list")
    inner = _from_rows(scores, f"{name} ({kind})", None)
    chunk = next(inner.chunks)
    n, k = chunk.values.shape
    classes = doc.get("classes")
    if classes is not None and (not isinstance(classes, list) or len(classes) != k):
        raise LossInputError(f'{name}: "classes" must list {k} names, one per score column')
    names = [str(c) for c in classes] if classes else [str(j) for j in range(k)]
    cols: list[np.ndarray] = [chunk.values]
    texts = dict(chunk.text)
    text_cols = set(inner.text_cols)
    label_hint: list[int] = []
    width = k
    for key, val in doc.items():
        if key in (kind, "classes"):
            continue
        if not isinstance(val, list):
            continue  # metadata, e.g. {"model": "resnet"}
        if len(val) != n:
            raise LossInputError(f"{name}: {key!r} has {len(val)} rows but {kind!r} has {n}")
        sub = _from_rows(val, f"{name} ({key})", None)
        c = next(sub.chunks)
        for j, t in c.text.items():
            texts[width + j] = t
            text_cols.add(width + j)
        if key in LABEL_KEYS:
            label_hint.extend(range(width, width + c.values.shape[1]))
        m = c.values.shape[1]
        names.extend([key] if m == 1 else [f"{key}[{j}]" for j in range(m)])
        cols.append(c.values)
        width += m
    values = np.hstack(cols)
    src = Source(
        name,
        width,
        names,
        text_cols,
        iter([Chunk(values, texts, 0, None)]),
        label_hint=label_hint or None,
        kind_hint=kind if kind in SCORE_KEYS else None,  # "scores" says nothing of the kind
        fmt="json",
    )
    src.extra["score_cols"] = list(range(k))
    return src


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{")


def open_json(stream: SafeStream, ctx: Context) -> Source:
    """A JSON document; several documents, one per line, are read as JSON Lines."""
    return _split(_json_source(stream, ctx.name, "json"))


def open_jsonl(stream: SafeStream, ctx: Context) -> Source:
    """JSON Lines: one row per line."""
    return _split(_json_source(stream, ctx.name, "jsonl"))


def _split(src: Source) -> Source:
    """The document's one chunk in pieces of at most CHUNK_BYTES of float64."""
    src.chunks = split_rows(src.chunks, src.ncols)
    return src


JSON = register(Reader("json", (".json",), open_json, sniff=_looks_like_json))
JSONL = register(Reader("jsonl", (".jsonl", ".ndjson"), open_jsonl))
