"""Every engine gives the serial engine's result: the Dask engine on a cluster of 2 worker
processes (``$DASK_SCHEDULER_ADDRESS`` when set, else a LocalCluster started here).

The reference is the serial engine on the same rows as one file; the data are made here
from a seeded generator. Globs, blocks of a large CSV file, Parquet, file:// URLs, part
files, bad data, an unreachable scheduler, a killed worker and the Poisson bootstrap.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import assert_input_error, run

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

from losscli.compare import StatsOptions  # noqa: E402
from losscli.engines import dask as dask_engine  # noqa: E402
from losscli.engines.dask_tasks import partition_task  # noqa: E402
from losscli.options import Request  # noqa: E402


@pytest.fixture(scope="session")
def scheduler():
    """The address of a running scheduler with two single-threaded worker processes."""
    address = os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        yield address
        return
    with warnings.catch_warnings():  # "port 8787 in use": the HTTP server takes another port
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
        )
    with cluster:
        yield cluster.scheduler_address


def _rows(kind: str, n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """A header and n rows of data of one kind (binary, multiclass, multilabel)."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 3.0, n).tolist()
    if kind == "binary":
        x, y = rng.normal(0, 2, n).tolist(), rng.integers(0, 2, n).tolist()
        return ["logit", "label", "w"], [[repr(a), str(b), repr(c)] for a, b, c in zip(x, y, w, strict=True)]
    if kind == "multiclass":
        yy = rng.integers(0, 3, n)
        yy[rng.random(n) < 0.1] = -100
        x, y = rng.normal(0, 2, (n, 3)).tolist(), yy.tolist()
        return ["a", "b", "c", "label", "w"], [
            [*map(repr, r), str(b), repr(c)] for r, b, c in zip(x, y, w, strict=True)
        ]
    x, y = rng.normal(0, 2, (n, 2)).tolist(), rng.integers(0, 2, (n, 2)).tolist()
    return ["s0", "s1", "y0", "y1", "w"], [
        [*map(repr, r), *map(str, t), repr(c)] for r, t, c in zip(x, y, w, strict=True)
    ]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> str:
    path.write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return str(path)


def _split(tmp: Path, name: str, header: list[str], rows: list[list[str]], parts: int) -> tuple[str, str]:
    """The rows as one file and as ``parts`` files: (whole path, glob)."""
    whole = _csv(tmp / f"{name}.csv", header, rows)
    (tmp / name).mkdir()
    cuts = np.linspace(0, len(rows), parts + 1).astype(int)
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        _csv(tmp / name / f"part-{i}.csv", header, rows[a:b])
    return whole, str(tmp / name / "part-*.csv")


def _json(*args: str, env: dict[str, str] | None = None) -> dict:
    old = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        r = run(*args, "--format", "json")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def _assert_same(serial: dict, dask: dict) -> None:
    """n and counts exactly, sums and means to 1e-15 relative, everything else equal."""
    assert dask.pop("engine") == "dask" and dask.pop("partitions") >= 1
    serial.pop("per_sample", None)
    serial.pop("perplexity", None), dask.pop("perplexity", None)
    assert set(serial) == set(dask)
    for key, v in serial.items():
        _close(v, dask[key], key)


def _close(a: object, b: object, key: str) -> None:
    if isinstance(a, float) and isinstance(b, float):
        # per-class figures are NumPy sums of the chunks' sums (not fsum): a few ulps
        rel = 1e-13 if key.startswith("per_class") else 1e-15
        assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-300), (key, a, b)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), key
        for x, y in zip(a, b, strict=True):
            _close(x, y, key)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), key
        for k in a:
            _close(a[k], b[k], f"{key}.{k}")
    else:
        assert a == b, (key, a, b)


