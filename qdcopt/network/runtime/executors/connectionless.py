"""The connectionless baseline without a plan (paper 003 §VI, after Bacciottini et al.):
hop-by-hop swapping with a next hop chosen at each node, per-hop waiting.

Rules (derived and justified in ``models/runtime.md``, "Connectionless baseline"):

* **Routing tables.** Every node knows its hop distance to every requested destination
  and to every source.  The next hops of request ``r`` at node ``x`` are the neighbours
  one hop closer to its destination on a shortest path from its source (the links of
  the shortest-path DAG of ``r``).
* **Link generation without a plan.** Each node's memories are split over the links the
  routing tables use, one memory at each end of a link per *link process*, in rounds
  (every link takes one more memory at both ends while both have one spare; a link that
  is some request's only next hop first, then links used by more requests, then faster
  links).  A process attempts while both its
  memories are free at the rate of one reserved memory per link end
  (:func:`~qdcopt.network.resources.slot_link_rate`), holds at most one pair, and its
  pair's memories stay with the pair (and the chain it joins) until used.  Routes avoid
  links that receive no memory (the split is made again without them), so a chain never
  reaches a node without a next hop.
* **Chains.** A link pair at a request's source on one of its first hops becomes a
  chain ``[s, x]``.  At ``x`` the chain takes the freshest link pair already waiting on a
  link to a next hop, or waits for the first one heralded on any of them (dynamic
  next-hop selection, per-hop waiting), swaps (swap latency, success ``q``, outcome at
  the chain's ends after the farther end's signalling delay) and goes on from the next
  node until it reaches the destination.  A heralded link pair goes to the chain that
  has waited longest at either end, else starts a chain at a source end, else waits.
* **Cut-offs.** Root cut-off ``cutoff_factor × T_r``, ``T_r`` the eq.-1 latency of
  hop-by-hop swapping (a left-deep tree) along the request's fastest shortest route;
  with early discard a chain of ``h`` of ``H`` hops has the depth a balanced tree gives
  it, ``round(log2(H / h))``.  A waiting link pair is discarded when it is older than any
  chain it could still join.

The run measures what :class:`~qdcopt.network.runtime.metrics.RunStats` holds, with the
same trace rows as :class:`~qdcopt.network.runtime.executor.Execution` (``tree`` is the
request, -1 for a link pair no chain has taken; positions are node indices).

Long module, on purpose: one executor; its routing tables, link processes, per-hop
waiting and cut-offs act on one shared state in one event loop, and the rules above read
against the code only when they sit together.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import networkx as nx

from qdcopt.engine import Simulator, Streams
from qdcopt.engine.streams import Buffered
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import MAX_OF_TWO_EXPONENTIALS, LinkModel
from qdcopt.network.resources import slot_link_rate
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.fidelity import (
    dephasing_factor,
    fidelity,
    link_werner,
    noise_rates,
)
from qdcopt.network.runtime.metrics import RunStats
from qdcopt.network.runtime.workload import record_arrival

__all__ = ["ConnectionlessExecution", "Routing", "routing"]


@dataclass(frozen=True)
class Routing:
    """What the connectionless baseline knows before it runs: no plan, only routing.

    Attributes
    ----------
    processes
        Link processes per link (one memory at each end each); 0 for a link that carries
        no route.
    next_hops
        ``next_hops[r][x]``: next hop ``y`` → link, for every node ``x`` on a shortest
        route of request ``r`` other than its destination.
    hops
        Hops of each request's shortest routes (0 when it has none).
    from_source
        ``from_source[r][x]``: hops from request ``r``'s source to node ``x`` of its routes.
    latency
        Per request, the eq.-1 latency of hop-by-hop swapping along its fastest shortest
        route, seconds (``inf`` without a route).
    rate
        Pairs/s of one process of each link (:func:`slot_link_rate`).
    """

    processes: tuple[int, ...]
    next_hops: tuple[dict[int, dict[int, int]], ...]
    hops: tuple[int, ...]
    from_source: tuple[dict[int, int], ...]
    latency: tuple[float, ...]
    rate: tuple[float, ...]


def routing(instance: NetworkInstance, model: LinkModel) -> Routing:
    """Routing tables and the split of memories over links for the plan-free baseline.

    Hop distances make the routes (every swap succeeds only with ``q``, so fewer hops
    weigh more than shorter fibre, and ties leave a choice of next hops).  Memories go
    in rounds to the links of the shortest-path DAGs (see the module docstring); when a
    routed link gets no memory the routes are computed again without it, until every
    routed link has one.

    Parameters
    ----------
    instance, model
        The network and its link model.

    Returns
    -------
    Routing
    """
    rate = [float(g) for g in slot_link_rate(instance, model)]
    mem = [node.memories for node in instance.nodes]
    requests = [(r.source, r.destination) for r in instance.requests]
    starved: set[int] = set()
    while True:
        graph = nx.Graph()
        graph.add_nodes_from(range(instance.n))
        for ell, link in enumerate(instance.links):
            if rate[ell] > 0 and ell not in starved:
                graph.add_edge(link.u, link.v, link=ell)
        dags, hops, from_source = _dags(graph, requests)
        traffic = [0] * len(rate)
        only = [0] * len(rate)
        for dag in dags:
            for nxt in dag.values():
                if len(nxt) == 1:
                    only[next(iter(nxt.values()))] += 1
            for ell in {ell for nxt in dag.values() for ell in nxt.values()}:
                traffic[ell] += 1
        used = [ell for ell in range(len(rate)) if traffic[ell]]
        processes = _split(instance, mem, used, (only, traffic, rate))
        lost = {ell for ell in used if not processes[ell]}
        if not lost:
            break
        starved |= lost  # route around links that got no memory
    latency = tuple(_chain_latency(instance, model, dag, at, s, d, processes, rate)
                    for dag, at, (s, d) in zip(dags, from_source, requests, strict=True))
    return Routing(processes=tuple(processes), next_hops=tuple(dags), hops=tuple(hops),
                   from_source=tuple(from_source), latency=latency, rate=tuple(rate))


def _dags(graph: nx.Graph, requests: list[tuple[int, int]],
          ) -> tuple[list[dict[int, dict[int, int]]], list[int], list[dict[int, int]]]:
    """Per request: the shortest-path DAG (node → next hop → link), its hops, and each
    of its nodes' hops from the source."""
    dags, hops, from_source = [], [], []
    for s, d in requests:
        to_d = nx.single_source_shortest_path_length(graph, d)
        if s not in to_d:
            dags.append({})
            hops.append(0)
            from_source.append({})
            continue
        to_s = nx.single_source_shortest_path_length(graph, s)
        h = to_d[s]
        on = {x: to_s[x] for x in to_s if x in to_d and to_s[x] + to_d[x] == h}
        dag: dict[int, dict[int, int]] = {}
        for x in sorted(on):
            if x == d:
                continue
            dag[x] = {y: graph.edges[x, y]["link"] for y in sorted(graph.neighbors(x))
                      if y in on and on[y] == on[x] + 1}
        dags.append(dag)
        hops.append(h)
        from_source.append(on)
    return dags, hops, from_source


