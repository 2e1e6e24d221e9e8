"""The Dask engine's Poisson bootstrap interval next to the serial engine's exact bootstrap
interval, on the same rows (``--ci 0.95 --bootstrap 1000 --seed 12345``, both engines).

    python bench/poisson_ci.py --scheduler tcp://127.0.0.1:8786 [--out FILE]

Data sets are made here from a seeded generator, each as 4 CSV files (4 partitions).
Prints a Markdown table: n, the mean, both intervals, and how far the Poisson interval's
ends are from the exact one's, in units of the exact interval's width.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

LOSSCLI = [sys.executable, "-m", "losscli"]


def _write(folder: Path, header: str, rows: list[str], parts: int = 4) -> str:
    folder.mkdir(parents=True)
    for i, chunk in enumerate(np.array_split(np.array(rows, dtype=object), parts)):
        (folder / f"p{i}.csv").write_text(header + "\n" + "\n".join(chunk) + "\n")
    return str(folder / "*.csv")


def datasets(root: Path) -> list[tuple[str, list[str]]]:
    rng = np.random.default_rng(7)
    out = []
    for n in (1_000, 10_000, 100_000):
        x = rng.normal(0, 2, n)
        y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
        rows = [f"{a!r},{b}" for a, b in zip(x.tolist(), y.tolist(), strict=True)]
        out.append((f"bce, n={n:,}", ["bce", "--logits", _write(root / f"b{n}", "logit,label", rows)]))
    n = 20_000
    x = rng.normal(0, 1.5, (n, 5))
    y = rng.integers(0, 5, n)
    w = rng.exponential(1.0, n)
    rows = [
        ",".join(map(repr, r)) + f",{c},{v!r}"
        for r, c, v in zip(x.tolist(), y.tolist(), w.tolist(), strict=True)
    ]
    glob = _write(root / "ce", "a,b,c,d,e,label,w", rows)
    out.append(
        (f"ce, 5 classes, sample weights, n={n:,}", ["ce", "--logits", glob, "--sample-weight-col", "w"])
    )
    n = 5_000
    p = np.clip(rng.beta(0.3, 0.3, n), 1e-6, 1 - 1e-6)  # confident, often wrong: heavy tail
    y = rng.integers(0, 2, n)
    rows = [f"{a!r},{b}" for a, b in zip(p.tolist(), y.tolist(), strict=True)]
    out.append(
        (f"bce on probs, heavy-tailed, n={n:,}", ["bce", "--probs", _write(root / "h", "p,label", rows)])
    )
    return out


def ci(args: list[str]) -> dict:
    r = subprocess.run(
        [*LOSSCLI, *args, "--ci", "--format", "json"], capture_output=True, text=True, check=True
    )
    return json.loads(r.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheduler", required=True)
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = [
        "| data (4 partitions) | mean | exact bootstrap (serial) | Poisson bootstrap (dask) "
        "| Δlow, Δhigh (× width) |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in datasets(Path(tmp)):
            s = ci(args)
            d = ci([*args, "--engine", "dask", "--scheduler", a.scheduler])
            (sl, sh), (dl, dh) = s["ci"], d["ci"]
            width = sh - sl
            lines.append(
                f"| {name} | {s['mean']:.6f} | {sl:.6f} – {sh:.6f} | {dl:.6f} – {dh:.6f} | "
                f"{(dl - sl) / width:+.3f}, {(dh - sh) / width:+.3f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