SCORES = {"binary": "logit", "multiclass": "a-c", "multilabel": "s0,s1"}
CASES = [
    ("bce", "binary", "--logits", []),
    ("bce", "binary", "--logits", ["--sample-weight-col", "w", "--pos-weight", "2"]),
    ("bce", "binary", "--probs", ["--convention", "sklearn"]),
    ("focal", "binary", "--logits", ["--gamma", "1.5", "--convention", "keras"]),
    ("ce", "multiclass", "--logits", ["--ignore-index", "-100", "--sample-weight-col", "w", "--per-class"]),
    (
        "ce",
        "multiclass",
        "--logits",
        ["--ignore-index", "-100", "--label-smoothing", "0.1", "--convention", "keras"],
    ),
    ("ce", "multiclass", "--logits", ["--ignore-index", "-100", "--weight", "1,2,0.5"]),
    ("bce", "multilabel", "--logits", ["--label-col", "y0,y1", "--per-class", "--sample-weight-col", "w"]),
    ("auto", "binary", "--logits", ["--sample-weight-col", "w"]),
]


@pytest.mark.parametrize(("command", "kind", "flag", "opts"), CASES)
def test_dask_equals_serial_on_a_glob_and_on_blocks(tmp_path, scheduler, command, kind, flag, opts):
    header, rows = _rows(kind, 3000, seed=len(opts) + len(command))
    opts = [*opts, "--score-cols", SCORES[kind]]
    if flag == "--probs":
        rows = [[repr(1 / (1 + math.exp(-float(r[0])))), *r[1:]] for r in rows]
    whole, pattern = _split(tmp_path, "p", header, rows, 3)
    serial = _json(command, flag, whole, *opts)
    dask = _json(command, flag, pattern, *opts, "--engine", "dask", "--scheduler", scheduler)
    assert dask["partitions"] == 3
    _assert_same(dict(serial), dask)
    blocks = _json(
        command,
        flag,
        whole,
        *opts,
        "--engine",
        "dask",
        "--scheduler",
        scheduler,
        env={"LOSSCLI_DASK_BLOCK_BYTES": "9000"},
    )
    assert blocks["partitions"] > 5
    _assert_same(dict(serial), blocks)


def test_parquet_glob_and_file_url(tmp_path, scheduler):
    header, rows = _rows("multiclass", 2000, seed=3)
    whole, _ = _split(tmp_path, "c", header, rows, 2)
    (tmp_path / "pq").mkdir()
    arr = np.array(rows, dtype=float)
    for i, (a, b) in enumerate([(0, 700), (700, 1300), (1300, 2000)]):
        t = pa.table(
            {h: arr[a:b, j] if h != "label" else arr[a:b, j].astype(np.int64) for j, h in enumerate(header)}
        )
        pq.write_table(t, tmp_path / "pq" / f"part-{i}.parquet", row_group_size=256)
    opts = ["--ignore-index", "-100", "--sample-weight-col", "w", "--score-cols", "a-c"]
    serial = _json("ce", "--logits", whole, *opts)
    glob = str(tmp_path / "pq" / "*.parquet")
    dask = _json("ce", "--logits", glob, *opts, "--engine", "dask", "--scheduler", scheduler)
    assert dask["partitions"] == 3
    _assert_same(dict(serial), dask)
    url = _json("ce", "--logits", "file://" + glob, *opts, "--engine", "dask", "--scheduler", scheduler)
    _assert_same(dict(serial), url)


def test_baseline_and_gates_work_the_same(tmp_path, scheduler):
    header, rows = _rows("binary", 4000, seed=5)
    good = [[repr((2 * int(r[1]) - 1) * abs(float(r[0]))), *r[1:]] for r in rows]
    whole, pattern = _split(tmp_path, "new", header, rows, 2)
    base_whole, base_pattern = _split(tmp_path, "base", header, good, 4)  # split differently
    common = ["--score-cols", "logit", "--fail-if-worse", "--fail-above", "0.1", "--format", "json"]
    s = run("bce", "--logits", whole, "--baseline", base_whole, *common)
    d = run(
        "bce",
        "--logits",
        pattern,
        "--baseline",
        base_pattern,
        *common,
        "--engine",
        "dask",
        "--scheduler",
        scheduler,
    )
    assert s.exit_code == d.exit_code == 1
    sj, dj = json.loads(s.stdout), json.loads(d.stdout)
    assert sj["baseline"]["verdict"] == dj["baseline"]["verdict"] == "worse"
    assert math.isclose(sj["baseline"]["mean"], dj["baseline"]["mean"], rel_tol=1e-15)
    assert math.isclose(sj["mean"], dj["mean"], rel_tol=1e-15)
    assert "bootstrap:poisson" in dj["signature"]
    assert [ln.split(":")[0] for ln in s.stderr.splitlines()] == [
        ln.split(":")[0] for ln in d.stderr.splitlines()
    ]


