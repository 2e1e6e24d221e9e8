"""Renderers: a :class:`~losscli.evaluate.Result` → text. Never computes a loss.

Machine formats (json, csv, tsv, jsonl, quiet) are built with the standard library only and
keep full precision (``repr`` of the float64); rich is imported only to draw the table.
"""

from __future__ import annotations

import json
import math
import os
from typing import IO, Any

import numpy as np

from losscli import __version__
from losscli.model import Meta, Result, RowBlock

MAX_SCORE_COLUMNS = 4  # wider inputs show the target's score (or correct/K) in the table
JSON_SLICE = 1 << 16  # per_sample values formatted at a time
JSON_EXTRAS = (
    "ci",
    "ci_level",
    "bootstrap",
    "seed",
    "baseline",
)  # wider inputs show the target's score instead of every column


def full(x: float) -> str:
    """Shortest repr that round-trips a float64 (never rounded)."""
    return repr(float(x))


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _num(v: float) -> str:
    """A label value: ``1`` rather than ``1.0``; soft values in full."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _class(i: int, meta: Meta) -> str:
    if meta.classes and 0 <= i < len(meta.classes):
        return meta.classes[i]
    return str(int(i))


def row_label(block: RowBlock, i: int, meta: Meta) -> str:
    if meta.mode == "multiclass":
        if meta.soft:
            return _class(int(block.target[i]), meta)
        return _class(int(block.labels[i, 0]), meta)
    return " ".join(_num(v) for v in block.labels[i])


def row_pred(block: RowBlock, i: int, meta: Meta) -> str:
    if meta.mode == "multiclass":
        return _class(int(block.pred[i]), meta)
    return " ".join("1" if v else "0" for v in block.pred[i])


# ---------------------------------------------------------------------------------------
# Summary (json, markdown, table)


def summary_dict(res: Result, with_per_sample: bool = True) -> dict[str, Any]:
    """The ``--format json`` object: the spec's keys first, extras after."""
    s = res.summary
    out: dict[str, Any] = {
        "version": __version__,
        "loss": res.opts.loss,
        "mode": res.mode,
        "input": res.opts.input,
        "convention": res.opts.convention,
        "n": s.n,
        "outputs": res.k,
        "mean": finite_or_none(s.mean),
        "sum": finite_or_none(s.sum),
        "accuracy": s.accuracy,
    }
    if s.exact_match is not None:
        out["exact_match"] = s.exact_match
    if with_per_sample and res.per_sample is not None:
        out["per_sample"] = [finite_or_none(v) for v in res.per_sample.tolist()]
    out["weight_sum"] = s.weight_sum
    out["clamped"] = s.clamped
    out["nonfinite"] = s.nonfinite
    if s.ignored:
        out["ignored"] = s.ignored
    if res.inferred:
        out["reason"] = res.reason
    if res.classes:
        out["classes"] = res.classes
    if res.opts.loss == "focal":
        out["alpha"] = res.opts.focal_alpha()
        out["gamma"] = res.opts.gamma
    if res.opts.family == "sigmoid":
        out["threshold"] = res.opts.threshold
    if res.sample_weight_col:
        out["sample_weight_col"] = res.sample_weight_col
    pc = per_class(res)
    if pc is not None and res.extra.get("per_class"):
        out["per_class"] = pc
    for key in JSON_EXTRAS:
        if key in res.extra:
            out[key] = res.extra[key]
    out["signature"] = res.signature
    return out


def per_class(res: Result) -> list[dict[str, Any]] | None:
    """Mean loss and count by true class (binary, multiclass) or by output (multi-label)."""
    s = res.summary
    names: list[str]
    if res.mode == "binary":
        names = ["0", "1"]
    elif res.classes:
        names = list(res.classes)
    else:
        names = [str(j) for j in range(len(s.class_count))]
    rows = []
    for j, name in enumerate(names[: len(s.class_count)]):
        cnt = int(s.class_count[j])
        tot = float(s.class_sum[j])
        rows.append({"class": name, "n": cnt, "mean": finite_or_none(tot / cnt) if cnt else None})
    return rows


def render_json(res: Result, out: IO[str]) -> None:
    """The JSON object; ``per_sample`` is written in slices, never as one Python list."""
    doc = summary_dict(res, with_per_sample=False)
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
    out.write(full(res.summary.mean) + "\n")


