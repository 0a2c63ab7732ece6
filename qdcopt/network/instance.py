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
    depolarizing_rate = 0.01       # 1/s, a stored qubit
    dephasing_rate = 1000.0        # 1/s, a qubit during a swap (counted in fidelities)

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

    [[requests]]                   # a GHZ state among three or more distinct nodes
    id = "G"
    nodes = ["A", "C", "D"]        # instead of source and destination

Long module, on purpose: the data classes, their rules, the loader and the writer are
one contract (a rule is checked the same way when code builds an instance and when a file
is read, and :func:`to_document` must round-trip through :func:`load_network`); split, a
class's rule and the file field it checks would live apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from qdcopt.errors import InstanceError
from qdcopt.fields import Section, build_at, check_unique, count_rule, open_document
from qdcopt.network.purification import operation_factor
from qdcopt.timebase import MAX_TICKS, MAX_TIME_TEXT, TICKS_PER_SECOND

TOP_FIELDS = {"kind", "name", "description", "physics", "nodes", "links", "requests"}
PHYSICS_FIELDS = {"swap_success", "swap_latency", "classical_speed", "attenuation_length",
                  "optical_bsm_success", "memories", "generation_time", "generation_success",
                  "repeater_spacing", "repeater_memories", "link_fidelity",
                  "fusion_success", "depolarizing_rate", "dephasing_rate"}
NODE_FIELDS = {"id", "x", "y", "memories", "generation_time", "generation_success",
               "swap_success"}
LINK_FIELDS = {"u", "v", "length", "rate", "fidelity"}
REQUEST_FIELDS = {"id", "source", "destination", "weight", "min_fidelity"}
GHZ_FIELDS = {"id", "nodes", "weight", "min_fidelity"}

# Paper 003, section VI (parameters of Ghaderibaneh et al., IEEE TQE 2022).
DEFAULT_SWAP_SUCCESS = 0.4
DEFAULT_SWAP_LATENCY_S = 10e-6
DEFAULT_CLASSICAL_SPEED_KM_S = 2e5
DEFAULT_ATTENUATION_LENGTH_KM = 20.0
DEFAULT_MEMORIES = 5
DEFAULT_GENERATION_TIME_S = 50e-6
DEFAULT_GENERATION_SUCCESS = 0.33
DEFAULT_DEPOLARIZING_RATE = 0.01
"""Paper 003 §VI: depolarising rate of a stored qubit, 1/s."""
DEFAULT_DEPHASING_RATE = 1000.0
"""Paper 003 §VI: dephasing rate of a qubit during an operation, 1/s."""
MAX_SECONDS = MAX_TICKS / TICKS_PER_SECOND
MIN_LINK_SUCCESS = 1e-300
"""Smallest success probability of one link attempt that the rate models represent."""
MAX_WEIGHT = 1e9
"""Largest request weight: larger objective coefficients break HiGHS's column generation."""
MAX_NODES = 5000
"""Most nodes: the link model holds the fibre distance between every two nodes, an
n × n matrix (5000 nodes: 200 MB)."""
MAX_LINKS = 100_000
"""Most links: each is a column of every tree-pricing graph and a generator at run time."""
MAX_REQUESTS = 10_000
"""Most requests: every method prices or searches trees per request."""
MIN_GHZ_PARTIES = 3
"""Fewest parties of a GHZ request (two parties are a Bell-pair request)."""
MAX_GHZ_PARTIES = 16
"""Most parties of a GHZ request: the fusion latency takes the expected maximum of up to
this many branch waits by inclusion–exclusion (2^16 terms), and the GHZ fidelity sums
over 2^16 Pauli characters (:mod:`qdcopt.network.ghz.model`)."""
MAX_COORDINATE_KM = 1e6
"""Largest |x| or |y| of a node position, km (beyond the Moon's orbit): distances between
positions then stay finite and exact enough for every rate and latency."""


# Each data class checks its own rules when it is built, so instances built in code (the
# Waxman generator, a user's script) obey the rules of loaded files; a broken rule raises
# InstanceError naming the field, and the loader re-raises it with the file and the path.
def _fail(field: str, rule: str) -> None:
    raise InstanceError(None, field, rule)


