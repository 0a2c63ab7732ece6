"""Each protocol message handled in the states the protocol allows (one test per transition).

ESP runs on K3 (A=0, B=1, C=2); messages are delivered by running the event loop, or
handed to a handler directly to put a node in the state under test.
"""

from __future__ import annotations

import pytest
from ll_traces import small

from qdcopt.linklayer.protocols import DQPRun, ESPRun, Request
from qdcopt.linklayer.protocols import esp as E

D = 1e-5


def _run(cls=ESPRun):
    return cls(small("complete", n=3), log=True)


def _req(run, rid, a, b, created=0.0, duration=1e-3):
    e = run.instance.edge_index[(min(a, b), max(a, b))]
    r = Request(rid, e, a, b, 1, 1, created, duration)
    run.requests.append(r)
    return r


def _pending(run):
    return sorted(e.fn.__name__ for e in run.loop.queued())


def _syn(run, a, b, rid=0, created=0.0):
    """Node a sends SYN for a new request to b (through Algorithm 1)."""
    r = _req(run, rid, a, b, created)
    run.on_arrival(r)
    return r


def test_idle_poll_sends_syn():
    run = _run()
    r = _syn(run, 0, 1)
    a = run.nodes[0]
    assert a.state == E.SYN_SENT and a.s_sent is r and _pending(run) == ["on_syn"]


def test_full_handshake_states_in_order():
    run = _run()
    r = _syn(run, 0, 1)
    a, b = run.nodes[0], run.nodes[1]
    run.loop.run(D)
    assert b.state == E.SYN_RECEIVED and b.lock is r
    run.loop.run(2 * D)
    assert a.state == E.READY and a.lock is r and list(a.q_ready) == [r]
    run.loop.run(3 * D)
    assert a.state == b.state == E.BUSY and r.pl_start == pytest.approx(3 * D)
    run.loop.run()
    assert a.state == b.state == E.IDLE and a.lock is None and b.lock is None
    assert [m for _, _, m, _, _ in run.transitions] == ["poll", "SYN", "SYNACK", "ACK",
                                                        "t_min", "t_min", "done", "done"]


def test_syn_in_syn_sent_earlier_request_is_accepted():
    run = _run()
    _syn(run, 1, 2, rid=1, created=0.5)       # B waits for C's answer
    r0 = _req(run, 0, 0, 1, created=0.0)      # an earlier request of A reaches B
    run.on_syn(run.nodes[1], r0)
    assert run.nodes[1].state == E.SYN_RECEIVED and run.nodes[1].lock is r0


def test_syn_in_syn_sent_later_request_is_rejected_and_wake_queued():
    run = _run()
    _syn(run, 1, 2, rid=1, created=0.0)
    r0 = _req(run, 0, 0, 1, created=0.5)
    run.on_syn(run.nodes[1], r0)
    b = run.nodes[1]
    assert b.state == E.SYN_SENT and "on_synrej" in _pending(run)
    assert [(k, item) for _, k, item in b.q_main] == [(E.WAKE, 0)]


@pytest.mark.parametrize("state", [E.SYN_RECEIVED, E.READY, E.BUSY])
def test_syn_to_busy_node_is_rejected_once_per_initiator(state):
    run = _run()
    b = run.nodes[1]
    b.state = state
    r0, r1 = _req(run, 0, 0, 1), _req(run, 1, 0, 1, created=1e-3)
    run.on_syn(b, r0)
    run.on_syn(b, r1)
    assert _pending(run) == ["on_synrej", "on_synrej"]
    assert [item for _, k, item in b.q_main if k == E.WAKE] == [0]


def test_wake_sent_accepts_the_woken_node_and_rejects_others():
    run = _run()
    b = run.nodes[1]
    b.state, b.s_wake = E.WAKE_SENT, 0
    other = _req(run, 0, 2, 1)
    run.on_syn(b, other)
    assert b.state == E.WAKE_SENT and _pending(run) == ["on_synrej"]
    woken = _req(run, 1, 0, 1)
    run.on_syn(b, woken)
    assert b.state == E.SYN_RECEIVED and b.lock is woken


def test_synack_in_syn_sent_gives_ready_and_ack():
    run = _run()
    r = _syn(run, 0, 1)
    run.loop.clear()
    run.on_synack(run.nodes[0], r)
    assert run.nodes[0].state == E.READY and _pending(run) == ["_execute", "on_ack"]


