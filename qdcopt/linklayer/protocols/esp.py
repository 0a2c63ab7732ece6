"""ESP: the Eventual Synchronization Protocol of paper 004 (Tables I–III, Algorithm 1).

Every node runs the same state machine over G_C = G_Q (one-way delay ``L / c``).  A node
holds a *lock* — the right of one request to its physical layer — in every state but
IDLE and SYN_SENT; such a node is *busy* and rejects SYNs.

Per node: ``state`` (Table II), ``q_main`` (priority queue by local arrival number of
active requests and wake requests R_wake), ``q_ready`` (synchronised requests),
``s_sent`` (the request whose SYN is out), ``s_sleep`` (requests put to sleep, by remote
node), ``s_wake`` (the node a WAKE was sent to).

Transitions (message received → action; "accept" means: state SYN_RECEIVED, lock R,
reply SYNACK)::

    processor, IDLE, q_main head active R   send SYN(R)             → SYN_SENT
    processor, IDLE, q_main head R_wake(k)  send WAKE to k          → WAKE_SENT
    SYN(R) in IDLE                          accept                  → SYN_RECEIVED
    SYN(R) in SYN_SENT(R')                  accept if R before R'   → SYN_RECEIVED
                                            (else as busy)
    SYN(R) in WAKE_SENT(k), from k          accept                  → SYN_RECEIVED
    SYN(R) when busy (incl. WAKE_SENT from  SYNREJ(R); queue R_wake(initiator) once
        another node)
    SYNACK(R) in SYN_SENT(R)                lock R, q_ready ← R, ACK(R, t_min = now + d)
                                                                    → READY
    SYNACK(R) otherwise (lock taken since)  NACK(R); R back to q_main, same number
    SYNREJ(R) in SYN_SENT(R)                s_sleep ← R             → IDLE
    SYNREJ(R) otherwise                     s_sleep ← R             (state unchanged)
    ACK(R, t_min) in SYN_RECEIVED(R)        q_ready ← R             → READY
    NACK(R) in SYN_RECEIVED(R)              release lock            → IDLE
    WAKE from k                             s_sleep[k] → q_main (numbers kept)
    WAKE from k in WAKE_SENT(k)             as above, and release   → IDLE
    wake timer (WAKE_HOLD) in WAKE_SENT(k)  release                 → IDLE
    t_min reached in READY                  physical layer starts   → BUSY
    last pair heralded in BUSY              release lock            → IDLE

"R before R'" orders requests by creation time (then initiator, then id), the order
the paper's arrival numbers give on one node, extended across nodes: it decides the
one case the paper leaves open — a node waiting for its own SYNACK that receives a SYN —
and it makes the highest-priority outstanding SYN always succeed, so crossing SYNs on a
cycle cannot livelock.  WAKE_SENT lasts until the woken node's SYN arrives (the paper:
the wake "cannot be interrupted by external SYN requests"), released early only when the
woken node wakes this one back, or by a long safety timer against cycles of waits.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from qdcopt.linklayer.protocols.base import LinkLayerRun, Request

IDLE = "IDLE"
SYN_SENT = "SYN_SENT"
SYN_RECEIVED = "SYN_RECEIVED"
WAKE_SENT = "WAKE_SENT"
READY = "READY"
BUSY = "BUSY"
BUSY_STATES = frozenset({SYN_RECEIVED, WAKE_SENT, READY, BUSY})

ACTIVE, WAKE = 0, 1

# Longest a node stays in WAKE_SENT without the woken node's SYN (seconds): twelve times
# the mean service time of the largest request at F = 0.9, so it ends cycles of waits and
# almost never a wait that would have ended by itself.
WAKE_HOLD = 1.0


class Node:
    """One ESP node's state, queues and sets (Table III)."""

    __slots__ = (
        "counter",
        "id",
        "lock",
        "numbers",
        "q_main",
        "q_ready",
        "s_sent",
        "s_sleep",
        "s_wake",
        "state",
        "wake_queued",
        "wakes",
    )

    def __init__(self, node_id: int) -> None:
        self.id = node_id
        self.state = IDLE
        self.lock: Request | None = None
        self.q_main: list[tuple[int, int, Any]] = []
        self.q_ready: deque[Request] = deque()
        self.s_sent: Request | None = None
        self.s_sleep: dict[int, list[Request]] = {}
        self.s_wake: int | None = None
        self.counter = 0
        self.wake_queued: set[int] = set()
        self.numbers: dict[int, int] = {}
        self.wakes = 0

    def push(self, kind: int, item: Any, number: int | None = None) -> None:
        """Put an active request or a wake request into ``q_main``."""
        if number is None:
            number = self.counter
            self.counter += 1
        heapq.heappush(self.q_main, (number, kind, item))
        if kind == ACTIVE:
            self.numbers[item.id] = number


