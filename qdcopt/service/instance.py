"""Family-D instance files (``kind = "service"``): a ModEn-Hub study or a demand service.

``[network] kind`` is ``"star"`` (paper 002 Fig. 4.2: ``clients`` around a junction, with
a server) or ``"graph"`` (``[[network.nodes]]`` with ``id`` and ``comm_qubits``,
``[[network.links]]`` with ``u``, ``v`` and their own ``p_link``).  ``[demands] pairs`` is
``"cka"`` (every other node with the last one, the server), ``"all"`` (every two end
nodes) or a list of ``"a-b"`` pairs.

A file holds either a ``[hub]`` table (paper 001: the ModEn-Hub Monte Carlo) or the
tables ``[network]``, ``[demands]`` and ``[controller]`` (paper 002: the demand service
on a star).  Times are seconds, or text with a unit (``"8 h"``, ``"150 s"``, ``"1 d"``).
Every field is checked at load; a bad one is reported as ``file: field: rule``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qdcopt.engine.limits import MAX_SEEDS, check_horizon
from qdcopt.errors import InstanceError
from qdcopt.fields import Section, check_unique
from qdcopt.service.demand.config import DAY, ServiceConfig, all_pair_classes, cka_classes
from qdcopt.service.demand.demands import DemandClass
from qdcopt.service.demand.jobs import IntervalJobs, snapshot_problem
from qdcopt.service.demand.network import GraphNetwork, HeraldedLink, StarNetwork
from qdcopt.service.hub.montecarlo import STRATEGIES, HubModel
from qdcopt.service.interval import IntervalProblem

MAX_NODES = 1000
"""Most nodes of a service network (a star's clients, a graph's nodes)."""
MAX_CLASSES = 10_000
"""Most demand classes (node pairs asking for service): every interval problem holds the
jobs of every open demand."""
MAX_SLOTS = 100_000
"""Most slots (shortest PGAs) in one scheduling interval: interval problems, EDF and the
MILP are indexed by slot."""
MIN_PAIR_PROBABILITY = 1e-12
"""Least probability that one attempt cycle makes an end-to-end pair: the binomial search
for a PGA's length takes about packet_size / p cycles, which must stay exact in a float."""
MAX_DAYS = 36_500.0
"""Longest simulated service run, days (a century)."""
MAX_HUB_ATTEMPTS = 1000
"""Most parallel attempts per round K(N): the exact values sum binomial terms C(K, s) p^s,
and C(K, K/2) leaves the float range beyond about K = 1020."""
MAX_HUB_CACHE = 1000
"""Largest cache per pair: the stationary cache law solves a (c + 1) × (c + 1) system."""
MAX_HUB_CELLS = 25_000_000
"""Most array cells of one Monte Carlo run: requests × (rounds + 16) int64 (200 MB)."""
MAX_HUB_DRAWS = 1e9
"""Most attempt draws of a whole study: runs × sizes × strategies × requests × rounds,
and most steps of the exact recursion: requests × cache × ages."""
MIN_HUB_SUCCESS = 1e-9
"""Least attempt success p_eff(N): below it 1 − (1 − p)^K loses every digit."""
MAX_DEMAND_PGAS = 1e6
"""Most PGAs one demand may run before it expires (expiry × its PGA rate): the share of
lone demands served sums a term per PGA."""
EVENTS_PER_PGA = 1
EVENTS_PER_DEMAND = 3
"""Events a PGA and a demand (arrival, expiry or service, admission) make, for the
estimate of a run's events."""

_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "min": 60.0,
          "h": 3600.0, "d": 86_400.0}