def _split(instance: NetworkInstance, mem: list[int], used: list[int],
           priority: tuple[list[int], list[int], list[float]]) -> list[int]:
    """Processes per link: rounds of one more memory at both ends of every used link
    that still has one spare at both.

    Within a round links go in order of ``priority = (only, traffic, rate)``: first the
    links that are some request's only next hop at a node (so that a node with fewer
    memories than routed links keeps every request's route), then links used by more
    requests, then faster links.
    """
    only, traffic, rate = priority
    order = sorted(used, key=lambda ell: (-only[ell], -traffic[ell], -rate[ell], ell))
    spare = list(mem)
    processes = [0] * len(instance.links)
    grew = True
    while grew:
        grew = False
        for ell in order:
            u, v = instance.links[ell].u, instance.links[ell].v
            if spare[u] and spare[v]:
                spare[u] -= 1
                spare[v] -= 1
                processes[ell] += 1
                grew = True
    return processes


def _chain_latency(instance: NetworkInstance, model: LinkModel,
                   dag: dict[int, dict[int, int]], at: dict[int, int], s: int, d: int,
                   processes: list[int], rate: list[float]) -> float:
    """Eq. 1 of hop-by-hop swapping along the fastest route of ``dag``.

    A chain ``[s, x]`` extended over link ``x–y`` is the swap of the chain and a link
    pair at ``x``: ``T(y) = (3/2 · max(T(x), 1/g) + t_s + max(d(x, s), d(x, y)) / c) / q_x``
    with ``T(y) = 1/g`` for the first hop (``g`` the link's rate over its processes); the
    expression grows with ``T(x)``, so the best route is found node by node in order of
    hops from the source (``at``).
    """
    if not dag:
        return math.inf
    ph = instance.physics
    dist = model.classical_distance
    q = model.swap_success
    best = {s: 0.0}
    for x in sorted(dag, key=lambda node: (at[node], node)):
        for y, ell in dag[x].items():
            leaf = 1.0 / (processes[ell] * rate[ell])
            if x == s:
                t = leaf
            else:
                extra = ph.swap_latency + max(dist[x, s], dist[x, y]) / ph.classical_speed
                t = float((MAX_OF_TWO_EXPONENTIALS * max(best[x], leaf) + extra) / q[x])
            best[y] = min(best.get(y, math.inf), t)
    return best.get(d, math.inf)


