"""The network a demand service runs on, and how long a packet generation attempt lasts.

A *PGA* (packet generation attempt, paper 002 §4) reserves the resources of a path for
a fixed time ``E``.  Resources are the communication qubits of the nodes: a PGA between
end nodes ``a`` and ``b`` through a junction ``J`` (paper 002 Fig. 4.2) holds one
communication qubit of ``a`` and of ``b`` and two of ``J`` (one per elementary link).

**Duration from the link model.**  An elementary link is attempted once per cycle of
``t_cycle`` seconds and heralds with probability ``p_link``; the junction swaps two
heralded links with success ``p_swap``.  Near-term memories live far shorter than the
time between heralds (paper 002 §3.2), so the network is generate-when-requested and
keeps no link waiting: an end-to-end pair is made in a cycle where both links herald and
the swap succeeds, ``p_pair = p_link,a · p_link,b · p_swap``, independently per cycle.
A packet of ``k`` pairs comes out of ``n`` cycles with probability
``P[Binomial(n, p_pair) ≥ k]``; the PGA lasts ``E = n*·t_cycle`` with ``n*`` the smallest
``n`` for which that probability reaches ``p_packet``.  A PGA of ``n*`` cycles then
succeeds with ``p_success = P[Binomial(n*, p_pair) ≥ k] ≥ p_packet`` — the probability
the simulation uses.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from scipy.stats import binom


@dataclass(frozen=True)
class HeraldedLink:
    """Heralded generation on one elementary link and the swap at the junction.

    Attributes
    ----------
    p_link
        Herald probability of one attempt on one elementary link.
    t_cycle
        Seconds per attempt cycle.
    p_swap
        Success of the entanglement swap at the junction.
    """

    p_link: float = 1.6e-3
    t_cycle: float = 1e-4
    p_swap: float = 1.0

    def pair_probability(self, hops: int = 2) -> float:
        """End-to-end pair per cycle over ``hops`` elementary links (one swap per inner
        node)."""
        return self.p_link ** hops * self.p_swap ** max(hops - 1, 0)


def pga_cycles(p_pair: float, packet_size: int, p_packet: float) -> int:
    """Smallest ``n`` with ``P[Binomial(n, p_pair) ≥ packet_size] ≥ p_packet``."""
    if not 0 < p_pair <= 1 or packet_size < 1 or not 0 < p_packet < 1:
        raise ValueError("need 0 < p_pair ≤ 1, packet_size ≥ 1 and 0 < p_packet < 1")
    # normal approximation as a start, then exact binomial search around it
    lo, hi = packet_size, max(packet_size, math.ceil(
        (packet_size + 4 * math.sqrt(packet_size) + 10) / p_pair))
    while binom.sf(packet_size - 1, hi, p_pair) < p_packet:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if binom.sf(packet_size - 1, mid, p_pair) >= p_packet:
            hi = mid
        else:
            lo = mid + 1
    return lo


def packet_probability(cycles: int, p_pair: float, packet_size: int) -> float:
    """``P[Binomial(cycles, p_pair) ≥ packet_size]``: success of a PGA of ``cycles``."""
    return float(binom.sf(packet_size - 1, cycles, p_pair))


@dataclass(frozen=True)
class StarNetwork:
    """End nodes around one junction (paper 002 Fig. 4.2).

    Attributes
    ----------
    nodes
        End node names.
    comm_qubits
        Communication qubits of each end node (same order as ``nodes``).
    junction
        Name of the junction node.
    junction_qubits
        Communication qubits of the junction.
    link
        The link model (same on every link).
    """

    nodes: tuple[str, ...]
    comm_qubits: tuple[int, ...]
    junction: str = "junction"
    junction_qubits: int = 4
    link: HeraldedLink = HeraldedLink()

    def resources(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Resource names (every node's communication qubits) and capacities."""
        return ((*self.nodes, self.junction), (*self.comm_qubits, self.junction_qubits))

    def path_use(self, a: str, b: str) -> dict[str, int]:
        """Communication qubits a PGA between end nodes ``a`` and ``b`` holds on each node."""
        return {a: 1, b: 1, self.junction: 2}

    def pair_probability(self, a: str, b: str) -> float:
        """End-to-end pair per cycle between end nodes ``a`` and ``b`` (two links)."""
        return self.link.pair_probability(2)


@dataclass(frozen=True)
class GraphNetwork:
    """Nodes joined by elementary links; a PGA holds the qubits of a shortest path.

    A PGA between ``a`` and ``b`` holds one communication qubit of each end and two of
    every node between them (one per link), for the whole PGA.  Its per-cycle success is
    the product of the herald probabilities of the path's links and of ``p_swap`` per
    inner node.  Paths are shortest by number of links (ties: fewest-lossy first, then by
    node order), fixed per pair.

    Attributes
    ----------
    nodes
        Node names.
    comm_qubits
        Communication qubits of each node.
    links
        ``(u, v, p_link)`` per elementary link.
    link
        ``t_cycle`` and ``p_swap`` (its ``p_link`` is unused: each link has its own).
    """

    nodes: tuple[str, ...]
    comm_qubits: tuple[int, ...]
    links: tuple[tuple[str, str, float], ...]
    link: HeraldedLink = HeraldedLink()

    def resources(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Resource names (every node's communication qubits) and capacities."""
        return self.nodes, self.comm_qubits

    def path(self, a: str, b: str) -> list[str]:
        """The fixed path of pair ``a``–``b`` (``ValueError`` if there is none)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(self.nodes)
        for u, v, p in self.links:
            # fewest links first; among those, the most likely (−log p breaks ties)
            g.add_edge(u, v, weight=1.0 - 1e-6 * math.log(p) / (1 + len(self.links)))
        try:
            return nx.shortest_path(g, a, b, weight="weight")
        except nx.NetworkXNoPath:
            raise ValueError(f"no path between {a} and {b}") from None

    def path_use(self, a: str, b: str) -> dict[str, int]:
        """Communication qubits a PGA between ``a`` and ``b`` holds on each node."""
        path = self.path(a, b)
        return {n: (1 if i in (0, len(path) - 1) else 2) for i, n in enumerate(path)}

    def pair_probability(self, a: str, b: str) -> float:
        """End-to-end pair per cycle along the pair's path."""
        path = self.path(a, b)
        p = {frozenset((u, v)): q for u, v, q in self.links}
        out = self.link.p_swap ** max(len(path) - 2, 0)
        for u, v in itertools.pairwise(path):
            out *= p[frozenset((u, v))]
        return out


def star6(link: HeraldedLink | None = None) -> StarNetwork:
    """The six-node star of paper 002 Fig. 4.2: five clients and a server around a
    junction, one communication qubit per end node, four at the junction."""
    names = ("client1", "client2", "client3", "client4", "client5", "server")
    return StarNetwork(nodes=names, comm_qubits=(1,) * 6, junction="junction",
                       junction_qubits=4, link=link or HeraldedLink())
