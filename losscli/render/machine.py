"""Summary formats for programs and CI pages: ``json``, ``-q`` and ``markdown``.

Built with the standard library only; numbers keep full precision (``repr`` of the float64).
"""

from __future__ import annotations

import json
import math
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from losscli.model import Result
from losscli.render.cells import full
from losscli.render.numbers import Numbers
from losscli.render.summary import notes, summary_dict, summary_pairs

JSON_SLICE = 1 << 16  # per_sample values formatted at a time


def finite(v: object) -> object:
    """``v`` with every non-finite float replaced by None (JSON ``null``), through lists and
    dicts: a value beyond float64 (a weight sum of 1e308 + 1e308) must not make the output
    invalid JSON (or stop the writer)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    return v


def render_json(res: Result, out: IO[str]) -> None:
    """The JSON object; ``per_sample`` is written in slices, never as one Python list."""
    doc = finite(summary_dict(res, with_per_sample=False))
    assert isinstance(doc, dict)
    if res.per_sample is None:
        out.write(json.dumps(doc, allow_nan=False) + "\n")
        return
    keys = list(doc)
    cut = keys.index("exact_match" if "exact_match" in doc else "accuracy") + 1
    head = json.dumps({k: doc[k] for k in keys[:cut]}, allow_nan=False)
    tail = json.dumps({k: doc[k] for k in keys[cut:]}, allow_nan=False)
    out.write(head[:-1] + ', "per_sample": [')
    values = res.per_sample
    for a in range(0, len(values), JSON_SLICE):
        part = values[a : a + JSON_SLICE].tolist()
        out.write((", " if a else "") + ", ".join(repr(v) if math.isfinite(v) else "null" for v in part))
    out.write("], " + tail[1:] + "\n")


def render_quiet(res: Result, out: IO[str]) -> None:
    """The mean alone, in full precision, on one line."""
    out.write(full(res.summary.mean) + "\n")


def render_markdown(res: Result, out: IO[str], *, precision: int | None = None) -> None:
    """The summary as a two-column GFM table, then the notes as quotes. ``precision`` None:
    numbers in full (as 0.1 wrote them); N: N decimals, thousands separators, labelled CI."""
    out.write(f"### losscli {res.opts.loss}: `{res.path}`\n\n")
    out.write("| | |\n|---|---|\n")
    for k, v in summary_pairs(res, Numbers(precision)):
        cell = v.replace("|", "\\|")
        out.write(f"| {k} | {cell} |\n")
    sig = res.signature.replace("|", "\\|")  # GFM splits cells on | even inside code
    out.write(f"| signature | `{sig}` |\n")
    for line in notes(res):
        out.write(f"\n> {line}\n")
    if res.per_sample is not None:
        out.write(_histogram_block(res.per_sample))


def _histogram_block(per_sample: np.ndarray) -> str:
    """The per-sample loss histogram as a Mermaid chart (rendered on CI job pages)."""
    import numpy as np

    from losscli import charts

    finite = per_sample[np.isfinite(per_sample)]
    edges, counts = charts.loss_histogram(finite)
    block = charts.mermaid_xychart(
        edges,
        counts,
        "Per-sample loss (bars: rows; line: share of the summed loss)",
        charts.loss_shares(finite, edges),
    )
    return f"\n{block}" if block else ""
