"""Decomposing a hyperflow into swapping trees with rates.

Starting at a request's state, follow producers with flow left (the link's generation or
a swap into the state), choosing the one with the most supply left and never a swap whose
input is an ancestor (a circulation makes nothing).  The tree's rate is the largest every
producer on it can still give; subtracting it keeps ``consumed ≤ produced`` at every
state, so the next tree can be found the same way.  Each tree empties at least one
producer, so there are at most as many trees as columns with flow.
"""

from __future__ import annotations

import numpy as np

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import SwapTree, TreeNode, tree_need

REL_EPS = 1e-10


def draw(want: float, *flows: tuple[dict, dict]) -> float:
    """Take the largest rate ≤ ``want`` that every ``(left, need)`` pair can carry.

    ``left[k]`` is what remains of flow k, ``need[k]`` what one unit of the path or tree
    takes from it; the rate is ``min(want, left[k] / need[k])`` and, when positive, is
    subtracted from every ``left`` in place (clipped at 0 against rounding).

    Returns
    -------
    float
        The rate taken (≤ 0: nothing was taken and nothing changed).
    """
    rate = want
    for left, need in flows:
        for k, a in need.items():
            rate = min(rate, left[k] / a)
    if rate > 0:
        for left, need in flows:
            for k, a in need.items():
                left[k] = max(0.0, left[k] - rate * a)
    return rate


def decompose(instance: NetworkInstance, gamma: np.ndarray, link_rate: np.ndarray,
              request_rate: np.ndarray, swap_w: np.ndarray, swap_u: np.ndarray,
              swap_v: np.ndarray, swap_rate: np.ndarray) -> list[SwapTree]:
    """Split a hyperflow into swapping trees.

    Parameters
    ----------
    instance
        The network.
    gamma
        Swap gain per node.
    link_rate, request_rate
        ``g`` per link and ``y`` per request.
    swap_w, swap_u, swap_v, swap_rate
        Swaps (``u < v``) and their flows (pairs of each input consumed per second).

    Returns
    -------
    list of SwapTree
        Trees whose rates add up to each request's rate (up to what circulations hide).
    """
    scale = max(1.0, float(np.max(link_rate, initial=0.0)))
    eps = REL_EPS * scale
    g_left = {(instance.links[i].u, instance.links[i].v): float(link_rate[i])
              for i in range(len(instance.links))}
    x_left: dict[tuple[int, int, int], float] = {}
    producers: dict[tuple[int, int], list[int]] = {}
    for w, u, v, x in zip(swap_w.tolist(), swap_u.tolist(), swap_v.tolist(),
                          swap_rate.tolist(), strict=True):
        x_left[(w, u, v)] = x
        producers.setdefault((u, v), []).append(w)

    def pick(u: int, v: int, ancestors: set[tuple[int, int]]) -> int | None:
        """Producer of {u, v} with the most supply left: -1 = link, w = swap, None."""
        key = (min(u, v), max(u, v))
        best, best_supply = None, eps
        if g_left.get(key, 0.0) > best_supply:
            best, best_supply = -1, g_left[key]
        for w in producers.get(key, []):
            supply = gamma[w] * x_left[(w, *key)]
            a, b = (min(u, w), max(u, w)), (min(w, v), max(w, v))
            if supply > best_supply and a not in ancestors and b not in ancestors:
                best, best_supply = w, supply
        return best

    def grow(u: int, v: int, nodes: list[TreeNode], ancestors: set[tuple[int, int]]) -> bool:
        choice = pick(u, v, ancestors)
        if choice is None:
            return False
        i = len(nodes)
        nodes.append(TreeNode(u=u, v=v))
        if choice == -1:
            return True
        key = (min(u, v), max(u, v))
        inner = ancestors | {key}
        left = len(nodes)
        if not grow(u, choice, nodes, inner):
            return False
        right = len(nodes)
        if not grow(choice, v, nodes, inner):
            return False
        nodes[i] = TreeNode(u=u, v=v, swap_at=choice, left=left, right=right)
        return True

    trees: list[SwapTree] = []
    for r, req in enumerate(instance.requests):
        left = float(request_rate[r])
        target_eps = REL_EPS * max(1.0, left)
        for _ in range(100000):
            if left <= target_eps:
                break
            nodes: list[TreeNode] = []
            if not grow(req.source, req.destination, nodes, set()):
                break
            probe = SwapTree(request=r, rate=1.0, nodes=tuple(nodes))
            supply, flow = tree_need(probe, gamma)
            use_g: dict[tuple[int, int], float] = {}
            use_x: dict[tuple[int, int, int], float] = {}
            for node, s_i, f_i in zip(nodes, supply, flow, strict=True):
                key = (min(node.u, node.v), max(node.u, node.v))
                if node.is_leaf:
                    use_g[key] = use_g.get(key, 0.0) + s_i
                else:
                    k3 = (node.swap_at, *key)
                    use_x[k3] = use_x.get(k3, 0.0) + f_i
            rate = draw(left, (g_left, use_g), (x_left, use_x))
            if rate <= 0:
                break
            left -= rate
            leaves = tuple(
                TreeNode(u=nd.u, v=nd.v, link_rate=rate * s_i) if nd.is_leaf else nd
                for nd, s_i in zip(nodes, supply, strict=True))
            trees.append(SwapTree(request=r, rate=rate, nodes=leaves))
    return trees
