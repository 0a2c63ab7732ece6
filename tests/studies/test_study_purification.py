"""The purification study: what a fidelity target costs, with and without purification."""

from __future__ import annotations

import math

import pandas as pd

from qdcopt.studies.paper003 import purification as study


def _rows() -> pd.DataFrame:
    return pd.DataFrame([study.row(t) for t in study.tasks(quick=True)])


def test_chain_rows_follow_the_plain_swap_fidelity(tmp_path):
    rows = _rows()
    assert rows["valid"].all()
    chain = rows[rows["network"] == "chain"]
    # four links of 0.95 swap three times, each swap's two measured qubits dephasing at
    # 1000/s for 10 µs: (1 + 3·(14/15)^4·n³)/4 = 0.7753 with n = (1 − 4p/3)², p = 1 −
    # e^{−0.01}; 0.75 needs no purification
    noise = (1 - 4 * (1 - math.exp(-0.01)) / 3) ** 2
    low = chain[chain["target"] == 0.75]
    assert (low["purified_trees"] == 0).all()
    assert math.isclose(low["fidelity_min"].min(), (1 + 3 * (14 / 15) ** 4 * noise ** 3) / 4,
                        rel_tol=1e-9)
    for resources in ("attempts", "memories"):
        part = low[low["resources"] == resources]
        assert part["aggregate_rate"].nunique() == 1  # the same plan either way
    # 0.85 is out of reach without purification, and met with it
    high = chain[chain["target"] == 0.85]
    assert (high[~high["purification"]]["aggregate_rate"] == 0).all()
    served = high[high["purification"]]
    assert (served["aggregate_rate"] > 0).all() and (served["fidelity_min"] >= 0.85).all()
    # every Waxman plan meets its target wherever it serves
    wax = rows[(rows["network"] == "waxman") & (rows["served"] > 0)]
    assert (wax["fidelity_min"] >= wax["target"] - 1e-9).all()
    files = study.write(rows, tmp_path)
    assert [f.name for f in files] == ["purification.csv", "purification.png"]
    assert len(pd.read_csv(files[0])) == len(rows)
