"""JSON text read whole: the size bound, integers of any length, the decoder's errors.

JSON (and JSON Lines) cannot be parsed in pieces here, so a document is read whole, up to
:data:`MAX_JSON_BYTES` (counted as it is read, after decompression, so a gzip bomb stops at
the limit); merge shards are read the same way.
"""

from __future__ import annotations

import json

from losscli.errors import LossInputError
from losscli.readers.streams import Peekable, SafeStream, read_bounded

MAX_JSON_BYTES = 1 << 31  # JSON is read whole: a bigger document is refused (docs/limits.md)
INT_DIGITS = 18  # longer JSON integers are read as floats (float64 could not hold them anyway)


def parse_int(s: str) -> int | float:
    """A JSON integer: Python's int() refuses more than 4300 digits (and float() of a huge
    int overflows), so long ones are parsed as the float64 they would become."""
    return int(s) if len(s) <= INT_DIGITS else float(s)


def loads(text: str) -> object:
    """``json.loads`` with :func:`parse_int` (NaN and Infinity are read as floats, as json does)."""
    return json.loads(text, parse_int=parse_int)


def too_big(name: str, limit: int = MAX_JSON_BYTES) -> LossInputError:
    return LossInputError(
        f"{name}: JSON input over {limit >> 30} GiB is read whole; split it (losscli merge combines the "
        "parts) or use CSV, which streams"
    )


def read_json_bytes(stream: SafeStream | Peekable, name: str) -> bytes:
    """The whole JSON input, refused past MAX_JSON_BYTES before it is all in memory."""
    return read_bounded(stream, name, MAX_JSON_BYTES, too_big(name))


def json_error(name: str, e: Exception) -> LossInputError:
    if isinstance(e, json.JSONDecodeError):
        return LossInputError(f"{name}:{e.lineno}:{e.colno}: invalid JSON ({e.msg})")
    return LossInputError(f"{name}: JSON nested too deeply")