def _seconds(sec: Section, name: str, default: float | None, *, positive: bool = True,
             nullable: bool = False) -> float | None:
    value = sec.raw(name, default)
    if value is None:
        if nullable:
            return None
        raise sec.error(name, "must be a time (seconds, or text such as '8 h')")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-zµ]+)?\s*", value)
        if not m or (m.group(2) or "s") not in _UNITS:
            raise sec.error(name, f"must be a time with a unit among "
                            f"{', '.join(_UNITS)}, got {value!r}")
        try:
            seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
        except ValueError:
            raise sec.error(name, f"must be a time, got {value!r}") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise sec.error(name, f"must be a time (seconds, or text such as '8 h'), got {value!r}")
    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise sec.error(name, f"must be a {'positive' if positive else 'non-negative'} "
                        f"finite time, got {value!r}")
    return seconds


def _choice(sec: Section, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = sec.string(name, default)
    if value not in choices:
        raise sec.error(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class HubInstance:
    """A ModEn-Hub study: the sizes and strategies to run, and the model of each point.

    Attributes
    ----------
    file
        Where it was read from.
    name
        The instance's name.
    sizes
        Network sizes N.
    strategies
        Strategies to compare.
    model
        The model at the first size (other sizes change ``n_qpus`` only).
    runs
        Monte Carlo runs per point.
    """

    file: str
    sizes: tuple[int, ...]
    strategies: tuple[str, ...]
    model: HubModel
    runs: int = 10
    name: str = "hub"

    family = "service"
    kind = "hub"


@dataclass(frozen=True)
class ServiceInstance:
    """A demand service on a star (paper 002 §4).

    Attributes
    ----------
    file
        Where it was read from.
    name
        The instance's name.
    config
        The service's configuration (network, demand classes, controller, run length).
    """

    file: str
    config: ServiceConfig = field(default_factory=ServiceConfig)
    name: str = "service"

    family = "service"
    kind = "demands"


def load_service(path: Path, document: dict[str, Any]) -> HubInstance | ServiceInstance:
    """Build a checked family-D instance from a parsed document."""
    top = Section(path, "", document)
    if top.has("hub"):
        top.reject_unknown(("kind", "name", "description", "hub"))
        return replace(_load_hub(path, top.table("hub")), name=_name(path, top))
    top.reject_unknown(("kind", "name", "description", "network", "demands", "controller"))
    if not top.has("network") and not top.has("demands"):
        raise InstanceError(path, "", "a service instance needs a [hub] table, or "
                            "[network] and [demands] tables")
    return replace(_load_service(path, top), name=_name(path, top))


def _name(path: Path, top: Section) -> str:
    return top.string("name", Path(path).stem)


def _load_hub(path: Path, sec: Section) -> HubInstance:
    sec.reject_unknown(("sizes", "strategies", "p0", "beta", "kappa", "rounds", "cache",
                        "requests", "runs", "t_cut", "request_interval", "t_mem", "f0"))
    sizes_raw = sec.raw("sizes", [2, 4, 8, 16, 32, 64, 128])
    # pair codes lo · N + hi are int64: N up to 10⁹ keeps them exact
    if (not isinstance(sizes_raw, list) or not sizes_raw
            or not all(isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= 10**9
                       for n in sizes_raw)):
        raise sec.error("sizes", f"must be a non-empty list of integers from 2 to "
                        f"1000000000, got {_short(sizes_raw)}")
    strategies = sec.strings("strategies", list(STRATEGIES))
    if not strategies:
        raise sec.error("strategies", f"must name at least one strategy among "
                        f"{', '.join(STRATEGIES)}, got []")
    for s in strategies:
        if s not in STRATEGIES:
            raise sec.error("strategies", f"must name strategies among "
                            f"{', '.join(STRATEGIES)}, got {s!r}")
    if len(set(strategies)) != len(strategies):
        raise sec.error("strategies", f"names a strategy twice: {strategies!r}")
    t_cut = _seconds(sec, "t_cut", None, positive=False, nullable=True)
    t_mem = _seconds(sec, "t_mem", None, nullable=True)
    if t_mem is not None and t_cut is None:
        raise sec.error("t_mem", "needs a cut-off t_cut (a decaying memory must discard "
                        "old pairs)")
    model = HubModel(
        n_qpus=int(sizes_raw[0]), p0=sec.number("p0", 0.35, low=0.0, high=1.0, low_open=True),
        beta=sec.number("beta", 0.35, low=0.0), kappa=sec.number("kappa", 0.9, low=0.0,
                                                                 low_open=True),
        rounds=sec.integer("rounds", 3, minimum=1), cache=sec.integer("cache", 1, minimum=0),
        requests=sec.integer("requests", 2500, minimum=1), t_cut=t_cut,
        request_interval=_seconds(sec, "request_interval", 1e-3) or 1e-3, t_mem=t_mem,
        f0=sec.number("f0", 1.0, low=0.25, high=1.0))
    inst = HubInstance(str(path), tuple(int(n) for n in sizes_raw), tuple(strategies), model,
                       sec.integer("runs", 10, minimum=1, maximum=MAX_SEEDS))
    check_hub(inst, inst.sizes, inst.runs, sec)
    return inst


def _short(value: object) -> str:
    """``repr`` of a value, cut to one line of reasonable length."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_hub(inst: HubInstance, sizes: tuple[int, ...], runs: int, sec: Section) -> None:
    """Refuse a ModEn-Hub study whose arrays or exact recursion would not fit.

    Parameters
    ----------
    inst
        The study.
    sizes
        The sizes N to run.
    runs
        Monte Carlo runs per point.
    sec
        The ``[hub]`` table (for messages).

    Raises
    ------
    InstanceError
        Naming the file, the field and the limit.
    """
    m = inst.model
    for n in sizes:
        point = m.with_(n_qpus=int(n))
        if point.p_eff < MIN_HUB_SUCCESS:
            raise sec.error("p0", f"p_eff(N) = p0 / (1 + beta·log2 N) = {point.p_eff:.3g} at "
                                  f"N = {n}; an attempt must succeed with probability ≥ "
                                  f"{MIN_HUB_SUCCESS:g}")
        if "orchestrated" in inst.strategies:
            k = point.attempts("orchestrated")
            if k > MAX_HUB_ATTEMPTS:
                raise sec.error("kappa", f"K(N) = max(2, ⌈kappa·log2 N⌉) = {k} at N = {n}; "
                                         f"at most {MAX_HUB_ATTEMPTS} attempts per round")
    if m.cache > MAX_HUB_CACHE:
        raise sec.error("cache", f"must be at most {MAX_HUB_CACHE}, got {m.cache}")
    cells = m.requests * (m.rounds + 16)
    if cells > MAX_HUB_CELLS:
        raise sec.error("requests", f"requests × (rounds + 16) = {cells} array cells per run; "
                                    f"at most {MAX_HUB_CELLS}")
    draws = runs * len(sizes) * len(inst.strategies) * m.requests * m.rounds
    if draws > MAX_HUB_DRAWS:
        raise sec.error("runs", f"runs × sizes × strategies × requests × rounds = {draws:.3g} "
                                f"draws; at most {MAX_HUB_DRAWS:.0e}")
    # float first: t_cut / request_interval may be too large for an int
    ages = 1.0 if m.t_cut is None else m.t_cut / m.request_interval + 1.0
    steps = m.requests * max(m.cache, 1) * ages
    if steps > MAX_HUB_DRAWS:
        raise sec.error("t_cut", f"the exact values step requests × cache × ages (t_cut / "
                                 f"request_interval + 1 = {ages:.3g}) = {steps:.3g} cells; at most "
                                 f"{MAX_HUB_DRAWS:.0e}")


def _load_network(path: Path, net: Section) -> StarNetwork | GraphNetwork:
    kind = _choice(net, "kind", "star", ("star", "graph"))
    link = HeraldedLink(p_link=net.number("p_link", 1.6e-3, low=0.0, high=1.0, low_open=True),
                     t_cycle=_seconds(net, "t_cycle", 1e-4) or 1e-4,
                     p_swap=net.number("p_swap", 1.0, low=0.0, high=1.0, low_open=True))
    if kind == "star":
        net.reject_unknown(("kind", "clients", "client_qubits", "server_qubits",
                            "junction_qubits", "p_link", "t_cycle", "p_swap"))
        clients = net.integer("clients", 5, minimum=1, maximum=MAX_NODES - 1)
        names = (*tuple(f"client{i + 1}" for i in range(clients)), "server")
        qubits = ((net.integer("client_qubits", 1, minimum=1),) * clients
                  + (net.integer("server_qubits", 1, minimum=1),))
        return StarNetwork(names, qubits, "junction",
                           net.integer("junction_qubits", 4, minimum=2), link)
    net.reject_unknown(("kind", "nodes", "links", "p_link", "t_cycle", "p_swap"))
    raw_nodes = net.raw("nodes", [])
    if isinstance(raw_nodes, list) and len(raw_nodes) > MAX_NODES:
        raise net.error("nodes", f"holds {len(raw_nodes)} nodes, at most {MAX_NODES}")
    nodes = net.tables("nodes", nonempty=True)
    names_list, qubits_list = [], []
    for node in nodes:
        node.reject_unknown(("id", "comm_qubits"))
        names_list.append(node.string("id"))
        qubits_list.append(node.integer("comm_qubits", 1, minimum=1))
    check_unique(path, net.where("nodes"), names_list)
    known = set(names_list)
    links = []
    seen: dict[frozenset[str], str] = {}
    for ln in net.tables("links", nonempty=True):
        ln.reject_unknown(("u", "v", "p_link"))
        u, v = ln.string("u"), ln.string("v")
        for end, name in ((u, "u"), (v, "v")):
            if end not in known:
                raise ln.error(name, f"must name a node, got {end!r}")
        if u == v:
            raise ln.error("v", f"must differ from u, got {v!r} twice")
        key = frozenset((u, v))
        if key in seen:
            # two links would give one pair two herald probabilities
            raise ln.error("v", f"duplicate link {u}–{v} (first at {seen[key]})")
        seen[key] = ln.path
        links.append((u, v, ln.number("p_link", link.p_link, low=0.0, high=1.0,
                                      low_open=True)))
    return GraphNetwork(tuple(names_list), tuple(qubits_list), tuple(links), link)


def _classes(path: Path, dem: Section, network: StarNetwork | GraphNetwork, **kw: Any
             ) -> tuple[DemandClass, ...]:
    raw = dem.raw("pairs", "cka")
    n = len(network.nodes)
    if raw == "all" and n * (n - 1) // 2 > MAX_CLASSES:
        raise dem.error("pairs", f"\"all\" makes {n * (n - 1) // 2} node pairs; at most "
                                 f"{MAX_CLASSES} demand classes")
    if raw == "cka":
        return cka_classes(network, **kw)
    if raw == "all":
        return all_pair_classes(network, **kw)
    if not isinstance(raw, list) or not raw:
        raise dem.error("pairs", f"must be \"cka\", \"all\" or a list of \"a-b\" pairs, "
                        f"got {_short(raw)}")
    if len(raw) > MAX_CLASSES:
        raise dem.error("pairs", f"holds {len(raw)} pairs, at most {MAX_CLASSES}")
    out = []
    first: dict[frozenset[str], int] = {}
    for i, text in enumerate(raw):
        parts = text.split("-") if isinstance(text, str) else []
        if len(parts) != 2 or any(p not in network.nodes for p in parts) or parts[0] == parts[1]:
            raise InstanceError(path, f"{dem.where('pairs')}[{i}]",
                                f"must be \"a-b\" with two different nodes, got {text!r}")
        key = frozenset(parts)
        if key in first:
            # one class per pair: a second would double the pair's demands
            raise InstanceError(path, f"{dem.where('pairs')}[{i}]",
                                f"pair {text!r} is already asked for at [{first[key]}]")
        first[key] = i
        out.append(DemandClass(parts[0], parts[1], **kw))
    return tuple(out)


def _check_paths(path: Path, dem: Section, network: StarNetwork | GraphNetwork,
                 classes: tuple[DemandClass, ...]) -> None:
    """Every pair asking for service is joined by links, and its pair probability is
    not so small that a PGA's length cannot be computed."""
    raw = dem.raw("pairs", "cka")
    for i, c in enumerate(classes):
        where = f"{dem.where('pairs')}[{i}]" if isinstance(raw, list) else dem.where("pairs")
        try:
            p = network.pair_probability(c.a, c.b)
        except ValueError:
            raise InstanceError(path, where, f"pair {c.a}-{c.b}: the nodes are disconnected "
                                             f"(no chain of network.links joins them)") from None
        if not p >= MIN_PAIR_PROBABILITY:
            field = "network.p_link" if isinstance(network, StarNetwork) else where
            raise InstanceError(path, field,
                                f"pair {c.a}-{c.b} makes an end-to-end pair per attempt cycle "
                                f"with probability {p:.3g} (p_link per link, p_swap per swap); "
                                f"it must be at least {MIN_PAIR_PROBABILITY:g}")


def check_run(file: str, config: ServiceConfig, days_field: str) -> None:
    """Refuse a service whose intervals or run would not fit (see the module's limits).

    Parameters
    ----------
    file
        The instance file.
    config
        The service as it will run.
    days_field
        Where the run length came from (``controller.days`` or the ``days`` option).

    Raises
    ------
    InstanceError
        Naming the file, the field and the limit.
    """
    jobs = IntervalJobs(config)
    longest = max(jobs.dur.items(), key=lambda kv: kv[1])
    if jobs.n_slots > MAX_SLOTS:
        raise InstanceError(file, "controller.interval",
                            f"{config.interval:g} s holds {float(jobs.n_slots):.3g} slots of the "
                            f"shortest PGA ({jobs.slot:.3g} s); an interval holds at most "
                            f"{MAX_SLOTS}")
    run = config.days * DAY
    if jobs.slot > run:
        t_cycle = config.network.link.t_cycle
        # a cycle longer than the run is t_cycle's fault, else the many cycles of a packet
        field = "network.t_cycle" if t_cycle * 1e3 > run else "demands.packet_size"
        raise InstanceError(file, field,
                            f"the shortest PGA lasts {jobs.slot:.3g} s ({jobs.slot / t_cycle:.3g} "
                            f"cycles of {t_cycle:g} s), longer than the run "
                            f"({config.days:g} days): no PGA would ever end")
    if config.offset * jobs.T > max(c.expiry for c in jobs.classes):
        raise InstanceError(file, "controller.offset",
                            f"a demand's first schedule starts offset × interval = "
                            f"{config.offset * jobs.T:.3g} s after its admission, after every "
                            f"demand has expired (expiry ≤ "
                            f"{max(c.expiry for c in jobs.classes):.3g} s)")
    if longest[1] > jobs.n_slots:
        raise InstanceError(file, "controller.interval",
                            f"must be at least {longest[1] * jobs.slot:.4g} s: the PGAs of pair "
                            f"{longest[0]} last that long, and a PGA longer than an interval "
                            f"is never scheduled (interval {jobs.T:.4g} s)")
    per_second = 1.0 / jobs.T
    for c in jobs.classes:
        pga_rate = 1.0 / (jobs.dur[c.pair] * jobs.slot)
        if c.rate is not None:
            pga_rate = min(pga_rate, c.rate)
        per_second += EVENTS_PER_PGA * pga_rate + EVENTS_PER_DEMAND * config.renewal_rate
        if c.expiry * pga_rate > MAX_DEMAND_PGAS:
            raise InstanceError(file, "demands.expiry",
                                f"a demand of pair {c.pair} may run {c.expiry * pga_rate:.3g} "
                                f"PGAs before it expires ({c.expiry:.3g} s at "
                                f"{pga_rate:.3g} PGAs/s); at most {MAX_DEMAND_PGAS:.0e}")
    check_horizon(file, days_field, config.days, longest=MAX_DAYS, unit="days",
                  events_per_unit=per_second * DAY,
                  sources=f"{len(jobs.classes)} pairs: their PGAs, demands renewed at "
                          f"{config.renewal_rate:.3g}/s, an interval every {jobs.T:.3g} s")


def _load_service(path: Path, top: Section) -> ServiceInstance:
    network = _load_network(path, top.table("network", None))
    dem = top.table("demands", None)
    dem.reject_unknown(("pairs", "min_packets", "packet_size", "rate", "expiry", "p_packet",
                        "renewal_rate", "adaptive_target"))
    rate_raw = dem.raw("rate", 0.001)
    rate = None if rate_raw == "adaptive" else dem.number("rate", 0.001, low=0.0, low_open=True)
    classes = _classes(path, dem, network, rate=rate,
                       min_packets=dem.integer("min_packets", 10, minimum=1),
                       packet_size=dem.integer("packet_size", 2, minimum=1),
                       expiry=_seconds(dem, "expiry", 28_800.0) or 28_800.0)
    _check_paths(path, dem, network, classes)
    ctl = top.table("controller", None)
    ctl.reject_unknown(("interval", "offset", "admission", "utilisation_limit", "max_pgas",
                        "queue", "scheduler", "milp_time_limit", "lookahead", "days", "seed",
                        "reach_target"))
    max_pgas = ctl.raw("max_pgas", 1500)
    if max_pgas is not None and max_pgas != "none":
        max_pgas = ctl.integer("max_pgas", 1500, minimum=1)
    else:
        max_pgas = None
    reach = ctl.raw("reach_target", None)
    if reach is not None:
        reach = ctl.number("reach_target", None, low=0.0, high=1.0)
    config = ServiceConfig(
        network=network, classes=classes,
        renewal_rate=dem.number("renewal_rate", 1.0 / 3600.0, low=0.0, low_open=True),
        p_packet=dem.number("p_packet", 0.9, low=0.0, high=0.999999, low_open=True),
        interval=_seconds(ctl, "interval", 3600.0) or 3600.0,
        offset=ctl.integer("offset", 1, minimum=1),
        admission=_choice(ctl, "admission", "utilisation", ("utilisation", "schedule")),
        utilisation_limit=ctl.number("utilisation_limit", 0.75, low=0.0, low_open=True),
        max_pgas=max_pgas, queue=_choice(ctl, "queue", "fifo", ("fifo", "skip")),
        scheduler=_choice(ctl, "scheduler", "edf", ("edf", "milp")),
        milp_time_limit=_seconds(ctl, "milp_time_limit", 5.0) or 5.0,
        adaptive_target=dem.number("adaptive_target", 0.99, low=0.0, high=0.999999,
                                   low_open=True),
        reach_target=reach, lookahead=ctl.integer("lookahead", 2, minimum=1),
        days=ctl.number("days", 360.0, low=0.0, low_open=True),
        seed=ctl.integer("seed", 0, minimum=0))
    check_run(str(path), config, ctl.where("days"))
    return ServiceInstance(str(path), config)


def interval_of(instance: Any) -> IntervalProblem:
    """The interval problem the methods schedule for a family-D instance."""
    if isinstance(instance, IntervalProblem):
        return instance
    if isinstance(instance, HubInstance):
        raise InstanceError(instance.file, "hub", "a ModEn-Hub instance has no interval "
                            "schedule to solve; run it with simulate")
    if isinstance(instance, ServiceInstance):
        return snapshot_problem(instance.config)
    raise TypeError(f"not a service instance: {type(instance).__name__}")
