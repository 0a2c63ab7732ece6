"""The workload of an execution: :class:`Workload`.

It holds the pre-distribution stock (§IV-C: pairs made ahead by the pre-distribution
trees, kept per node pair and handed to a request's tree), when requests start after a
one-time batch, and the request stream (arrivals, the requests waiting per node pair,
serving an arrival from stock).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qdcopt.network.runtime import config as C
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import fidelity
from qdcopt.network.runtime.gem import GEM
from qdcopt.network.runtime.routes import ExecTree

if TYPE_CHECKING:
    from qdcopt.engine import Simulator
    from qdcopt.network.runtime.metrics import RunStats
    from qdcopt.network.runtime.pairs import Pair, _Gen


class Workload:
    """Mixin of :class:`~qdcopt.network.runtime.executor.Execution`: pre-distribution
    stock and the request stream.

    Attributes
    ----------
    requests_on
        Whether request trees generate (not yet during a one-time batch).
    want, made
        Per pre-distribution tree: whether it still generates, and pairs it made.
    stock
        Stocked pairs per node pair ``(min, max)``, oldest first.
    pos_of
        Per tree: route position of each of its nodes.
    stream
        Whether requests come as a stream (``arrivals > 0``).
    demand
        Per node pair: arrival times of its requests still waiting.
    req_trees
        Per node pair: its request trees.
    """

    # provided by the execution
    sim: Simulator
    cfg: RuntimeConfig
    stats: RunStats
    trees: list[ExecTree]
    n_requests_trees: int
    predist: str
    policy: str
    gens: list[_Gen]
    tree_gens: list[list[_Gen]]
    tree_request: list[int]
    left: list[list[list[Pair]]]
    right: list[list[list[Pair]]]
    slots: bool
    copies: list[int]
    slot_r: list[list[int]]
    slot_l: list[list[int]]
    last_delivery: list[deque[float]]
    gem: GEM
    use_gem: bool
    tracing: bool
    root_cutoff: list[float]
    _release: Callable[[int, int], None]
    _start: Callable[[_Gen], None]
    _settle: Callable[[Pair], None]
    _decide: Callable[[int, int], None]
    _free_slot: Callable[[int, int, bool], None]
    _account: Callable[[int, int], None]
    _restart_accounting: Callable[[float], None]
    _log: Callable[..., None]
    w_now: Callable[[Pair], float]

    def _init_workload(self, trees: list[ExecTree], config: RuntimeConfig,
                       requests: int) -> None:
        # pre-distribution: stock per node pair, whether each tree still generates
        self.requests_on = self.predist != "batch" or len(trees) == self.n_requests_trees
        self.want = [True] * len(trees)
        self.made = [0] * len(trees)
        self.stock: dict[tuple[int, int], list[Pair]] = {}
        self.pos_of = [{node: i for i, node in enumerate(t.route)} for t in trees]
        # request stream: arrival times of the requests waiting, per node pair
        self.stream = config.arrivals > 0
        self.demand: list[deque[float]] = [deque() for _ in range(requests)]
        self.req_trees = [[k for k in range(self.n_requests_trees) if trees[k].request == r]
                          for r in range(requests)]

    # -- pre-distribution (§IV-C) ---------------------------------------------------------
    def _store(self, pair: Pair) -> None:
        """A pre-distribution tree made its pair: keep it in stock for any request."""
        k = pair.tree
        t = self.trees[k]
        key = (min(t.route[0], t.route[-1]), max(t.route[0], t.route[-1]))
        self.stock.setdefault(key, []).append(pair)
        limit = self.cfg.stock_cutoff_factor * self.root_cutoff[k]
        # the stocked pair leaves its tree: the tree may make the next one
        self._free_slot(k, 0, True)
        self._free_slot(k, t.hops, False)
        self.stats.predistributed += 1
        self.made[k] += 1
        if self.tracing:
            self._log("stock", pair.id, k, key[0], key[1], fidelity(self.w_now(pair)))
        self._update_want(k, key)
        if math.isfinite(limit):
            if pair.birth + limit <= self.sim.now:
                self._expire_stock(pair, key)  # already past the stock cut-off
                return
            pair.expiry = self.sim.at(pair.birth + limit, self._expire_stock, pair, key)
        for r in range(self.n_requests_trees):
            if self.stream and not self.demand[self.tree_request[r]]:
                continue
            pos = self.pos_of[r]
            if key[0] in pos and key[1] in pos:
                p, q = sorted((pos[key[0]], pos[key[1]]))
                if self.left[r][p] or self.right[r][q]:
                    if self._relabel(key, r, p, q):
                        self._decide(r, p)
                        self._decide(r, q)
                    if key not in self.stock:
                        break

    def _expire_stock(self, pair: Pair, key: tuple[int, int]) -> None:
        """A stocked pair reached the stock cut-off: discard it and refill the stock."""
        pair.expiry = None
        held = self.stock.get(key)
        if not held or pair not in held:
            return  # taken by a request meanwhile
        held.remove(pair)
        if not held:
            del self.stock[key]
        k = pair.tree
        t = self.trees[k]
        self.stats.stock_expired += 1
        if self.tracing:
            self._log("discard", pair.id, k, 0, t.hops, "stock")
        if self.use_gem:
            self.gem.retire(pair.id, self.sim.now, t.route[0])
        self._release(t.route[0], k)
        self._release(t.route[-1], k)
        self._update_want(k, key)

    def _update_want(self, k: int, key: tuple[int, int]) -> None:
        """Whether pre-distribution tree ``k`` (making pairs for ``key``) still generates."""
        if self.predist == "batch":
            want = self.made[k] < self.cfg.predist_pairs
            if not want and self.want[k] and not self.requests_on and not any(
                    self.want[j] for j in range(self.n_requests_trees, len(self.trees))
                    if j != k):
                self.sim.stop()  # the one-time batch is complete: requests may start
        else:
            held = len(self.stock.get(key, ()))
            # a stock that is filling fills up to predist_pairs; a full one waits until it
            # falls below the threshold
            threshold = self.cfg.predist_threshold or self.cfg.predist_pairs
            want = held < (self.cfg.predist_pairs if self.want[k] else threshold)
        was = self.want[k]
        self.want[k] = want
        if want and not was:
            for g in self.gens:
                if g.tree == k and g.event is None:
                    self._start(g)

    def _draw_stock(self, k: int, p: int, right: bool) -> None:
        """Take a stocked pair from ``route[p]`` to another node of the route, if one helps
        a pair of tree ``k`` ending (``right``) or starting at ``p``."""
        if self.stream and not self.demand[self.tree_request[k]]:
            return  # no request waits on this node pair
        here = self.trees[k].route[p]
        pos = self.pos_of[k]
        for key in list(self.stock):
            if here not in key:
                continue
            other = key[1] if key[0] == here else key[0]
            q = pos.get(other)
            if q is None or (right and q <= p) or (not right and q >= p):
                continue
            lo, hi = (p, q) if right else (q, p)
            if self._relabel(key, k, lo, hi):
                return

    def _relabel(self, key: tuple[int, int], k: int, i: int, j: int) -> bool:
        """Give a stocked pair to tree ``k`` as its segment ``[i, j]``."""
        t = self.trees[k]
        if self.policy == C.FIXED and t.segments.get((i, j), (-1,))[0] < 0 and (
                (i, j) != (0, t.hops)):
            return False  # the fixed tree could never swap it
        if self.policy == C.CONNECTIONLESS and i != 0:
            return False
        if sum(p.j == j for p in self.right[k][i]) >= t.copies:
            return False  # the tree already holds such a pair (one per copy)
        if self.slots:
            cap = self.copies[k]
            if self.slot_r[k][i] >= cap or self.slot_l[k][j] >= cap:
                return False  # the tree's memories at those link ends hold pairs
            self.slot_r[k][i] += 1
            self.slot_l[k][j] += 1
        pair = self.stock[key].pop(0)
        if not self.stock[key]:
            del self.stock[key]
        if pair.expiry is not None:  # its stock cut-off no longer applies
            pair.expiry.cancelled = True
            pair.expiry = None
        old = pair.tree
        for _ in range(2):
            self._account(old, -1)
            self._account(k, 1)
        now = self.sim.now
        if self.use_gem:
            self.gem.retire(pair.id, now, t.route[i])
            self.gem.publish(pair.id, (k, i, j), now, now, t.route[i])
        # A cached pair joins the request's execution now: its age restarts (cut-offs
        # bound waiting inside an execution); its fidelity keeps every loss so far.
        pair.tree, pair.i, pair.j, pair.birth = k, i, j, now
        self.stats.predist_used += 1
        self._update_want(old, key)
        if self.tracing:
            self._log("relabel", pair.id, k, i, j)
        self._settle(pair)
        return True

    def _begin_requests(self, keep_predistributing: bool = False) -> None:
        """Requests start: counters restart so that rates cover ``duration`` from now."""
        now = self.sim.now
        self.requests_on = True
        self.stats.start = now
        self._restart_accounting(now)
        self.last_delivery = [deque([now] * t.copies) for t in self.trees]
        for k in range(self.n_requests_trees, len(self.trees)):
            if not keep_predistributing:
                self.want[k] = False  # one-time: an unfinished batch is not continued
        for g in self.gens:
            if not g.low and g.event is None:
                self._start(g)

    # -- request stream -------------------------------------------------------------------
    def _arrive(self, n: int) -> None:
        """Request ``n`` of the stream arrives: one pair for node pair ``n mod R``."""
        r = record_arrival(self, n, self.stats.start)
        if len(self.demand[r]) > 1:
            return  # its trees are already at work for the earlier request
        if self.stock:
            self._serve_from_stock(r)
        for k in self.req_trees[r]:
            for g in self.tree_gens[k]:
                if g.event is None:
                    self._start(g)

    def _serve_from_stock(self, r: int) -> None:
        """Draw stocked pairs from both ends of the waiting node pair's trees (a pair
        drawn in draws its neighbours in turn, see ``Execution._settle``)."""
        waiting = self.demand[r]
        for k in self.req_trees[r]:
            if not waiting:
                return
            self._draw_stock(k, 0, right=True)
            if waiting:
                self._draw_stock(k, self.trees[k].hops, right=False)


def record_arrival(run: Any, n: int, start: float) -> int:
    """Book request ``n`` of a stream in ``run`` (either execution) and schedule the next
    one at ``start + (n + 1) · interval`` (absolute times: no drift from summed
    intervals); return its node pair ``n mod R``."""
    r = n % len(run.demand)
    run.demand[r].append(run.sim.now)
    run.stats.arrivals += 1
    if run.tracing:
        run._log("arrive", n, r)
    if n + 1 < run.cfg.arrivals:
        run.sim.at(start + (n + 1) * run.cfg.arrival_interval, run._arrive, n + 1)
    return r
