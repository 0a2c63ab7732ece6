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
  attempt one attempt period later.
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
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from qdcopt.engine import Simulator, Streams
from qdcopt.engine.streams import Buffered
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, LinkModel
from qdcopt.network.runtime import config as C
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import dephasing_factor, fidelity, werner
from qdcopt.network.runtime.gem import GEM
from qdcopt.network.runtime.routes import ExecTree, Leaf, central_node, predistribution_trees


class Pair:
    """A Bell pair held for one tree, spanning route positions ``i < j``."""

    __slots__ = ("birth", "expiry", "gen", "i", "id", "j", "ready_at", "t_ref", "tree", "w")

    def __init__(self, pid: int, tree: int, i: int, j: int, birth: float, w: float,
                 t_ref: float) -> None:
        self.id = pid
        self.tree = tree
        self.i = i
        self.j = j
        self.birth = birth
        self.w = w
        self.t_ref = t_ref
        self.ready_at = math.inf
        self.expiry = None
        self.gen: _Gen | None = None  # the leaf that made it, while it waits as a link pair


class _Gen:
    """A leaf's link generator."""

    __slots__ = ("a", "b", "event", "lam", "leaf", "low", "period", "rate", "tree", "waiting")

    def __init__(self, tree: int, leaf: Leaf, low: bool = False) -> None:
        self.tree = tree
        self.low = low  # pre-distribution: lower priority than requests
        self.leaf = leaf
        self.a = leaf.a
        self.b = leaf.b
        self.rate = leaf.rate
        self.period = leaf.success / leaf.rate  # seconds per attempt
        self.lam = -math.log1p(-leaf.success) if leaf.success < 1 else math.inf
        self.event = None
        self.waiting = 0  # its link pairs not yet swapped, delivered or discarded


@dataclass
class RunStats:
    """What one seeded run measured.

    Attributes
    ----------
    duration
        Simulated seconds.
    delivered, fidelity_sum, latencies, fidelities
        Per request: pairs delivered, sum of their fidelities, every latency (between
        deliveries; with a request stream, from a request's arrival to its delivery) and
        every delivered fidelity.
    expired
        Per request: pairs discarded by a cut-off (root pairs included).
    memory_area
        Per request: memory-seconds held by its pairs.
    generated
        Link pairs heralded (all trees).
    swaps, swap_failures
        Swaps performed and failed.
    total_memory_area, total_memories
        Memory-seconds in use over the run, memories in the network.
    peak_memory
        Largest number of memories in use at each node.
    events
        Events the loop ran.
    predistributed, predist_used
        Pre-distributed pairs made, and those taken into a request's tree.
    start
        When requests started (after a one-time pre-distribution batch; else 0).
    arrivals, unserved, surplus
        Request stream: requests that arrived, those still waiting at the end, and pairs
        delivered with no request waiting (their memories are freed at once).
    trace
        The event trace when asked for.
    """

    duration: float
    delivered: np.ndarray
    fidelity_sum: np.ndarray
    latencies: list[list[float]]
    fidelities: list[list[float]]
    expired: np.ndarray
    memory_area: np.ndarray
    generated: int = 0
    swaps: int = 0
    swap_failures: int = 0
    total_memory_area: float = 0.0
    total_memories: int = 0
    peak_memory: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    events: int = 0
    predistributed: int = 0
    predist_used: int = 0
    start: float = 0.0
    arrivals: int = 0
    unserved: int = 0
    surplus: int = 0
    trace: list[tuple] = field(default_factory=list)


