"""DQP: the distributed queue baseline of paper 004, as a message-passing state machine.

A central scheduler S keeps one FIFO queue of every request of the network
(G_C = star of V around S).  It serves the queue strictly from its head and one request
at a time: the head runs, and nothing behind it starts — even a request on a disjoint
edge — until the head's completion has been reported (the paper: DQP "does not allow
requests that could execute without contention to proceed").

Messages (one-way delay node ↔ S: ``hardware.scheduler_delay``)::

    ADD(R)   initiator → S      R joins the tail of the queue
    GO(R,t)  S → both ends      both reserve for R and start at t_min = t
    DONE(R)  initiator → S      R's last pair is heralded; S serves the next head

States — node: IDLE → READY (GO received) → BUSY (t_min reached, both READY) → IDLE;
scheduler: IDLE (queue may be empty) ⇄ SERVING (a GO is out, DONE not yet back).
"""

from __future__ import annotations

from collections import deque

from qdcopt.linklayer.protocols.base import LinkLayerRun, Request

IDLE, READY, BUSY, SERVING = "IDLE", "READY", "BUSY", "SERVING"


class DQPRun(LinkLayerRun):
    """A run of DQP (see the module docstring)."""

    name = "dqp"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue: deque[Request] = deque()
        self.s_state = IDLE
        self.state = [IDLE] * self.instance.n
        self.ds = self.instance.hardware.scheduler_delay
        self._ready: dict[int, int] = {}

    def on_arrival(self, req: Request) -> None:
        self.send(self.ds, self.s_add, req)

    # -- scheduler ------------------------------------------------------------------------
    def s_add(self, req: Request) -> None:
        """S receives ADD(R): queue it; serve if idle."""
        self.queue.append(req)
        self.note(-1, "ADD", self.s_state, self.s_state)
        if self.s_state == IDLE:
            self._serve()

    def _serve(self) -> None:
        if not self.queue:
            self.s_state = IDLE
            return
        head = self.queue.popleft()
        self.s_state = SERVING
        t_min = self.loop.now + self.ds
        for node in (head.initiator, head.remote):
            self.send(self.ds, self.n_go, node, head, t_min)

    def s_done(self, req: Request) -> None:
        """S receives DONE(R): the head is finished; serve the next."""
        if self.s_state != SERVING:
            raise RuntimeError(f"DONE for request {req.id} while S is {self.s_state}")
        self.note(-1, "DONE", SERVING, IDLE)
        self.s_state = IDLE
        self._serve()

    # -- nodes ----------------------------------------------------------------------------
    def n_go(self, node: int, req: Request, t_min: float) -> None:
        """A node receives GO(R, t_min): reserve; start when both ends are reserved."""
        before = self.state[node]
        if before != IDLE:
            raise RuntimeError(f"GO for request {req.id} at node {node} in state {before}")
        self.state[node] = READY
        self.note(node, "GO", before, READY)
        self._ready[req.id] = self._ready.get(req.id, 0) + 1
        if self._ready[req.id] == 2:
            del self._ready[req.id]
            self.loop.schedule(t_min, self._start, req)

    def _start(self, req: Request) -> None:
        for node in (req.initiator, req.remote):
            self.state[node] = BUSY
        self.begin_generation(req)

    def on_finished(self, req: Request) -> None:
        for node in (req.initiator, req.remote):
            self.state[node] = IDLE
        self.send(self.ds, self.s_done, req)
