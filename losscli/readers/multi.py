"""Several files as one data set: a PATH with glob characters, its matches read in sorted order.

Rows are concatenated (row numbers continue from file to file); each file keeps its own
header detection and its own line numbers, and every chunk says which file it came from, so
an error in the second file names the second file and its line. The files must agree on
their columns. A file is opened only when the previous one is done.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator

from losscli.errors import LossInputError
from losscli.readers.base import Chunk, Source

GLOB_CHARS = frozenset("*?[")


def is_pattern(path: str) -> bool:
    """A path to expand: it has glob characters and is not itself an existing file."""
    return path != "-" and bool(GLOB_CHARS & set(path)) and not os.path.exists(path)


def expand(pattern: str) -> list[str]:
    """The files matching ``pattern``, sorted; none is an input error naming the pattern."""
    matches = sorted(p for p in glob.glob(pattern, recursive=True) if not os.path.isdir(p))
    if not matches:
        raise LossInputError(f"{pattern}: no file matches this pattern")
    return matches


def _columns(src: Source) -> str:
    return ", ".join(src.names) if src.names else f"{src.ncols} unnamed"


class MultiSource(Source):
    """The files' Sources one after another, as one Source shaped like the first file."""

    def __init__(
        self, pattern: str, paths: list[str], first: Source, open_one: Callable[[str], Source]
    ) -> None:
        super().__init__(
            pattern,
            first.ncols,
            first.names,
            set(first.text_cols),
            iter(()),
            label_hint=first.label_hint,
            kind_hint=first.kind_hint,
            extra=dict(first.extra),
            fmt=first.fmt,
            fast=first.fast,
        )
        self.paths, self.open_one = paths, open_one
        self.current: Source | None = first
        self.sizes = [_size(p) for p in paths]
        self.done_bytes = 0
        self.chunks = self._chunks()

    def _chunks(self) -> Iterator[Chunk]:
        row = 0
        for i, path in enumerate(self.paths):
            src = self.current if i == 0 else self._open(path)
            assert src is not None
            start = row
            for c in src.chunks:
                c.start_row += start
                c.origin, c.origin_row = src.path, start
                row += len(c)
                yield c
            src.close()
            self.current = None
            self.done_bytes += self.sizes[i] or 0

    def _open(self, path: str) -> Source:
        src = self.open_one(path)
        if src.ncols != self.ncols or src.names != self.names:
            src.close()
            raise LossInputError(
                f"{src.path}: its columns ({_columns(src)}) differ from those of {self.paths[0]} "
                f"({_columns(self)}); the files of {self.path} must agree on their columns"
            )
        self.text_cols |= src.text_cols
        self.current = src
        return src

    def progress(self) -> tuple[int, int] | None:
        """Bytes read over the whole set of files."""
        if any(s is None for s in self.sizes):
            return None
        total = sum(s for s in self.sizes if s is not None)
        now = self.current.progress() if self.current is not None else None
        return self.done_bytes + (now[0] if now else 0), total

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def open_glob(pattern: str, open_one: Callable[[str], Source], fast: Callable[[str], bool]) -> Source:
    """One Source over every file matching ``pattern``; ``open_one`` opens a single file and
    ``fast(path)`` says whether the pyarrow fast path would read it (then errors are located
    by a rerun with NumPy, as for one file)."""
    paths = expand(pattern)
    first = open_one(paths[0])
    if len(paths) == 1:
        return first
    src = MultiSource(pattern, paths, first, open_one)
    src.fast = any(fast(p) for p in paths)
    return src
