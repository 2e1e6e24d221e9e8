"""JSON and JSON Lines: a document (rows, records or an object of named arrays) → one chunk.

JSON is read whole (up to MAX_JSON_BYTES); rows are lists of numbers, objects per row
(``{"logits": [...], "label": 2}``) or flat records, or one object ``{"logits": rows,
"labels": [...], "classes": [...]}``. Locations are ``path:line`` in JSON Lines and
``path: row R`` in a JSON document.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from losscli.errors import LossInputError
from losscli.readers.base import (
    EXTRA_SCORE_KEYS,
    LABEL_KEYS,
    SCORE_KEYS,
    Chunk,
    Context,
    Reader,
    ReadOptions,
    Source,
    register,
    split_rows,
)
from losscli.readers.json_rows import from_rows
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


def _json_source(stream: SafeStream, name: str, fmt: str, opts: ReadOptions) -> Source:
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
                return _jsonl_source(text, name, opts)
            raise json_error(name, e) from None
        return _from_document(doc, name, opts)
    return _jsonl_source(text, name, opts)


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


def _jsonl_source(text: str, name: str, opts: ReadOptions) -> Source:
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
    return from_rows(items, name, np.array(lines, dtype=np.int64), opts)


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


def _from_document(doc: object, name: str, opts: ReadOptions) -> Source:
    if isinstance(doc, list):
        if not doc:
            raise LossInputError(f"{name}: empty list (no rows)")
        return from_rows(doc, name, None, opts)
    if isinstance(doc, dict):
        if _is_record(doc):
            return from_rows([doc], name, np.array([1]))  # one JSON Lines record
        return _from_object(doc, name, opts)
    raise LossInputError(
        f'{name}: expected a list of rows or an object with "logits"/"probs"/"log_probs", '
        f"got {type(doc).__name__}"
    )


def _score_kind(doc: dict[str, object], name: str) -> str:
    """The one score key of a ``{"logits": …}`` object."""
    kinds = [k for k in SCORE_KEYS if k in doc]
    if not kinds:
        kinds = [k for k in EXTRA_SCORE_KEYS if k in doc]
    if len(kinds) != 1:
        raise LossInputError(
            f'{name}: expected an object with one of "logits", "probs", "log_probs" '
            f"(found keys: {', '.join(map(str, doc)) or 'none'})"
        )
    return kinds[0]


def _from_object(doc: dict[str, object], name: str, opts: ReadOptions) -> Source:
    """``{"logits"|"probs"|"log_probs": …, "labels": …, "classes": [...], other: [...]}``."""
    kind = _score_kind(doc, name)
    scores = doc[kind]
    if not isinstance(scores, list) or not scores:
        raise LossInputError(f"{name}: {kind!r} must be a non-empty list")
    inner = from_rows(scores, f"{name} ({kind})", None, opts)
    chunk = next(inner.chunks)
    k = chunk.values.shape[1]
    classes = doc.get("classes")
    if classes is not None and (not isinstance(classes, list) or len(classes) != k):
        raise LossInputError(f'{name}: "classes" must list {k} names, one per score column')
    names = [str(c) for c in classes] if classes else [str(j) for j in range(k)]
    positions = inner.extra.get("positions")  # n-d scores: the other lists are per position
    others = replace(opts, positions=positions) if isinstance(positions, tuple) else opts
    cols, texts = [chunk], dict(chunk.text)
    label_hint: list[int] = []
    for key, val in doc.items():
        if key in (kind, "classes") or not isinstance(val, list):
            continue  # not other columns: metadata, e.g. {"model": "resnet"}
        c = _other(key, val, kind, len(scores), len(chunk), name, others)
        width = sum(x.values.shape[1] for x in cols)
        texts.update({width + j: t for j, t in c.text.items()})
        m = c.values.shape[1]
        if key in LABEL_KEYS:
            label_hint.extend(range(width, width + m))
        names.extend([key] if m == 1 else [f"{key}[{j}]" for j in range(m)])
        cols.append(c)
    values = np.hstack([c.values for c in cols])
    src = Source(
        name,
        values.shape[1],
        names,
        set(texts),
        iter([Chunk(values, texts, 0, None)]),
        label_hint=label_hint or None,
        kind_hint=kind if kind in SCORE_KEYS else None,  # "scores" says nothing of the kind
        fmt="json",
    )
    src.extra["score_cols"] = list(range(k))
    if isinstance(positions, tuple):
        src.extra["positions"] = positions
    return src


def _other(key: str, val: list[object], kind: str, items: int, n: int, name: str, opts: ReadOptions) -> Chunk:
    """The columns of list ``key`` next to ``items`` score rows (``n`` rows once n-d rows
    are flattened to positions)."""
    if len(val) != items:
        raise LossInputError(f"{name}: {key!r} has {len(val)} rows but {kind!r} has {items}")
    c = next(from_rows(val, f"{name} ({key})", None, opts).chunks)
    if len(c) != n:
        raise LossInputError(f"{name}: {key!r} has {len(c)} values but {kind!r} has {n} positions")
    return c


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{")


def open_json(stream: SafeStream, ctx: Context) -> Source:
    """A JSON document; several documents, one per line, are read as JSON Lines."""
    return _split(_json_source(stream, ctx.name, "json", ctx.opts))


def open_jsonl(stream: SafeStream, ctx: Context) -> Source:
    """JSON Lines: one row per line."""
    return _split(_json_source(stream, ctx.name, "jsonl", ctx.opts))


def _split(src: Source) -> Source:
    """The document's one chunk in pieces of at most CHUNK_BYTES of float64."""
    src.chunks = split_rows(src.chunks, src.ncols)
    return src


JSON = register(Reader("json", (".json",), open_json, sniff=_looks_like_json))
JSONL = register(Reader("jsonl", (".jsonl", ".ndjson"), open_jsonl))