def _real(field: str, value: object, *, low: float | None = None, high: float | None = None,
          low_open: bool = False) -> None:
    """A finite real number within ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        _fail(field, f"must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        _fail(field, f"must be {'>' if low_open else '≥'} {low:g}, got {value:g}")
    if high is not None and value > high:
        _fail(field, f"must be ≤ {high:g}, got {value:g}")


def _duration(field: str, value: object, *, positive: bool) -> None:
    """A time in seconds, at most 1000 s like every time qdcopt reads."""
    _real(field, value, low=0.0, low_open=positive)
    if value > MAX_SECONDS:  # type: ignore[operator]
        _fail(field, f"must be at most {MAX_TIME_TEXT} (the longest time qdcopt represents), "
                     f"got {value:g} s")


def _index(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(field, f"must be a node index, got {value!r}")


def _name(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(field, f"must be a non-empty string, got {value!r}")


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
    repeater_spacing
        Longest link, km: loading a file with it inserts repeaters every at most this
        many km on each longer link (:mod:`qdcopt.network.topology.repeaters`); ``None``: as is.
    repeater_memories
        Memories of each inserted repeater (default: what most nodes have).
    link_fidelity
        Werner fidelity of a fresh link pair, in [1/4, 1] (a link's own ``fidelity``
        overrides it); ``None``: fidelity is not modelled (pairs count as perfect), and no
        request may ask for a ``min_fidelity`` unless every link states its own.
    fusion_success
        Success probability of a fusion (the GHZ measurement at a fusion centre), in
        (0, 1]; ``None``: the centre's ``swap_success`` (paper 003 §VI: the atomic BSM and
        the fusion succeed alike).
    depolarizing_rate
        Depolarising rate of a stored qubit, 1/s (paper 003 §VI: 0.01): a pair stored for
        ``t`` keeps ``w · exp(−2γt)``.
    dephasing_rate
        Dephasing rate of a qubit during an operation, 1/s (paper 003 §VI: 1000): a swap,
        which lasts ``swap_latency`` and measures one qubit of each input, multiplies the
        output's Werner parameter by ``(1 − 4p/3)²`` with ``p = 1 − exp(−rate ·
        swap_latency)``.  The planners count it wherever fidelity is modelled.
    """

    swap_latency: float = DEFAULT_SWAP_LATENCY_S
    classical_speed: float = DEFAULT_CLASSICAL_SPEED_KM_S
    attenuation_length: float = DEFAULT_ATTENUATION_LENGTH_KM
    optical_bsm_success: float = DEFAULT_SWAP_SUCCESS / 2
    repeater_spacing: float | None = None
    repeater_memories: int | None = None
    link_fidelity: float | None = None
    fusion_success: float | None = None
    depolarizing_rate: float = DEFAULT_DEPOLARIZING_RATE
    dephasing_rate: float = DEFAULT_DEPHASING_RATE

    def __post_init__(self) -> None:
        _real("depolarizing_rate", self.depolarizing_rate, low=0.0)
        _real("dephasing_rate", self.dephasing_rate, low=0.0)
        if self.fusion_success is not None:
            _real("fusion_success", self.fusion_success, low=0.0, high=1.0, low_open=True)
        if self.link_fidelity is not None:
            _real("link_fidelity", self.link_fidelity, low=0.25, high=1.0)
        if self.repeater_spacing is not None:
            _real("repeater_spacing", self.repeater_spacing, low=0.0, low_open=True)
        if self.repeater_memories is not None:
            if self.repeater_spacing is None:
                _fail("repeater_memories", "applies only with repeater_spacing")
            rule = count_rule(self.repeater_memories)
            if rule:
                _fail("repeater_memories", rule)
        _duration("swap_latency", self.swap_latency, positive=False)
        _real("classical_speed", self.classical_speed, low=0.0, low_open=True)
        _real("attenuation_length", self.attenuation_length, low=0.0, low_open=True)
        _real("optical_bsm_success", self.optical_bsm_success, low=0.0, high=1.0,
              low_open=True)


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

    def __post_init__(self) -> None:
        _name("id", self.id)
        _real("x", self.x, low=-MAX_COORDINATE_KM, high=MAX_COORDINATE_KM)
        _real("y", self.y, low=-MAX_COORDINATE_KM, high=MAX_COORDINATE_KM)
        rule = count_rule(self.memories)
        if rule is not None:
            _fail("memories", rule)
        _duration("generation_time", self.generation_time, positive=True)
        _real("generation_success", self.generation_success, low=0.0, high=1.0, low_open=True)
        _real("swap_success", self.swap_success, low=0.0, high=1.0, low_open=True)


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
    fidelity
        Werner fidelity of this link's fresh pairs, in [1/4, 1]; ``None``: the network's
        ``physics.link_fidelity``.
    """

    u: int
    v: int
    length: float
    rate: float | None = None
    fidelity: float | None = None

    def __post_init__(self) -> None:
        _index("u", self.u)
        _index("v", self.v)
        if self.u == self.v:
            _fail("v", f"a link must join two different nodes, got index {self.u} twice")
        if self.u > self.v:
            _fail("v", f"ends must be stored low index first, got u={self.u} > v={self.v}")
        _real("length", self.length, low=0.0)
        if self.rate is not None:
            _real("rate", self.rate, low=0.0, low_open=True)
        if self.fidelity is not None:
            _real("fidelity", self.fidelity, low=0.25, high=1.0)


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
    min_fidelity
        Fidelity every pair delivered to it must reach, in (1/2, 1] (the planners then
        purify where swapping alone falls short, ``models/purification.md``); ``None``:
        any fidelity.
    """

    id: str
    source: int
    destination: int
    weight: float = 1.0
    min_fidelity: float | None = None

    def __post_init__(self) -> None:
        _name("id", self.id)
        _index("source", self.source)
        _index("destination", self.destination)
        if self.source == self.destination:
            _fail("destination", "a request must join two different nodes")
        _real("weight", self.weight, low=0.0, high=MAX_WEIGHT, low_open=True)
        if self.min_fidelity is not None:
            # at or below 1/2 a Werner pair needs no target: every pair may be discarded
            # to a fidelity of 1/4 and still meet it only trivially
            _real("min_fidelity", self.min_fidelity, low=0.5, high=1.0, low_open=True)


    @property
    def parties(self) -> tuple[int, int]:
        """The nodes that receive the pair: ``(source, destination)``."""
        return (self.source, self.destination)


