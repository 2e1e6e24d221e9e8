"""Parquet (list columns), Arrow IPC, globs of shards and compressed files give PyTorch's
numbers: the committed reference cases (tests/fixtures/reference.json, torch 2.13), written
in each format and read back through the CLI."""

from __future__ import annotations

import bz2
import json
import lzma
import math
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

CASES = [
    c
    for c in json.loads((FIXTURES / "reference.json").read_text())["cases"]
    if c["convention"] == "torch" and not c["options"] and c["input"] == "logits" and len(c["labels"]) >= 3
]
CE = [c for c in CASES if c["loss"] == "ce" and not isinstance(c["labels"][0], list)][:4]
BCE = [c for c in CASES if c["loss"] == "bce"][:4]


def _check(out: dict, case: dict) -> None:
    want = case["expected"]
    assert all(
        math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-15)
        for g, w in zip(out["per_sample"], want["per_sample"], strict=True)
    )
    assert math.isclose(out["mean"], want["mean"], rel_tol=1e-9)


def _table(case: dict) -> object:
    scores = [list(row) if isinstance(row, list) else [row] for row in case["scores"]]
    labels = case["labels"]
    if case["loss"] == "ce":
        return pa.table({"logits": pa.array(scores, pa.list_(pa.float64())), "label": labels})
    return pa.table(
        {
            "logits": pa.array(scores, pa.list_(pa.float64())),
            "labels": pa.array(labels, pa.list_(pa.float64())),
        }
    )


@pytest.mark.parametrize("case", CE + BCE, ids=[c["id"] for c in CE + BCE])
@pytest.mark.parametrize("fmt", ["parquet", "feather"])
def test_list_columns_in_parquet_and_arrow(case: dict, fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"p.{fmt}"
    (pq.write_table if fmt == "parquet" else feather.write_feather)(_table(case), str(path))
    args = [case["loss"], "--logits", str(path)]
    if case["loss"] == "bce":
        args += ["--label-col", ",".join(f"labels[{j}]" for j in range(len(case["scores"][0])))]
    r = run(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    _check(json.loads(r.stdout), case)


def _csv_rows(case: dict) -> list[str]:
    k = len(case["scores"][0])
    head = (
        ",".join(f"s{j}" for j in range(k))
        + ","
        + ("label" if case["loss"] == "ce" else ",".join(f"y{j}" for j in range(k)))
    )
    rows = []
    for s, y in zip(case["scores"], case["labels"], strict=True):
        ys = [y] if not isinstance(y, list) else y
        rows.append(",".join(repr(float(v)) for v in s) + "," + ",".join(str(v) for v in ys))
    return [head, *rows]


@pytest.mark.parametrize("case", CE + BCE, ids=[c["id"] for c in CE + BCE])
def test_a_glob_of_shards_is_one_data_set(case: dict, tmp_path: Path) -> None:
    head, *rows = _csv_rows(case)
    cut = [0, 1, max(2, len(rows) // 2), len(rows)]
    for i in range(3):
        (tmp_path / f"part-{i}.csv").write_text("\n".join([head, *rows[cut[i] : cut[i + 1]]]) + "\n")
    k = len(case["scores"][0])
    args = [case["loss"], "--logits", str(tmp_path / "part-*.csv")]
    if case["loss"] == "bce":
        args += ["--label-col", f"{k + 1}-{2 * k}"]
    r = run(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    _check(json.loads(r.stdout), case)


@pytest.mark.parametrize("ext", [".bz2", ".xz"])
def test_compressed_csv(ext: str, tmp_path: Path) -> None:
    case = CE[0]
    data = ("\n".join(_csv_rows(case)) + "\n").encode()
    path = tmp_path / f"p.csv{ext}"
    path.write_bytes(bz2.compress(data) if ext == ".bz2" else lzma.compress(data))
    r = run("ce", "--logits", str(path), "--format", "json")
    assert r.exit_code == 0, r.stderr
    _check(json.loads(r.stdout), case)
