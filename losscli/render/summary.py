"""What a summary says, as values: the JSON object, the ``key value`` pairs of the table and
Markdown, the per-class figures and the sentences under the summary. Nothing here draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli import __version__

if TYPE_CHECKING:
    import numpy as np
from losscli.model import Result
from losscli.render.cells import finite_or_none
from losscli.render.numbers import FULL, Numbers

# keys the statistics add to Result.extra, copied to the JSON object in this order
JSON_EXTRAS = (
    "perplexity",
    "ci",
    "ci_level",
    "bootstrap",
    "seed",
    "baseline",
    "models",
)


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
    out["weight_sum"] = finite_or_none(s.weight_sum)
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
    if res.calibration_state is not None:
        # "partial" carries the exact bin sums, so that merge can combine shards
        out["calibration"] = {**res.calibration_state.result(), "partial": res.calibration_state.to_dict()}
    for key in JSON_EXTRAS:
        if key in res.extra:
            v = res.extra[key]
            out[key] = finite_or_none(v) if isinstance(v, float) else v
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


def summary_pairs(res: Result, numbers: Numbers = FULL) -> list[tuple[str, str]]:
    """``(key, value)`` lines of the table and Markdown summaries, in display order, with
    numbers written as ``numbers`` says (full precision by default)."""
    s, num = res.summary, numbers
    level = res.extra.get("ci_level")
    mode = res.mode + (f" (auto: {res.reason})" if res.inferred else "")
    pairs = [
        ("loss", res.opts.loss),
        ("mode", mode),
        ("input", res.opts.input),
        ("convention", res.opts.convention),
        ("n", num.count(s.n) + (f" ({num.count(s.ignored)} ignored)" if s.ignored else "")),
        ("mean", num.value(s.mean) + num.interval(res.extra.get("ci"), level)),
    ]
    if "perplexity" in res.extra:
        pairs.append(("perplexity", num.value(res.extra["perplexity"])))
    q = quantiles(res)
    if q is not None:
        pairs.append(("quantiles", "   ".join(f"{k} {num.value(v)}" for k, v in q.items())))
    b = res.extra.get("baseline")
    if isinstance(b, dict):
        pairs.append(("baseline mean", num.value(b["mean"])))
        pairs.append(("delta", num.delta(b["delta"]) + num.interval(b.get("delta_ci"), level)))
        if "verdict" in b:
            pairs.append(("verdict", str(b["verdict"])))
    pairs += _model_pairs(res.extra.get("models"), num, level)
    cal = res.calibration
    if cal is not None:
        bins = res.calibration_state.bins
        pairs.append(("brier", num.value(cal["brier"])))
        pairs.append(("ece", f"{num.value(cal['ece'])} ({bins} bins)"))
        pairs.append(("mce", num.value(cal["mce"])))
    pairs.append(("sum", num.value(s.sum)))
    if s.accuracy is not None:
        pairs.append(
            ("accuracy", num.share(s.accuracy) + (" (per output)" if res.mode == "multilabel" else ""))
        )
    if s.exact_match is not None:
        pairs.append(("exact match", num.share(s.exact_match)))
    if res.sample_weight_col:
        pairs.append(("weight sum", num.value(s.weight_sum)))
    return pairs


def _model_pairs(models: object, num: Numbers, level: object) -> list[tuple[str, str]]:
    """One line per model after the first: its mean, the delta and the verdict."""
    if not isinstance(models, list):
        return []
    out = []
    for i, m in enumerate(models[1:], start=2):
        acc = f", accuracy {num.share(m['accuracy'])}" if m.get("accuracy") is not None else ""
        delta = num.delta(m["delta"]) + num.interval(m.get("delta_ci"), level)
        out.append(
            (f"model {i}", f"{m['path']}: mean {num.value(m['mean'])}{acc}, delta {delta}, {m['verdict']}")
        )
    return out


def all_losses(res: Result) -> np.ndarray | None:
    """float64 (n,): every per-sample loss that entered the mean (NaN for ignored rows
    dropped), or None when the result does not hold them all."""
    import numpy as np

    if res.per_sample is not None:
        values = res.per_sample
    elif len(res.rows) and not res.hidden:
        values = res.rows.loss[res.rows.valid.astype(bool)]
    else:
        return None
    values = values[~np.isnan(values)]
    return values if len(values) else None


QUANTILES = {"median": 0.5, "p90": 0.9, "p99": 0.99, "max": 1.0}


def quantiles(res: Result) -> dict[str, float] | None:
    """The median, p90, p99 and max of the per-sample losses that entered the mean,
    by ``numpy.quantile(..., method="linear")`` (type 7, the NumPy and R default),
    unweighted; None unless every per-sample loss is at hand (``per_sample``, or a table
    that kept every row)."""
    import numpy as np

    values = all_losses(res)
    if values is None:
        return None
    qs = np.quantile(values, list(QUANTILES.values()), method="linear")
    return {k: float(v) for k, v in zip(QUANTILES, qs.tolist(), strict=True)}


_CLAMPS = {
    "torch": "of exactly 0 or 1 hit PyTorch's -100 log clamp",
    "keras": "within 1e-7 of 0 or 1 hit Keras' clip to [1e-7, 1 - 1e-7]",
    "sklearn": "within 2.2e-16 of 0 or 1 hit log_loss's clip at the float64 epsilon",
}


def notes(res: Result) -> list[str]:
    """Sentences for the table summary: clamps, non-finite values, hidden rows."""
    s, out = res.summary, []
    if s.clamped:
        one = s.clamped == 1
        noun = "probability" if one else "probabilities"
        its = "its" if one else "their"
        what = _CLAMPS[res.opts.convention]
        if res.opts.input == "logits":  # sklearn, and keras' focal loss, clip σ(x) / softmax(x)
            tail = f"{its} loss is capped: this convention clips probabilities even from logits."
        else:
            tail = f"{its} loss is capped — logits would give exact values."
        out.append(f"{s.clamped} {noun} {what}; {tail}")
    if s.nonfinite:
        noun = "1 loss is" if s.nonfinite == 1 else f"{s.nonfinite} losses are"
        out.append(f"{noun} infinite (a probability of exactly 0 for the true class).")
    cap = res.extra.get("per_sample_cap")
    if cap:
        out.append(
            f"More than {cap:,} rows: the quantiles and the loss histogram are left out so that memory "
            "stays flat (--format json or --plot keep every per-sample loss)."
        )
    return out
