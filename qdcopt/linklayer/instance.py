"""Family-C instances: a link-layer network G_Q, its hardware and its request traffic.

Times are read through :class:`qdcopt.fields.Section` (seconds or a string with a unit)
and kept as float seconds: they feed a stochastic simulation and slot roundings, never an
exact replay of a fixed grid.  Lengths are kilometres, signal speed km/s.

Layout of a TOML file (JSON holds the same keys)::

    kind = "linklayer"
    name = "grid3x3"

    [topology]                 # one of: a named graph, explicit nodes/edges, a graph file
    graph = "grid"             # complete, complete_bipartite, star, grid, cycle, wheel,
                               # friendship
    rows = 3                   # the graph's parameters (n; m, n; rows, cols)
    cols = 3
    # nodes = ["A", "B"]       # or explicit nodes and edges
    # edges = [["A", "B"]]
    # file = "g.gml"           # or a GML/GraphML file next to this one

    [hardware]                 # every field optional (paper 004, Table IV)
    qubits_per_node = 6
    link_length = 2.0          # km, every link
    station_position = 0.5     # heralding station at this fraction of L
    detection_window = "20 ns"
    clock_min = "450 ns"       # each node's physical-layer clock: uniform in [min, max]
    clock_max = "550 ns"
    signal_speed = 2e5         # km/s
    efficiency = 3.93e-3       # η: p = 2 (1 − F) η per attempt
    scheduler_delay = "10 us"  # DQP: one-way delay node ↔ central scheduler (default L / c)

    [traffic]                  # per edge: back-off after each completed request
    backoff_mean = "50 ms"
    size_min = 1
    size_max = 6
    fidelity = 0.75

    [trace]                    # the realised trace that solve/compare replay
    duration = "0.5 s"         # arrivals in [0, duration)
    seed = 1
    slot = "1 ms"              # MILP slot length
    arrivals = "greedy"        # or "uncontended": what paces each edge's next arrival

Long module, on purpose: the data classes, their rules and the loader are one contract
(a rule is checked the same way when code builds an instance and when a file is read);
split, a class's rule and the file field it checks would live apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from qdcopt.engine.limits import check_horizon
from qdcopt.errors import InstanceError
from qdcopt.fields import Section, read_document
from qdcopt.linklayer import physics, topologies
from qdcopt.timebase import MAX_TICKS, TICKS_PER_SECOND

TOP_FIELDS = {"kind", "name", "description", "topology", "hardware", "traffic", "trace"}
HARDWARE_FIELDS = {"qubits_per_node", "link_length", "station_position", "detection_window",
                   "clock_min", "clock_max", "signal_speed", "efficiency", "scheduler_delay"}
TRAFFIC_FIELDS = {"backoff_mean", "size_min", "size_max", "fidelity"}
TRACE_FIELDS = {"duration", "seed", "slot", "arrivals"}

MAX_SECONDS: float = MAX_TICKS / TICKS_PER_SECOND
"""Longest time (1000 s), as everywhere in qdcopt: here a herald round trip, the mean
service of a request, a trace or a simulated run."""
MAX_LINKS: int = 100_000
"""Most links (and nodes) of G_Q: every link is a traffic source with its own random
stream, and the protocols, the trace and the schedules keep state per link and node."""
MAX_REQUEST_PAIRS: int = 10_000
"""Largest request size: the physical layer draws one geometric number per pair."""
MAX_ATTEMPTS: float = 1e12
"""Most attempts a request of ``size_max`` pairs may need on average: counts of attempts
are int64, and a mean of 10¹² keeps the geometric tails far below 2⁶³."""
MAX_TRACE_REQUESTS: float = 1e6
"""Most requests a realised trace may hold (upper estimate: links × (duration /
backoff_mean + 1)); every method and the validator keep one record per request."""
EVENTS_PER_REQUEST: int = 20
"""Upper estimate of the events a protocol runs per request (arrival, messages, herald,
completion; about 5 measured for ESP and DQP)."""


@dataclass(frozen=True)
class Hardware:
    """Node and link hardware (paper 004, Table IV).

    Attributes
    ----------
    qubits_per_node
        Qubits of each node; a request's pairs must fit.
    link_length
        Length of every link, km.
    station_position
        Heralding station position as a fraction of the link length.
    detection_window
        Photon detection window, seconds (must fit inside one clock cycle).
    clock_min, clock_max
        Range of the per-node physical-layer clock cycle, seconds.
    signal_speed
        Classical and photonic signal speed in fibre, km/s.
    efficiency
        η of the single-photon model (see :mod:`qdcopt.linklayer.physics`).
    scheduler_delay
        DQP's one-way delay between a node and the central scheduler, seconds.
    """

    qubits_per_node: int = 6
    link_length: float = 2.0
    station_position: float = 0.5
    detection_window: float = 20e-9
    clock_min: float = 450e-9
    clock_max: float = 550e-9
    signal_speed: float = 2e5
    efficiency: float = physics.DEFAULT_EFFICIENCY
    scheduler_delay: float = 1e-5

    @property
    def message_delay(self) -> float:
        """One-way classical delay over a link of G_C = G_Q, seconds."""
        return self.link_length / self.signal_speed

    @property
    def round_trip(self) -> float:
        """Herald round trip of one attempt, seconds."""
        return physics.herald_round_trip(self.link_length, self.station_position,
                                         self.signal_speed)


@dataclass(frozen=True)
class Traffic:
    """Request traffic per edge.

    Attributes
    ----------
    backoff_mean
        Mean of the exponential back-off after a request completes, seconds.
    size_min, size_max
        Range of the uniform request size (pairs).
    fidelity
        Requested fidelity F of every request.
    """

    backoff_mean: float = 0.05
    size_min: int = 1
    size_max: int = 6
    fidelity: float = 0.75


@dataclass(frozen=True)
class TraceSpec:
    """The realised trace ``solve`` and ``compare`` replay.

    Attributes
    ----------
    duration
        Requests arrive in ``[0, duration)``, seconds.
    seed
        Seed of the trace's arrivals, sizes, attempts and clocks.
    slot
        Slot length of the time-indexed MILP, seconds.
    arrivals
        What paces an edge's next arrival (see :func:`qdcopt.linklayer.trace.realise_trace`):
        ``"uncontended"`` or ``"greedy"``.
    """

    duration: float = 0.5
    seed: int = 1
    slot: float = 1e-3
    arrivals: str = "greedy"


@dataclass(frozen=True)
class LinkInstance:
    """A checked, immutable family-C instance.

    Attributes
    ----------
    name
        Instance name.
    nodes
        Node names.
    edges
        Links of G_Q as index pairs ``(u, v)``, ``u < v``.
    hardware, traffic, trace
        Parameters.
    topology
        How the graph was given (``"grid 3x3"``, ``"file g.gml"``, ``"explicit"``).
    file
        File it was read from (empty when built in code).
    description
        Free text.
    """

    family: ClassVar[str] = "linklayer"

    name: str
    nodes: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    hardware: Hardware = field(default_factory=Hardware)
    traffic: Traffic = field(default_factory=Traffic)
    trace: TraceSpec = field(default_factory=TraceSpec)
    topology: str = "explicit"
    file: str = ""
    description: str = ""

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @cached_property
    def success_probability(self) -> float:
        """p per attempt at the traffic's fidelity."""
        return physics.success_probability(self.traffic.fidelity, self.hardware.efficiency)

    @cached_property
    def edge_index(self) -> dict[tuple[int, int], int]:
        """``(u, v)``, ``u < v`` → edge index."""
        return {e: i for i, e in enumerate(self.edges)}

    @cached_property
    def matching_number(self) -> int:
        """ν(G_Q)."""
        return topologies.matching_number(self.n, self.edges)

    def with_(self, **changes: Any) -> LinkInstance:
        """A copy with some fields changed (pass whole ``Hardware``/``Traffic``/``TraceSpec``)."""
        from dataclasses import replace

        return replace(self, **changes)


