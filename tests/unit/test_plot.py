"""losscli.plot: files of each format, byte-stable output, and the errors users can hit."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from losscli import calibration, charts
from losscli.errors import LossInputError
from losscli.plot import write_plot

needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="the plot extra is not installed"
)

HEADERS = {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml", ".pdf": b"%PDF-"}


def _inputs() -> dict:
    rng = np.random.default_rng(5)
    p = rng.uniform(0.001, 0.999, size=2000)
    y = (rng.uniform(size=2000) < p).astype(np.int64)
    loss = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    loss[:3] = [150.0, 400.0, 900.0]  # a few huge losses (unclamped logits)
    edges, counts = charts.loss_histogram(loss, 20)
    acc = calibration.CalibrationAccumulator(15, "binary")
    acc.add_binary(p, y)
    per_class = [
        {"class": "0", "n": int((y == 0).sum()), "mean": float(loss[y == 0].mean())},
        {"class": "1", "n": int((y == 1).sum()), "mean": float(loss[y == 1].mean())},
        {"class": "never seen", "n": 0, "mean": None},
    ]
    return {
        "histogram": (edges, counts),
        "shares": charts.loss_shares(loss, edges),
        "note": charts.tail_note(loss),
        "reliability": acc.result(),
        "per_class": per_class,
    }


@needs_matplotlib
@pytest.mark.parametrize("ext", [".png", ".pdf"])
def test_each_format_has_its_header_and_a_plausible_size(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"plot{ext.upper() if ext == '.pdf' else ext}"  # the extension's case is free
    write_plot(out, **_inputs())
    data = out.read_bytes()
    assert data.startswith(HEADERS[ext])
    assert 10_000 < len(data) < 2_000_000


@needs_matplotlib
def test_svg_is_byte_stable(tmp_path: Path) -> None:
    # PNG and PDF are byte-stable too (no timestamps; checked by hand across processes),
    # but rendering is slow enough that only the format the spec pins is tested twice
    args = _inputs()
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    write_plot(a, **args)
    write_plot(b, **args)
    data = a.read_bytes()
    assert data.startswith(HEADERS[".svg"]) and b"<svg" in data and data.rstrip().endswith(b"</svg>")
    assert 10_000 < len(data) < 2_000_000
    assert data == b.read_bytes()
    assert b"<dc:date>" not in data
    only = tmp_path / "hist.svg"
    write_plot(only, histogram=args["histogram"])
    assert only.read_bytes() != data


def test_other_extensions_name_the_allowed_ones(tmp_path: Path) -> None:
    for name, tail in (("plot.jpg", "(.jpg)"), ("plot", "(no extension)")):
        with pytest.raises(LossInputError) as e:
            write_plot(tmp_path / name, histogram=(np.array([0.0, 1.0]), np.array([1])))
        msg = str(e.value)
        assert msg.startswith("--plot writes .png, .svg, .pdf files; got ") and msg.endswith(tail)


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(LossInputError, match=r"^--plot needs matplotlib: pip install 'losscli\[plot\]'$"):
        write_plot(tmp_path / "p.png", histogram=(np.array([0.0, 1.0]), np.array([1])))


@needs_matplotlib
def test_an_unwritable_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(LossInputError, match="cannot write --plot"):
        write_plot(tmp_path / "missing-dir" / "p.svg", histogram=(np.array([0.0, 1.0]), np.array([1])))


def test_losscli_charts_and_calibration_do_not_import_matplotlib() -> None:
    import subprocess

    code = "import sys, losscli.charts, losscli.calibration, losscli.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
