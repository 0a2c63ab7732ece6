"""Family-C pictures: generation windows per link and latency per request."""

from __future__ import annotations

import numpy as np
import pytest

import qdcopt
from qdcopt.plotting import subplots
from qdcopt.plotting.figures import find
from qdcopt.plotting.linklayer import attempt_windows, latencies, latency


def test_one_bar_per_generation_on_its_links_row(linklayer_star):
    inst, plan = linklayer_star
    ax = attempt_windows(inst, plan)
    bars = find(ax, "generating").get_paths()
    assert len(bars) == len(plan.executions) == 22
    assert len(find(ax, "waiting").get_paths()) == len(plan.executions)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{inst.nodes[u]}–{inst.nodes[v]}" for u, v in inst.edges]
    scale = 1e-3  # the plan spans about 0.5 s: ms
    assert ax.get_xlabel() == "time (ms)"
    for bar, x in zip(bars, plan.executions, strict=True):
        row = labels[round(float(bar.vertices[:, 1].mean()))]
        assert set(row.split("–")) == {x.u, x.v}
        assert bar.vertices[:, 0].min() == pytest.approx(x.start / scale)
        assert bar.vertices[:, 0].max() == pytest.approx(x.finish / scale)


def test_latency_points_and_their_mean_is_the_validators_objective(linklayer_star):
    inst, plan = linklayer_star
    _, ax = subplots()
    assert latency(inst, plan, ax=ax) is ax
    points = find(ax, "latency").get_offsets()
    assert len(points) == len(plan.executions)
    mean = find(ax, "mean").get_ydata()[0]
    assert mean == pytest.approx(qdcopt.validate(inst, plan).objective)
    _, lat = latencies(inst, plan)
    assert np.allclose(np.sort(points[:, 1]), np.sort(lat * 1e3))