def build_instance(graph: str, *, name: str | None = None, hardware: Hardware | None = None,
                   traffic: Traffic | None = None, trace: TraceSpec | None = None,
                   **params: int) -> LinkInstance:
    """An instance on a named topology of Fig. 5 (no file).

    Parameters
    ----------
    graph
        Builder name (see :data:`qdcopt.linklayer.topologies.BUILDERS`).
    name
        Instance name (default: the graph and its parameters).
    hardware, traffic, trace
        Parameters (paper defaults when omitted).
    **params
        The graph's parameters (``n``, ``m``, ``rows``, ``cols``).
    """
    nodes, edges = topologies.build(graph, **params)
    label = f"{graph} " + " ".join(f"{k}={v}" for k, v in params.items())
    return LinkInstance(name=name or label.replace(" ", "_").replace("=", ""), nodes=nodes,
                        edges=edges, hardware=hardware or Hardware(),
                        traffic=traffic or Traffic(), trace=trace or TraceSpec(),
                        topology=label)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def _seconds(section: Section, name: str, default: float, *, positive: bool = True) -> float:
    if not section.has(name):
        return default
    return section.duration(name, positive=positive) / TICKS_PER_SECOND


def _topology(doc: Section, path: Path) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...],
                                                  str]:
    top = doc.table("topology")
    keys = set(top.data)
    if "graph" in keys:
        graph = top.string("graph")
        if graph not in topologies.BUILDERS:
            raise top.error("graph", f"must be one of {', '.join(topologies.BUILDERS)}, "
                                     f"got {graph!r}")
        _, names, minima = topologies.BUILDERS[graph]
        top.reject_unknown({"graph", *names})
        params = {k: top.integer(k, minimum=lo) for k, lo in zip(names, minima, strict=True)}
        n_nodes, n_links = topologies.size(graph, **params)
        if max(n_nodes, n_links) > MAX_LINKS:
            # refused before building: K_n materialises n(n − 1)/2 links
            given = ", ".join(f"{k} = {v}" for k, v in params.items())
            raise InstanceError(top.file, top.path,
                                f"graph {graph!r} with {given} has {n_nodes} nodes and "
                                f"{n_links} links; a topology holds at most {MAX_LINKS} of "
                                f"each")
        nodes, edges = topologies.build(graph, **params)
        return nodes, edges, f"{graph} " + " ".join(f"{k}={v}" for k, v in params.items())
    if "file" in keys:
        top.reject_unknown({"file"})
        return (*_graph_file(top, path), f"file {top.string('file')}")
    top.reject_unknown({"nodes", "edges"})
    nodes = tuple(top.strings("nodes"))
    raw = top.raw("edges")
    _check_counts(top, "nodes", len(nodes), "edges", len(raw) if isinstance(raw, list) else 0)
    return nodes, _edges(top, nodes, raw), "explicit"


