"""The optional pyarrow CSV reader gives exactly what the NumPy reader gives.

Results must be identical (same arrays in, same float64 arithmetic out), and bad input must
produce the NumPy reader's message, line and column, through the rerun that follows any
failure on the fast path.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from losscli import pipeline, readers
from losscli.errors import LossInputError

pytest.importorskip("pyarrow")


def _req(path: str, command: str = "bce", **kw: object) -> pipeline.Request:
    return pipeline.Request(command=command, input="logits", score_path=path, keep_per_sample=True, **kw)  # type: ignore[arg-type]


def _both(req: pipeline.Request) -> tuple[pipeline.Result, pipeline.Result]:
    fast = pipeline.run(_with(req, reader="arrow"))
    slow = pipeline.run(_with(req, reader="numpy"))
    return fast, slow


def _with(req: pipeline.Request, **kw: object) -> pipeline.Request:
    from dataclasses import replace

    return replace(req, read_kwargs={**req.read_kwargs, **kw})


def _same(a: pipeline.Result, b: pipeline.Result) -> None:
    assert a.mode == b.mode and a.k == b.k
    assert a.summary.mean == b.summary.mean
    assert a.summary.sum == b.summary.sum
    assert a.summary.accuracy == b.summary.accuracy
    assert a.summary.n == b.summary.n
    assert a.per_sample is not None and b.per_sample is not None
    np.testing.assert_array_equal(a.per_sample, b.per_sample)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(5)


def test_binary_multilabel_multiclass_and_weights(tmp_path: Path, rng: np.random.Generator) -> None:
    n = 50_000  # several pyarrow batches, joined into chunks
    x = (rng.normal(size=(n, 3)) * 4).tolist()
    y = rng.integers(0, 2, size=(n, 3)).tolist()
    w = rng.random(n).tolist()
    path = tmp_path / "ml.csv"
    with path.open("w") as f:
        f.write("a,b,c,ya,yb,yc,w\n")
        for i in range(n):
            f.write(",".join(f"{v!r}" for v in x[i]) + "," + ",".join(map(str, y[i])) + f",{w[i]!r}\n")
    _same(*_both(_req(str(path), label_cols="4-6", weight_col="w")))
    names = np.array(["cat", "dog", "bird"])[rng.integers(0, 3, n)]
    mc = tmp_path / "mc.tsv"
    with mc.open("w") as f:
        f.write("cat\tdog\tbird\tlabel\n")
        f.writelines(f"{x[i][0]!r}\t{x[i][1]!r}\t{x[i][2]!r}\t{names[i]}\n" for i in range(n))
    fast, slow = _both(_req(str(mc), "ce"))
    _same(fast, slow)
    gz = tmp_path / "mc.tsv.gz"
    gz.write_bytes(gzip.compress(mc.read_bytes()))
    _same(pipeline.run(_with(_req(str(gz), "ce"), reader="arrow")), slow)


def test_fast_path_is_used_for_large_files_by_default(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("logit,label\n" + "0.5,1\n-0.25,0\n" * 10)
    src = readers.open_source(str(path), arrow_min_bytes=1)
    assert src.fast
    src.close()
    small = readers.open_source(str(path))
    assert not small.fast
    small.close()


@pytest.mark.parametrize(
    "body, where",
    [
        ("0.5,1\n0.25,0\nabc,1\n", "p.csv:4:1"),  # not a number
        ("0.5,1\n0.25\n", "p.csv:3"),  # ragged
        ("0.5,1\nnan,0\n", "p.csv:3:1"),  # NaN score
        ("0.5,1\n0.25,7\n", "p.csv:3:2"),  # label out of range for bce
        ("0.5,1\n,0\n", "p.csv:3:1"),  # empty field
    ],
)
def test_errors_name_the_same_line_and_column(tmp_path: Path, body: str, where: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text("logit,label\n" + body)
    messages = []
    for reader in ("arrow", "numpy"):
        with pytest.raises(LossInputError) as e:
            pipeline.run(_with(_req(str(path)), reader=reader))
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(str(path).replace("p.csv", where)), messages[0]


def test_spaces_and_plus_signs_fall_back_and_still_parse(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("logit,label\n +0.5 ,1\n-1e-3, 0\n")
    fast, slow = _both(_req(str(path)))
    _same(fast, slow)
