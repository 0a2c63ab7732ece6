"""The GHZ study: rate against the number of parties, stars and trees of fusions."""

from __future__ import annotations

import math

import pandas as pd

from qdcopt.network.ghz.model import expected_max, star_fidelity
from qdcopt.network.physics import link_model
from qdcopt.network.purification import operation_factor
from qdcopt.network.resources import slot_link_rate
from qdcopt.network.runtime.fidelity import werner
from qdcopt.studies.paper003 import ghz as study


def test_quick_rows_are_valid_and_the_hub_star_is_hand_checkable(tmp_path):
    rows = pd.DataFrame([study.row(t) for t in study.tasks(quick=True)])
    assert rows["valid"].all()
    assert len(rows) == 2 * 2 * 3
    star = rows[rows["network"] == "star"].set_index(["parties", "shape"])
    # all leaves alike: one copy is q_f / (H_k · T + t_s + 10 km / c), T = 1 / g with g
    # the 10-km link's per-memory rate
    inst = study.hub_star()
    g = float(slot_link_rate(inst, link_model(inst))[0])
    extra = 10e-6 + 10.0 / 2e5
    for k, copies in ((3, 2), (5, 1)):  # the hub's 8 memories hold two copies up to k = 4
        one = 0.4 / (expected_max([1 / g] * k) + extra)
        assert math.isclose(star.loc[(k, "both"), "planned_rate"], copies * one, rel_tol=1e-9)
        assert star.loc[(k, "both"), "copies"] == copies
        # each branch's qubit at the hub dephases for the fusion's 10 µs at 1000/s
        w = werner(study.LINK_FIDELITY) * operation_factor(1000.0, 10e-6)
        planned = star.loc[(k, "both"), "planned_fidelity"]
        assert math.isclose(planned, star_fidelity([w] * k, False), rel_tol=1e-12)
        assert math.isclose(star.loc[(k, "both"), "delivered_fidelity_no_decay"], planned,
                            rel_tol=1e-9)
    both = rows[rows["shape"] == "both"]
    assert (both["planned_rate"] >= rows[rows["shape"] != "both"].groupby(
        ["network", "parties"])["planned_rate"].max().reindex(
        list(zip(both["network"], both["parties"], strict=True))).to_numpy() - 1e-9).all()
    assert (both["delivered_rate"] > 0).all()
    files = study.write(rows, tmp_path)
    assert [f.name for f in files] == ["ghz.csv", "ghz.png"]