class _Proc:
    """A link process: one memory at each end of a link, attempting while both are free."""

    __slots__ = ("a", "b", "busy_a", "busy_b", "event", "lam", "link", "period", "rate")

    def __init__(self, link: int, a: int, b: int, rate: float, success: float) -> None:
        self.link = link
        self.a = a
        self.b = b
        self.rate = rate
        self.period = success / rate  # seconds per attempt
        self.lam = -math.log1p(-success) if success < 1 else math.inf
        self.busy_a = False
        self.busy_b = False
        self.event = None


class _CPair:
    """A pair between nodes ``u`` and ``v``: a link pair (``req`` -1) or a chain of
    request ``req`` from its source ``u``, holding the memory of process ``hu`` at ``u``
    and of ``hv`` at ``v``."""

    __slots__ = ("birth", "expiry", "hops", "hu", "hv", "id", "ready_at", "req", "t_ref", "u",
                 "v", "w")

    def __init__(self, pid: int, req: int, u: int, v: int, hu: _Proc, hv: _Proc, hops: int,
                 birth: float, w: float, t_ref: float) -> None:
        self.id = pid
        self.req = req
        self.u = u
        self.v = v
        self.hu = hu
        self.hv = hv
        self.hops = hops
        self.birth = birth
        self.w = w
        self.t_ref = t_ref
        self.ready_at = t_ref
        self.expiry = None


