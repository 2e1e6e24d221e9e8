"""The benchmark's cases: one input each, the commands timed on it, and the issue's targets.

A command is either losscli from one of the two regular installs (``plain``: ``pip install
TREE``; ``fast``: ``pip install 'TREE[fast]'``) or a peer script in bench/peers/ run by the
peers' Python. Every command prints the mean loss; ``reference`` names the float64 peer whose
mean every other command must match (1e-6 relative) before it is timed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import gen

PEERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")


@dataclass(frozen=True)
class Command:
    key: str  # unique within the case; targets name it
    label: str  # shown in the report
    who: str  # "plain" | "fast" (a losscli install) | "peer" (bench/peers/ under the peers' Python)
    args: tuple[str, ...]  # after the program: losscli's arguments, or the peer script and its own
    parse: str = "last_line"  # "last_line" | "table" (summary's mean line) | "csv_loss" (mean of column)
    tree_rss: bool = False  # peak RSS summed over the process tree (worker processes), sampled


@dataclass(frozen=True)
class Target:
    cmd: str  # the command judged
    text: str  # as the issue states it
    vs: tuple[str, ...] = ()  # ratio against the fastest of these commands
    max_ratio: float | None = None
    max_mib: float | None = None
    max_s: float | None = None


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    input: gen.Input
    commands: Callable[[dict[str, str], Options], list[Command]]
    targets: tuple[Target, ...]
    reference: str  # the command whose mean the others must match
    big: bool = False  # only with --big
    needs_engine: bool = False  # skipped unless `losscli bce --help` offers --engine
    note: str = ""


@dataclass(frozen=True)
class Options:
    installs: tuple[str, ...] = ("plain", "fast")  # the losscli installs present
    dask_workers: tuple[int, ...] = (2,)


def _peer(key: str, label: str, script: str, *args: str) -> Command:
    return Command(key, label, "peer", (os.path.join(PEERS_DIR, script), *args))


def _lc(who: str, key: str, label: str, *args: str, **kw: object) -> Command:
    return Command(key, label, who, args, **kw)  # type: ignore[arg-type]


def _pick(opts: Options, preferred: str = "fast") -> str:
    """The install the non-CSV cases use: ``fast`` when present (what [fast] users run)."""
    return preferred if preferred in opts.installs else opts.installs[0]


def _csv(task: str) -> Callable[[dict[str, str], Options], list[Command]]:
    def build(p: dict[str, str], opts: Options) -> list[Command]:
        f = p["scores"]
        cmds = [
            _lc(w, f"losscli_{w}", f"losscli `{task} -q` ({w} install)", task, "--logits", f, "-q")
            for w in ("plain", "fast")
            if w in opts.installs
        ]
        return [
            *cmds,
            _peer("polars_lazy", "polars lazy (`scan_csv`)", "polars_csv.py", "--mode", "lazy", task, f),
            _peer(
                "polars_eager",
                "polars eager (`read_csv`) + NumPy",
                "polars_csv.py",
                "--mode",
                "eager",
                task,
                f,
            ),
            _peer("duckdb", "DuckDB SQL", "duckdb_sql.py", task, f),
            _peer("np_loadtxt", "`np.loadtxt` script", "np_loadtxt.py", task, f),
            _peer("pandas_torch", "pandas + torch", "pandas_torch.py", "--task", task, f),
        ]

    return build


def _npy(task: str, *extra: str) -> Callable[[dict[str, str], Options], list[Command]]:
    def build(p: dict[str, str], opts: Options) -> list[Command]:
        w = _pick(opts)
        x, y = p["scores"], p["labels"]
        shown = " ".join((task, *extra, "-q"))
        return [
            _lc(
                w,
                "losscli",
                f"losscli `{shown}` ({w} install)",
                task,
                "--logits",
                x,
                "--labels",
                y,
                *extra,
                "-q",
            ),
            _peer("torch", "torch script (np.load + F.*)", "torch_npy.py", task, x, y, *extra),
            _peer("numpy", "NumPy script (float64)", "numpy_npy.py", task, x, y, *extra),
        ]

    return build


def _table(p: dict[str, str], opts: Options) -> list[Command]:
    w = _pick(opts)
    f = p["scores"]
    return [
        _lc(w, "losscli_table", f"losscli `bce --top 0` → pipe ({w})", "bce", "--logits", f,
            "--top", "0", parse="table"),
        _lc(w, "losscli_csv", f"losscli `bce --format csv` → pipe ({w})", "bce", "--logits", f,
            "--format", "csv", parse="csv_loss"),
        _peer("np_loadtxt", "`np.loadtxt` script", "np_loadtxt.py", "bce", f),
    ]  # fmt: skip


def _parquet(p: dict[str, str], opts: Options) -> list[Command]:
    w = _pick(opts)
    f = p["scores"]
    cmds = [_lc(w, "serial", f"losscli `bce -q` serial engine ({w})", "bce", "--logits", f, "-q")]
    for n in opts.dask_workers:
        cmds.append(
            _lc(w, f"dask_{n}", f"losscli `--engine dask --workers {n}` ({w})", "bce", "--logits", f, "-q",
                "--engine", "dask", "--workers", str(n), tree_rss=True)
        )  # fmt: skip
    cmds.append(
        _peer("polars_lazy", "polars lazy (`scan_parquet`)", "polars_csv.py", "--mode", "lazy", "bce", f)
    )
    return cmds


_FAST = "≤ 1.0× best of polars lazy / DuckDB at ≤ 150 MiB"
_FAST_VS = ("polars_lazy", "duckdb")

CASES: tuple[Case, ...] = (
    Case(
        "startup_1k", "1k-row binary CSV (start-up cost)",
        gen.Input("startup_1k", "csv_binary", (1_000,), 1001),
        _csv("bce"), (), "np_loadtxt",
        note="every figure here is interpreter start-up and imports; no target",
    ),
    Case(
        "csv_bin_10m", "10M-row binary CSV", gen.Input("csv_bin_10m", "csv_binary", (10_000_000,), 1002),
        _csv("bce"),
        (
            Target("losscli_plain", "≤ 1.15× np.loadtxt at ≤ 150 MiB", ("np_loadtxt",), 1.15, 150),
            Target("losscli_fast", _FAST, _FAST_VS, 1.0, 150),
        ),
        "np_loadtxt",
    ),
    Case(
        "csv_mc_1m", "1M × 10 multiclass CSV",
        gen.Input("csv_mc_1m", "csv_multiclass", (1_000_000, 10), 1004),
        _csv("ce"), (Target("losscli_fast", _FAST, _FAST_VS, 1.0, 150),), "np_loadtxt",
    ),
    Case(
        "npy_wide_100k", "100k × 1,000 float32 logits `.npy` + labels",
        gen.Input("npy_wide_100k", "npy_multiclass", (100_000, 1000), 2001),
        _npy("ce"), (Target("losscli", "≤ 1.0× torch at ≤ 256 MiB", ("torch",), 1.0, 256),), "numpy",
    ),
    Case(
        "npy_wide_1m", "1M × 1,000 float32 logits `.npy` (4 GB) + labels",
        gen.Input("npy_wide_1m", "npy_multiclass", (1_000_000, 1000), 2002),
        _npy("ce"), (Target("losscli", "same flat peak: ≤ 256 MiB", max_mib=256),), "numpy", big=True,
    ),
    Case(
        "npy_bin_10m", "10M binary float32 logits `.npy` + int8 labels",
        gen.Input("npy_bin_10m", "npy_binary", (10_000_000,), 2003),
        _npy("bce"), (Target("losscli", "≤ 1.2× the NumPy script", ("numpy",), 1.2),), "numpy",
    ),
    Case(
        "npy_tokens", "(N, T, C) = 2,000 × 128 × 1,000 float16 token logits, ~37 % padding (-100)",
        gen.Input("npy_tokens", "npy_tokens", (2000, 128, 1000), 2004, "float16"),
        _npy("ce", "--ignore-index", "-100"),
        (Target("losscli", "runs (spec 0.2 n-d); mean = torch's"),), "numpy",
        note="no speed target in the issue; the ratio vs torch is the figure to watch",
    ),
    Case(
        "table_100k", "`--top 0` table of 100k rows to a pipe",
        gen.Input("table_100k", "csv_binary", (100_000,), 3001),
        _table, (Target("losscli_table", "≤ 3 s", max_s=3.0),), "np_loadtxt",
    ),
    Case(
        "parquet_10m_20", "10M binary rows as 20 Parquet files (serial vs Dask, local cluster)",
        gen.Input("parquet_10m_20", "parquet_binary", (10_000_000, 20), 4001),
        _parquet, (), "polars_lazy", needs_engine=True,
        note="Dask peak RSS is the sampled sum over the client and its worker processes",
    ),
)  # fmt: skip


def dask_targets(opts: Options) -> tuple[Target, ...]:
    """The engine-overhead target for the 2-worker run (issue 11), when it is run."""
    if 2 not in opts.dask_workers:
        return ()
    return (Target("dask_2", "≤ 1.5× the serial engine", ("serial",), 1.5),)


def select(keys: list[str] | tuple[str, ...], big: bool) -> list[Case]:
    """The cases named (all when none are), without the big ones unless ``big``."""
    known = {c.key for c in CASES}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if keys:
        return [c for c in CASES if c.key in keys]
    return [c for c in CASES if big or not c.big]


def targets_of(case: Case, opts: Options) -> tuple[Target, ...]:
    return case.targets + (dask_targets(opts) if case.key == "parquet_10m_20" else ())
