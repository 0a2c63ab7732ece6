"""Family-B pictures: the network with its trees, and delivered beside promised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

import qdcopt
from qdcopt.plotting import subplots
from qdcopt.plotting.figures import find
from qdcopt.plotting.network import delivery, network, positions, route

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


def test_one_line_per_tree_along_its_route_coloured_by_rate(network_diamond):
    inst, plan = network_diamond
    ax = network(inst, plan)
    trees = find(ax, "trees")
    assert len(trees.get_paths()) == len(plan.trees) == 2
    assert np.allclose(trees.get_array(), [t.rate for t in plan.trees])
    assert len(find(ax, "links").get_paths()) == len(inst.links)
    assert len(find(ax, "nodes").get_offsets()) == len(inst.nodes)
    pos, unit = positions(inst)
    assert unit == "km"
    assert sorted(route(t)[1] for t in plan.trees) == ["B", "C"]
    for path, tree in zip(trees.get_paths(), plan.trees, strict=True):
        want = np.array([pos[n] for n in route(tree)])
        # drawn through the route's nodes, shifted sideways by at most 1 % of the network
        assert np.abs(path.vertices - want).max() <= 0.011 * 20 + 1e-9


def test_graph_files_are_drawn_at_their_latitude_and_longitude():
    inst = qdcopt.load_instance(INSTANCES / "network" / "abilene.gml",
                                requests="New York-Los Angeles")
    pos, unit = positions(inst)
    assert unit == "degrees"
    lon, lat = pos["New York"]
    assert -75 < lon < -73 and 40 < lat < 41.5


def test_delivered_beside_promised_from_a_simulation(network_diamond):
    inst, plan = network_diamond
    run = qdcopt.simulate(inst, plan=plan, duration=1.0, seeds=2)
    frame = run.to_frame()
    _, ax = subplots()
    assert delivery(run, ax=ax) is ax
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == ["promised", "delivered"]
    rows = frame[frame["request"] != "total"]
    assert [b.get_height() for b in bars[0]] == pytest.approx(list(rows["promised_rate"]))
    assert [b.get_height() for b in bars[1]] == pytest.approx(list(rows["delivered_rate"]))


def test_delivery_takes_a_table_too():
    table = pd.DataFrame({"request": ["r1", "r2", "total"], "promised_rate": [2.0, 3.0, 5.0],
                          "delivered_rate": [1.0, 3.5, 4.5]})
    ax = delivery(table)
    assert len(ax.containers[0]) == 2  # the total row is left out
    assert ax.containers[0].get_label() == "promised"
