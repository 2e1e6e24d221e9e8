"""Renderers: a :class:`~losscli.model.Result` → text. Never computes a loss.

``RENDERERS`` names every output format with what the pass must do for it; the CLI builds
``--format``'s choices, the per-sample bookkeeping and the destination from it. This module
is import-light (no NumPy, no rich): each renderer's functions live in a submodule that is
imported the first time it writes, and the submodules' public names are re-exported lazily.

Machine formats (json, csv, tsv, jsonl, quiet) are built with the standard library only and
keep full precision (``repr`` of the float64); rich is imported only to draw the table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.model import Meta, Result, RowBlock
    from losscli.render.cells import class_name, finite_or_none, full, row_label, row_pred
    from losscli.render.grid import MAX_SCORE_COLUMNS
    from losscli.render.machine import JSON_SLICE, render_json, render_markdown, render_quiet
    from losscli.render.rows import RowWriter, write_losses
    from losscli.render.summary import JSON_EXTRAS, notes, per_class, summary_dict, summary_pairs
    from losscli.render.table import render_table

    RowSink = Callable[[RowBlock, Meta], None]


@dataclass(frozen=True)
class Renderer:
    """One output format.

    ``streams_rows``: rows are written while the pass runs, through :meth:`sink`; after the
    pass :meth:`write` writes nothing for a pass result (it writes ``index,loss`` rows of a
    result that carries only ``per_sample``, as ``merge`` has). ``shows_summary``: shows the
    statistics (``--ci``, ``--baseline``, ``--per-class``). ``needs_per_sample``: the pass must
    keep every per-sample loss. ``top_rows``: the pass keeps the ``--top`` rows for it.
    ``big``: output may be large, so ``-o`` spools it. ``options``: the keyword arguments
    :meth:`write` accepts beyond ``(res, out)``. ``flag``: how a user picks it.
    """

    name: str
    streams_rows: bool
    shows_summary: bool
    needs_per_sample: bool
    top_rows: bool
    big: bool
    target: str  # "submodule:function", imported on first use to keep this module light
    options: frozenset[str] = frozenset()
    flag: str = "--format"

    @property
    def shown(self) -> str:
        """How a message names the chosen format: ``--format csv`` or ``-q``."""
        return self.flag if self.flag != "--format" else f"--format {self.name}"

    def write(self, res: Result, out: IO[str], **options: Any) -> None:
        """Write ``res`` to ``out``; ``options`` are among :attr:`options`."""
        unknown = set(options) - self.options
        if unknown:
            raise TypeError(f"renderer {self.name!r} takes no option {sorted(unknown)}")
        module, func = self.target.split(":")
        getattr(importlib.import_module(f"losscli.render.{module}"), func)(res, out, **options)

    def sink(self, out: IO[str]) -> RowSink | None:
        """The callback that writes row blocks as the pass yields them, or None."""
        if not self.streams_rows:
            return None
        from losscli.render.rows import RowWriter

        return RowWriter(self.name, out)


TABLE_OPTIONS = frozenset({"is_tty", "width", "precision", "color", "pictures"})

RENDERERS: dict[str, Renderer] = {
    r.name: r
    for r in (
        Renderer("table", False, True, True, True, False, "table:render_table", TABLE_OPTIONS),
        Renderer("json", False, True, True, False, True, "machine:render_json"),
        Renderer("csv", True, False, False, False, True, "rows:write_csv"),
        Renderer("tsv", True, False, False, False, True, "rows:write_tsv"),
        Renderer("jsonl", True, False, False, False, True, "rows:write_jsonl"),
        Renderer(
            "markdown", False, True, True, False, False, "machine:render_markdown", frozenset({"precision"})
        ),
        Renderer("quiet", False, False, False, False, False, "machine:render_quiet", flag="-q"),
    )
}

# the --format choices, in --help order (quiet is -q)
FORMATS: tuple[str, ...] = tuple(n for n, r in RENDERERS.items() if r.flag == "--format")

# public names of the submodules, imported on first access (PEP 562)
_LAZY = {
    "cells": ("class_name", "finite_or_none", "full", "row_label", "row_pred"),
    "summary": ("JSON_EXTRAS", "notes", "per_class", "summary_dict", "summary_pairs"),
    "machine": ("JSON_SLICE", "render_json", "render_markdown", "render_quiet"),
    "rows": ("RowWriter", "write_losses"),
    "grid": ("MAX_SCORE_COLUMNS",),
    "table": ("render_table",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [  # spelled out for linters; tests check it equals the registry names plus _LAZY
    "FORMATS",
    "JSON_EXTRAS",
    "JSON_SLICE",
    "MAX_SCORE_COLUMNS",
    "RENDERERS",
    "Renderer",
    "RowWriter",
    "class_name",
    "finite_or_none",
    "full",
    "notes",
    "per_class",
    "render_json",
    "render_markdown",
    "render_quiet",
    "render_table",
    "row_label",
    "row_pred",
    "summary_dict",
    "summary_pairs",
    "write_losses",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'losscli.render' has no attribute {name!r}")
    return getattr(importlib.import_module(f"losscli.render.{module}"), name)
