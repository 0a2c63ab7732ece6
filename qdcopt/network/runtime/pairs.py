"""The two objects the runtime's modules all handle: a Bell pair held for a tree, and a
leaf's link generator."""

from __future__ import annotations

import math

from qdcopt.network.runtime.routes import Leaf


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