def _check_counts(top: Section, node_field: str, n_nodes: int, link_field: str,
                  n_links: int) -> None:
    """Refuse a topology with more than :data:`MAX_LINKS` nodes or links."""
    for name, count in ((node_field, n_nodes), (link_field, n_links)):
        if count > MAX_LINKS:
            raise top.error(name, f"holds {count} entries; a topology holds at most "
                                  f"{MAX_LINKS} nodes and {MAX_LINKS} links")


def _edges(top: Section, nodes: tuple[str, ...], raw: Any) -> tuple[tuple[int, int], ...]:
    index: dict[str, int] = {}
    for i, name in enumerate(nodes):
        if name in index:
            raise InstanceError(top.file, f"{top.where('nodes')}[{i}]",
                                f"duplicate node {name!r} (first at [{index[name]}])")
        index[name] = i
    if not isinstance(raw, list) or not raw:
        raise top.error("edges", "must be a non-empty list of node pairs [u, v]")
    seen: dict[tuple[int, int], int] = {}
    out = []
    for k, pair in enumerate(raw):
        where = f"{top.where('edges')}[{k}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise InstanceError(top.file, where, f"must be a pair [u, v], got {pair!r}")
        ends = []
        for x in pair:
            if str(x) not in index:
                raise InstanceError(top.file, where, f"unknown node {x!r}")
            ends.append(index[str(x)])
        a, b = ends
        if a == b:
            raise InstanceError(top.file, where, f"an edge must join two different nodes, "
                                                 f"got {nodes[a]!r} twice")
        key = (min(a, b), max(a, b))
        if key in seen:
            raise InstanceError(top.file, where, f"duplicate edge {nodes[a]}–{nodes[b]} "
                                                 f"(first at [{seen[key]}])")
        seen[key] = k
        out.append(key)
    return tuple(out)