class ESPRun(LinkLayerRun):
    """A run of ESP (see the module docstring)."""

    name = "esp"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = [Node(i) for i in range(self.instance.n)]
        # WAKE_SENT holds the node for the woken one until its SYN arrives; the timer only
        # breaks a cycle of nodes each waiting for the next one's SYN (counted in
        # ``wake_timeouts``).
        self.wake_timeout = WAKE_HOLD
        self.wake_timeouts = 0

    def counters(self) -> dict[str, int]:
        return {"wake_timeouts": self.wake_timeouts}

    # -- state changes and polling ---------------------------------------------------------
    def _set(self, node: Node, state: str, message: str) -> None:
        self.note(node.id, message, node.state, state)
        node.state = state

    def _process(self, node: Node) -> None:
        """Algorithm 1: act when the node holds nothing (IDLE)."""
        if node.state != IDLE or not node.q_main:
            return
        _, kind, item = heapq.heappop(node.q_main)
        if kind == ACTIVE:
            req: Request = item
            node.s_sent = req
            self._set(node, SYN_SENT, "poll")
            self.send(self.delay, self.on_syn, self.nodes[req.remote], req)
        else:
            target: int = item
            node.wake_queued.discard(target)
            node.s_wake = target
            self._set(node, WAKE_SENT, "poll")
            self.send(self.delay, self.on_wake, self.nodes[target], node.id)
            # The timer names this wake, so a late timer of an earlier wake ends nothing.
            node.wakes += 1
            self.loop.after(self.wake_timeout, self.on_wake_timeout, node, target, node.wakes)

    def _accept(self, node: Node, req: Request, message: str) -> None:
        node.lock = req
        self._set(node, SYN_RECEIVED, message)
        self.send(self.delay, self.on_synack, self.nodes[req.initiator], req)

    def _reject(self, node: Node, req: Request) -> None:
        self.note(node.id, "SYN", node.state, node.state)
        self.send(self.delay, self.on_synrej, self.nodes[req.initiator], req)
        if req.initiator not in node.wake_queued:
            node.wake_queued.add(req.initiator)
            node.push(WAKE, req.initiator)

    def _sleep(self, node: Node, req: Request) -> None:
        node.s_sleep.setdefault(req.remote, []).append(req)

    # -- arrivals and completions ---------------------------------------------------------
    def on_arrival(self, req: Request) -> None:
        node = self.nodes[req.initiator]
        node.push(ACTIVE, req)
        self._process(node)

    def on_finished(self, req: Request) -> None:
        for nid in (req.initiator, req.remote):
            node = self.nodes[nid]
            node.lock = None
            self._set(node, IDLE, "done")
        for nid in (req.initiator, req.remote):
            self._process(self.nodes[nid])

    # -- messages -------------------------------------------------------------------------
    def on_syn(self, node: Node, req: Request) -> None:
        """SYN(R) at the remote node."""
        if node.state == IDLE or (node.state == SYN_SENT
                                  and req.priority < node.s_sent.priority):
            self._accept(node, req, "SYN")
        elif node.state == WAKE_SENT and node.s_wake == req.initiator:
            node.s_wake = None
            self._accept(node, req, "SYN")
        else:
            self._reject(node, req)

    def on_synack(self, node: Node, req: Request) -> None:
        """SYNACK(R) at the initiator."""
        if node.state == SYN_SENT and node.s_sent is req:
            node.s_sent = None
            node.lock = req
            node.q_ready.append(req)
            self._set(node, READY, "SYNACK")
            t_min = self.loop.now + self.delay
            self.send(self.delay, self.on_ack, self.nodes[req.remote], req, t_min)
            self.loop.schedule(t_min, self._execute, node, req)
        else:
            # The lock went to an earlier SYN meanwhile: release the remote, retry later.
            self.note(node.id, "SYNACK", node.state, node.state)
            if node.s_sent is req:
                node.s_sent = None
            self.send(self.delay, self.on_nack, self.nodes[req.remote], req)
            node.push(ACTIVE, req, node.numbers[req.id])
            self._process(node)

    def on_synrej(self, node: Node, req: Request) -> None:
        """SYNREJ(R) at the initiator: R sleeps until the remote sends WAKE."""
        self._sleep(node, req)
        if node.state == SYN_SENT and node.s_sent is req:
            node.s_sent = None
            self._set(node, IDLE, "SYNREJ")
            self._process(node)
        else:
            if node.s_sent is req:
                node.s_sent = None
            self.note(node.id, "SYNREJ", node.state, node.state)

    def on_ack(self, node: Node, req: Request, t_min: float) -> None:
        """ACK(R, t_min) at the remote: synchronised."""
        if node.state != SYN_RECEIVED or node.lock is not req:
            raise RuntimeError(f"ACK for request {req.id} at node {node.id} in {node.state}")
        node.q_ready.append(req)
        self._set(node, READY, "ACK")
        self.loop.schedule(t_min, self._execute, node, req)

    def on_nack(self, node: Node, req: Request) -> None:
        """NACK(R) at the remote: the initiator withdrew; release."""
        if node.state != SYN_RECEIVED or node.lock is not req:
            raise RuntimeError(f"NACK for request {req.id} at node {node.id} in {node.state}")
        node.lock = None
        self._set(node, IDLE, "NACK")
        self._process(node)

    def on_wake(self, node: Node, sender: int) -> None:
        """WAKE from ``sender``: its sleeping requests go back to ``q_main``."""
        sleeping = node.s_sleep.pop(sender, [])
        for req in sleeping:
            node.push(ACTIVE, req, node.numbers[req.id])
        if node.state == WAKE_SENT and node.s_wake == sender:
            # Two nodes woke each other: each would hold out for the other's SYN forever.
            # This one lets go, so its woken requests (and the other's) can synchronise.
            node.s_wake = None
            self._set(node, IDLE, "WAKE")
        else:
            self.note(node.id, "WAKE", node.state, node.state)
        self._process(node)

    def on_wake_timeout(self, node: Node, target: int, wake: int) -> None:
        """The woken node did not claim this node within the wake window."""
        if node.state == WAKE_SENT and node.s_wake == target and node.wakes == wake:
            self.wake_timeouts += 1
            node.s_wake = None
            self._set(node, IDLE, "wake_timeout")
            self._process(node)

    def _execute(self, node: Node, req: Request) -> None:
        """t_min reached: READY → BUSY; the physical layer starts once both ends are BUSY."""
        if node.state != READY or node.lock is not req:
            raise RuntimeError(f"t_min of request {req.id} at node {node.id} in {node.state}")
        node.q_ready.popleft()
        self._set(node, BUSY, "t_min")
        other = self.nodes[req.remote if node.id == req.initiator else req.initiator]
        if other.state == BUSY and other.lock is req:
            self.begin_generation(req)
