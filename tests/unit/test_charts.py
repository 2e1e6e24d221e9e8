"""losscli.charts: the loss histogram's binning rule, shares and the Mermaid block's syntax."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import charts

losses = st.lists(
    st.one_of(
        st.floats(0.0, 1e4, allow_nan=False),
        st.sampled_from([0.0, -0.0, 4.2e-18, 1000.0, math.nan, math.inf]),
    ),
    min_size=0,
    max_size=80,
)


@settings(max_examples=80, deadline=None)
@given(v=losses, bins=st.integers(1, 40))
def test_histogram_counts_every_finite_loss_once(v: list[float], bins: int) -> None:
    a = np.array(v, dtype=np.float64)
    edges, counts = charts.loss_histogram(a, bins)
    finite = a[np.isfinite(a)]
    assert counts.dtype == np.int64 and len(edges) == len(counts) + 1 and len(counts) <= bins
    assert int(counts.sum()) == len(finite)
    assert np.all(np.diff(edges) >= 0)
    if len(finite):
        assert edges[0] <= finite.min() and edges[-1] == finite.max()
        # an independent count: half-open bins, the last one closed
        for i, c in enumerate(counts):
            last = i == len(counts) - 1
            inside = (finite >= edges[i]) & ((finite <= edges[i + 1]) if last else (finite < edges[i + 1]))
            assert c == int(inside.sum())
        shares = charts.loss_shares(a, edges)
        assert shares.shape == counts.shape
        assert math.isclose(float(shares.sum()), 1.0, rel_tol=1e-12) or finite.sum() == 0


def test_heavy_tail_gets_its_own_bins_and_the_note_says_who_carries_the_mean() -> None:
    v = np.concatenate([np.full(990, 0.01), np.linspace(0.02, 0.5, 9), [1000.0]])
    edges, counts = charts.loss_histogram(v, 20)
    # log-spaced: the bulk is spread over several bins, the one huge loss is alone at the end
    assert counts[-1] == 1 and (counts[:-1] > 0).sum() >= 3
    ratios = edges[1:] / edges[:-1]
    assert np.allclose(ratios, ratios[0], rtol=1e-9)
    shares = charts.loss_shares(v, edges)
    assert shares[-1] > 0.98
    note = charts.tail_note(v)
    assert note.startswith("median 0.01 · p90 0.01 · p99 0.0101 · max 1e+03")
    assert note.endswith("top 1% of rows: 99% of the sum")


def test_zeros_get_a_floor_bin_and_tiny_losses_are_cut_at_six_decades() -> None:
    v = np.array([0.0, 0.0, 1e-30, 1e-3, 1.0, 10.0])
    edges, counts = charts.loss_histogram(v, 8)
    assert edges[0] == 0.0 and edges[1] == pytest.approx(10.0 * 1e-6) and edges[-1] == 10.0
    assert counts[0] == 3 and counts.sum() == 6 and len(counts) == 8


def test_degenerate_inputs() -> None:
    e, c = charts.loss_histogram(np.array([np.nan, np.inf]), 10)
    assert e.tolist() == [0.0] and c.tolist() == []
    assert charts.mermaid_xychart(e, c, "t") == "" and charts.tail_note(np.array([np.nan])) == ""
    e, c = charts.loss_histogram(np.zeros(4), 10)
    assert e.tolist() == [0.0, 0.0] and c.tolist() == [4]
    e, c = charts.loss_histogram(np.array([0.0, 2.0, 2.0]), 10)
    assert e.tolist() == [0.0, 2.0] and c.tolist() == [3]
    e, c = charts.loss_histogram(np.array([-1.0, 0.5, 2.0]), 3)  # negative: equal width
    assert e.tolist() == [-1.0, 0.0, 1.0, 2.0] and c.tolist() == [1, 1, 1]
    with pytest.raises(ValueError):
        charts.loss_histogram(np.ones(3), 0)


# ---------------------------------------------------------------------------------------
# Mermaid: the token rules of mermaid's xychart grammar (parser/xychart.jison)

NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
QUOTED = r'"[^"\n]*"'


def _check_xychart(block: str) -> tuple[list[str], list[float], list[float] | None]:
    lines = block.split("\n")
    assert lines[0] == "```mermaid" and lines[-2] == "```" and lines[-1] == ""
    body = lines[1:-2]
    assert body[0] == "xychart-beta"
    assert re.fullmatch(rf"    title {QUOTED}", body[1]) and "%%" not in body[1]
    m = re.fullmatch(rf"    x-axis {QUOTED} \[((?:{QUOTED}, )*{QUOTED})\]", body[2])
    assert m, body[2]
    cats = re.findall(QUOTED, m.group(1))
    assert re.fullmatch(rf"    y-axis {QUOTED} {NUMBER} --> {NUMBER}", body[3]), body[3]
    m = re.fullmatch(rf"    bar \[((?:{NUMBER}, )*{NUMBER})\]", body[4])
    assert m, body[4]
    bars = [float(x) for x in m.group(1).split(", ")]
    line = None
    if len(body) > 5:
        m = re.fullmatch(rf"    line \[((?:{NUMBER}, )*{NUMBER})\]", body[5])
        assert m and len(body) == 6, body[5:]
        line = [float(x) for x in m.group(1).split(", ")]
    return cats, bars, line


def test_mermaid_block_follows_the_xychart_grammar() -> None:
    v = np.concatenate([np.geomspace(1e-5, 3.0, 500), [250.0, 1000.0]])
    edges, counts = charts.loss_histogram(v, 12)
    shares = charts.loss_shares(v, edges)
    block = charts.mermaid_xychart(edges, counts, 'loss "bce" 100%% sure\nn=502', shares)
    cats, bars, line = _check_xychart(block)
    assert len(cats) == len(bars) == len(counts) == 12
    assert bars == counts.tolist()
    assert cats[0] == '"0–0.001"' and cats[-1].endswith('–1e+03"')
    assert line is not None and max(line) <= max(bars) + 0.05
    assert "title \"loss 'bce' 100% sure n=502\"" in block
    top = re.search(r"--> (\d+)", block)
    assert top and int(top.group(1)) == counts.max()


def test_mermaid_rejects_mismatched_input() -> None:
    with pytest.raises(ValueError):
        charts.mermaid_xychart(np.array([0.0, 1.0]), np.array([1, 2]), "t")