def test_bad_data_in_one_partition_gives_the_serial_error(tmp_path, scheduler):
    header, rows = _rows("binary", 600, seed=7)
    rows[450][0] = "oops"
    whole, _ = _split(tmp_path, "b", header, rows, 2)
    serial = assert_input_error(run("bce", "--logits", whole, "-q", "--score-cols", "1"), f"{whole}:452:1")
    os.environ["LOSSCLI_DASK_BLOCK_BYTES"] = "5000"
    try:
        dask = assert_input_error(
            run(
                "bce",
                "--logits",
                whole,
                "-q",
                "--score-cols",
                "1",
                "--engine",
                "dask",
                "--scheduler",
                scheduler,
            )
        )
    finally:
        del os.environ["LOSSCLI_DASK_BLOCK_BYTES"]
    assert dask == serial
    second = str(tmp_path / "b" / "part-1.csv")  # rows 300.. : row 450 is its line 152
    glob = assert_input_error(
        run(
            "bce",
            "--logits",
            str(tmp_path / "b" / "*.csv"),
            "-q",
            "--score-cols",
            "1",
            "--engine",
            "dask",
            "--scheduler",
            scheduler,
        )
    )
    assert glob == serial.replace(f"{whole}:452", f"{second}:152")
    serial_glob = run("bce", "--logits", str(tmp_path / "b" / "*.csv"), "-q", "--score-cols", "1")
    assert assert_input_error(serial_glob) == glob