class Execution:
    """The state of one run; :meth:`run` executes it.

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
            trees = list(trees) + predistribution_trees(list(trees), config.predist_links)
        self.trees = trees
        self.sim = Simulator()
        streams = Streams(seed)
        self.link_draw = Buffered(streams.get("links"))
        self.swap_draw = Buffered(streams.get("swaps"))
        n = instance.n
        self.mem = [node.memories for node in instance.nodes]
        self.free = list(self.mem)
        self.gens_at: list[list[_Gen]] = [[] for _ in range(n)]
        self.gens: list[_Gen] = []
        for k, t in enumerate(trees):
            for leaf in t.leaves:
                g = _Gen(k, leaf, low=k >= self.n_requests_trees)
                self.gens.append(g)
                self.gens_at[g.a].append(g)
                self.gens_at[g.b].append(g)
        # one memory per link end of each tree: slot_r[k][p] holds the pair whose left end
        # is route position p, slot_l[k][p] the pair whose right end is p
        self.slots = config.slots
        self.slot_r = [[False] * (t.hops + 1) for t in trees]
        self.slot_l = [[False] * (t.hops + 1) for t in trees]
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
        self.op = dephasing_factor(config.dephasing_rate, self.ts)
        self.kappa = 2.0 * config.depolarizing_rate
        self.w0 = werner(config.link_fidelity)
        self.exponential = config.waits == "exponential"
        self.leaf_buffer = config.leaf_buffer
        self.gem = GEM.from_distances(model.classical_distance, ph.classical_speed,
                                      config.gem_latency_scale)
        self.center = central_node(model)
        self.pending: set[tuple[int, int]] = set()
        self.policy = config.policy
        self.next_id = 0
        nreq = len(instance.requests)
        # counters are plain lists while running (numpy scalars are slow one at a time)
        self.stats = RunStats(duration=config.duration, delivered=[0] * nreq,
                              fidelity_sum=[0.0] * nreq, latencies=[[] for _ in range(nreq)],
                              fidelities=[[] for _ in range(nreq)], expired=[0] * nreq,
                              memory_area=[0.0] * nreq, total_memories=int(sum(self.mem)),
                              peak_memory=[0] * n)
        self.tree_request = [t.request for t in trees]
        # the GEM is read only by the policies that consult it
        self.use_gem = config.policy in (C.SCORING, C.CENTRALIZED)
        self.tracing = config.trace
        self.last_delivery = [0.0] * len(trees)
        self.used = 0
        self.tree_used = [0] * len(trees)
        self.last_change = 0.0
        self.tree_last = [0.0] * len(trees)
        # pre-distribution: stock per node pair, whether each tree still generates
        self.requests_on = self.predist != "batch" or len(trees) == self.n_requests_trees
        self.want = [True] * len(trees)
        self.made = [0] * len(trees)
        self.stock: dict[tuple[int, int], list[Pair]] = {}
        self.pos_of = [{node: i for i, node in enumerate(t.route)} for t in trees]
        # request stream: arrival times of the requests waiting, per node pair
        self.stream = config.arrivals > 0
        self.demand: list[deque[float]] = [deque() for _ in range(nreq)]
        self.req_trees = [[k for k in range(self.n_requests_trees) if trees[k].request == r]
                          for r in range(nreq)]
        self.tree_gens: list[list[_Gen]] = [[] for _ in trees]
        self.leaf_gen: list[list[_Gen | None]] = [[None] * t.hops for t in trees]
        for g in self.gens:
            self.tree_gens[g.tree].append(g)
            self.leaf_gen[g.tree][g.leaf.pos] = g

    # -- bookkeeping ---------------------------------------------------------------------
    def _log(self, *row: object) -> None:
        self.stats.trace.append((self.sim.now, *row))

    def _account(self, tree: int, delta: int) -> None:
        now = self.sim.now
        st = self.stats
        st.total_memory_area += self.used * (now - self.last_change)
        self.last_change = now
        self.used += delta
        req = self.tree_request[tree]
        if req >= 0:
            st.memory_area[req] += self.tree_used[tree] * (now - self.tree_last[tree])
        self.tree_last[tree] = now
        self.tree_used[tree] += delta

    def _take(self, node: int, tree: int) -> None:
        free = self.free[node] - 1
        if free < 0:
            raise RuntimeError(f"node {node} has no free memory")  # invariant
        self.free[node] = free
        used = self.mem[node] - free
        if used > self.stats.peak_memory[node]:
            self.stats.peak_memory[node] = used
        self._account(tree, 1)
        if free == 0:  # no free memory: no generator at this node may attempt
            for g in self.gens_at[node]:
                if g.event is not None:
                    g.event.cancelled = True
                    g.event = None

    def _release(self, node: int, tree: int) -> None:
        self.free[node] += 1
        self._account(tree, -1)
        if self.tracing:
            self._log("free", node, tree)
        free = self.free[node]
        # 1: requests may attempt again; 2: pre-distribution too
        if free == 1 or (free == 2 and self.predist != "none"):
            buffer = self.leaf_buffer
            free_at = self.free
            for g in self.gens_at[node]:
                # the cheap refusals of _start, inline: most generators here are full
                # or blocked at their other end
                if (g.event is None and free_at[g.a] and free_at[g.b]
                        and not (buffer and g.waiting >= buffer)):
                    self._start(g)

    def _free_slot(self, k: int, pos: int, right: bool) -> None:
        """Tree ``k``'s memory at route position ``pos`` (its right or left link end) is
        free again: the leaf that uses it may attempt."""
        if not self.slots:
            return
        if right:
            self.slot_r[k][pos] = False
            g = self.leaf_gen[k][pos]
        else:
            self.slot_l[k][pos] = False
            g = self.leaf_gen[k][pos - 1]
        if g is not None and g.event is None:
            self._start(g)

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
            if self.slot_r[g.tree][pos] or self.slot_l[g.tree][pos + 1]:
                return  # the tree's memory at a link end still holds a pair
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

    def _herald(self, g: _Gen) -> None:
        g.event = None
        if g.low and (not self.want[g.tree] or self.free[g.a] < 2 or self.free[g.b] < 2):
            return  # the surplus went while this attempt ran: wait for it to come back
        if self.stream and not g.low and not self.demand[self.tree_request[g.tree]]:
            return  # its request was served meanwhile: the pair is not wanted
        self._take(g.a, g.tree)
        self._take(g.b, g.tree)
        self.stats.generated += 1
        now = self.sim.now
        pos = g.leaf.pos
        if self.slots:
            self.slot_r[g.tree][pos] = True
            self.slot_l[g.tree][pos + 1] = True
        pair = Pair(self.next_id, g.tree, pos, pos + 1, now, self.w0, now)
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
            since = waiting.popleft() if self.stream else self.last_delivery[k]
            st.latencies[r].append(now - since)
            self.last_delivery[k] = now
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

    # -- pre-distribution (§IV-C) ---------------------------------------------------------
    def _store(self, pair: Pair) -> None:
        """A pre-distribution tree made its pair: keep it in stock for any request."""
        k = pair.tree
        t = self.trees[k]
        key = (min(t.route[0], t.route[-1]), max(t.route[0], t.route[-1]))
        self.stock.setdefault(key, []).append(pair)
        # the stocked pair leaves its tree: the tree may make the next one
        self._free_slot(k, 0, True)
        self._free_slot(k, t.hops, False)
        self.stats.predistributed += 1
        self.made[k] += 1
        if self.tracing:
            self._log("stock", pair.id, k, key[0], key[1], fidelity(self.w_now(pair)))
        self._update_want(k, key)
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

    def _update_want(self, k: int, key: tuple[int, int]) -> None:
        if self.predist == "batch":
            want = self.made[k] < self.cfg.predist_pairs
            if not want and self.want[k] and not self.requests_on and not any(
                    self.want[j] for j in range(self.n_requests_trees, len(self.trees))
                    if j != k):
                self.sim.stop()  # the one-time batch is complete: requests may start
        else:
            want = len(self.stock.get(key, ())) < self.cfg.predist_pairs
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
        if any(p.j == j for p in self.right[k][i]):
            return False  # the tree already holds such a pair
        if self.slots:
            if self.slot_r[k][i] or self.slot_l[k][j]:
                return False  # the tree's memories at those link ends are taken
            self.slot_r[k][i] = True
            self.slot_l[k][j] = True
        pair = self.stock[key].pop(0)
        if not self.stock[key]:
            del self.stock[key]
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
        st = self.stats
        st.start = now
        self.last_change = now
        st.total_memory_area = 0.0
        st.memory_area = [0.0] * len(st.memory_area)
        self.tree_last = [now] * len(self.trees)
        self.last_delivery = [now] * len(self.trees)
        for k in range(self.n_requests_trees, len(self.trees)):
            if not keep_predistributing:
                self.want[k] = False  # one-time: an unfinished batch is not continued
        for g in self.gens:
            if not g.low and g.event is None:
                self._start(g)

    # -- request stream -------------------------------------------------------------------
    def _arrive(self, n: int) -> None:
        """Request ``n`` of the stream arrives: one pair for node pair ``n mod R``."""
        r = n % len(self.demand)
        self.demand[r].append(self.sim.now)
        self.stats.arrivals += 1
        if self.tracing:
            self._log("arrive", n, r)
        if n + 1 < self.cfg.arrivals:  # absolute times: no drift from summed intervals
            self.sim.at(self.stats.start + (n + 1) * self.cfg.arrival_interval, self._arrive,
                        n + 1)
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
        drawn in draws its neighbours in turn, see :meth:`_settle`)."""
        waiting = self.demand[r]
        for k in self.req_trees[r]:
            if not waiting:
                return
            self._draw_stock(k, 0, right=True)
            if waiting:
                self._draw_stock(k, self.trees[k].hops, right=False)

    # -- decisions -----------------------------------------------------------------------
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
                x = t.route[m]
                one_way = self.dist[x][self.center] * self.inv_speed
                self.sim.after(2 * one_way, self._central_reply, k, m, self.sim.now + one_way)
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
        self.sim.at(max(self.sim.now, arrive - one_way) + 2 * one_way, self._central_reply, k,
                    m, max(self.sim.now + one_way, arrive))

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
            if (k, m) not in self.pending:
                self.pending.add((k, m))
                self.sim.after(self.cfg.poll_fraction * self.root_cutoff[k], self._poll, k, m)
            return None
        return best[1], best[2]

    def _poll(self, k: int, m: int) -> None:
        self.pending.discard((k, m))
        self._decide(k, m)

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
        for k in range(len(self.trees)):
            self._account(k, 0)
        st.delivered = np.array(st.delivered, dtype=np.int64)
        st.fidelity_sum = np.array(st.fidelity_sum, dtype=float)
        st.expired = np.array(st.expired, dtype=np.int64)
        st.memory_area = np.array(st.memory_area, dtype=float)
        st.peak_memory = np.array(st.peak_memory, dtype=np.int64)
        return st


_KEYS = {
    C.SWAP_ASAP: lambda c: (max(c[0].ready_at, c[1].ready_at), c[0].id, c[1].id),
    C.OLDEST: lambda c: (min(c[0].birth, c[1].birth), c[0].id, c[1].id),
    C.YOUNGEST: lambda c: (-min(c[0].birth, c[1].birth), c[0].id, c[1].id),
    C.LONGEST_HOP: lambda c: (-(c[1].j - c[0].i), c[0].id, c[1].id),
    C.SHORTEST_HOP: lambda c: (c[1].j - c[0].i, c[0].id, c[1].id),
    C.CENTRALIZED: lambda c: (min(c[0].birth, c[1].birth), c[0].id, c[1].id),
}
