"""The event core: order, ties, cancellation, clock, trace, streams, statistics."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from qdcopt.engine import Simulator, Streams, mean_ci, quantile
from qdcopt.engine.streams import Buffered


def test_events_run_in_time_order_and_ties_in_scheduling_order():
    sim = Simulator()
    out: list[str] = []
    sim.at(2.0, out.append, "c")
    sim.at(1.0, out.append, "a")
    sim.at(2.0, out.append, "d")  # same time as "c", scheduled later: runs after it
    sim.at(1.5, out.append, "b")
    assert sim.run() == 4
    assert out == ["a", "b", "c", "d"]
    assert sim.now == 2.0


def test_events_scheduled_during_a_run_at_the_same_time_run_after_earlier_ones():
    sim = Simulator()
    out: list[str] = []

    def first() -> None:
        out.append("first")
        sim.after(0.0, out.append, "child")

    sim.at(1.0, first)
    sim.at(1.0, out.append, "sibling")
    sim.run()
    assert out == ["first", "sibling", "child"]


def test_cancelled_events_do_not_run():
    sim = Simulator()
    out: list[int] = []
    e = sim.at(1.0, out.append, 1)
    sim.at(2.0, out.append, 2)
    sim.cancel(e)
    sim.cancel(None)
    assert sim.run() == 1
    assert out == [2]


def test_run_until_stops_and_sets_the_clock():
    sim = Simulator()
    out: list[float] = []
    for t in (0.5, 1.0, 1.5, 3.0):
        sim.at(t, out.append, t)
    assert sim.run(until=1.0) == 2  # an event exactly at `until` runs
    assert sim.now == 1.0
    assert sim.run(until=2.0) == 1
    assert sim.now == 2.0  # closed at `until` even though the last event was at 1.5
    assert sim.peek() == 3.0


def test_scheduling_in_the_past_or_at_nan_is_refused():
    sim = Simulator()
    sim.at(1.0, lambda: None)
    sim.run()
    with pytest.raises(ValueError, match="before now"):
        sim.at(0.5, lambda: None)
    with pytest.raises(ValueError):
        sim.at(math.nan, lambda: None)


def test_trace_hook_sees_every_event_that_runs():
    seen: list[float] = []
    sim = Simulator(trace=lambda t, e: seen.append(t))
    sim.at(1.0, lambda: None)
    sim.cancel(sim.at(2.0, lambda: None))
    sim.at(3.0, lambda: None)
    sim.run()
    assert seen == [1.0, 3.0]


def test_max_events_guard():
    sim = Simulator()

    def again() -> None:
        sim.after(1.0, again)

    sim.at(0.0, again)
    assert sim.run(max_events=5) == 5
    assert sim.now == 4.0


def test_streams_depend_only_on_seed_and_purpose():
    a, b = Streams(3), Streams(3)
    a.get("other").random(100)  # drawing from another stream does not shift "links"
    assert np.array_equal(a.get("links").random(5), b.get("links").random(5))
    assert not np.array_equal(Streams(3).get("links").random(5),
                              Streams(4).get("links").random(5))
    assert not np.array_equal(Streams(3).get("links").random(5),
                              Streams(3).get("swaps").random(5))
    with pytest.raises(ValueError):
        Streams(-1)


def test_buffered_draws_follow_the_generator():
    gen = Streams(5).get("x")
    buf = Buffered(Streams(5).get("x"), block=8)
    want = gen.random(8).tolist() + gen.random(8).tolist()
    assert [buf.random() for _ in range(16)] == want
    e = Buffered(Streams(5).get("e"), block=4)
    got = [e.exponential() for _ in range(1000)]
    assert abs(np.mean(got) - 1.0) < 0.1


def test_mean_ci_hand_computed():
    # values 1, 2, 3: mean 2, s = 1, t_{0.975, 2} = 4.302653 -> half width 4.302653/sqrt(3)
    ci = mean_ci([1.0, 2.0, 3.0])
    assert ci.mean == pytest.approx(2.0)
    assert ci.half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert ci.contains(2.0) and not ci.contains(10.0)
    one = mean_ci([5.0])
    assert (one.low, one.high, one.n) == (5.0, 5.0, 1)
    assert math.isnan(mean_ci([]).mean)
    assert mean_ci([1.0, math.inf, 3.0]).n == 2


def test_quantile():
    assert quantile(range(101), 0.95) == pytest.approx(95.0)
    assert math.isnan(quantile([], 0.95))


def test_stop_ends_the_run_after_the_current_event():
    sim = Simulator()
    out: list[float] = []
    sim.at(1.0, out.append, 1.0)
    sim.at(2.0, sim.stop)
    sim.at(3.0, out.append, 3.0)
    assert sim.run(until=10.0) == 2
    assert sim.now == 2.0 and out == [1.0]
    sim.run(until=10.0)
    assert out == [1.0, 3.0] and sim.now == 10.0


def test_priority_orders_simultaneous_events_before_scheduling_order():
    sim = Simulator()
    out: list[str] = []
    sim.at(1.0, out.append, "boundary", priority=3)
    sim.at(1.0, out.append, "arrival", priority=2)
    sim.at(1.0, out.append, "end-a")  # priority 0, scheduled after the two above
    sim.at(0.5, out.append, "early", priority=9)  # time still comes first
    sim.after(1.0, out.append, "end-b")  # same priority as "end-a": scheduling order
    sim.run()
    assert out == ["early", "end-a", "end-b", "arrival", "boundary"]


def test_queued_lists_live_events_in_run_order_and_clear_drops_them():
    sim = Simulator()
    sim.at(2.0, print)
    sim.at(1.0, sorted, priority=1)
    sim.at(1.0, len)
    sim.cancel(sim.at(0.5, max))
    assert [e.fn for e in sim.queued()] == [len, sorted, print]
    sim.clear()
    assert sim.queued() == [] and sim.run() == 0 and sim.now == 0.0


def test_keyed_streams_tuple_seeds_and_the_root_stream():
    s = Streams(3)
    # the key extends the spawn key: (crc32(name), *key); no key is the plain purpose
    want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        3, spawn_key=(zlib.crc32(b"edge"), 4)))).random(3)
    assert np.array_equal(s.get("edge", 4).random(3), want)
    assert s.get("edge", 4) is s.get("edge", 4) and s.get("edge", 4) is not s.get("edge", 5)
    assert np.array_equal(Streams(3).get("edge").random(3),
                          np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                              3, spawn_key=(zlib.crc32(b"edge"),)))).random(3))
    pair = Streams((3, 1))
    assert pair.seed == (3, 1)
    assert np.array_equal(pair.get("edge", 4).random(3),
                          np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                              [3, 1], spawn_key=(zlib.crc32(b"edge"), 4)))).random(3))
    assert not np.array_equal(Streams((3, 1)).get("x").random(3),
                              Streams((3, 2)).get("x").random(3))
    # the root stream is the seed's own generator, what default_rng(seed) builds
    assert np.array_equal(Streams(11).root().random(4), np.random.default_rng(11).random(4))
    for bad in (1.5, (), (1, -2), "7", math.nan):
        with pytest.raises(ValueError):
            Streams(bad)