def test_unreachable_scheduler_is_one_error_line(monkeypatch):
    monkeypatch.setenv("LOSSCLI_DASK_TIMEOUT", "1")
    r = run(
        "bce", "--logits", "samples/binary_logits.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert_input_error(r, "cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s")


def test_part_files_equal_the_serial_rows(tmp_path, scheduler):
    header, rows = _rows("multiclass", 1500, seed=9)
    whole, pattern = _split(tmp_path, "m", header, rows, 3)
    for fmt in ("csv", "jsonl"):
        serial = run(
            "ce", "--logits", whole, "--score-cols", "a-c", "--ignore-index", "-100", "--format", fmt
        )
        out = tmp_path / f"out-{fmt}"
        r = run(
            "ce",
            "--logits",
            pattern,
            "--score-cols",
            "a-c",
            "--ignore-index",
            "-100",
            "--format",
            fmt,
            "--engine",
            "dask",
            "--scheduler",
            scheduler,
            "-o",
            f"{out}/",
        )
        assert r.exit_code == 0, r.stderr
        names = sorted(os.listdir(out))
        assert names == [f"part-{i:05d}.{fmt}" for i in range(3)]
        texts = [(out / n).read_text() for n in names]
        if fmt == "csv":
            assert all(t.startswith("index,label,prediction,loss\n") for t in texts)
            texts = [texts[0]] + [t.split("\n", 1)[1] for t in texts[1:]]
        assert "".join(texts) == serial.stdout
    r = run("ce", "--logits", pattern, "--format", "csv", "--engine", "dask", "--scheduler", scheduler)
    assert_input_error(r, "--format csv under --engine dask writes one part file per partition: give -o DIR/")


def test_poisson_ci_is_reproducible_and_close_to_the_exact_one(tmp_path, scheduler):
    header, rows = _rows("binary", 5000, seed=11)
    whole, pattern = _split(tmp_path, "ci", header, rows, 4)
    args = (
        "bce",
        "--logits",
        pattern,
        "--score-cols",
        "1",
        "--ci",
        "--engine",
        "dask",
        "--scheduler",
        scheduler,
    )
    a, b = _json(*args), _json(*args)
    assert a["ci"] == b["ci"] and a["bootstrap_method"] == "poisson"
    assert "|ci:0.95|bootstrap:poisson|resamples:1000|seed:12345|" in a["signature"]
    assert a["ci"] != _json(*args, "--seed", "7")["ci"]
    exact = _json("bce", "--logits", whole, "--score-cols", "1", "--ci")
    width = exact["ci"][1] - exact["ci"][0]
    assert a["ci"][0] < a["mean"] < a["ci"][1]
    assert abs(a["ci"][0] - exact["ci"][0]) < 0.15 * width and abs(a["ci"][1] - exact["ci"][1]) < 0.15 * width


def test_a_worker_killed_mid_run_is_retried_and_the_result_is_exact(tmp_path, scheduler):
    def _slow_task(job, index, pieces):  # a local function: sent by value, workers cannot import tests
        time.sleep(0.6)
        return partition_task(job, index, pieces)

    header, rows = _rows("binary", 2000, seed=13)
    whole, pattern = _split(tmp_path, "k", header, rows, 8)
    req = Request(command="bce", input="logits", score_path=pattern, score_cols="1", top=None)
    out: dict = {}

    def work() -> None:
        out["res"] = dask_engine.run(
            req, dask_engine.Settings(scheduler=scheduler), StatsOptions(None), task=_slow_task
        )

    with distributed.Client(scheduler, set_as_default=False) as c:
        t = threading.Thread(target=work)
        t.start()
        deadline = time.monotonic() + 20
        while not any(c.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = next(addr for addr, tasks in c.processing().items() if tasks)
        pid = c.run(os.getpid, workers=[busy])[busy]
        os.kill(pid, signal.SIGKILL)
        t.join(60)
        c.wait_for_workers(2, timeout=30)
    serial = _json("bce", "--logits", whole, "--score-cols", "1")
    res = out["res"]
    assert res.summary.n == serial["n"] and math.isclose(res.summary.mean, serial["mean"], rel_tol=1e-15)


def test_a_local_cluster_leaves_no_process_behind(monkeypatch):
    psutil = pytest.importorskip("psutil")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    r = run("bce", "--logits", "samples/binary_logits.csv", "-q", "--engine", "dask", "--workers", "1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == run("bce", "--logits", "samples/binary_logits.csv", "-q").stdout.strip()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # multiprocessing's resource tracker lives as long as this (test) process, not the run
        left = {
            p.pid
            for p in psutil.Process().children(recursive=True)
            if p.is_running() and "resource_tracker" not in " ".join(p.cmdline())
        } - before
        if not left:
            break
        time.sleep(0.2)
    assert not left


def test_a_cancelled_run_is_an_input_error_not_a_partial_mean(tmp_path, scheduler):
    def _slow_task(job, index, pieces):  # sent by value
        time.sleep(0.5)
        return partition_task(job, index, pieces)

    header, rows = _rows("binary", 1000, seed=17)
    _, pattern = _split(tmp_path, "x", header, rows, 6)
    req = Request(command="bce", input="logits", score_path=pattern, score_cols="1", top=None)
    out: dict = {}

    def work() -> None:
        try:
            dask_engine.run(req, dask_engine.Settings(scheduler=scheduler), task=_slow_task)
        except Exception as e:  # the error the CLI would print
            out["error"] = e

    with distributed.Client(scheduler, set_as_default=False) as c:
        t = threading.Thread(target=work)
        t.start()
        deadline = time.monotonic() + 20
        while not any(c.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        keys = [k for tasks in c.processing().values() for k in tasks]
        c.cancel([distributed.Future(k, client=c) for k in keys], force=True)
        t.join(60)
    err = out["error"]
    assert type(err).__name__ == "LossInputError"
    assert "the Dask run did not finish" in str(err) and "no result" in str(err)
