"""Network graphs as family-B instances: GML/GraphML files and ``networkx`` graphs.

Real topologies (Internet Topology Zoo GML files and the like) give nodes a ``label`` and
a position as ``lat``/``lon`` in degrees (``Latitude``/``Longitude`` in the Zoo's own
files) and edges a length ``dist`` in km, and name no requests.  They load as they are:

* **link length** — the edge's ``length`` or ``dist`` (km); else the great-circle
  distance between its nodes' ``lat``/``lon`` (haversine, Earth radius 6371 km); else the
  straight distance between their ``x``/``y`` (km); else the file is refused, naming the
  edge — a length is never assumed to be 0, since every link rate follows from it;
* **node ids** — the nodes' labels when every node has one and no two are equal, else
  the graph's own node keys;
* **requests** — the ``requests`` argument (a text such as ``"A-B,C-D"``, or id pairs),
  or ``random_requests=K`` distinct random node pairs (seeded), or the graph attribute
  ``requests``; a graph with none of them is refused.

Request text (:func:`parse_requests`): pairs are separated by ``,`` — or by ``;`` when
the text holds a ``;``, so ids may contain commas — and the two ids of a pair are joined
by ``->``, ``~`` or ``-``.  With ``-``, ids containing ``-`` still work as long as one
split of the pair names two node ids; otherwise join them with ``~`` or ``->``.

Other node attributes read: ``memories``, ``generation_time`` (seconds),
``generation_success``, ``swap_success``; edge attribute ``rate``.  Parallel edges of a
multigraph become one link, the shortest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qdcopt.errors import InstanceError
from qdcopt.network.instance import NetworkInstance, load_network
from qdcopt.network.topology.repeaters import expand

EARTH_RADIUS_KM = 6371.0
"""Mean Earth radius of the great-circle distance, km."""

LENGTH_KEYS = ("length", "dist")
"""Edge attributes read as the link length in km, in this order."""
_LAT_KEYS = ("lat", "Latitude", "latitude")
_LON_KEYS = ("lon", "Longitude", "longitude")
_NODE_KEYS = ("x", "y", "memories", "generation_time", "generation_success", "swap_success")
PAIR_JOINS = ("->", "~", "-")
"""Texts joining the two node ids of a request, in the order they are tried."""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees (haversine), km.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Latitudes and longitudes, degrees.

    Returns
    -------
    float
        The distance on a sphere of radius :data:`EARTH_RADIUS_KM`.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def is_graph(obj: Any) -> bool:
    """Whether ``obj`` is a ``networkx`` graph (without importing networkx for others)."""
    return type(obj).__module__.startswith("networkx") and hasattr(obj, "edges")


# --------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------
def parse_requests(text: str, node_ids: Iterable[str], *, file: str | Path | None = None,
                   field: str = "requests") -> list[tuple[str, str]]:
    """Read a request text such as ``"A-B,C-D"`` into pairs of node ids.

    Parameters
    ----------
    text
        Pairs separated by ``,`` (or by ``;`` when the text holds one); the ids of a pair
        joined by ``->``, ``~`` or ``-`` (see the module notes).
    node_ids
        The graph's node ids.
    file, field
        Named in error messages (e.g. the graph file and ``--requests``).

    Returns
    -------
    list[tuple[str, str]]
        The pairs, in the text's order.

    Raises
    ------
    InstanceError
        For an empty text, a pair that does not name two known, different node ids, or a
        ``-`` that can be split in more than one way.
    """
    ids = set(node_ids)
    sep = ";" if ";" in text else ","
    parts = [p.strip() for p in text.split(sep)]
    if not any(parts):
        raise InstanceError(file, field, "names no request (expected e.g. 'A-B,C-D')")
    out: list[tuple[str, str]] = []
    for part in parts:
        if not part:
            raise InstanceError(file, field, f"has an empty pair in {text!r}")
        out.append(_pair(part, ids, file, field))
    return out


def _pair(part: str, ids: set[str], file: str | Path | None, field: str) -> tuple[str, str]:
    for join in PAIR_JOINS[:2]:
        if join in part:
            ends = [e.strip() for e in part.split(join)]
            if len(ends) != 2:
                raise InstanceError(file, field, f"pair {part!r} must join exactly two node "
                                    f"ids with {join!r}")
            return _checked(ends[0], ends[1], part, ids, file, field)
    cuts = [i for i, ch in enumerate(part) if ch == "-"]
    if not cuts:
        raise InstanceError(file, field, f"pair {part!r} must join two node ids with '-', "
                            "'~' or '->'")
    splits = [(part[:i].strip(), part[i + 1:].strip()) for i in cuts]
    known = [(a, b) for a, b in splits if a in ids and b in ids]
    if len(known) > 1:
        raise InstanceError(file, field, f"pair {part!r} splits into node ids in more than one "
                            "way; join the two ids with '~' or '->'")
    if known:
        return _checked(*known[0], part, ids, file, field)
    if len(splits) == 1:  # names the id that is not a node
        return _checked(*splits[0], part, ids, file, field)
    raise InstanceError(file, field, f"pair {part!r} does not split at a '-' into two node ids "
                        "of the graph; join ids that contain '-' with '~' or '->'")


def _checked(a: str, b: str, part: str, ids: set[str], file: str | Path | None,
             field: str) -> tuple[str, str]:
    for end in (a, b):
        if end not in ids:
            raise InstanceError(file, field, f"pair {part!r}: unknown node id {end!r}")
    if a == b:
        raise InstanceError(file, field, f"pair {part!r}: a request must join two different "
                            "nodes")
    return a, b


def random_requests(graph: Any, k: int, seed: int, *, file: str | Path | None = None,
                    node_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """``k`` distinct random node pairs of a graph that a path joins (seeded).

    Parameters
    ----------
    graph
        A ``networkx`` graph.
    k
        Number of requests, at least 1.
    seed
        Seed of the choice; the same graph, ``k`` and seed give the same pairs.
    file
        Named in error messages.
    node_ids
        Names of the graph's nodes (in the graph's order); their ``str`` by default.

    Returns
    -------
    list[tuple[str, str]]
        Pairs ``(u, v)`` with ``u`` before ``v`` in the graph's node order.

    Raises
    ------
    InstanceError
        When ``k`` is not a positive integer or exceeds the connected pairs.
    """
    import networkx as nx

    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InstanceError(file, "random_requests", f"must be a positive integer, got {k!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InstanceError(file, "seed", f"must be a non-negative integer, got {seed!r}")
    nodes = list(graph.nodes)
    names = list(node_ids) if node_ids is not None else [str(n) for n in nodes]
    pos = {n: i for i, n in enumerate(nodes)}
    component = [0] * len(nodes)
    for c, members in enumerate(nx.connected_components(nx.Graph(graph).to_undirected())):
        for n in members:
            component[pos[n]] = c
    pairs = [(i, j) for i in range(len(nodes)) for j in range(i + 1, len(nodes))
             if component[i] == component[j]]
    if k > len(pairs):
        raise InstanceError(file, "random_requests", f"asks for {k} distinct node pairs but "
                            f"the graph has {len(pairs)} pairs joined by a path")
    rng = np.random.default_rng(int(seed))
    chosen = rng.choice(len(pairs), size=int(k), replace=False)
    return [(names[pairs[c][0]], names[pairs[c][1]]) for c in chosen.tolist()]


# --------------------------------------------------------------------------------------
# Graphs
# --------------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    """A finite number from a graph attribute (GML/GraphML may store numbers as text)."""
    if isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _first(attrs: dict[str, Any], keys: Sequence[str]) -> tuple[str, Any] | None:
    for key in keys:
        if key in attrs:
            return key, attrs[key]
    return None


def _position(attrs: dict[str, Any], keys: tuple[Sequence[str], Sequence[str]],
              ) -> tuple[float, float] | None:
    a, b = _first(attrs, keys[0]), _first(attrs, keys[1])
    if a is None or b is None:
        return None
    x, y = _number(a[1]), _number(b[1])
    return None if x is None or y is None else (x, y)


def _node_names(graph: Any) -> list[str]:
    labels = [attrs.get("label") for _, attrs in graph.nodes(data=True)]
    names = [str(x).strip() for x in labels if x is not None and str(x).strip()]
    if len(names) == len(labels) and len(set(names)) == len(names):
        return names
    return [str(n) for n in graph.nodes]


def link_length(graph: Any, a: Any, b: Any, attrs: dict[str, Any], *,
                file: str | Path | None = None, names: dict[Any, str] | None = None) -> float:
    """The length of edge ``a``–``b`` in km, by the rule of the module notes.

    Raises
    ------
    InstanceError
        When the edge gives no usable length and its nodes no positions.
    """
    names = names or {}
    where = f"edge {names.get(a, a)}–{names.get(b, b)}"
    given = _first(attrs, LENGTH_KEYS)
    if given is not None:
        value = _number(given[1])
        if value is None or value < 0:
            raise InstanceError(file, f"{where}.{given[0]}",
                                f"must be a length in km (a number ≥ 0), got {given[1]!r}")
        return value
    na, nb = graph.nodes[a], graph.nodes[b]
    pa, pb = _position(na, (_LAT_KEYS, _LON_KEYS)), _position(nb, (_LAT_KEYS, _LON_KEYS))
    if pa is not None and pb is not None:
        for (lat, lon), node in ((pa, a), (pb, b)):
            if not (-90 <= lat <= 90 and -180 <= lon <= 360):
                raise InstanceError(file, f"node {names.get(node, node)}", "lat/lon must be "
                                    f"degrees (lat in [-90, 90]), got {lat:g}, {lon:g}")
        return great_circle_km(*pa, *pb)
    xa, xb = _position(na, (("x",), ("y",))), _position(nb, (("x",), ("y",)))
    if xa is not None and xb is not None:
        return math.hypot(xa[0] - xb[0], xa[1] - xb[1])
    raise InstanceError(file, where, "has no length: give the edge 'dist' or 'length' (km), "
                        "or both its nodes 'lat' and 'lon' (degrees) or 'x' and 'y' (km); "
                        "a length is never assumed")


def network_instance_from_graph(graph: Any, *, requests: str | Sequence[tuple[str, str]]
                                | None = None, random_requests: int | None = None,
                                seed: int | None = None, name: str | None = None,
                                file: str | Path | None = None,
                                **physical_params: Any) -> NetworkInstance:
    """A checked family-B instance from a ``networkx`` graph.

    Parameters
    ----------
    graph
        The network (directed graphs are read as undirected; see the module notes for the
        attributes read).
    requests
        Requests as a text (``"A-B,C-D"``, see :func:`parse_requests`) or as
        ``(source, destination)`` node-id pairs; overrides the graph's ``requests``.
    random_requests
        Instead, this many distinct random node pairs joined by a path.
    seed
        Seed of ``random_requests`` (0 when not given).
    name
        Instance name (default: the graph's ``name`` attribute, else the file's stem).
    file
        The file the graph was read from (named in messages).
    **physical_params
        Fields of the ``[physics]`` table (e.g. ``swap_success=0.5``).

    Returns
    -------
    NetworkInstance

    Raises
    ------
    InstanceError
        On the first broken rule: a link without a length, an unknown request id, no
        requests at all, or any rule of :func:`~qdcopt.network.instance.load_network`.
    """
    if not is_graph(graph):
        raise TypeError(f"expected a networkx graph, got {type(graph).__name__}")
    path = Path(file) if file is not None else Path("<graph>")
    where = str(file) if file is not None else "<graph>"
    if graph.is_directed():
        graph = graph.to_undirected()
    order = _node_names(graph)
    names = dict(zip(graph.nodes, order, strict=True))
    nodes = []
    for node_id, attrs in graph.nodes(data=True):
        entry: dict[str, Any] = {"id": names[node_id]}
        for key in _NODE_KEYS:
            if key in attrs:
                entry[key] = attrs[key]
        nodes.append(entry)
    links: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, attrs in graph.edges(data=True):
        if a == b:
            raise InstanceError(where, f"edge {names[a]}–{names[b]}",
                                "a link must join two different nodes")
        entry = {"u": names[a], "v": names[b],
                 "length": link_length(graph, a, b, attrs, file=where, names=names)}
        if "rate" in attrs:
            entry["rate"] = attrs["rate"]
        key = (min(entry["u"], entry["v"]), max(entry["u"], entry["v"]))
        if key not in links or entry["length"] < links[key]["length"]:
            links[key] = entry  # parallel edges of a multigraph: the shortest
    pairs = _requests_of(graph, order, requests, random_requests, seed, where)
    document = {
        "kind": "network",
        "name": name or str(graph.graph.get("name", "") or "") or
        (path.stem if file is not None else "graph"),
        "physics": dict(physical_params),
        "nodes": nodes,
        "links": list(links.values()),
        "requests": [{"id": f"r{i}", "source": s, "destination": d}
                     for i, (s, d) in enumerate(pairs)],
    }
    return expand(load_network(path, document))


def _requests_of(graph: Any, order: list[str], requests: Any, k: int | None,
                 seed: int | None, where: str) -> list[tuple[str, str]]:
    if requests is not None and k is not None:
        raise InstanceError(where, "requests", "give either requests or random_requests "
                            "(--requests or --random-requests), not both")
    if k is not None:
        return random_requests(graph, k, 0 if seed is None else seed, file=where,
                               node_ids=order)
    if requests is None:
        spec = str(graph.graph.get("requests", "") or "").strip()
        if not spec:
            raise InstanceError(where, "requests", "the graph names no requests: give them "
                                "with --requests 'A-B,C-D' or --random-requests K "
                                "(requests= / random_requests= in Python)")
        return parse_requests(spec, order, file=where, field="graph.requests")
    if isinstance(requests, str):
        return parse_requests(requests, order, file=where, field="--requests")
    out = []
    for i, pair in enumerate(requests):
        if isinstance(pair, str) or len(pair) != 2:
            raise InstanceError(where, f"requests[{i}]", f"must be a pair of node ids, got "
                                f"{pair!r}")
        out.append(_checked(str(pair[0]), str(pair[1]), f"{pair[0]}-{pair[1]}", set(order),
                            where, f"requests[{i}]"))
    if not out:
        raise InstanceError(where, "requests", "names no request")
    return out


def load_graph_file(path: str | Path, *, requests: str | Sequence[tuple[str, str]]
                    | None = None, random_requests: int | None = None,
                    seed: int | None = None, **physical_params: Any) -> NetworkInstance:
    """Load a network from a GML or GraphML file via networkx (see the module notes).

    Parameters
    ----------
    path
        A ``.gml`` or ``.graphml`` file.
    requests, random_requests, seed
        The requests, as for :func:`network_instance_from_graph`; by default the graph's
        ``requests`` attribute (``"a-b;c-d"``).
    **physical_params
        Fields of the ``[physics]`` table (e.g. ``swap_success=0.5``).

    Returns
    -------
    NetworkInstance

    Raises
    ------
    InstanceError
        When the file cannot be read or breaks a rule (naming the file, the edge or field,
        and the rule).
    """
    import networkx as nx

    path = Path(path)
    if path.is_dir():
        raise InstanceError(path, "", "is a directory, not a graph file")
    if not path.is_file():
        raise InstanceError(path, "", "file does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".gml", ".graphml"):
        raise InstanceError(path, "", "graph files must end in .gml or .graphml")
    try:
        # label=None keeps the node keys and the labels as attributes, so that repeated
        # or missing labels do not make a real topology unreadable
        graph = nx.read_gml(path, label=None) if suffix == ".gml" else nx.read_graphml(path)
    except Exception as exc:  # networkx raises many types for malformed files
        raise InstanceError(path, "", f"is not a readable graph file ({exc})") from None
    return network_instance_from_graph(graph, requests=requests,
                                       random_requests=random_requests, seed=seed,
                                       file=path, **physical_params)
