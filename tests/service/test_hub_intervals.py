"""The hub's simulate reports Student-t intervals over its runs (none for one run)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import t as student_t

from qdcopt import load_instance
from qdcopt.service.hub.montecarlo import run_seeds, simulate_hub
from qdcopt.service.simulation.simulate import simulate

HUB = Path(__file__).resolve().parents[2] / "instances" / "service" / "modenhub.toml"


def test_hub_interval_is_student_t_over_the_runs():
    inst = load_instance(HUB)
    n = int(inst.sizes[0])
    frame = simulate(inst, seeds=3, seed=7, sizes=(n,)).frame
    row = frame.iloc[0]
    # the same runs by hand: the seeds simulate draws, the summary's success rate
    model = inst.model.with_(n_qpus=n)
    values = np.array([simulate_hub(model, row["strategy"], s).summary()["success_rate"]
                       for s in run_seeds(7, n, row["strategy"], 3)])
    half = student_t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    assert half > 0  # the runs differ, so the interval has a width to check
    assert row["success_rate"] == pytest.approx(values.mean())
    assert row["success_rate_ci95"] == pytest.approx(half)
    one = simulate(inst, seeds=1, seed=7, sizes=(n,)).frame.iloc[0]
    assert math.isnan(one["success_rate_ci95"])
