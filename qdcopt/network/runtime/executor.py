"""One seeded execution of a family-B plan (paper 003 §IV-E, §VI) on the event core.

Model (every formula and default in ``models/runtime.md``):

* **Links.** Each leaf of each tree is a link generator that attempts at the plan's rate
  ``g / p_l`` attempts/s (a link the plan does not use makes none).  Only successes are
  events: the number of attempts to the next success is geometric, drawn by inversion
  from one exponential draw, ``K = ⌈E / −ln(1 − p_l)⌉``, and the success comes ``K``
  attempt periods later (``waits="exponential"`` draws ``E / g`` instead).  A generator
  attempts only while both its end nodes have a free memory; a heralded pair takes one
  memory at each end.  When a node's last memory is taken, its generators stop (their
  pending successes are cancelled); when a memory frees they start again, the first
  attempt one attempt period later.  A tree that stands for ``copies`` identical rows of
  the plan has ``copies`` generators per leaf and as many memories per link end.
* **Swaps.** A node swaps two ready pairs of one tree that meet at it (which ones: the
  policy).  The swap takes the swap latency; its two memories at the node are then
  free; it succeeds with ``q_w``; the outcome reaches the product's two ends after the
  classical delay ``max(d(w, u), d(w, v)) / c``, when the product becomes ready (or,
  after a failure, the ends' memories are freed).
* **Fidelity.** Werner pairs (``fidelity.py``): decay with age, a drop per swap, the
  Werner product on swapping; fidelity never rises (no purification).
* **Workload.** By default every request wants pairs at its planned rate for the whole
  run.  With ``arrivals > 0`` requests come as a stream instead, one pair each, every
  ``arrival_interval`` seconds (cycling through the instance's node pairs); a node
  pair's trees generate only while one of its requests waits, stocked pairs are drawn
  when a request arrives, and a request's latency runs from arrival to delivery.
* **Cut-offs.** A pair's age is the time since its oldest link pair was heralded.  A
  ready pair is discarded (memories freed) when its age reaches its cut-off: the root
  cut-off ``cutoff_factor × T`` (``T`` the tree's eq.-1 latency), or, with early
  discard, ``root · discard_factor^depth``.  A root pair older than the root cut-off is
  discarded instead of delivered.

Layout: this module holds the pairs, the link generators and the core of
:class:`Execution` (link generation, ready pairs, deliveries, discards, swaps, the run);
the execution is composed with mixins that keep its other concerns, so that the hot
paths stay plain method calls: ``memory.py`` (free memories, link-end memories, memory
accounting), ``policies.py`` (swap decisions), ``workload.py`` (pre-distribution stock,
request stream); ``metrics.py`` holds :class:`RunStats`.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from qdcopt.engine import Simulator, Streams
from qdcopt.engine.streams import Buffered
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import LinkModel
from qdcopt.network.runtime import config as C
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import (
    dephasing_factor,
    fidelity,
    link_werner,
    noise_rates,
)
from qdcopt.network.runtime.gem import GEM
from qdcopt.network.runtime.memory import MemoryAccounting
from qdcopt.network.runtime.metrics import RunStats
from qdcopt.network.runtime.pairs import Pair, _Gen
from qdcopt.network.runtime.policies import SwapPolicies
from qdcopt.network.runtime.routes import ExecTree, predistribution_trees
from qdcopt.network.runtime.workload import Workload

__all__ = ["Execution", "Pair", "RunStats"]


class Execution(MemoryAccounting, SwapPolicies, Workload):
    """The state of one run; :meth:`run` executes it.

    Memory accounting, swap decisions and the workload come from the mixins
    :class:`~qdcopt.network.runtime.memory.MemoryAccounting`,
    :class:`~qdcopt.network.runtime.policies.SwapPolicies` and
    :class:`~qdcopt.network.runtime.workload.Workload`; all state lives on the execution.

    Parameters
    ----------
    instance, model
        The network and its link model.
    trees
        The plan's trees as routes (:func:`~qdcopt.network.runtime.routes.exec_trees`).
    config
        Policy and model settings.
    seed
        Seed of every random stream of the run.
    """

    def __init__(self, instance: NetworkInstance, model: LinkModel, trees: list[ExecTree],
                 config: RuntimeConfig, seed: int) -> None:
        self.instance = instance
        self.cfg = config
        self.n_requests_trees = len(trees)
        self.predist = config.predistribution
        if self.predist != "none":
            trees = list(trees) + predistribution_trees(
                list(trees), config.predist_links, model.swap_success.tolist())
        self.trees = trees
        self.sim = Simulator()
        streams = Streams(seed)
        self.link_draw = Buffered(streams.get("links"))
        self.swap_draw = Buffered(streams.get("swaps"))
        n = instance.n
        nreq = len(instance.requests)
        self._init_memory(instance, trees, config)
        # link generators: per node, per tree, and per leaf position of each tree; a
        # tree of k copies has k per leaf, one per memory pair of the link's two ends
        self.gens_at: list[list[_Gen]] = [[] for _ in range(n)]
        self.gens: list[_Gen] = []
        self.tree_gens: list[list[_Gen]] = [[] for _ in trees]
        self.leaf_gen: list[list[list[_Gen]]] = [[[] for _ in range(t.hops)] for t in trees]
        for k, t in enumerate(trees):
            for leaf in t.leaves:
                for _ in range(t.copies):
                    g = _Gen(k, leaf, low=k >= self.n_requests_trees)
                    self.gens.append(g)
                    self.gens_at[g.a].append(g)
                    self.gens_at[g.b].append(g)
                    self.tree_gens[k].append(g)
                    self.leaf_gen[k][leaf.pos].append(g)
        # ready pairs of each tree by route position: right[k][p] start at p, left[k][p]
        # end at p
        self.left: list[list[list[Pair]]] = [[[] for _ in range(t.hops + 1)] for t in trees]
        self.right: list[list[list[Pair]]] = [[[] for _ in range(t.hops + 1)] for t in trees]
        self.root_cutoff = [config.cutoff_factor * t.latency for t in trees]
        self._cutoffs: list[dict[tuple[int, int], float]] = [{} for _ in trees]
        ph = instance.physics
        self.ts = float(ph.swap_latency)
        self.inv_speed = 1.0 / float(ph.classical_speed)
        self.dist = np.where(np.isfinite(model.classical_distance), model.classical_distance,
                             0.0).tolist()
        self.q = model.swap_success.tolist()
        depolarizing, dephasing = noise_rates(instance, config)
        self.op = dephasing_factor(dephasing, self.ts)
        self.kappa = 2.0 * depolarizing
        self.w0 = link_werner(instance, config.link_fidelity)
        self.exponential = config.waits == "exponential"
        self.leaf_buffer = config.leaf_buffer
        self.gem = GEM.from_distances(model.classical_distance, ph.classical_speed,
                                      config.gem_latency_scale)
        # the GEM is read only by the policies that consult it
        self.use_gem = config.policy in (C.SCORING, C.CENTRALIZED)
        self.next_id = 0
        self.stats = RunStats.counting(config.duration, nreq, n, int(sum(self.mem)))
        self.tree_request = [t.request for t in trees]
        self.tracing = config.trace
        # per tree, when each copy last delivered (see _finish)
        self.last_delivery = [deque([0.0] * t.copies) for t in trees]
        self._init_policies(model, config)
        self._init_workload(trees, config, nreq)

    # -- bookkeeping ---------------------------------------------------------------------
    def _log(self, *row: object) -> None:
        self.stats.trace.append((self.sim.now, *row))

    def cutoff(self, tree: int, i: int, j: int) -> float:
        """Cut-off age of a pair of ``tree`` spanning ``[i, j]``."""
        cache = self._cutoffs[tree]
        c = cache.get((i, j))
        if c is None:
            c = self.root_cutoff[tree]
            if self.cfg.early_discard:
                c *= self.cfg.discard_factor ** self.trees[tree].segment_depth(i, j)
            cache[(i, j)] = c
        return c

    def w_now(self, p: Pair) -> float:
        """Werner parameter of ``p`` now."""
        return p.w * math.exp(-self.kappa * (self.sim.now - p.t_ref))

    # -- link generation -----------------------------------------------------------------
    def _start(self, g: _Gen) -> None:
        if g.event is not None or self.free[g.a] == 0 or self.free[g.b] == 0:
            return
        if self.leaf_buffer and g.waiting >= self.leaf_buffer:
            return  # the leaf's pairs have not been used yet: more would only fill memory
        if self.slots:
            pos = g.leaf.pos
            busy = self.attempting[g.tree][pos]
            cap = self.copies[g.tree]
            if (self.slot_r[g.tree][pos] + busy >= cap
                    or self.slot_l[g.tree][pos + 1] + busy >= cap):
                return  # every memory of the tree at a link end attempts or holds a pair
        if g.low:
            # pre-distribution only uses surplus: a memory stays free for requests
            if not self.want[g.tree] or self.free[g.a] < 2 or self.free[g.b] < 2:
                return
        elif not self.requests_on or (self.stream and not self.demand[self.tree_request[g.tree]]):
            return
        e = self.link_draw.exponential()
        # geometric attempts by inversion of the same draw: K = ceil(E / -ln(1 - p))
        wait = e / g.rate if self.exponential else max(1.0, math.ceil(e / g.lam)) * g.period
        g.event = self.sim.after(wait, self._herald, g)
        if self.slots:
            # the attempt holds a memory at each link end until it heralds or is cancelled
            self.attempting[g.tree][pos] += 1

    def _herald(self, g: _Gen) -> None:
        g.event = None
        pos = g.leaf.pos
        if self.slots:
            self.attempting[g.tree][pos] -= 1
        if g.low and (not self.want[g.tree] or self.free[g.a] < 2 or self.free[g.b] < 2):
            return  # the surplus went while this attempt ran: wait for it to come back
        if self.stream and not g.low and not self.demand[self.tree_request[g.tree]]:
            return  # its request was served meanwhile: the pair is not wanted
        self._take(g.a, g.tree)
        self._take(g.b, g.tree)
        self.stats.generated += 1
        now = self.sim.now
        if self.slots:
            # the pair keeps the attempt's memories (see _free_slot for why at most cap)
            cap = self.copies[g.tree]
            self.slot_r[g.tree][pos] = min(cap, self.slot_r[g.tree][pos] + 1)
            self.slot_l[g.tree][pos + 1] = min(cap, self.slot_l[g.tree][pos + 1] + 1)
        pair = Pair(self.next_id, g.tree, pos, pos + 1, now, self.w0[g.leaf.link], now)
        pair.gen = g
        g.waiting += 1
        self.next_id += 1
        if self.tracing:
            self._log("herald", pair.id, g.tree, pos, pos + 1, g.a, g.b)
        if self.use_gem:
            self.gem.publish(pair.id, (g.tree, pos, pos + 1), now, now, g.a)
        self._start(g)
        self._settle(pair)

    # -- pairs ---------------------------------------------------------------------------
    def _settle(self, pair: Pair) -> None:
        """A pair becomes ready at both its ends."""
        now = self.sim.now
        k = pair.tree
        t = self.trees[k]
        pair.ready_at = now
        age = now - pair.birth
        if pair.i == 0 and pair.j == t.hops:
            self._finish(pair, age)
            return
        limit = self.cutoff(k, pair.i, pair.j)
        if age >= limit:
            self._discard(pair, "late")
            return
        self.right[k][pair.i].append(pair)
        self.left[k][pair.j].append(pair)
        pair.expiry = self.sim.at(pair.birth + limit, self._expire, pair)
        if self.tracing:
            self._log("ready", pair.id, k, pair.i, pair.j, fidelity(self.w_now(pair)))
        if self.stock and k < self.n_requests_trees:
            self._draw_stock(k, pair.j, right=True)
            self._draw_stock(k, pair.i, right=False)
        self._decide(k, pair.i)
        self._decide(k, pair.j)

    def _finish(self, pair: Pair, age: float) -> None:
        k = pair.tree
        t = self.trees[k]
        if age > self.root_cutoff[k]:
            self._discard(pair, "late")
            return
        if k >= self.n_requests_trees:
            self._store(pair)
            return
        now = self.sim.now
        f = fidelity(self.w_now(pair))
        r = t.request
        st = self.stats
        waiting = self.demand[r]
        if self.stream and not waiting:
            st.surplus += 1  # another tree of the node pair served its request first
        else:
            st.delivered[r] += 1
            st.fidelity_sum[r] += f
            st.fidelities[r].append(f)
            # the delivery ends the wait of the copy that has waited longest, so that a
            # latency is one copy's time between deliveries, what eq. 1 predicts
            ring = self.last_delivery[k]
            since = ring.popleft()
            ring.append(now)
            if self.stream:
                since = waiting.popleft()
            st.latencies[r].append(now - since)
            if self.tracing:
                self._log("deliver", pair.id, k, pair.i, pair.j, f)
        if self.use_gem:
            self.gem.retire(pair.id, now, t.route[0])
        self._release(t.route[0], k)
        self._release(t.route[-1], k)
        self._used(pair)
        self._free_slot(k, 0, True)
        self._free_slot(k, t.hops, False)
        if self.stream and waiting and self.stock:
            self._serve_from_stock(r)

    def _used(self, pair: Pair) -> None:
        """A link pair stops waiting: its leaf may make the next one."""
        g = pair.gen
        if g is not None:
            pair.gen = None
            g.waiting -= 1
            if g.event is None:
                self._start(g)

    def _discard(self, pair: Pair, why: str) -> None:
        t = self.trees[pair.tree]
        if t.request >= 0:
            self.stats.expired[t.request] += 1
        if self.tracing:
            self._log("discard", pair.id, pair.tree, pair.i, pair.j, why)
        if self.use_gem:
            self.gem.retire(pair.id, self.sim.now, t.route[pair.i])
        self._release(t.route[pair.i], pair.tree)
        self._release(t.route[pair.j], pair.tree)
        self._used(pair)
        self._free_slot(pair.tree, pair.i, True)
        self._free_slot(pair.tree, pair.j, False)

    def _expire(self, pair: Pair) -> None:
        pair.expiry = None
        self.right[pair.tree][pair.i].remove(pair)
        self.left[pair.tree][pair.j].remove(pair)
        self._discard(pair, "cutoff")

    # -- swaps ---------------------------------------------------------------------------
    def _swap(self, k: int, m: int, a: Pair, b: Pair) -> None:
        """Swap ``a = [i, m]`` and ``b = [m, j]`` at route position ``m``."""
        sim = self.sim
        now = sim.now
        t = self.trees[k]
        for p in (a, b):
            p.expiry.cancelled = True
            p.expiry = None
            if p.gen is not None:
                self._used(p)
        self.right[k][a.i].remove(a)
        self.left[k][m].remove(a)
        self.right[k][m].remove(b)
        self.left[k][b.j].remove(b)
        x = t.route[m]
        u, v = t.route[a.i], t.route[b.j]
        w = self.w_now(a) * self.w_now(b) * self.op * self.op
        ok = self.swap_draw.random() < self.q[x]
        self.stats.swaps += 1
        if self.use_gem:
            self.gem.retire(a.id, now, x)
            self.gem.retire(b.id, now, x)
        sim.after(self.ts, self._swapped, x, k, m)
        dx = self.dist[x]
        delay = self.ts + max(dx[u], dx[v]) * self.inv_speed
        if ok:
            prod = Pair(self.next_id, k, a.i, b.j, min(a.birth, b.birth), w, now)
            self.next_id += 1
            if self.use_gem:
                self.gem.publish(prod.id, (k, a.i, b.j), prod.birth, now + self.ts, x)
            if self.tracing:
                self._log("swap", a.id, b.id, prod.id, k, a.i, m, b.j, fidelity(w))
            sim.after(delay, self._settle, prod)
        else:
            self.stats.swap_failures += 1
            if self.tracing:
                self._log("swap", a.id, b.id, -1, k, a.i, m, b.j, 0.0)
            sim.after(delay, self._failed, k, a.i, b.j)

    def _swapped(self, x: int, k: int, m: int) -> None:
        self._release(x, k)
        self._release(x, k)
        self._free_slot(k, m, False)
        self._free_slot(k, m, True)

    def _failed(self, k: int, i: int, j: int) -> None:
        route = self.trees[k].route
        self._release(route[i], k)
        self._release(route[j], k)
        self._free_slot(k, i, True)
        self._free_slot(k, j, False)

    # -- run -----------------------------------------------------------------------------
    def run(self) -> RunStats:
        """Execute for ``config.duration`` seconds and return the measurements."""
        for g in self.gens:
            self._start(g)
        if not self.requests_on:  # one-time pre-distribution batch first
            self.sim.run(until=self.cfg.predist_warmup)
            self._begin_requests()
        elif self.stream and self.predist == "continuous":
            # the stock fills for as long as a one-time batch may take before the
            # stream starts, so both models meet the first request on equal terms
            self.sim.run(until=self.cfg.predist_warmup)
            self._begin_requests(keep_predistributing=True)
        if self.stream:
            self.sim.at(self.stats.start, self._arrive, 0)
        self.sim.run(until=self.stats.start + self.cfg.duration)
        st = self.stats
        st.events = self.sim.events_run
        st.unserved = sum(len(waiting) for waiting in self.demand)
        self._close_accounting()
        st.freeze()
        return st