def _graph_file(top: Section, path: Path) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    import networkx as nx

    rel = top.string("file")
    gpath = (path.parent / rel) if not Path(rel).is_absolute() else Path(rel)
    if not gpath.is_file():
        raise top.error("file", f"graph file {rel!r} does not exist")
    try:
        if gpath.suffix.lower() == ".gml":
            g = nx.read_gml(gpath, label="label")
        elif gpath.suffix.lower() == ".graphml":
            g = nx.read_graphml(gpath)
        else:
            raise top.error("file", f"graph files must end in .gml or .graphml, got {rel!r}")
    except InstanceError:
        raise
    except Exception as exc:  # networkx raises many types for malformed files
        raise top.error("file", f"{rel!r} is not a readable graph ({exc})") from None
    if g.is_directed():
        g = g.to_undirected()   # a→b and b→a are one link
    _check_counts(top, "file", g.number_of_nodes(), "file", g.number_of_edges())
    for a, b in g.edges():
        if a == b:
            # a link joins two nodes; dropping the loop would change the file's graph
            raise top.error("file", f"{rel!r} has a link from node {str(a)!r} to itself; "
                                    f"a link must join two different nodes")
    nodes = tuple(str(v) for v in g.nodes)
    labels: set[str] = set()
    for v in nodes:
        if v in labels:   # labels 1 and "1" read as one name
            raise top.error("file", f"{rel!r} has two nodes labelled {v!r}")
        labels.add(v)
    seen: dict[frozenset[str], None] = {}
    edges = []
    for a, b in g.edges():
        key = frozenset((str(a), str(b)))
        if key in seen:
            raise top.error("file", f"{rel!r} has the link {a}–{b} twice; a pair of nodes "
                                    f"shares at most one link")
        seen[key] = None
        edges.append([str(a), str(b)])
    return nodes, _edges(top, nodes, edges)


def _hardware(doc: Section) -> Hardware:
    hw = doc.table("hardware", None)
    hw.reject_unknown(HARDWARE_FIELDS)
    d = Hardware()
    length = hw.number("link_length", d.link_length, low=0.0, low_open=True)
    speed = hw.number("signal_speed", d.signal_speed, low=0.0, low_open=True)
    clock_min = _seconds(hw, "clock_min", d.clock_min)
    clock_max = _seconds(hw, "clock_max", d.clock_max)
    if clock_max < clock_min:
        raise hw.error("clock_max", f"must be ≥ clock_min ({clock_min:g} s), "
                                    f"got {clock_max:g} s")
    station = hw.number("station_position", d.station_position, low=0.0, high=1.0)
    trip = physics.herald_round_trip(length, station, speed)
    if not trip <= MAX_SECONDS:
        longest = MAX_SECONDS * speed / (2.0 * max(station, 1.0 - station))
        raise hw.error("link_length", f"must be at most {longest:g} km (the herald round trip "
                                      f"2·max(s, 1 − s)·L / signal_speed = {trip:g} s must "
                                      f"stay within 1000 s), got {length:g}")
    window = _seconds(hw, "detection_window", d.detection_window)
    if window > clock_min:
        raise hw.error("detection_window", f"must fit in one clock cycle (≤ clock_min = "
                                           f"{clock_min:g} s), got {window:g} s")
    return Hardware(
        qubits_per_node=hw.integer("qubits_per_node", d.qubits_per_node, minimum=1),
        link_length=length,
        station_position=station,
        detection_window=window,
        clock_min=clock_min,
        clock_max=clock_max,
        signal_speed=speed,
        efficiency=hw.number("efficiency", d.efficiency, low=0.0, high=1.0, low_open=True),
        scheduler_delay=_seconds(hw, "scheduler_delay", length / speed, positive=False),
    )


def _traffic(doc: Section, hardware: Hardware) -> Traffic:
    tr = doc.table("traffic", None)
    tr.reject_unknown(TRAFFIC_FIELDS)
    d = Traffic()
    size_min = tr.integer("size_min", d.size_min, minimum=1, maximum=MAX_REQUEST_PAIRS)
    size_max = tr.integer("size_max", d.size_max, minimum=1, maximum=MAX_REQUEST_PAIRS)
    if size_max < size_min:
        raise tr.error("size_max", f"must be ≥ size_min ({size_min}), got {size_max}")
    if size_max > hardware.qubits_per_node:
        raise tr.error("size_max", f"must be ≤ hardware.qubits_per_node "
                                   f"({hardware.qubits_per_node}), got {size_max}")
    fidelity = tr.number("fidelity", d.fidelity, low=0.5, high=1.0, low_open=True)
    if fidelity >= 1.0:
        raise tr.error("fidelity", "must be < 1 (F = 1 needs α = 0: no attempt ever succeeds)")
    return Traffic(backoff_mean=_seconds(tr, "backoff_mean", d.backoff_mean),
                   size_min=size_min, size_max=size_max, fidelity=fidelity)


def _trace(doc: Section) -> TraceSpec:
    tr = doc.table("trace", None)
    tr.reject_unknown(TRACE_FIELDS)
    d = TraceSpec()
    arrivals = tr.string("arrivals", d.arrivals)
    if arrivals not in ("uncontended", "greedy"):
        raise tr.error("arrivals", f"must be 'uncontended' or 'greedy', got {arrivals!r}")
    return TraceSpec(duration=_seconds(tr, "duration", d.duration),
                     seed=tr.integer("seed", d.seed, minimum=0),
                     slot=_seconds(tr, "slot", d.slot), arrivals=arrivals)


