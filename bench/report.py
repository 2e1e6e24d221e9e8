"""The benchmark's Markdown report: one table of every command with the issue's targets."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import cases


@dataclass
class Timed:
    """One command of one case and everything measured of it."""

    cmd: cases.Command
    argv: list[str]
    status: str = "ok"  # ok | refused | failed | killed | mismatch | skipped
    note: str = ""
    walls: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    one_run: bool = False  # too slow to repeat: its check run is its only timing

    @property
    def median(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    @property
    def peak_mib(self) -> float | None:
        return max(self.peaks_kib) / 1024 if self.peaks_kib else None


@dataclass
class CaseResult:
    case: cases.Case
    size: str = ""
    timed: list[Timed] = field(default_factory=list)
    targets: tuple[cases.Target, ...] = ()
    skipped: str = ""  # why the whole case did not run
    notes: list[str] = field(default_factory=list)

    def by_key(self, key: str) -> Timed | None:
        return next((t for t in self.timed if t.cmd.key == key), None)

    def best_peer(self) -> Timed | None:
        peers = [t for t in self.timed if t.cmd.who == "peer" and t.median is not None]
        return min(peers, key=lambda t: t.median or 0.0) if peers else None


def judge(res: CaseResult, tg: cases.Target) -> tuple[str, str]:
    """(measured, verdict) of one target: verdict is PASS, MISS or n/a with the reason."""
    t = res.by_key(tg.cmd)
    if t is None or t.median is None:
        why = f"{t.status}: {t.note}" if t else "not run"
        return "—", f"MISS ({why})" if t and t.status != "skipped" else f"n/a ({why})"
    parts, ok = [], True
    if tg.vs:
        refs = [r for r in (res.by_key(k) for k in tg.vs) if r is not None and r.median is not None]
        if not refs:
            return "—", "n/a (no reference ran)"
        ref = min(refs, key=lambda r: r.median or 0.0)
        ratio = t.median / (ref.median or 1e-300)
        parts.append(f"{ratio:.2f}× {ref.cmd.key}")
        ok &= tg.max_ratio is None or ratio <= tg.max_ratio
    if tg.max_mib is not None:
        mib = t.peak_mib
        parts.append(f"{mib:.0f} MiB" if mib is not None else "? MiB")
        ok &= mib is not None and mib <= tg.max_mib
    if tg.max_s is not None:
        parts.append(f"{t.median:.2f} s")
        ok &= t.median <= tg.max_s
    return ", ".join(parts) or "ran, mean agrees", "PASS" if ok else "MISS"


def _cell(t: Timed) -> str:
    if t.median is None:
        return f"{t.status.upper()}"
    return f"{t.median:.3f}" + (" (1 run)" if t.one_run else "")


def table(results: list[CaseResult]) -> list[str]:
    out = [
        "| case | command | median s | × best peer | peak RSS MiB | target | result |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for res in results:
        name = f"{res.case.title} ({res.size})" if res.size else res.case.title
        if res.skipped:
            out.append(f"| {name} | — | — | — | — | — | skipped: {res.skipped} |")
            continue
        best = res.best_peer()
        judged = {tg.cmd: tg for tg in res.targets}
        for t in res.timed:
            ratio = f"{t.median / best.median:.2f}" if best and best.median and t.median is not None else "—"
            peak = f"{t.peak_mib:.0f}" + (" (tree)" if t.cmd.tree_rss else "") if t.peak_mib else "—"
            tg = judged.get(t.cmd.key)
            target, verdict = ("", "")
            if tg is not None:
                measured, v = judge(res, tg)
                target, verdict = tg.text, f"**{v}** ({measured})" if v in ("PASS", "MISS") else v
            elif t.median is None:
                verdict = f"{t.status}: {t.note}"
            out.append(f"| {name} | {t.cmd.label} | {_cell(t)} | {ratio} | {peak} | {target} | {verdict} |")
            name = "〃"
    return out


def summary(results: list[CaseResult]) -> list[str]:
    """One line per target: the figure the issue asks for and PASS / MISS."""
    out = ["| case | target | measured | result |", "| --- | --- | --- | --- |"]
    for res in results:
        for tg in res.targets:
            measured, verdict = judge(res, tg) if not res.skipped else ("—", f"n/a (skipped: {res.skipped})")
            out.append(f"| {res.case.key} | `{tg.cmd}` {tg.text} | {measured} | {verdict} |")
    return out


def details(results: list[CaseResult]) -> list[str]:
    out: list[str] = []
    for res in results:
        if res.skipped:
            continue
        out.append(f"- **{res.case.key}**" + (f" — {res.case.note}" if res.case.note else ""))
        for n in res.notes:
            out.append(f"  - {n}")
        for t in res.timed:
            runs = ", ".join(f"{w:.3f}/{k / 1024:.0f}" for w, k in zip(t.walls, t.peaks_kib, strict=False))
            mean = repr(t.means[0]) if t.means else "—"
            extra = f" · {t.status}: {t.note}" if t.status != "ok" else ""
            out.append(f"  - {t.cmd.label}: mean {mean}; runs (s/MiB) {runs or '—'}{extra}")
    return out


def render(header: list[str], results: list[CaseResult]) -> str:
    lines = [
        *header,
        "",
        "## Targets",
        "",
        *summary(results),
        "",
        "## Every command",
        "",
        *table(results),
        "",
    ]
    lines += [
        "Median of whole-process wall times; `× best peer` = this median / the fastest peer's median in",
        "the case (below 1: faster than every peer). Peak RSS = the largest over the timed runs",
        "(GNU time's maximum resident set size of the process; `(tree)`: sampled sum over the",
        "process and its workers). A command whose mean differs from the reference by more than",
        "1e-6 relative is not timed (MISMATCH).",
        "",
        "## Means and every run",
        "",
        *details(results),
        "",
    ]
    return "\n".join(lines)
