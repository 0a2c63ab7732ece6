"""Family-B instances: quantum-network nodes with memories, fibre links and requests.

A network instance is immutable and checked at load.  Physical times are read through
:class:`qdcopt.fields.Section` (seconds or a string with a unit) and kept as float
seconds, because every quantity derived from them (link rates, node capacities, tree
latencies) is an LP coefficient, not an event time.  Lengths are kilometres, the
classical signalling speed is km/s.

Layout of a TOML file (JSON holds the same keys)::

    kind = "network"
    name = "path3"

    [physics]                      # every field optional (paper-003 defaults)
    swap_success = 0.4             # q, default of every node
    swap_latency = "10 us"
    classical_speed = 2e5          # km/s (light in fibre)
    attenuation_length = 20.0      # L0, km
    optical_bsm_success = 0.2      # default: half of swap_success
    memories = 5                   # defaults of every node ...
    generation_time = "50 us"
    generation_success = 0.33

    [[nodes]]
    id = "A"
    x = 0.0                        # km, optional (default 0)
    y = 0.0
    memories = 5                   # optional overrides of the physics defaults
    generation_time = "50 us"
    generation_success = 0.33
    swap_success = 0.4

    [[links]]
    u = "A"
    v = "B"
    length = 10.0                  # km; default: distance between the positions
    rate = 100.0                   # optional: Bell pairs/s at full use of both ends

    [[requests]]
    id = "r1"
    source = "A"
    destination = "C"
    weight = 1.0                   # optional
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from qdcopt.fields import Section, check_unique, read_document
from qdcopt.timebase import TICKS_PER_SECOND

TOP_FIELDS = {"kind", "name", "description", "physics", "nodes", "links", "requests"}
PHYSICS_FIELDS = {"swap_success", "swap_latency", "classical_speed", "attenuation_length",
                  "optical_bsm_success", "memories", "generation_time", "generation_success"}
NODE_FIELDS = {"id", "x", "y", "memories", "generation_time", "generation_success",
               "swap_success"}
LINK_FIELDS = {"u", "v", "length", "rate"}
REQUEST_FIELDS = {"id", "source", "destination", "weight"}

# Paper 003, section VI (parameters of Ghaderibaneh et al., IEEE TQE 2022).
DEFAULT_SWAP_SUCCESS = 0.4
DEFAULT_SWAP_LATENCY_S = 10e-6
DEFAULT_CLASSICAL_SPEED_KM_S = 2e5
DEFAULT_ATTENUATION_LENGTH_KM = 20.0
DEFAULT_MEMORIES = 5
DEFAULT_GENERATION_TIME_S = 50e-6
DEFAULT_GENERATION_SUCCESS = 0.33


@dataclass(frozen=True)
class Physics:
    """Network-wide physical parameters.

    Attributes
    ----------
    swap_latency
        Duration of one entanglement swap (atomic BSM), seconds.
    classical_speed
        Speed of classical signals in fibre, km/s.
    attenuation_length
        Channel attenuation length L0, km: a photon pair crossing a link of length d
        arrives with probability ``exp(-d / L0)``.
    optical_bsm_success
        Success probability of the optical Bell-state measurement that heralds a link pair.
    """

    swap_latency: float = DEFAULT_SWAP_LATENCY_S
    classical_speed: float = DEFAULT_CLASSICAL_SPEED_KM_S
    attenuation_length: float = DEFAULT_ATTENUATION_LENGTH_KM
    optical_bsm_success: float = DEFAULT_SWAP_SUCCESS / 2


@dataclass(frozen=True)
class Node:
    """A quantum node.

    Attributes
    ----------
    id
        Name used in files.
    x, y
        Position, km.
    memories
        Quantum memories (atoms) the node can use for link generation.
    generation_time
        Atom–photon generation time, seconds: one attempt holds a memory this long.
    generation_success
        Probability that an atom–photon generation attempt emits a usable photon.
    swap_success
        Probability q that a swap at this node succeeds.
    """

    id: str
    x: float
    y: float
    memories: int
    generation_time: float
    generation_success: float
    swap_success: float


@dataclass(frozen=True)
class Link:
    """A fibre link between nodes ``u`` and ``v`` (indices, ``u < v``).

    Attributes
    ----------
    u, v
        Node indices.
    length
        Fibre length, km.
    rate
        Explicit link rate (Bell pairs/s when both ends devote all their memories to this
        link), or ``None`` to derive it from the physical parameters.
    """

    u: int
    v: int
    length: float
    rate: float | None = None


@dataclass(frozen=True)
class Request:
    """A request for Bell pairs between two distinct nodes (indices).

    Attributes
    ----------
    id
        Name used in files.
    source, destination
        Node indices.
    weight
        Weight of this request's rate in the objective.
    """

    id: str
    source: int
    destination: int
    weight: float = 1.0


@dataclass(frozen=True)
class NetworkInstance:
    """A checked, immutable family-B instance.

    Attributes
    ----------
    name
        Instance name.
    nodes, links, requests
        The network and the batch of requests.
    physics
        Network-wide physical parameters.
    file
        File it was read from (empty when generated).
    description
        Free text.
    """

    family: ClassVar[str] = "network"

    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    requests: tuple[Request, ...]
    physics: Physics = field(default_factory=Physics)
    file: str = ""
    description: str = ""

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @cached_property
    def node_index(self) -> dict[str, int]:
        """Node id → index."""
        return {node.id: i for i, node in enumerate(self.nodes)}

    @cached_property
    def link_index(self) -> dict[tuple[int, int], int]:
        """``(u, v)`` with ``u < v`` → link index."""
        return {(link.u, link.v): i for i, link in enumerate(self.links)}

    @cached_property
    def request_index(self) -> dict[str, int]:
        """Request id → index."""
        return {r.id: i for i, r in enumerate(self.requests)}

    def find_link(self, a: int, b: int) -> int | None:
        """Index of the link joining nodes ``a`` and ``b`` (either order), or ``None``."""
        return self.link_index.get((min(a, b), max(a, b)))


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def _seconds(section: Section, name: str, default: float) -> float:
    """A positive duration in seconds (file value in seconds or with a unit)."""
    if not section.has(name):
        return default
    return section.duration(name, positive=True) / TICKS_PER_SECOND


def _physics(doc: Section) -> tuple[Physics, dict[str, Any]]:
    """The physics table and the node defaults it carries."""
    ph = doc.table("physics", None)
    ph.reject_unknown(PHYSICS_FIELDS)
    q = ph.number("swap_success", DEFAULT_SWAP_SUCCESS, low=0.0, high=1.0, low_open=True)
    physics = Physics(
        swap_latency=(ph.duration("swap_latency") / TICKS_PER_SECOND
                      if ph.has("swap_latency") else DEFAULT_SWAP_LATENCY_S),
        classical_speed=ph.number("classical_speed", DEFAULT_CLASSICAL_SPEED_KM_S, low=0.0,
                                  low_open=True),
        attenuation_length=ph.number("attenuation_length", DEFAULT_ATTENUATION_LENGTH_KM,
                                     low=0.0, low_open=True),
        # Paper 003 §VI: the optical BSM succeeds half as often as the atomic one.
        optical_bsm_success=ph.number("optical_bsm_success", q / 2, low=0.0, high=1.0,
                                      low_open=True),
    )
    defaults = {
        "swap_success": q,
        "memories": ph.integer("memories", DEFAULT_MEMORIES, minimum=1),
        "generation_time": _seconds(ph, "generation_time", DEFAULT_GENERATION_TIME_S),
        "generation_success": ph.number("generation_success", DEFAULT_GENERATION_SUCCESS,
                                        low=0.0, high=1.0, low_open=True),
    }
    return physics, defaults


def _nodes(doc: Section, defaults: dict[str, Any]) -> tuple[Node, ...]:
    out = []
    for item in doc.tables("nodes", nonempty=True):
        item.reject_unknown(NODE_FIELDS)
        out.append(Node(
            id=item.string("id"),
            x=item.number("x", 0.0),
            y=item.number("y", 0.0),
            memories=item.integer("memories", defaults["memories"], minimum=1),
            generation_time=_seconds(item, "generation_time", defaults["generation_time"]),
            generation_success=item.number("generation_success", defaults["generation_success"],
                                           low=0.0, high=1.0, low_open=True),
            swap_success=item.number("swap_success", defaults["swap_success"], low=0.0,
                                     high=1.0, low_open=True),
        ))
    check_unique(doc.file, doc.where("nodes"), [n.id for n in out])
    return tuple(out)


def _links(doc: Section, nodes: tuple[Node, ...], index: dict[str, int]) -> tuple[Link, ...]:
    out: list[Link] = []
    seen: dict[tuple[int, int], int] = {}
    for i, item in enumerate(doc.tables("links", nonempty=True)):
        item.reject_unknown(LINK_FIELDS)
        ends = []
        for name in ("u", "v"):
            node_id = item.string(name)
            if node_id not in index:
                raise item.error(name, f"unknown node id {node_id!r}")
            ends.append(index[node_id])
        a, b = ends
        if a == b:
            raise item.error("v", "a link must join two different nodes, "
                                  f"got {nodes[a].id!r} twice")
        key = (min(a, b), max(a, b))
        if key in seen:
            raise item.error("v", f"duplicate link {nodes[a].id}–{nodes[b].id} "
                                  f"(first at links[{seen[key]}])")
        seen[key] = i
        if item.has("length"):
            length = item.number("length", low=0.0)
        else:
            na, nb = nodes[a], nodes[b]
            length = math.hypot(na.x - nb.x, na.y - nb.y)
        rate = item.number("rate", None, low=0.0, low_open=True) if item.has("rate") else None
        out.append(Link(u=key[0], v=key[1], length=length, rate=rate))
    return tuple(out)


def _requests(doc: Section, index: dict[str, int]) -> tuple[Request, ...]:
    out = []
    for item in doc.tables("requests", nonempty=True):
        item.reject_unknown(REQUEST_FIELDS)
        ends = []
        for name in ("source", "destination"):
            node_id = item.string(name)
            if node_id not in index:
                raise item.error(name, f"unknown node id {node_id!r}")
            ends.append(index[node_id])
        if ends[0] == ends[1]:
            raise item.error("destination", "a request must join two different nodes")
        out.append(Request(id=item.string("id"), source=ends[0], destination=ends[1],
                           weight=item.number("weight", 1.0, low=0.0, low_open=True)))
    check_unique(doc.file, doc.where("requests"), [r.id for r in out])
    return tuple(out)


def load_network(path: str | Path, document: dict[str, Any] | None = None) -> NetworkInstance:
    """Load and check a family-B instance from a TOML/JSON document.

    Parameters
    ----------
    path
        The instance file.
    document
        Its parsed content, if already read.

    Returns
    -------
    NetworkInstance

    Raises
    ------
    InstanceError
        On the first broken rule, naming the file, the field and the rule.
    """
    path = Path(path)
    doc = Section(path, "", document if document is not None else read_document(path))
    doc.reject_unknown(TOP_FIELDS)
    kind = doc.string("kind", "network")
    if kind != "network":
        raise doc.error("kind", f"must be 'network' for this loader, got {kind!r}")
    physics, defaults = _physics(doc)
    nodes = _nodes(doc, defaults)
    index = {n.id: i for i, n in enumerate(nodes)}
    links = _links(doc, nodes, index)
    requests = _requests(doc, index)
    return NetworkInstance(name=doc.string("name", path.stem), nodes=nodes, links=links,
                           requests=requests, physics=physics, file=str(path),
                           description=doc.string("description", ""))


def to_document(instance: NetworkInstance) -> dict[str, Any]:
    """The instance as a TOML/JSON-ready document that :func:`load_network` reads back.

    Parameters
    ----------
    instance
        Any network instance (loaded or generated).

    Returns
    -------
    dict
        The document.
    """
    ph = instance.physics
    nodes = [{"id": n.id, "x": n.x, "y": n.y, "memories": n.memories,
              "generation_time": n.generation_time, "generation_success": n.generation_success,
              "swap_success": n.swap_success} for n in instance.nodes]
    links = []
    for link in instance.links:
        entry: dict[str, Any] = {"u": instance.nodes[link.u].id, "v": instance.nodes[link.v].id,
                                 "length": link.length}
        if link.rate is not None:
            entry["rate"] = link.rate
        links.append(entry)
    requests = [{"id": r.id, "source": instance.nodes[r.source].id,
                 "destination": instance.nodes[r.destination].id, "weight": r.weight}
                for r in instance.requests]
    document: dict[str, Any] = {
        "kind": "network",
        "name": instance.name,
        "physics": {"swap_latency": ph.swap_latency, "classical_speed": ph.classical_speed,
                    "attenuation_length": ph.attenuation_length,
                    "optical_bsm_success": ph.optical_bsm_success},
        "nodes": nodes,
        "links": links,
        "requests": requests,
    }
    if instance.description:
        document["description"] = instance.description
    return document
