"""Every stochastic execution runs on the one engine: the link layer and the service."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import qdcopt
from qdcopt.engine import Simulator, Streams
from qdcopt.linklayer.events import EventLoop
from qdcopt.service.simulation.controller import _Service

ROOT = Path(__file__).resolve().parents[2]


ROOT_INSTANCES = Path(__file__).resolve().parents[2] / "instances"

def test_link_layer_loop_is_the_engine_with_its_streams():
    loop = EventLoop((7, 2))
    assert isinstance(loop, Simulator)
    assert np.array_equal(loop.rng("edge", 3).random(4), Streams((7, 2)).get("edge", 3).random(4))
    out: list[str] = []
    loop.schedule(1.0, out.append, "b")
    loop.after(0.5, out.append, "a")
    loop.run()
    assert out == ["a", "b"] and loop.events == 2 and loop.now == 1.0


def test_service_runs_on_the_engine_and_draws_from_the_root_stream():
    cfg = qdcopt.load_instance(ROOT / "instances" / "service" / "star6_cka.toml").config
    run = _Service(cfg)
    assert type(run.loop) is Simulator
    assert np.array_equal(run.rng.random(4), Streams(cfg.seed).root().random(4))


def test_simulate_is_the_same_from_python_and_for_every_family_hook():
    import qdcopt
    from qdcopt.families import family

    inst = qdcopt.load_instance(ROOT_INSTANCES / "linklayer" / "k2.toml")
    a = qdcopt.simulate(inst, method="esp", duration=1.0, seeds=2, seed=3).to_dict()
    b = family("linklayer").simulate(inst, method="esp", duration=1.0, seeds=2,
                                     seed=3).to_dict()
    def same(d):  # run times aside
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in d["runs"]]

    assert same(a) == same(b) and a["seeds"] == 2 and len(a["runs"]) == 2
    datacenter = qdcopt.load_instance(ROOT_INSTANCES / "default.toml")
    import pytest

    with pytest.raises(ValueError, match="no simulation"):
        qdcopt.simulate(datacenter)
