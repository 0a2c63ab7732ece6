"""Swap policies of an execution: :class:`SwapPolicies`.

Which two ready pairs a node swaps (``RuntimeConfig.policy``): the fixed plan, the
ordering keys of the greedy policies (:data:`_KEYS`), connectionless swapping from the
source along the plan's routes (``connectionless="plan-routes"``; the plan-free baseline
is :mod:`qdcopt.network.runtime.executors.connectionless`), the central GEM's reply
(``centralized``, with its first-come-first-served server) and Algorithm 2's scoring
with its polling (see ``models/runtime.md``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, LinkModel
from qdcopt.network.runtime import config as C
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.gem import GEM
from qdcopt.network.runtime.routes import ExecTree, central_node

if TYPE_CHECKING:
    from qdcopt.engine import Simulator
    from qdcopt.network.runtime.metrics import RunStats
    from qdcopt.network.runtime.pairs import Pair


class SwapPolicies:
    """Mixin of :class:`~qdcopt.network.runtime.executor.Execution`: swap decisions.

    Attributes
    ----------
    policy
        The policy's name (one of :data:`~qdcopt.network.runtime.config.POLICIES`).
    center
        The central node (``centralized``: where the central GEM sits).
    pending
        ``(tree, position)`` of the nodes with a central reply or a scoring poll under
        way (one at a time per node).
    service
        Seconds the central GEM serves one query (``central_service_time``; 0 for the
        other policies and for an infinitely fast centre).
    central_queue
        Queries at the centre, first come first served: the head is in service, each
        ``(tree, position, one-way delay back to the node, arrival time)``.
    """

    # provided by the execution
    sim: Simulator
    cfg: RuntimeConfig
    stats: RunStats
    trees: list[ExecTree]
    left: list[list[list[Pair]]]
    right: list[list[list[Pair]]]
    gem: GEM
    dist: list[list[float]]
    inv_speed: float
    ts: float
    q: list[float]
    mem: list[int]
    free: list[int]
    root_cutoff: list[float]
    cutoff: Callable[[int, int, int], float]
    _swap: Callable[[int, int, Pair, Pair], None]

    def _init_policies(self, model: LinkModel, config: RuntimeConfig) -> None:
        self.policy = config.policy
        self.center = central_node(model)
        self.pending: set[tuple[int, int]] = set()
        self.service = config.central_service_time if self.policy == C.CENTRALIZED else 0.0
        self.central_queue: deque[tuple[int, int, float, float]] = deque()

    def _decide(self, k: int, m: int) -> None:
        """Let the node at position ``m`` of tree ``k`` swap what its policy chooses."""
        t = self.trees[k]
        if m == 0 or m == t.hops:
            return
        lefts, rights = self.left[k][m], self.right[k][m]
        policy = self.policy
        if policy == C.CENTRALIZED:
            if lefts and rights and (k, m) not in self.pending:
                self.pending.add((k, m))
                self.stats.central_queries += 1
                x = t.route[m]
                one_way = self.dist[x][self.center] * self.inv_speed
                if self.service:
                    self.sim.after(one_way, self._central_arrive, k, m, one_way)
                else:
                    # an infinitely fast centre answers the moment the query arrives
                    self.sim.after(2 * one_way, self._central_reply, k, m,
                                   self.sim.now + one_way)
            return
        while lefts and rights:
            pick = self._choose(k, m, lefts, rights)
            if pick is None:
                return
            self._swap(k, m, *pick)

    def _choose(self, k: int, m: int, lefts: list[Pair], rights: list[Pair],
                ) -> tuple[Pair, Pair] | None:
        policy = self.policy
        t = self.trees[k]
        if policy == C.FIXED:
            best = None
            for a in lefts:
                for b in rights:
                    planned = t.segments.get((a.i, b.j))
                    if planned is not None and planned[0] == m:
                        key = (a.id, b.id)
                        if best is None or key < best[0]:
                            best = (key, a, b)
            return None if best is None else (best[1], best[2])
        if policy == C.CONNECTIONLESS:
            cands = [(a, b) for a in lefts if a.i == 0 for b in rights if b.j == m + 1]
            if not cands:
                return None
            return min(cands, key=lambda c: (max(c[0].ready_at, c[1].ready_at), c[0].id,
                                             c[1].id))
        if policy == C.SCORING:
            return self._score_pick(k, m, lefts, rights)
        key = _KEYS[policy]
        return min(((a, b) for a in lefts for b in rights), key=key)

    def _central_reply(self, k: int, m: int, seen_at: float) -> None:
        """The central GEM's answer reaches the node: swap the oldest pairs it saw."""
        self.pending.discard((k, m))
        lefts, rights = self.left[k][m], self.right[k][m]
        gem = self.gem
        c = self.center

        def seen(p: Pair) -> bool:
            rec = gem.records.get(p.id)
            return rec is not None and gem.visible(rec, c, seen_at)

        cands = [(a, b) for a in lefts if seen(a) for b in rights if seen(b)]
        if cands:
            a, b = min(cands, key=_KEYS[C.OLDEST])
            self._swap(k, m, a, b)
            self._decide(k, m)
            return
        if not (lefts and rights):
            return
        # The centre had not yet heard of the node's pairs: ask again so that the query
        # arrives once it has (re-asking at once would loop without time passing).
        x = self.trees[k].route[m]
        one_way = self.dist[x][c] * self.inv_speed
        known = [gem.records[p.id] for p in (*lefts, *rights) if p.id in gem.records]
        arrive = max((r.created + gem.lag[r.origin][c] for r in known), default=seen_at)
        self.pending.add((k, m))
        self.stats.central_queries += 1
        if self.service:
            self.sim.at(max(self.sim.now + one_way, arrive), self._central_arrive, k, m,
                        one_way)
            return
        self.sim.at(max(self.sim.now, arrive - one_way) + 2 * one_way, self._central_reply, k,
                    m, max(self.sim.now + one_way, arrive))

    # -- the central GEM's server (central_service_time > 0) -------------------------------
    def _central_arrive(self, k: int, m: int, one_way: float) -> None:
        """A query from the node at position ``m`` of tree ``k`` reaches the centre."""
        queue = self.central_queue
        queue.append((k, m, one_way, self.sim.now))
        if len(queue) == 1:  # the server was idle
            self._central_start()

    def _central_start(self) -> None:
        """The query at the head of the queue is served: the centre reads its GEM now and
        answers when the service time has passed."""
        now = self.sim.now
        self.stats.central_wait += now - self.central_queue[0][3]
        self.sim.after(self.service, self._central_done, now)

    def _central_done(self, seen_at: float) -> None:
        """The centre has decided on the head query: the reply travels back, the next
        query is served."""
        k, m, one_way, _ = self.central_queue.popleft()
        self.sim.after(one_way, self._central_reply, k, m, seen_at)
        if self.central_queue:
            self._central_start()

    # -- scoring (Algorithm 2 as derived in models/runtime.md) ----------------------------
    def _remaining(self, k: int, seg: tuple[int, int], x: int) -> float:
        """Expected time until segment ``seg`` of tree ``k`` exists, as node ``x`` sees it.

        Zero when ``x``'s GEM replica holds such a pair; a leaf's ``1 / g``; a planned
        swap's eq. 1 with the remaining times of its children (the factor 3/2 only when
        both are still to come).
        """
        if self.gem.sees(x, self.sim.now, (k, seg[0], seg[1])):
            return 0.0
        t = self.trees[k]
        planned = t.segments.get(seg)
        if planned is None:
            return math.inf
        m = planned[0]
        if m < 0:
            return planned[2]
        ca, cb = t.children[seg]
        ra, rb = self._remaining(k, ca, x), self._remaining(k, cb, x)
        hi = max(ra, rb)
        factor = MAX_OF_TWO_EXPONENTIALS if min(ra, rb) > 0 else 1.0
        w = t.route[m]
        dw = self.dist[w]
        extra = self.ts + max(dw[t.route[seg[0]]], dw[t.route[seg[1]]]) * self.inv_speed
        return (factor * hi + extra) / self.q[w]

    def score(self, k: int, m: int, a: Pair, b: Pair) -> float:
        """Score of swapping ``a = [i, m]`` and ``b = [m, j]`` at position ``m``.

        ``w_B · B − w_O · O + w_M · M`` with
        ``B = q · (j − i)/H · (1 − age/cut-off of the product)`` (expected progress of a
        fresh product), ``O`` the largest probability that a planned partner of ``a`` or
        ``b`` at ``m`` that is not yet there arrives within the input's remaining
        lifetime (``1 − exp(−τ / T_remaining)``; 1 when it is already there; 0 for the
        planned swap), ``M`` the fraction of the node's memories in use.

        Parameters
        ----------
        k
            The tree.
        m
            Route position of the swapping node.
        a, b
            The ready pairs ending and starting at ``m``.

        Returns
        -------
        float
            The score; the node swaps the best pair of inputs whose score is positive.
        """
        t = self.trees[k]
        now = self.sim.now
        x = t.route[m]
        wb, wo, wm = self.cfg.score_weights
        i, j = a.i, b.j
        age = now - min(a.birth, b.birth)
        limit = self.cutoff(k, i, j)
        if i == 0 and j == t.hops:
            limit = self.root_cutoff[k]
        fresh = max(0.0, 1.0 - age / limit)
        benefit = self.q[x] * (j - i) / t.hops * fresh
        loss = 0.0
        planned = t.segments.get((i, j))
        # an input the plan does not have (made by an earlier adaptive swap) can only go
        # on adaptively: there is no planned swap left to lose
        intact = (a.i, a.j) in t.segments and (b.i, b.j) in t.segments
        if intact and (planned is None or planned[0] != m):
            for p in (a, b):
                # the plan swaps p with its sibling at one of p's ends (here or at the
                # other end); any other swap of p gives that up
                sib = t.sibling.get((p.i, p.j))
                if sib is None:
                    continue
                tau = p.birth + self.cutoff(k, p.i, p.j) - now
                rem = self._remaining(k, sib[1], x)
                if rem == 0.0:
                    loss = 1.0
                elif tau > 0 and math.isfinite(rem):
                    loss = max(loss, -math.expm1(-tau / rem))
        relief = (self.mem[x] - self.free[x]) / self.mem[x]
        return wb * benefit - wo * loss + wm * relief

    def _score_pick(self, k: int, m: int, lefts: list[Pair], rights: list[Pair],
                    ) -> tuple[Pair, Pair] | None:
        best = None
        for a in lefts:
            for b in rights:
                s = self.score(k, m, a, b)
                if s > 0 and (best is None or s > best[0]):
                    best = (s, a, b)
        if best is None:
            # nothing worth swapping yet: look again after a fraction of the cut-off
            if (k, m) not in self.pending:
                self.pending.add((k, m))
                self.sim.after(self.cfg.poll_fraction * self.root_cutoff[k], self._poll, k, m)
            return None
        return best[1], best[2]

    def _poll(self, k: int, m: int) -> None:
        self.pending.discard((k, m))
        self._decide(k, m)


# ordering keys of the greedy policies over candidate (left, right) pairs: smallest first,
# pair ids break ties so that runs replay exactly
_KEYS = {
    C.SWAP_ASAP: lambda c: (max(c[0].ready_at, c[1].ready_at), c[0].id, c[1].id),
    C.OLDEST: lambda c: (min(c[0].birth, c[1].birth), c[0].id, c[1].id),
    C.YOUNGEST: lambda c: (-min(c[0].birth, c[1].birth), c[0].id, c[1].id),
    C.LONGEST_HOP: lambda c: (-(c[1].j - c[0].i), c[0].id, c[1].id),
    C.SHORTEST_HOP: lambda c: (c[1].j - c[0].i, c[0].id, c[1].id),
    C.CENTRALIZED: lambda c: (min(c[0].birth, c[1].birth), c[0].id, c[1].id),
}