class ConnectionlessExecution:
    """One seeded run of the plan-free connectionless baseline (module docstring).

    Parameters
    ----------
    instance, model
        The network and its link model.
    config
        Settings (``policy="connectionless"``, ``connectionless="dynamic"``); the options
        that concern plans (pre-distribution, ``leaf_buffer``, ``slots``, the GEM and
        scoring) do not apply.
    seed
        Seed of every random stream of the run.
    """

    def __init__(self, instance: NetworkInstance, model: LinkModel, config: RuntimeConfig,
                 seed: int) -> None:
        if config.predistribution != "none":
            raise ValueError("the dynamic connectionless baseline has no pre-distribution")
        self.instance = instance
        self.cfg = config
        self.route = routing(instance, model)
        self.sim = Simulator()
        streams = Streams(seed)
        self.link_draw = Buffered(streams.get("links"))
        self.swap_draw = Buffered(streams.get("swaps"))
        n = instance.n
        nreq = len(instance.requests)
        self.source = [r.source for r in instance.requests]
        self.dest = [r.destination for r in instance.requests]
        self.procs: list[_Proc] = []
        for ell, count in enumerate(self.route.processes):
            link = instance.links[ell]
            for _ in range(count):
                self.procs.append(_Proc(ell, link.u, link.v, self.route.rate[ell],
                                        float(model.success[ell])))
        # requests that start chains at each node, with their first hops
        self.starts: list[list[int]] = [[] for _ in range(n)]
        for r, s in enumerate(self.source):
            if self.route.next_hops[r]:
                self.starts[s].append(r)
        self.waiting: list[list[_CPair]] = [[] for _ in range(n)]  # chains, per node
        self.free_pairs: list[list[_CPair]] = [[] for _ in instance.links]
        self.in_flight = [0] * nreq
        self.root_cutoff = [config.cutoff_factor * t for t in self.route.latency]
        self.link_cutoff = self._link_cutoffs()
        ph = instance.physics
        self.ts = float(ph.swap_latency)
        self.inv_speed = 1.0 / float(ph.classical_speed)
        self.dist = [[float(x) if math.isfinite(x) else 0.0 for x in row]
                     for row in model.classical_distance.tolist()]
        self.q = model.swap_success.tolist()
        depolarizing, dephasing = noise_rates(instance, config)
        self.op = dephasing_factor(dephasing, self.ts)
        self.kappa = 2.0 * depolarizing
        self.w0 = link_werner(instance, config.link_fidelity)
        self.exponential = config.waits == "exponential"
        self.next_id = 0
        self.mem = [node.memories for node in instance.nodes]
        self.used_at = [0] * n
        self.stats = RunStats.counting(config.duration, nreq, n, int(sum(self.mem)))
        self.tracing = config.trace
        self.last_delivery = [0.0] * nreq
        self.stream = config.arrivals > 0
        self.demand: list[deque[float]] = [deque() for _ in range(nreq)]
        # memory-seconds: in the network, and per request (index nreq: no request yet)
        self.used = 0
        self.last_change = 0.0
        self.req_used = [0] * (nreq + 1)
        self.req_last = [0.0] * (nreq + 1)

    # -- cut-offs and bookkeeping -------------------------------------------------------
    def cutoff(self, r: int, hops: int) -> float:
        """Cut-off age of a chain of request ``r`` spanning ``hops`` hops."""
        c = self.root_cutoff[r]
        if self.cfg.early_discard:
            c *= self.cfg.discard_factor ** max(0, round(math.log2(self.route.hops[r] / hops)))
        return c

    def _link_cutoffs(self) -> list[float]:
        """Per link: the largest cut-off of a chain a link pair on it could still join (a
        pair older than that can never be part of a delivered pair)."""
        out = [0.0] * len(self.instance.links)
        for r, dag in enumerate(self.route.next_hops):
            at = self.route.from_source[r]
            for nxt in dag.values():
                for y, ell in nxt.items():
                    out[ell] = max(out[ell], self.cutoff(r, at[y]))
        return out

    def _log(self, *row: object) -> None:
        self.stats.trace.append((self.sim.now, *row))

    def w_now(self, p: _CPair) -> float:
        """Werner parameter of ``p`` now."""
        return p.w * math.exp(-self.kappa * (self.sim.now - p.t_ref))

    def _account(self, req: int, delta: int) -> None:
        """``delta`` memories more are held for request ``req`` (-1: by link pairs)."""
        now = self.sim.now
        st = self.stats
        st.total_memory_area += self.used * (now - self.last_change)
        self.last_change = now
        self.used += delta
        if req >= 0:
            st.memory_area[req] += self.req_used[req] * (now - self.req_last[req])
        self.req_last[req] = now
        self.req_used[req] += delta

    def _take(self, node: int) -> None:
        used = self.used_at[node] + 1
        if used > self.mem[node]:
            raise RuntimeError(f"node {node} has no free memory")  # invariant
        self.used_at[node] = used
        if used > self.stats.peak_memory[node]:
            self.stats.peak_memory[node] = used
        self._account(-1, 1)

    def _release(self, node: int, proc: _Proc, req: int) -> None:
        """The memory of ``proc`` at ``node`` is free: the process may attempt again."""
        if proc.a == node:
            proc.busy_a = False
        else:
            proc.busy_b = False
        self.used_at[node] -= 1
        self._account(req, -1)
        if self.tracing:
            self._log("free", node, req)
        self._start(proc)

    def _move(self, old: int, new: int) -> None:
        """A pair's two memories pass from request ``old`` to ``new``."""
        self._account(old, -2)
        self._account(new, 2)

    # -- link generation ----------------------------------------------------------------
    def _start(self, proc: _Proc) -> None:
        if proc.event is not None or proc.busy_a or proc.busy_b:
            return
        e = self.link_draw.exponential()
        # geometric attempts by inversion of the same draw: K = ceil(E / -ln(1 - p))
        wait = (e / proc.rate if self.exponential
                else max(1.0, math.ceil(e / proc.lam)) * proc.period)
        proc.event = self.sim.after(wait, self._herald, proc)

    def _herald(self, proc: _Proc) -> None:
        proc.event = None
        proc.busy_a = proc.busy_b = True
        a, b = proc.a, proc.b
        self._take(a)
        self._take(b)
        self.stats.generated += 1
        now = self.sim.now
        w0 = self.w0[self.instance.find_link(a, b)]
        pair = _CPair(self.next_id, -1, a, b, proc, proc, 1, now, w0, now)
        self.next_id += 1
        if self.tracing:
            self._log("herald", pair.id, -1, a, b, a, b)
            self._log("ready", pair.id, -1, a, b, fidelity(w0))
        self._link_ready(pair)

    def _link_ready(self, pair: _CPair) -> None:
        """A link pair is heralded: the chain that has waited longest at either end for
        this link takes it; else it starts a chain at a source end; else it waits."""
        a, b = pair.u, pair.v
        hops = self.route.next_hops
        best = None
        for end, other in ((a, b), (b, a)):
            for c in self.waiting[end]:
                nxt = hops[c.req].get(end)
                if nxt is not None and other in nxt:
                    key = (c.ready_at, c.id)
                    if best is None or key < best[0]:
                        best = (key, c)
        if best is not None:
            c = best[1]
            self.waiting[c.v].remove(c)
            c.expiry.cancelled = True
            c.expiry = None
            self._swap(c, pair)
            return
        start = None
        for end, other in ((a, b), (b, a)):
            for r in self.starts[end]:
                if other in hops[r][end] and (not self.stream or self.demand[r]):
                    # the request with the fewest chains under way, so requests that
                    # share a source and a first link take turns
                    key = (self.in_flight[r], r)
                    if start is None or key < start[0]:
                        start = (key, r, end)
        if start is not None:
            self._start_chain(start[1], pair, start[2])
            return
        self.free_pairs[pair.hu.link].append(pair)
        pair.expiry = self.sim.at(pair.birth + self.link_cutoff[pair.hu.link],
                                  self._expire_link, pair)

    # -- chains -------------------------------------------------------------------------
    def _start_chain(self, r: int, pair: _CPair, s: int) -> None:
        """Link pair ``pair`` at source ``s`` becomes a chain of request ``r``."""
        if pair.u != s:
            pair.u, pair.v = pair.v, pair.u
        pair.req = r
        self._move(-1, r)
        self.in_flight[r] += 1
        if self.tracing:
            self._log("start", pair.id, r, pair.u, pair.v)
        self._chain_ready(pair)

    def _chain_ready(self, c: _CPair) -> None:
        """Chain ``c`` has reached node ``c.v``: deliver it, or extend it over the
        freshest link pair already waiting toward the destination, or wait there."""
        now = self.sim.now
        r = c.req
        age = now - c.birth
        x = c.v
        if x == self.dest[r]:
            self._finish(c, age)
            return
        limit = self.cutoff(r, c.hops)
        if age >= limit:
            self._discard(c, "late")
            return
        c.ready_at = now
        if c.hops > 1 and self.tracing:
            self._log("ready", c.id, r, c.u, x, fidelity(self.w_now(c)))
        best = None
        for ell in self.route.next_hops[r][x].values():
            for p in self.free_pairs[ell]:
                # the freshest: an older pair would age the chain (it waits for its cut-off)
                key = (-p.birth, p.id)
                if best is None or key < best[0]:
                    best = (key, p)
        if best is not None:
            p = best[1]
            self.free_pairs[p.hu.link].remove(p)
            p.expiry.cancelled = True
            p.expiry = None
            self._swap(c, p)
            return
        self.waiting[x].append(c)
        c.expiry = self.sim.at(c.birth + limit, self._expire_chain, c)

    def _swap(self, c: _CPair, p: _CPair) -> None:
        """Swap chain ``c = [s, x]`` with link pair ``p = [x, y]`` at ``x``."""
        sim = self.sim
        now = sim.now
        r = c.req
        s, x = c.u, c.v
        y = p.v if p.u == x else p.u
        self._move(-1, r)
        w = self.w_now(c) * self.w_now(p) * self.op * self.op
        ok = self.swap_draw.random() < self.q[x]
        self.stats.swaps += 1
        sim.after(self.ts, self._swapped, x, c.hv, p.hu, r)
        dx = self.dist[x]
        delay = self.ts + max(dx[s], dx[y]) * self.inv_speed
        if ok:
            prod = _CPair(self.next_id, r, s, y, c.hu, p.hu, c.hops + 1,
                          min(c.birth, p.birth), w, now)
            self.next_id += 1
            if self.tracing:
                self._log("swap", c.id, p.id, prod.id, r, s, x, y, fidelity(w))
            sim.after(delay, self._chain_ready, prod)
        else:
            self.stats.swap_failures += 1
            if self.tracing:
                self._log("swap", c.id, p.id, -1, r, s, x, y, 0.0)
            sim.after(delay, self._failed, r, s, c.hu, y, p.hu)

    def _swapped(self, x: int, h1: _Proc, h2: _Proc, r: int) -> None:
        # the two memories measured at x are free once the swap is done
        self._release(x, h1, r)
        self._release(x, h2, r)

    def _failed(self, r: int, s: int, hs: _Proc, y: int, hy: _Proc) -> None:
        self.in_flight[r] -= 1
        self._release(s, hs, r)
        self._release(y, hy, r)

    def _finish(self, c: _CPair, age: float) -> None:
        r = c.req
        if age > self.root_cutoff[r]:
            self._discard(c, "late")
            return
        now = self.sim.now
        f = fidelity(self.w_now(c))
        st = self.stats
        waiting = self.demand[r]
        if self.stream and not waiting:
            st.surplus += 1  # another chain served its request first
        else:
            st.delivered[r] += 1
            st.fidelity_sum[r] += f
            st.fidelities[r].append(f)
            since = waiting.popleft() if self.stream else self.last_delivery[r]
            st.latencies[r].append(now - since)
            self.last_delivery[r] = now
            if self.tracing:
                self._log("deliver", c.id, r, c.u, c.v, f)
        self.in_flight[r] -= 1
        self._release(c.u, c.hu, r)
        self._release(c.v, c.hv, r)

    def _discard(self, p: _CPair, why: str) -> None:
        if p.req >= 0:
            self.stats.expired[p.req] += 1
            self.in_flight[p.req] -= 1
        else:
            self.stats.link_expired += 1
        if self.tracing:
            self._log("discard", p.id, p.req, p.u, p.v, why)
        self._release(p.u, p.hu, p.req)
        self._release(p.v, p.hv, p.req)

    def _expire_chain(self, c: _CPair) -> None:
        c.expiry = None
        self.waiting[c.v].remove(c)
        self._discard(c, "cutoff")

    def _expire_link(self, p: _CPair) -> None:
        p.expiry = None
        self.free_pairs[p.hu.link].remove(p)
        self._discard(p, "cutoff")

    # -- request stream -----------------------------------------------------------------
    def _arrive(self, n: int) -> None:
        """Request ``n`` of the stream arrives: one pair for node pair ``n mod R``."""
        r = record_arrival(self, n, 0.0)
        if len(self.demand[r]) > 1 or not self.route.next_hops[r]:
            return
        # link pairs that waited at the source on a first hop start chains now
        s = self.source[r]
        for ell in self.route.next_hops[r][s].values():
            while self.free_pairs[ell] and self.demand[r]:
                p = self.free_pairs[ell].pop()
                p.expiry.cancelled = True
                p.expiry = None
                self._start_chain(r, p, s)

    # -- run ----------------------------------------------------------------------------
    def run(self) -> RunStats:
        """Execute for ``config.duration`` seconds and return the measurements."""
        for proc in self.procs:
            self._start(proc)
        if self.stream:
            self.sim.at(0.0, self._arrive, 0)
        self.sim.run(until=self.cfg.duration)
        st = self.stats
        st.events = self.sim.events_run
        st.unserved = sum(len(waiting) for waiting in self.demand)
        for r in range(len(self.req_used)):
            self._account(r if r < len(self.demand) else -1, 0)
        st.freeze()
        return st
