"""``--plot FILE``: the loss histogram, the reliability diagram and per-class bars, drawn with
matplotlib (the optional extra ``plot``), imported only when a plot is written.

Deterministic: the figure is built with the object-oriented API on Agg-family canvases
(``matplotlib.pyplot`` and its global backend are never touched), fonts are DejaVu Sans as
bundled with matplotlib, and every timestamp is left out of the file, so the same input gives
the same bytes for ``.svg`` (fixed ``svg.hashsalt``, no ``Date``), ``.pdf`` (no
``CreationDate``) and ``.png`` -- for one matplotlib version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losscli.charts import format_edge
from losscli.errors import LossInputError

FORMATS = (".png", ".svg", ".pdf")
MAX_CLASSES = 40  # more classes than this: the worst ones by mean loss are drawn
_DPI = 150
_PANEL = (5.2, 3.8)  # inches per panel
_BAR, _LINE, _DIAG, _GAP = "#4C78A8", "#E45756", "#9D9D9D", "#F58518"
_RC: Any = {  # Any: matplotlib types the keys as a Literal of every rcParam
    "svg.hashsalt": "losscli",  # SVG element ids from a fixed salt, not a random one
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_METADATA: dict[str, dict[str, Any]] = {
    ".svg": {"Date": None},
    ".pdf": {"CreationDate": None, "ModDate": None},
    ".png": {},
}


def check_plot_path(path: str | Path) -> None:
    """Refuse, before any data is read, an extension we cannot write or a missing matplotlib."""
    import importlib.util

    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise LossInputError(
            f"--plot writes {', '.join(FORMATS)} files; got {str(path)!r}"
            + (f" ({suffix})" if suffix else " (no extension)")
        )
    if importlib.util.find_spec("matplotlib") is None:
        raise LossInputError("--plot needs matplotlib: pip install 'losscli[plot]'")


def write_plot(
    path: str | Path,
    *,
    histogram: tuple[np.ndarray, np.ndarray],
    shares: np.ndarray | None = None,
    note: str = "",
    reliability: Mapping[str, Any] | None = None,
    per_class: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Write the pictures to ``path``; the format is the extension (.png, .svg, .pdf).

    ``histogram``: ``(edges float64 (m+1,), counts int (m,))`` from
    :func:`losscli.charts.loss_histogram`; ``shares`` float64 (m,) from
    :func:`losscli.charts.loss_shares` adds each bin's share of the summed loss; ``note``
    (:func:`losscli.charts.tail_note`) goes under the histogram. ``reliability``: the
    calibration result (``{"ece", "mce", "bins": [{"lo", "hi", "n", "confidence",
    "accuracy"}]}``) adds a reliability diagram; ``per_class``: ``[{"class", "n", "mean"}]``
    (the JSON ``per_class`` list) adds per-class bars. Raises LossInputError for another
    extension, a missing matplotlib or an unwritable path.
    """
    check_plot_path(path)
    suffix = Path(path).suffix.lower()
    import matplotlib
    from matplotlib.figure import Figure

    panels = 1 + (reliability is not None) + (per_class is not None)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(_PANEL[0] * panels, _PANEL[1]), dpi=_DPI, layout="constrained")
        axes = fig.subplots(1, panels, squeeze=False)[0]
        _histogram(axes[0], histogram, shares, note)
        i = 1
        if reliability is not None:
            _reliability(axes[i], reliability)
            i += 1
        if per_class is not None:
            _per_class(axes[i], per_class)
        try:
            fig.savefig(path, format=suffix[1:], metadata=_METADATA[suffix])
        except OSError as exc:
            raise LossInputError(f"cannot write --plot {str(path)!r}: {exc.strerror or exc}") from None