def test_synack_after_lock_taken_gives_nack_and_requeue_with_same_number():
    run = _run()
    r = _syn(run, 0, 1)
    a = run.nodes[0]
    number = a.numbers[r.id]
    run.loop.clear()
    run.on_syn(a, _req(run, 5, 2, 0, created=-1.0))   # an earlier SYN from C takes A
    assert a.state == E.SYN_RECEIVED
    run.loop.clear()
    run.on_synack(a, r)
    assert a.state == E.SYN_RECEIVED and _pending(run) == ["on_nack"]
    assert (number, E.ACTIVE, r) in a.q_main


def test_synrej_in_syn_sent_puts_request_to_sleep_and_frees_node():
    run = _run()
    r = _syn(run, 0, 1)
    run.on_synrej(run.nodes[0], r)
    a = run.nodes[0]
    assert a.state == E.IDLE and a.s_sleep == {1: [r]} and a.s_sent is None


def test_synrej_when_node_moved_on_sleeps_without_state_change():
    run = _run()
    r = _syn(run, 0, 1)
    a = run.nodes[0]
    a.state = E.SYN_RECEIVED
    run.on_synrej(a, r)
    assert a.state == E.SYN_RECEIVED and a.s_sleep == {1: [r]}


def test_ack_in_syn_received_gives_ready():
    run = _run()
    b = run.nodes[1]
    r = _req(run, 0, 0, 1)
    run.on_syn(b, r)
    run.on_ack(b, r, run.loop.now)
    assert b.state == E.READY and list(b.q_ready) == [r]


@pytest.mark.parametrize("handler", ["on_ack", "on_nack"])
def test_ack_or_nack_outside_syn_received_is_refused(handler):
    run = _run()
    r = _req(run, 0, 0, 1)
    args = (run.nodes[1], r, 0.0) if handler == "on_ack" else (run.nodes[1], r)
    with pytest.raises(RuntimeError):
        getattr(run, handler)(*args)


def test_nack_in_syn_received_releases():
    run = _run()
    b = run.nodes[1]
    r = _req(run, 0, 0, 1)
    run.on_syn(b, r)
    run.on_nack(b, r)
    assert b.state == E.IDLE and b.lock is None


def test_wake_returns_sleeping_requests_with_their_numbers_and_resends():
    run = _run()
    r = _syn(run, 0, 1)
    a = run.nodes[0]
    number = a.numbers[r.id]
    run.loop.clear()
    run.on_synrej(a, r)
    run.on_wake(a, 1)
    assert a.s_sleep == {} and a.state == E.SYN_SENT and a.s_sent is r
    assert a.numbers[r.id] == number


def test_wake_sent_holds_until_the_woken_node_claims_it():
    run = _run()
    b = run.nodes[1]
    b.push(E.WAKE, 0)
    run._process(b)
    run.loop.run(E.WAKE_HOLD / 2)          # A has nothing asleep for B: no SYN comes
    assert b.state == E.WAKE_SENT
    run.on_syn(b, _req(run, 0, 2, 1))      # another node is refused meanwhile
    assert b.state == E.WAKE_SENT


def test_two_nodes_waking_each_other_both_let_go():
    run = _run()
    a, b = run.nodes[0], run.nodes[1]
    a.push(E.WAKE, 1)
    b.push(E.WAKE, 0)
    run._process(a)
    run._process(b)
    assert a.state == b.state == E.WAKE_SENT
    run.loop.run(D)
    assert a.state == b.state == E.IDLE and run.wake_timeouts == 0


def test_idle_poll_of_wake_request_sends_wake_and_times_out():
    run = _run()
    b = run.nodes[1]
    b.push(E.WAKE, 0)
    b.wake_queued.add(0)
    run._process(b)
    assert b.state == E.WAKE_SENT and b.s_wake == 0 and 0 not in b.wake_queued
    assert _pending(run) == ["on_wake", "on_wake_timeout"]
    run.loop.run()
    assert b.state == E.IDLE and run.wake_timeouts == 1


def test_execute_outside_ready_is_refused():
    run = _run()
    r = _req(run, 0, 0, 1)
    with pytest.raises(RuntimeError):
        run._execute(run.nodes[0], r)


def test_dqp_go_done_transitions():
    run = _run(DQPRun)
    r = _req(run, 0, 0, 1)
    run.on_arrival(r)
    run.loop.run(D)
    assert run.s_state == "SERVING"
    run.loop.run(2 * D)
    assert run.state[0] == run.state[1] == "BUSY"
    with pytest.raises(RuntimeError):
        run.n_go(0, r, run.loop.now)          # GO to a node that is not IDLE
    run.loop.run()
    assert run.s_state == "IDLE" and run.state == ["IDLE"] * 3
    with pytest.raises(RuntimeError):
        run.s_done(r)                          # DONE while the scheduler serves nothing