def load_linklayer(path: str | Path, document: dict[str, Any] | None = None) -> LinkInstance:
    """Load and check a family-C instance from a TOML/JSON document.

    Parameters
    ----------
    path
        The instance file.
    document
        Its parsed content, if already read.

    Returns
    -------
    LinkInstance

    Raises
    ------
    InstanceError
        On the first broken rule, naming the file, the field and the rule.
    """
    path = Path(path)
    doc = Section(path, "", document if document is not None else read_document(path))
    doc.reject_unknown(TOP_FIELDS)
    kind = doc.string("kind", "linklayer")
    if kind != "linklayer":
        raise doc.error("kind", f"must be 'linklayer' for this loader, got {kind!r}")
    nodes, edges, label = _topology(doc, path)
    if len(nodes) < 2:
        raise doc.error("topology", f"needs at least two nodes, got {len(nodes)}")
    hardware = _hardware(doc)
    traffic = _traffic(doc, hardware)
    trace = _trace(doc)
    inst = LinkInstance(name=doc.string("name", path.stem), nodes=nodes, edges=edges,
                        hardware=hardware, traffic=traffic, trace=trace, topology=label,
                        file=str(path), description=doc.string("description", ""))
    if not math.isfinite(inst.success_probability) or inst.success_probability <= 0.0:
        raise doc.error("hardware.efficiency", "gives no positive success probability")
    _check_service(doc, inst)
    _check_trace(doc, inst)
    return inst


def _check_service(doc: Section, inst: LinkInstance) -> None:
    """The largest request must be servable: its mean attempts fit int64 with room to
    spare and its mean service time is at most 1000 s."""
    p = inst.success_probability
    size = inst.traffic.size_max
    attempts = size / p
    if attempts > MAX_ATTEMPTS:
        raise doc.error("traffic.size_max",
                        f"a request of {size} pairs needs {attempts:.3g} attempts on average "
                        f"(p = 2 (1 − fidelity) · efficiency = {p:.3g} per attempt); at most "
                        f"{MAX_ATTEMPTS:.0e} are allowed")
    period = inst.hardware.clock_max + inst.hardware.round_trip
    service = attempts * period
    if service > MAX_SECONDS:
        raise doc.error("traffic.size_max",
                        f"a request of {size} pairs lasts {service:.3g} s on average "
                        f"({attempts:.3g} attempts of up to {period:.3g} s); a request must be "
                        f"served within 1000 s on average")


def _check_trace(doc: Section, inst: LinkInstance) -> None:
    """The realised trace holds at most :data:`MAX_TRACE_REQUESTS` requests (estimate)."""
    expected = trace_requests(inst, inst.trace.duration)
    if expected > MAX_TRACE_REQUESTS:
        raise doc.error("trace.duration",
                        f"{inst.trace.duration:g} s gives up to {expected:.3g} requests "
                        f"({len(inst.edges)} links × (duration / traffic.backoff_mean + 1)); "
                        f"a trace holds at most {MAX_TRACE_REQUESTS:.0e}")


def trace_requests(inst: LinkInstance, duration: float) -> float:
    """Upper estimate of the mean number of requests arriving in ``[0, duration)``.

    Each link's next request comes at least an exponential back-off (mean
    ``backoff_mean``) after its previous one, so a link issues at most
    ``duration / backoff_mean + 1`` requests on average.

    Parameters
    ----------
    inst
        The instance.
    duration
        Seconds of arrivals.

    Returns
    -------
    float
        ``links × (duration / backoff_mean + 1)``.
    """
    return len(inst.edges) * (duration / inst.traffic.backoff_mean + 1.0)


def check_duration(inst: LinkInstance, duration: object) -> float:
    """A simulated duration (seconds), checked against 1000 s and the event cap.

    Parameters
    ----------
    inst
        The instance.
    duration
        Seconds asked for.

    Returns
    -------
    float
        The duration.

    Raises
    ------
    InstanceError
        Naming the instance file and ``duration``.
    """
    per_second = EVENTS_PER_REQUEST * len(inst.edges) / inst.traffic.backoff_mean
    return check_horizon(inst.file, "duration", duration, longest=MAX_SECONDS, unit="s",
                         events_per_unit=per_second,
                         sources=f"{len(inst.edges)} links, one request per "
                                 f"{inst.traffic.backoff_mean:g} s back-off at most, "
                                 f"~{EVENTS_PER_REQUEST} events each")