def _histogram(ax: Any, histogram: tuple[np.ndarray, np.ndarray], shares: Any, note: str) -> None:
    """Bars of rows per bin at equal spacing (the bins are log-spaced), and each bin's share
    of the summed loss on a second axis."""
    edges, counts = np.asarray(histogram[0]), np.asarray(histogram[1])
    x = np.arange(len(counts))
    ax.bar(x, counts, width=0.9, color=_BAR, label="rows")
    ax.set_title("Per-sample loss")
    ax.set_ylabel("rows")
    # ticks on the bin boundaries, labelled with the edge values
    ticks = np.arange(len(edges)) - 0.5
    step = max(1, -(-len(edges) // 11))  # at most ~11 labels
    labels = [format_edge(v) for v in edges[::step]]
    ax.set_xticks(ticks[::step], labels, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlabel("loss (log-spaced bins)" + (f"\n{note}" if note else ""))
    ax.margins(x=0.01)
    if shares is not None and len(counts):
        twin = ax.twinx()
        twin.plot(x, 100 * np.asarray(shares), color=_LINE, marker="o", ms=3, lw=1.5, label="share of sum")
        twin.set_ylim(0, 105)
        twin.set_ylabel("share of the summed loss (%)", color=_LINE)
        twin.tick_params(axis="y", colors=_LINE)
        twin.spines["right"].set_visible(True)
        twin.spines["top"].set_visible(False)
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        twin.legend(handles=handles, loc="upper left", frameon=False, fontsize=8)


def _reliability(ax: Any, rel: Mapping[str, Any]) -> None:
    """Accuracy per confidence bin (bars over [lo, hi]) with each bin's mean confidence and
    the diagonal of perfect calibration."""
    bins = list(rel["bins"])
    ax.plot([0, 1], [0, 1], ls="--", color=_DIAG, lw=1, label="perfectly calibrated")
    lo = np.array([b["lo"] for b in bins], dtype=float)
    hi = np.array([b["hi"] for b in bins], dtype=float)
    acc = np.array([b["accuracy"] for b in bins], dtype=float)
    conf = np.array([b["confidence"] for b in bins], dtype=float)
    width = np.where(hi > lo, hi - lo, 0.01)  # the confidence-1.0 bin has lo = hi = 1
    left = np.where(hi > lo, lo, 1.0 - 0.01)
    ax.bar(left, acc, width=width, align="edge", color=_BAR, alpha=0.35, edgecolor=_BAR, label="accuracy")
    ax.vlines(conf, np.minimum(acc, conf), np.maximum(acc, conf), color=_GAP, lw=2, label="gap")
    ax.scatter(conf, acc, s=14, color=_BAR, zorder=3)
    ax.set_xlim(0, 1.005)
    ax.set_ylim(0, 1.005)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability  ·  ECE {rel['ece']:.4f}  ·  MCE {rel['mce']:.4f}")
    ax.legend(loc="upper left", frameon=False, fontsize=8)


def _per_class(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Horizontal bars of mean loss by class (the ``MAX_CLASSES`` worst when there are more)."""
    rows = [r for r in rows if r.get("mean") is not None]
    title = "Mean loss by class"
    if len(rows) > MAX_CLASSES:
        rows = sorted(rows, key=lambda r: -float(r["mean"]))[:MAX_CLASSES]
        title += f" (worst {MAX_CLASSES})"
    y = np.arange(len(rows))
    means = np.array([float(r["mean"]) for r in rows])
    ax.barh(y, means, color=_BAR, height=0.7)
    ax.set_yticks(y, [str(r["class"]) for r in rows])
    ax.set_ylim(max(len(rows), 4) - 0.5, -0.5)  # first class on top; few classes stay thin
    top = float(means.max()) if len(means) else 1.0
    for yi, (m, r) in enumerate(zip(means, rows, strict=True)):
        ax.text(m + 0.01 * top, yi, f"{m:.3g}  (n={int(r['n'])})", va="center", fontsize=7)
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)
    ax.set_xlabel("mean loss")
    ax.set_title(title)
