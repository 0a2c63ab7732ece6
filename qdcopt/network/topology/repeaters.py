"""Repeaters on long links: a graph transformation of family-B instances.

Nobody runs entanglement over 1000 km of bare fibre: a pair crossing a link of length
``d`` survives with ``exp(-d / L0)`` (``e^{-50}`` for 1000 km at ``L0 = 20`` km).
:func:`insert_repeaters` splits every link longer than the spacing ``s`` into
``m = ⌈d / s⌉`` equal segments of ``d / m ≤ s`` km, joined by ``m − 1`` repeater nodes
(quantum memories that swap, with the network's physics defaults or the memories given).
A repeater's id names its link and position, ``"{u}..{v}#{k}"`` for the ``k``-th of the
``m − 1`` repeaters from ``u`` towards ``v`` (``u``, ``v`` the original node ids, in the
link's order), and it sits on the straight line between its ends.  Links with an
explicit rate (no physical length to split) are kept as they are.

The expanded instance records the mapping (:class:`Repeater`, ``instance.repeaters``),
and so does every plan made on it (``plan.json``), so outputs can be read back in terms
of the original network.

Files ask for it with ``repeater_spacing`` (and ``repeater_memories``) in ``[physics]``,
graph files and the command line with ``--repeater-spacing``; :func:`load_network_file`
(the family's loader) and the graph loader apply it (:func:`expand`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from qdcopt.errors import InstanceError
from qdcopt.network.instance import Link, NetworkInstance, Node, Repeater, load_network

MAX_REPEATERS = 5_000
"""Most repeater nodes one expansion may add: the planners and the validator hold
node-by-node matrices (fibre distances, prices, latencies), 200 MB each at 5 000 nodes,
so a spacing far below the link lengths is refused instead of exhausting memory."""


def repeater_id(u: str, v: str, k: int) -> str:
    """Id of the ``k``-th repeater from ``u`` on the link ``u``–``v``."""
    return f"{u}..{v}#{k}"


def _count(n: int) -> str:
    """A count for a message: exact up to a million, else its order of magnitude."""
    return str(n) if n < 10**6 else f"about {float(n):.1e}"


def insert_repeaters(instance: NetworkInstance, spacing_km: float, *,
                     memories: int | None = None) -> NetworkInstance:
    """The instance with repeaters every at most ``spacing_km`` on each long link.

    Parameters
    ----------
    instance
        The network (its requests keep their end nodes).
    spacing_km
        Longest segment, km (> 0).
    memories
        Memories of each repeater (default: the memory count most nodes of the instance
        have); generation time and success and swap success are those of most nodes.

    Returns
    -------
    NetworkInstance
        A new instance: the original nodes first (same indices), then the repeaters in
        link order; ``repeaters`` holds the mapping.

    Raises
    ------
    InstanceError
        For a spacing that is not a positive finite number, memories below 1, or an
        expansion beyond :data:`MAX_REPEATERS` nodes.
    """
    where = instance.file or instance.name
    if not isinstance(spacing_km, (int, float)) or isinstance(spacing_km, bool) or not (
            math.isfinite(spacing_km) and spacing_km > 0):
        raise InstanceError(where, "repeater_spacing",
                            f"must be a positive number of km, got {spacing_km!r}")
    if memories is not None and (isinstance(memories, bool) or not isinstance(memories, int)
                                 or memories < 1):
        raise InstanceError(where, "repeater_memories",
                            f"must be a positive integer, got {memories!r}")
    added = sum(max(0, math.ceil(link.length / spacing_km) - 1)
                for link in instance.links if link.rate is None)
    if added > MAX_REPEATERS:
        raise InstanceError(where, "repeater_spacing",
                            f"{spacing_km:g} km would add {_count(added)} repeaters (at "
                            f"most {MAX_REPEATERS}); choose a larger spacing")
    if added == 0:
        return instance
    nodes = list(instance.nodes)
    links: list[Link] = []
    mapping: list[Repeater] = list(instance.repeaters)
    def most(attr: str) -> object:
        return Counter(getattr(node, attr) for node in instance.nodes).most_common(1)[0][0]

    rep_memories = memories if memories is not None else most("memories")
    gen_time, gen_success, swap_q = (most("generation_time"), most("generation_success"),
                                most("swap_success"))
    for link in instance.links:
        m = math.ceil(link.length / spacing_km) if link.rate is None else 1
        if m <= 1:
            links.append(link)
            continue
        a, b = instance.nodes[link.u], instance.nodes[link.v]
        chain = [link.u]
        for k in range(1, m):
            f = k / m
            rid = repeater_id(a.id, b.id, k)
            nodes.append(Node(id=rid, x=a.x + f * (b.x - a.x), y=a.y + f * (b.y - a.y),
                              memories=rep_memories, generation_time=gen_time,
                              generation_success=gen_success, swap_success=swap_q))
            mapping.append(Repeater(id=rid, u=a.id, v=b.id, position=k, segments=m,
                                    length=link.length))
            chain.append(len(nodes) - 1)
        chain.append(link.v)
        for p, q in pairwise(chain):
            # each segment makes its own fresh pairs, of the original link's fidelity
            links.append(Link(u=min(p, q), v=max(p, q), length=link.length / m,
                              fidelity=link.fidelity))
    # the physics keeps no spacing: the expansion is done, written out it must not repeat
    physics = replace(instance.physics, repeater_spacing=None, repeater_memories=None)
    return replace(instance, nodes=tuple(nodes), links=tuple(links),
                   repeaters=tuple(mapping), physics=physics)


def expand(instance: NetworkInstance) -> NetworkInstance:
    """Insert the repeaters the instance's physics asks for (``repeater_spacing``)."""
    ph = instance.physics
    if ph.repeater_spacing is None:
        return instance
    out = insert_repeaters(instance, ph.repeater_spacing, memories=ph.repeater_memories)
    if out is instance:  # no link is longer than the spacing
        out = replace(instance, physics=replace(ph, repeater_spacing=None,
                                                repeater_memories=None))
    return out


def load_network_file(path: str | Path, document: dict[str, Any] | None = None,
                      ) -> NetworkInstance:
    """Load a family-B instance file (:func:`~qdcopt.network.instance.load_network`) with
    the repeaters its ``[physics]`` asks for."""
    return expand(load_network(path, document))