@dataclass(frozen=True)
class GhzRequest:
    """A request for GHZ states among three or more distinct nodes (indices).

    Attributes
    ----------
    id
        Name used in files (unique among all requests).
    nodes
        The parties: each holds one qubit of every GHZ state delivered.
    weight
        Weight of this request's rate (GHZ states/s) in the objective.
    min_fidelity
        Least fidelity of the GHZ states delivered, in (1/2, 1] (``None``: any); the
        planners keep only fusion structures that reach it (their branches are not
        purified).
    """

    id: str
    nodes: tuple[int, ...]
    weight: float = 1.0
    min_fidelity: float | None = None

    def __post_init__(self) -> None:
        _name("id", self.id)
        if not isinstance(self.nodes, tuple):
            _fail("nodes", f"must be a tuple of node indices, got {self.nodes!r}")
        for x in self.nodes:
            _index("nodes", x)
        if len(set(self.nodes)) != len(self.nodes):
            _fail("nodes", "must name distinct nodes (a party holds one qubit)")
        if not MIN_GHZ_PARTIES <= len(self.nodes) <= MAX_GHZ_PARTIES:
            _fail("nodes", f"must name {MIN_GHZ_PARTIES} to {MAX_GHZ_PARTIES} nodes "
                           f"(two parties: use source and destination), got {len(self.nodes)}")
        _real("weight", self.weight, low=0.0, high=MAX_WEIGHT, low_open=True)
        if self.min_fidelity is not None:
            _real("min_fidelity", self.min_fidelity, low=0.5, high=1.0, low_open=True)

    @property
    def parties(self) -> tuple[int, ...]:
        """The nodes that receive the GHZ state."""
        return self.nodes


