"""Every stochastic execution runs on the one engine: the link layer and the service."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import qdcopt
from qdcopt.engine import Simulator, Streams
from qdcopt.linklayer.events import EventLoop
from qdcopt.service.controller import _Service

ROOT = Path(__file__).resolve().parents[2]


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