def _summary_pairs(res: Result) -> list[tuple[str, str]]:
    s = res.summary
    mode = res.mode + (f" (auto: {res.reason})" if res.inferred else "")
    pairs = [
        ("loss", res.opts.loss),
        ("mode", mode),
        ("input", res.opts.input),
        ("convention", res.opts.convention),
        ("n", str(s.n) + (f" ({s.ignored} ignored)" if s.ignored else "")),
        ("mean", full(s.mean) + _interval(res.extra.get("ci"))),
    ]
    b = res.extra.get("baseline")
    if isinstance(b, dict):
        pairs.append(("baseline mean", full(b["mean"])))
        pairs.append(("delta", f"{b['delta']:+.6g}" + _interval(b.get("delta_ci"))))
        if "verdict" in b:
            pairs.append(("verdict", str(b["verdict"])))
    pairs.append(("sum", full(s.sum)))
    if s.accuracy is not None:
        pairs.append(
            ("accuracy", f"{s.accuracy:.6g}" + (" (per output)" if res.mode == "multilabel" else ""))
        )
    if s.exact_match is not None:
        pairs.append(("exact match", f"{s.exact_match:.6g}"))
    if res.sample_weight_col:
        pairs.append(("weight sum", full(s.weight_sum)))
    return pairs


def _interval(ci: object) -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        return f" ({ci[0]:.6g} – {ci[1]:.6g})"
    return ""


def notes(res: Result) -> list[str]:
    """Sentences for the table summary: clamps, non-finite values, hidden rows."""
    s, out = res.summary, []
    if s.clamped:
        one = s.clamped == 1
        noun = "probability" if one else "probabilities"
        its = "its" if one else "their"
        what = {
            "torch": "of exactly 0 or 1 hit PyTorch's -100 log clamp",
            "keras": "within 1e-7 of 0 or 1 hit Keras' clip to [1e-7, 1 - 1e-7]",
            "sklearn": "within 2.2e-16 of 0 or 1 hit log_loss's clip at the float64 epsilon",
        }[res.opts.convention]
        if res.opts.input == "logits":  # sklearn, and keras' focal loss, clip σ(x) / softmax(x)
            tail = f"{its} loss is capped: this convention clips probabilities even from logits."
        else:
            tail = f"{its} loss is capped — logits would give exact values."
        out.append(f"{s.clamped} {noun} {what}; {tail}")
    if s.nonfinite:
        noun = "1 loss is" if s.nonfinite == 1 else f"{s.nonfinite} losses are"
        out.append(f"{noun} infinite (a probability of exactly 0 for the true class).")
    return out


def render_markdown(res: Result, out: IO[str]) -> None:
    out.write(f"### losscli {res.opts.loss}: `{res.path}`\n\n")
    out.write("| | |\n|---|---|\n")
    for k, v in _summary_pairs(res):
        cell = v.replace("|", "\\|")
        out.write(f"| {k} | {cell} |\n")
    sig = res.signature.replace("|", "\\|")  # GFM splits cells on | even inside code
    out.write(f"| signature | `{sig}` |\n")
    for line in notes(res):
        out.write(f"\n> {line}\n")


# ---------------------------------------------------------------------------------------
# Per-sample rows, streamed chunk by chunk


class RowWriter:
    """Writes csv/tsv/jsonl rows as blocks arrive: ``index, label, prediction, loss``."""

    def __init__(self, fmt: str, out: IO[str]) -> None:
        self.fmt, self.out = fmt, out
        self.started = False

    def __call__(self, block: RowBlock, meta: Meta) -> None:
        out = self.out
        sep = "\t" if self.fmt == "tsv" else ","
        if not self.started:
            self.started = True
            if self.fmt != "jsonl":
                out.write(sep.join(("index", "label", "prediction", "loss")) + "\n")
        losses = block.loss.tolist()
        if self.fmt == "jsonl":
            lines = []
            for i, idx in enumerate(block.index.tolist()):
                v = losses[i]
                rec = {
                    "index": idx,
                    "label": _json_label(block, i, meta),
                    "prediction": _json_pred(block, i, meta),
                    "loss": v if math.isfinite(v) else None,
                }
                lines.append(json.dumps(rec, allow_nan=False))
            out.write("\n".join(lines) + ("\n" if lines else ""))
            return
        rows = []
        for i, idx in enumerate(block.index.tolist()):
            v = losses[i]
            label = _csv_field(row_label(block, i, meta), sep)
            pred = _csv_field(row_pred(block, i, meta), sep)
            rows.append(f"{idx}{sep}{label}{sep}{pred}{sep}{repr(v) if math.isfinite(v) else ''}")
        out.write("\n".join(rows) + ("\n" if rows else ""))


def write_losses(per_sample: np.ndarray, fmt: str, out: IO[str]) -> None:
    """``index,loss`` rows (merged shards, which carry no labels): csv, tsv or jsonl."""
    values = per_sample.tolist()
    if fmt == "jsonl":
        for i, v in enumerate(values):
            out.write(json.dumps({"index": i, "loss": v if math.isfinite(v) else None}) + "\n")
        return
    sep = "\t" if fmt == "tsv" else ","
    out.write(f"index{sep}loss\n")
    out.writelines(f"{i}{sep}{repr(v) if math.isfinite(v) else ''}\n" for i, v in enumerate(values))