@dataclass(frozen=True)
class Repeater:
    """A repeater node inserted on an original link (:mod:`qdcopt.network.topology.repeaters`).

    Attributes
    ----------
    id
        Its node id, ``"{u}..{v}#{k}"``.
    u, v
        Ids of the original link's end nodes.
    position
        ``k``: the repeater's place from ``u`` (1 … ``segments − 1``).
    segments
        Equal segments the link was split into.
    length
        The original link's length, km.
    """

    id: str
    u: str
    v: str
    position: int
    segments: int
    length: float

    def as_row(self) -> list[object]:
        """The mapping as a plain list (for plan manifests)."""
        return [self.id, self.u, self.v, self.position, self.segments, self.length]


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
    repeaters
        Repeater nodes inserted on long links (empty unless the instance was expanded by
        :func:`qdcopt.network.topology.repeaters.insert_repeaters`).
    ghz
        GHZ requests (``[[requests]]`` entries with ``nodes``), kept apart from the
        two-party ``requests`` so that every method that plans pairs sees what it always
        saw; ``models/ghz.md``.
    """

    family: ClassVar[str] = "network"

    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    requests: tuple[Request, ...]
    physics: Physics = field(default_factory=Physics)
    file: str = ""
    description: str = ""
    repeaters: tuple[Repeater, ...] = ()
    ghz: tuple[GhzRequest, ...] = ()

    def __post_init__(self) -> None:
        try:
            self._check()
        except InstanceError as exc:
            if not self.file:
                raise
            raise InstanceError(self.file, exc.field, exc.rule) from None

    def _check(self) -> None:
        """The rules that join the parts: ids unique, every index names a node."""
        if not self.nodes:
            _fail("nodes", "must hold at least one entry")
        for name, items, kind in (("nodes", self.nodes, Node), ("links", self.links, Link),
                                  ("requests", self.requests, Request),
                                  ("ghz", self.ghz, GhzRequest)):
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    _fail(f"{name}[{i}]", f"must be a {kind.__name__}, got {item!r}")
        if not isinstance(self.physics, Physics):
            _fail("physics", f"must be a Physics, got {self.physics!r}")
        for name, items, most in (("nodes", self.nodes, MAX_NODES),
                                  ("links", self.links, MAX_LINKS),
                                  ("requests", self.requests, MAX_REQUESTS)):
            if len(items) > most:
                _fail(name, f"holds {len(items)} entries, at most {most} are allowed")
        check_unique(None, "nodes", [node.id for node in self.nodes])
        check_unique(None, "requests", [r.id for r in self.requests]
                     + [g.id for g in self.ghz])
        if len(self.requests) + len(self.ghz) > MAX_REQUESTS:
            _fail("requests", f"holds {len(self.requests) + len(self.ghz)} entries, at most "
                              f"{MAX_REQUESTS} are allowed")
        n = len(self.nodes)
        seen: dict[tuple[int, int], int] = {}
        for i, link in enumerate(self.links):
            if link.v >= n:
                _fail(f"links[{i}].v", f"names node index {link.v}, but there are {n} nodes")
            if (link.u, link.v) in seen:
                _fail(f"links[{i}].v", f"duplicate link {self.nodes[link.u].id}–"
                      f"{self.nodes[link.v].id} (first at links[{seen[link.u, link.v]}])")
            seen[link.u, link.v] = i
            delay = link.length / self.physics.classical_speed
            if not delay <= MAX_SECONDS:
                # a tree's latency adds these delays: they must stay times qdcopt represents
                _fail(f"links[{i}].length",
                      f"must be at most {MAX_SECONDS * self.physics.classical_speed:g} km "
                      f"(a classical signal at physics.classical_speed = "
                      f"{self.physics.classical_speed:g} km/s crosses it within "
                      f"{MAX_TIME_TEXT}), got {link.length:g}")
        for i, r in enumerate(self.requests):
            for name in ("source", "destination"):
                if getattr(r, name) >= n:
                    _fail(f"requests[{i}].{name}",
                          f"names node index {getattr(r, name)}, but there are {n} nodes")
            if r.min_fidelity is not None and self.physics.link_fidelity is None and any(
                    link.fidelity is None for link in self.links):
                _fail(f"requests[{i}].min_fidelity",
                      "needs the fidelity of fresh link pairs: set physics.link_fidelity "
                      "(or fidelity on every link)")
        for i, g in enumerate(self.ghz):
            for x in g.nodes:
                if x >= n:
                    _fail(f"ghz[{i}].nodes", f"names node index {x}, but there are {n} nodes")
            if g.min_fidelity is not None and not fidelity_modelled_links(self):
                _fail(f"ghz[{i}].min_fidelity",
                      "needs the fidelity of fresh link pairs: set physics.link_fidelity "
                      "(or fidelity on every link)")
        self._check_link_success()

    def _check_link_success(self) -> None:
        """Every link's attempt succeeds with a probability in [1e-300, 1].

        Below 1e-300 the costs 1/p of the LPs and the validator overflow to infinity (a
        link of 14 000 km at L0 = 20 km never delivers anyway); above 1 an explicit rate
        asks for more pairs than the ends can attempt.
        """
        cap = node_capacity(self)
        p = link_success(self, cap)
        for i, link in enumerate(self.links):
            if link.rate is not None:
                most = min(cap[link.u], cap[link.v])
                if p[i] > 1.0:
                    _fail(f"links[{i}].rate", f"must be at most {most:g} pairs/s (the ends "
                          f"attempt min(memories / generation_time) = {most:g} times/s), "
                          f"got {link.rate:g}")
                if not p[i] >= MIN_LINK_SUCCESS:
                    _fail(f"links[{i}].rate", f"must be at least {most * MIN_LINK_SUCCESS:g} "
                          f"pairs/s (success probability ≥ {MIN_LINK_SUCCESS:g}), "
                          f"got {link.rate:g}")
            elif not p[i] >= MIN_LINK_SUCCESS:
                nu, nv = self.nodes[link.u], self.nodes[link.v]
                ph = self.physics
                gain = nu.generation_success * nv.generation_success * ph.optical_bsm_success
                longest = ph.attenuation_length * math.log(gain / MIN_LINK_SUCCESS)
                _fail(f"links[{i}].length", f"must be at most {longest:g} km (a pair crosses it "
                      f"with probability ≥ {MIN_LINK_SUCCESS:g}), got {link.length:g}")

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
        """Request id → index (two-party requests)."""
        return {r.id: i for i, r in enumerate(self.requests)}

    @cached_property
    def ghz_index(self) -> dict[str, int]:
        """GHZ request id → index in :attr:`ghz`."""
        return {g.id: i for i, g in enumerate(self.ghz)}

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
    physics = build_at(
        ph, Physics,
        swap_latency=(ph.duration("swap_latency") / TICKS_PER_SECOND
                      if ph.has("swap_latency") else DEFAULT_SWAP_LATENCY_S),
        classical_speed=ph.number("classical_speed", DEFAULT_CLASSICAL_SPEED_KM_S, low=0.0,
                                  low_open=True),
        attenuation_length=ph.number("attenuation_length", DEFAULT_ATTENUATION_LENGTH_KM,
                                     low=0.0, low_open=True),
        # Paper 003 §VI: the optical BSM succeeds half as often as the atomic one.
        optical_bsm_success=ph.number("optical_bsm_success", q / 2, low=0.0, high=1.0,
                                      low_open=True),
        repeater_spacing=(ph.number("repeater_spacing", 1.0, low=0.0, low_open=True)
                          if ph.has("repeater_spacing") else None),
        repeater_memories=(ph.integer("repeater_memories", 1, minimum=1)
                           if ph.has("repeater_memories") else None),
        link_fidelity=(ph.number("link_fidelity", 1.0, low=0.25, high=1.0)
                       if ph.has("link_fidelity") else None),
        fusion_success=(ph.number("fusion_success", 1.0, low=0.0, high=1.0, low_open=True)
                        if ph.has("fusion_success") else None),
        depolarizing_rate=ph.number("depolarizing_rate", DEFAULT_DEPOLARIZING_RATE, low=0.0),
        dephasing_rate=ph.number("dephasing_rate", DEFAULT_DEPHASING_RATE, low=0.0),
    )
    defaults = {
        "swap_success": q,
        "memories": ph.integer("memories", DEFAULT_MEMORIES, minimum=1),
        "generation_time": _seconds(ph, "generation_time", DEFAULT_GENERATION_TIME_S),
        "generation_success": ph.number("generation_success", DEFAULT_GENERATION_SUCCESS,
                                        low=0.0, high=1.0, low_open=True),
    }
    return physics, defaults


def _check_count(doc: Section, name: str, most: int) -> None:
    """Refuse a list longer than ``most`` before building its entries."""
    raw = doc.raw(name, [])
    if isinstance(raw, list) and len(raw) > most:
        raise doc.error(name, f"holds {len(raw)} entries, at most {most} are allowed")


def _nodes(doc: Section, defaults: dict[str, Any]) -> tuple[Node, ...]:
    _check_count(doc, "nodes", MAX_NODES)
    out = []
    for item in doc.tables("nodes", nonempty=True):
        item.reject_unknown(NODE_FIELDS)
        out.append(build_at(
            item, Node,
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
    _check_count(doc, "links", MAX_LINKS)
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
            if not math.isfinite(length):  # pragma: no cover - positions are bounded
                raise item.error("length", "required: the nodes' positions are too far apart "
                                 "to compute a finite distance")
        rate = item.number("rate", None, low=0.0, low_open=True) if item.has("rate") else None
        fidelity = (item.number("fidelity", 1.0, low=0.25, high=1.0)
                    if item.has("fidelity") else None)
        out.append(build_at(item, Link, u=key[0], v=key[1], length=length, rate=rate,
                            fidelity=fidelity))
    return tuple(out)


def _ghz(item: Section, index: dict[str, int], fidelity: bool = True) -> GhzRequest:
    """A ``[[requests]]`` entry with ``nodes``: a GHZ request (``fidelity``: whether every
    link has a fresh-pair fidelity, which a ``min_fidelity`` needs)."""
    for name in ("source", "destination"):
        if item.has(name):
            raise item.error("nodes", f"a GHZ request names its parties in nodes alone; "
                                      f"remove {name} (source and destination are for Bell "
                                      "pairs)")
    item.reject_unknown(GHZ_FIELDS)
    raw = item.raw("nodes")
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise item.error("nodes", f"must be a list of node ids, got {raw!r}")
    names = [x.strip() for x in raw]
    if not MIN_GHZ_PARTIES <= len(names) <= MAX_GHZ_PARTIES:
        raise item.error("nodes", f"a GHZ request needs {MIN_GHZ_PARTIES} to "
                                  f"{MAX_GHZ_PARTIES} distinct nodes (two: use source and "
                                  f"destination), got {len(names)}")
    seen: set[str] = set()
    for x in names:
        if x not in index:
            raise item.error("nodes", f"unknown node id {x!r}")
        if x in seen:
            raise item.error("nodes", f"node {x!r} is named twice (each party holds one "
                                      "qubit of the GHZ state)")
        seen.add(x)
    if item.has("min_fidelity") and not fidelity:
        raise item.error("min_fidelity", "needs the fidelity of fresh link pairs: set "
                                         "physics.link_fidelity (or fidelity on every link)")
    return build_at(item, GhzRequest, id=item.string("id"),
                    nodes=tuple(index[x] for x in names),
                    weight=item.number("weight", 1.0, low=0.0, low_open=True),
                    min_fidelity=(item.number("min_fidelity", 1.0, low=0.5, high=1.0,
                                              low_open=True)
                                  if item.has("min_fidelity") else None))


def _requests(doc: Section, index: dict[str, int], fidelity: bool = True,
              ) -> tuple[tuple[Request, ...], tuple[GhzRequest, ...]]:
    _check_count(doc, "requests", MAX_REQUESTS)
    out = []
    ghz = []
    ids = []
    for item in doc.tables("requests", nonempty=True):
        if item.has("nodes"):
            ghz.append(_ghz(item, index, fidelity))
            ids.append(ghz[-1].id)
            continue
        item.reject_unknown(REQUEST_FIELDS)
        ends = []
        for name in ("source", "destination"):
            node_id = item.string(name)
            if node_id not in index:
                raise item.error(name, f"unknown node id {node_id!r}")
            ends.append(index[node_id])
        if ends[0] == ends[1]:
            raise item.error("destination", "a request must join two different nodes")
        min_fidelity = (item.number("min_fidelity", 1.0, low=0.5, high=1.0, low_open=True)
                        if item.has("min_fidelity") else None)
        out.append(build_at(item, Request, id=item.string("id"), source=ends[0],
                          destination=ends[1],
                          weight=item.number("weight", 1.0, low=0.0, low_open=True),
                          min_fidelity=min_fidelity))
        ids.append(out[-1].id)
    check_unique(doc.file, doc.where("requests"), ids)
    return tuple(out), tuple(ghz)


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
    path, doc = open_document(path, document, TOP_FIELDS)
    kind = doc.string("kind", "network")
    if kind != "network":
        raise doc.error("kind", f"must be 'network' for this loader, got {kind!r}")
    physics, defaults = _physics(doc)
    nodes = _nodes(doc, defaults)
    index = {n.id: i for i, n in enumerate(nodes)}
    links = _links(doc, nodes, index)
    fidelity = (physics.link_fidelity is not None
                or all(link.fidelity is not None for link in links))
    requests, ghz = _requests(doc, index, fidelity)
    _check_connected(doc, nodes, links, requests, ghz)
    return NetworkInstance(name=doc.string("name", path.stem), nodes=nodes, links=links,
                           requests=requests, physics=physics, file=str(path),
                           description=doc.string("description", ""), ghz=ghz)


def _check_connected(doc: Section, nodes: tuple[Node, ...], links: tuple[Link, ...],
                     requests: tuple[Request, ...], ghz: tuple[GhzRequest, ...] = ()) -> None:
    """Refuse a request whose nodes no chain of links joins.

    No method could serve it; a file that asks for it has a typo or a missing link, so
    it is refused as in the service family (an instance built in code keeps the plans'
    rate 0 with the reason "no path").
    """
    parent = list(range(len(nodes)))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for link in links:
        parent[root(link.u)] = root(link.v)
    for i, r in enumerate(requests):
        if root(r.source) != root(r.destination):
            raise InstanceError(doc.file, f"{doc.where('requests')}[{i}]",
                                f"request {r.id!r}: nodes {nodes[r.source].id!r} and "
                                f"{nodes[r.destination].id!r} are disconnected (no chain of "
                                f"links joins them)")
    # a GHZ request's index in the file: the entries are read in file order, pairs and
    # GHZ interleaved, so count the entries with nodes
    raw = doc.raw("requests", [])
    where = [i for i, item in enumerate(raw) if isinstance(item, dict) and "nodes" in item]
    for g, req in zip(where, ghz, strict=True):
        first = root(req.nodes[0])
        for x in req.nodes[1:]:
            if root(x) != first:
                raise InstanceError(doc.file, f"{doc.where('requests')}[{g}].nodes",
                                    f"request {req.id!r}: nodes {nodes[req.nodes[0]].id!r} "
                                    f"and {nodes[x].id!r} are disconnected (no chain of "
                                    f"links joins them)")


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
        if link.fidelity is not None:
            entry["fidelity"] = link.fidelity
        links.append(entry)
    requests = []
    for r in instance.requests:
        row: dict[str, Any] = {"id": r.id, "source": instance.nodes[r.source].id,
                               "destination": instance.nodes[r.destination].id,
                               "weight": r.weight}
        if r.min_fidelity is not None:
            row["min_fidelity"] = r.min_fidelity
        requests.append(row)
    for g in instance.ghz:
        requests.append({"id": g.id, "nodes": [instance.nodes[x].id for x in g.nodes],
                         "weight": g.weight,
                         **({"min_fidelity": g.min_fidelity}
                            if g.min_fidelity is not None else {})})
    document: dict[str, Any] = {
        "kind": "network",
        "name": instance.name,
        "physics": {"swap_latency": ph.swap_latency, "classical_speed": ph.classical_speed,
                    "attenuation_length": ph.attenuation_length,
                    "optical_bsm_success": ph.optical_bsm_success,
                    **({"link_fidelity": ph.link_fidelity}
                       if ph.link_fidelity is not None else {}),
                    **({"fusion_success": ph.fusion_success}
                       if ph.fusion_success is not None else {}),
                    "depolarizing_rate": ph.depolarizing_rate,
                    "dephasing_rate": ph.dephasing_rate},
        "nodes": nodes,
        "links": links,
        "requests": requests,
    }
    if instance.description:
        document["description"] = instance.description
    return document


# -- data-level physics: what the instance's own checks need ------------------------------
def node_capacity(instance: NetworkInstance) -> np.ndarray:
    """Attempts per second each node can make: ``memories / generation_time``.

    Parameters
    ----------
    instance
        The network.

    Returns
    -------
    numpy.ndarray
        ``C_u`` per node.
    """
    return np.array([n.memories / n.generation_time for n in instance.nodes], dtype=float)


def pair_transmission(length_km: np.ndarray | float, attenuation_length_km: float) -> np.ndarray:
    """Probability that both photons of an attempt reach the middle station: ``exp(-d/L0)``."""
    return np.exp(-np.asarray(length_km, dtype=float) / attenuation_length_km)


def link_success(instance: NetworkInstance, capacity: np.ndarray | None = None) -> np.ndarray:
    """Success probability of one generation attempt on each link.

    Parameters
    ----------
    instance
        The network.
    capacity
        Node capacities (computed when not given).

    Returns
    -------
    numpy.ndarray
        ``p_gen(u) · p_gen(v) · exp(-d/L0) · p_obsm`` per link, or ``rate / min(C_u, C_v)``
        for links with an explicit rate.
    """
    cap = node_capacity(instance) if capacity is None else capacity
    out = np.empty(len(instance.links))
    ph = instance.physics
    for i, link in enumerate(instance.links):
        if link.rate is not None:
            out[i] = link.rate / min(cap[link.u], cap[link.v])
        else:
            nu, nv = instance.nodes[link.u], instance.nodes[link.v]
            out[i] = (nu.generation_success * nv.generation_success
                      * float(pair_transmission(link.length, ph.attenuation_length))
                      * ph.optical_bsm_success)
    return out


def fidelity_modelled_links(instance: NetworkInstance) -> bool:
    """Whether every link has a fresh-pair fidelity (``physics.link_fidelity`` or its
    own ``fidelity``): what a request's ``min_fidelity`` needs."""
    return (instance.physics.link_fidelity is not None
            or all(link.fidelity is not None for link in instance.links))


def fidelity_modelled(instance: NetworkInstance) -> bool:
    """Whether the instance states a link fidelity (``physics.link_fidelity`` or a link's
    ``fidelity``); without one every pair counts as perfect, noise included."""
    return (instance.physics.link_fidelity is not None
            or any(link.fidelity is not None for link in instance.links))


def swap_noise(instance: NetworkInstance) -> float:
    """Factor a swap applies to its output's Werner parameter beyond the product of its
    inputs: the dephasing of its two measured qubits over ``swap_latency``
    (:func:`qdcopt.network.purification.operation_factor`, squared); 1 when fidelity is
    not modelled."""
    if not fidelity_modelled(instance):
        return 1.0
    ph = instance.physics
    return operation_factor(ph.dephasing_rate, ph.swap_latency) ** 2


def link_fidelities(instance: NetworkInstance) -> np.ndarray:
    """Werner fidelity of a fresh pair on every link: its own ``fidelity``, else
    ``physics.link_fidelity``, else 1 (fidelity not modelled)."""
    default = instance.physics.link_fidelity
    return np.array([link.fidelity if link.fidelity is not None
                     else (default if default is not None else 1.0)
                     for link in instance.links], dtype=float)
