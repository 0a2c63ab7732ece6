"""Memory accounting of an execution: :class:`MemoryAccounting`.

It holds the free memories per node (taking and freeing one, which stops and restarts the
node's link generators), the per-tree link-end memories (``slot_r`` / ``slot_l``: how many
of a tree's ``copies`` memories at each link end hold a pair, ``attempting``: how many
attempt), the memory-seconds counted per request and in total, and each node's peak
memory use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.runtime.config import RuntimeConfig
from qdcopt.network.runtime.routes import ExecTree

if TYPE_CHECKING:
    from qdcopt.engine import Simulator
    from qdcopt.network.runtime.metrics import RunStats
    from qdcopt.network.runtime.pairs import _Gen


class MemoryAccounting:
    """Mixin of :class:`~qdcopt.network.runtime.executor.Execution`: who holds which memory.

    A mixin rather than a helper object because :meth:`_take` and :meth:`_release` run
    for every pair and swap: they stay plain methods of the execution.

    Attributes
    ----------
    mem, free
        Memories of each node, and how many of them are free.
    slots
        Whether each tree has ``copies`` memories per link end (``RuntimeConfig.slots``).
    copies
        Per tree: its memories per link end (``ExecTree.copies``).
    slot_r, slot_l
        ``slot_r[k][p]``: memories of tree ``k`` at route position ``p`` for the link to
        ``p + 1`` that hold a pair (whose left end is ``p``); ``slot_l[k][p]``: the same
        for the link to ``p − 1`` (pairs whose right end is ``p``).  At most
        ``copies[k]``.
    attempting
        ``attempting[k][p]``: generators of tree ``k``'s leaf at position ``p`` with an
        attempt under way, each holding a memory at both ends of the link.  A leaf
        starts one more only while ``slot_r[k][p]`` and ``slot_l[k][p + 1]`` each plus
        ``attempting[k][p]`` are below ``copies[k]``.
    used, last_change
        Memories in use in the network, and when that last changed.
    tree_used, tree_last
        The same per tree.
    """

    # provided by the execution
    sim: Simulator
    stats: RunStats
    trees: list[ExecTree]
    tree_request: list[int]
    gens_at: list[list[_Gen]]
    leaf_gen: list[list[list[_Gen]]]
    leaf_buffer: int
    predist: str
    tracing: bool
    _start: Callable[[_Gen], None]
    _log: Callable[..., None]

    def _init_memory(self, instance: NetworkInstance, trees: list[ExecTree],
                     config: RuntimeConfig) -> None:
        self.mem = [node.memories for node in instance.nodes]
        self.free = list(self.mem)
        # copies memories per link end of each tree: slot_r[k][p] counts those holding a
        # pair whose left end is route position p, slot_l[k][p] those holding a pair whose
        # right end is p, attempting[k][p] those of both ends of link p that attempt
        self.slots = config.slots
        self.copies = [t.copies for t in trees]
        self.slot_r = [[0] * (t.hops + 1) for t in trees]
        self.slot_l = [[0] * (t.hops + 1) for t in trees]
        self.attempting = [[0] * t.hops for t in trees]
        self.used = 0
        self.tree_used = [0] * len(trees)
        self.last_change = 0.0
        self.tree_last = [0.0] * len(trees)

    def _account(self, tree: int, delta: int) -> None:
        """``delta`` memories more are in use by ``tree`` from now (memory-seconds so far
        are added up first)."""
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

    def _restart_accounting(self, now: float) -> None:
        """Memory-seconds count from ``now`` (requests start after a pre-distribution)."""
        self.last_change = now
        st = self.stats
        st.total_memory_area = 0.0
        st.memory_area = [0.0] * len(st.memory_area)
        self.tree_last = [now] * len(self.trees)

    def _close_accounting(self) -> None:
        """Add up the memory-seconds of every tree until now (the run ends)."""
        for k in range(len(self.trees)):
            self._account(k, 0)

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
                    if self.slots:  # the attempt's link-end memories are free again
                        self.attempting[g.tree][g.leaf.pos] -= 1

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
        """One of tree ``k``'s memories at route position ``pos`` (at its right or left
        link end) is free again: a generator of the leaf that uses it may attempt.

        The counts stay within ``[0, copies]``, and only pre-distribution reaches the
        bounds: a stocked pair may join a link end whose last memory is attempting
        (``Workload._relabel`` counts held pairs only: the stocked pair stays in the
        pre-distribution memory it was made in), the attempt's pair then leaves the count
        at ``copies``, and the first pair to go frees a memory of the tree.  With one copy
        this is the rule the link-end memory has always followed.
        """
        if not self.slots:
            return
        if right:
            self.slot_r[k][pos] = max(0, self.slot_r[k][pos] - 1)
            gens = self.leaf_gen[k][pos]
        else:
            self.slot_l[k][pos] = max(0, self.slot_l[k][pos] - 1)
            gens = self.leaf_gen[k][pos - 1]
        for g in gens:
            if g.event is None:
                self._start(g)
                if g.event is not None:
                    return  # one memory freed: at most one more attempt