def _csv_field(s: str, sep: str) -> str:
    if sep in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def _json_label(block: RowBlock, i: int, meta: Meta) -> Any:
    if meta.mode == "multiclass":
        idx = int(block.target[i]) if meta.soft else int(block.labels[i, 0])
        return meta.classes[idx] if meta.classes and 0 <= idx < len(meta.classes) else idx
    vals = [int(v) if float(v).is_integer() else float(v) for v in block.labels[i]]
    return vals[0] if meta.mode == "binary" else vals


def _json_pred(block: RowBlock, i: int, meta: Meta) -> Any:
    if meta.mode == "multiclass":
        idx = int(block.pred[i])
        return meta.classes[idx] if meta.classes else idx
    vals = [int(bool(v)) for v in block.pred[i]]
    return vals[0] if meta.mode == "binary" else vals


# ---------------------------------------------------------------------------------------
# The rich table (humans only)


def render_table(res: Result, out: IO[str], *, is_tty: bool) -> None:
    """Per-sample rows (``--top``) and a summary; plain and full-width when not a terminal.

    Every cell is a :class:`rich.text.Text`, so names like ``p[cat]`` are shown, not read as
    markup. A table wider than the terminal is printed at its natural width (the terminal
    wraps the lines) rather than having rich shorten numbers or drop columns.
    """
    from rich import box
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=out,
        force_terminal=is_tty,
        no_color=bool(os.environ.get("NO_COLOR")) or not is_tty,
        highlight=False,
        width=None if is_tty else 10_000,  # a pipe never truncates a number
        soft_wrap=not is_tty,
    )

    def show(renderable: Table) -> None:
        wide_open = console.options.update_width(10_000)
        natural = Measurement.get(console, wide_open, renderable).maximum
        width = console.width
        console.width = max(natural, width)  # print() itself never goes past console.width
        try:
            console.print(renderable, crop=False)
        finally:
            console.width = width

    meta = Meta(res.mode, res.k, res.classes, res.score_names, res.soft, res.opts)
    rows = res.rows
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    num = {"justify": "right", "no_wrap": True}
    table.add_column(Text("#"), **num)  # type: ignore[arg-type]
    table.add_column(Text("label"), no_wrap=True)
    wide = res.k > MAX_SCORE_COLUMNS
    if wide:
        table.add_column(Text("score of label" if res.mode == "multiclass" else "correct"), **num)  # type: ignore[arg-type]
    else:
        for name in res.score_names:
            table.add_column(Text(name), **num)  # type: ignore[arg-type]
    table.add_column(Text("pred"), no_wrap=True)
    table.add_column(Text("loss"), **num)  # type: ignore[arg-type]
    for i in range(len(rows)):
        cells = [str(int(rows.index[i])), row_label(rows, i, meta)]
        if wide:
            if res.mode == "multiclass":
                t = int(rows.target[i]) if res.soft else int(rows.labels[i, 0])
                cells.append(f"{rows.scores[i, t]:.6g}" if 0 <= t < res.k else "–")
            else:
                cells.append(f"{int(np.sum(rows.pred[i] == rows.target[i]))}/{res.k}")
        else:
            cells.extend(f"{v:.6g}" for v in rows.scores[i])
        cells.append(row_pred(rows, i, meta))
        cells.append("ignored" if not rows.valid[i] else f"{float(rows.loss[i]):.6g}")
        table.add_row(*(Text(c) for c in cells))
    if len(rows):
        show(table)
    if res.hidden:
        which = "worst" if res.extra.get("sort") == "loss" else "first"
        more = "" if which == "worst" else ", --sort loss the worst"
        console.print(
            Text(
                f"showing the {which} {len(rows)} of {len(rows) + res.hidden} rows "
                f"({res.hidden} hidden; --top 0 shows all{more})"
            )
        )
    # plain "key  value" lines: no padding to the widest row, nothing to truncate
    pairs = [*_summary_pairs(res), ("signature", res.signature)]
    width = max(len(k) for k, _ in pairs) + 2
    for k, v in pairs:
        line = Text()
        line.append(k.ljust(width), style="bold")
        line.append(v)
        console.print(line, crop=False, soft_wrap=True)
    if res.extra.get("per_class"):
        pc = Table(box=box.SIMPLE_HEAD, show_edge=False, title=None)
        pc.add_column(Text("output" if res.mode == "multilabel" else "class"))
        pc.add_column(Text("n"), justify="right")
        pc.add_column(Text("mean loss"), justify="right", no_wrap=True)
        for r in per_class(res) or []:
            pc.add_row(
                Text(r["class"]), Text(str(r["n"])), Text("–" if r["mean"] is None else full(r["mean"]))
            )
        show(pc)
    for note in notes(res):
        console.print(Text(note))
