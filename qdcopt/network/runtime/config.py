"""Settings of a swapping-runtime run: the policy, the noise model, the cut-offs, the GEM.

Every default is stated in ``models/runtime.md`` with its source (paper 003 §VI where the
paper gives one, a stated choice otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

FIXED = "fixed"
SWAP_ASAP = "swap_asap"
OLDEST = "oldest"
YOUNGEST = "youngest"
LONGEST_HOP = "longest_hop"
SHORTEST_HOP = "shortest_hop"
SCORING = "scoring"
CONNECTIONLESS = "connectionless"
CENTRALIZED = "centralized"
POLICIES = (FIXED, SWAP_ASAP, OLDEST, YOUNGEST, LONGEST_HOP, SHORTEST_HOP, SCORING,
            CONNECTIONLESS, CENTRALIZED)
POLICY_HELP = {
    FIXED: "the plan's swapping trees, swap order as planned",
    SWAP_ASAP: "any two adjacent pairs swap as soon as both are ready (first ready first)",
    OLDEST: "adjacent pairs swap at once; the oldest pairs first",
    YOUNGEST: "adjacent pairs swap at once; the freshest pairs first",
    LONGEST_HOP: "adjacent pairs swap at once; pairs spanning the most hops first",
    SHORTEST_HOP: "adjacent pairs swap at once; pairs spanning the fewest hops first",
    SCORING: "the swap of highest positive score (benefit − opportunity loss + memory relief)",
    CONNECTIONLESS: "baseline: hop by hop from the source with local next-hop choice, no plan",
    CENTRALIZED: "baseline: oldest-first, every decision queries the GEM at the central node",
}
WAITS = ("geometric", "exponential")
DYNAMIC = "dynamic"
PLAN_ROUTES = "plan-routes"
CONNECTIONLESS_MODES = (DYNAMIC, PLAN_ROUTES)
CENTRAL_SERVICE_TIME = 100e-6
"""Default seconds the central GEM spends on one query (see ``central_service_time``)."""
PREDISTRIBUTION = ("none", "batch", "continuous")


@dataclass(frozen=True)
class RuntimeConfig:
    """How a plan is executed.

    Attributes
    ----------
    policy
        One of :data:`POLICIES`.
    early_discard
        Depth-aware cut-offs (stricter near the leaves); without it every pair has the
        root cut-off.
    duration
        Simulated seconds.
    waits
        ``"geometric"``: attempts to the next success are geometric (the physical
        model); ``"exponential"``: waits are exponential with the same mean (the
        assumption behind eq. 1; used by the eq.-1 check).
    link_fidelity
        Fidelity of a freshly heralded link pair (Werner state), on the links whose
        fidelity the instance does not state (``physics.link_fidelity`` or a link's
        ``fidelity`` win: the plan was made with them).
    depolarizing_rate
        Depolarising rate of a stored qubit, 1/s; ``None``: the instance's
        ``physics.depolarizing_rate`` (paper 003 §VI: 0.01), the rate its plan assumed.
    dephasing_rate
        Dephasing rate during an operation, 1/s, applied to both measured qubits of a swap
        for the swap latency; ``None``: the instance's ``physics.dephasing_rate`` (paper
        003 §VI: 1000), which the planners count in a tree's fidelity.  Setting either
        runs the plan under other noise than it was made for.
    cutoff_factor
        Root cut-off = ``cutoff_factor`` × the tree's expected generation latency
        (paper 003 §VI: 2).
    discard_factor
        Early discard: a pair at tree depth ``d`` is discarded past
        ``root cut-off · discard_factor^d``.
    gem_latency_scale
        GEM updates reach a node after ``scale ×`` the fibre signalling delay from the
        node where the change happened; 0 = an ideal, instantly consistent GEM.
    score_weights
        Weights of immediate benefit, opportunity loss and memory relief (scoring).
    poll_fraction
        Scoring waits at most this fraction of the root cut-off before re-evaluating
        candidates none of which scored positive.
    leaf_buffer
        Link pairs a leaf may have waiting (heralded, not yet swapped, delivered or
        discarded) before it stops attempting; 0 = no limit.  With no limit a fast link
        fills its nodes' memories with pairs its slower partner can never meet (the
        partner then finds no memory) and only cut-offs break the deadlock.
    slots
        One memory per link end of each tree copy (``models/runtime.md``): a tree of
        ``copies`` copies holds at most ``copies`` pairs per link end of its route, so a
        link restarts only when a pair that holds its end (a link pair or a product of
        it) is used, and never takes the memory its own sibling needs.  ``False``: trees
        share each node's memories freely (only ``leaf_buffer`` limits a leaf).
    predistribution
        ``"none"``; ``"batch"``: before requests start, make ``predist_pairs`` pairs for
        each of ``predist_links`` node pairs (one-time); ``"continuous"``: keep each
        stock at ``predist_pairs``, refilling whenever it falls below (§IV-C).  Both
        generate at lower priority (only while both ends keep a memory free for
        requests).
    predist_links
        Node pairs chosen for pre-distribution (the plan's most used intermediate pairs).
    predist_pairs
        Batch size per node pair, or the stock kept per node pair.
    predist_threshold
        Continuous pre-distribution only: a node pair's stock is replenished once it
        falls below this many pairs, and then up to ``predist_pairs`` (hysteresis, as
        paper 003's "whenever the stock falls below a predefined threshold").  0 (the
        default) means ``predist_pairs``: replenish as soon as one pair is taken.
    stock_cutoff_factor
        A stocked pair is discarded (its memories freed, its stock refilled) when its age
        reaches this factor times the root cut-off of the tree that made it; a pair that
        old would have been discarded as a root pair, and waiting in stock does not
        make it fresher.  ``inf``: stock never expires (the former model).
    predist_warmup
        Longest the one-time batch may take, seconds; requests start then at the latest.
    arrivals
        0: every request wants pairs at its planned rate for the whole run (the rate
        workload of Fig. 6); ``n > 0``: a stream of ``n`` requests for one pair each
        (paper 003's pre-distribution workload, Figs. 7 and 8), arriving one after
        another every ``arrival_interval`` seconds from when requests start and cycling
        through the instance's node pairs; a node pair's trees generate only while it
        has a request waiting; a request's latency runs from its arrival to its pair's
        delivery.
    arrival_interval
        Seconds between two arrivals of the stream.
    connectionless
        Which connectionless baseline ``policy="connectionless"`` runs.  ``"dynamic"``
        (default): hop-by-hop swapping as Bacciottini et al. define it — routing tables of
        hop distances, the next hop chosen at each node among the neighbours one hop
        closer to the destination as whichever first has a link pair, per-hop waiting,
        link generation on every routed link at the one-memory-per-link-end rate with
        each node's memories split over its routed links; the plan is not used (its
        requests come from the instance).  ``"plan-routes"``: the former simplification,
        hop by hop along each plan tree's route at the plan's link rates.  The rules are
        in ``models/runtime.md``.
    central_service_time
        Seconds the central GEM (``policy="centralized"``) spends on one query: queries
        are served first come first served by one server, so the centre becomes a
        bottleneck when queries arrive faster than it serves them.  Default 100 µs: a
        query is a classical message received, a lookup in the table of the network's
        live pairs and an oldest-first choice, a reply sent — tens of µs of message
        handling on a conventional controller plus the lookup and decision (see
        ``models/runtime.md``).  0: an infinitely fast centre (only the propagation
        delay to it and back).
    trace
        Keep the full event trace (for tests; costs memory).
    """

    policy: str = SCORING
    early_discard: bool = True
    duration: float = 100.0
    waits: str = "geometric"
    link_fidelity: float = 0.99
    depolarizing_rate: float | None = None
    dephasing_rate: float | None = None
    cutoff_factor: float = 2.0
    discard_factor: float = 0.5
    gem_latency_scale: float = 1.0
    score_weights: tuple[float, float, float] = (1.0, 1.0, 0.5)
    poll_fraction: float = 0.1
    leaf_buffer: int = 1
    slots: bool = True
    predistribution: str = "none"
    predist_links: int = 5
    predist_pairs: int = 2
    predist_threshold: int = 0
    predist_warmup: float = 10.0
    stock_cutoff_factor: float = 1.0
    arrivals: int = 0
    arrival_interval: float = 1.0
    connectionless: str = DYNAMIC
    central_service_time: float = CENTRAL_SERVICE_TIME
    trace: bool = False

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"unknown policy {self.policy!r} (known: {', '.join(POLICIES)})")
        if self.predistribution not in PREDISTRIBUTION:
            raise ValueError(f"predistribution must be one of {', '.join(PREDISTRIBUTION)}, "
                             f"got {self.predistribution!r}")
        if self.waits not in WAITS:
            raise ValueError(f"waits must be one of {', '.join(WAITS)}, got {self.waits!r}")
        if self.connectionless not in CONNECTIONLESS_MODES:
            raise ValueError(f"connectionless must be one of {', '.join(CONNECTIONLESS_MODES)}"
                             f", got {self.connectionless!r}")
        if self.dynamic_connectionless and self.predistribution != "none":
            # pre-distribution stocks segments of the plan's trees; this baseline has none
            raise ValueError("pre-distribution needs the plan's trees: the dynamic "
                             "connectionless baseline has no plan (use "
                             "connectionless='plan-routes')")
        checks = {
            "duration": self.duration > 0,
            "link_fidelity": 0.25 <= self.link_fidelity <= 1.0,
            "depolarizing_rate": self.depolarizing_rate is None or self.depolarizing_rate >= 0,
            "dephasing_rate": self.dephasing_rate is None or self.dephasing_rate >= 0,
            "cutoff_factor": self.cutoff_factor > 0,
            "discard_factor": 0 < self.discard_factor <= 1,
            "gem_latency_scale": self.gem_latency_scale >= 0,
            "poll_fraction": self.poll_fraction > 0,
            "leaf_buffer": self.leaf_buffer >= 0,
            "predist_links": self.predist_links >= 1,
            "predist_pairs": self.predist_pairs >= 1,
            "predist_threshold": 0 <= self.predist_threshold <= self.predist_pairs,
            "predist_warmup": self.predist_warmup > 0,
            "stock_cutoff_factor": self.stock_cutoff_factor > 0,
            "arrivals": self.arrivals >= 0,
            "arrival_interval": self.arrival_interval > 0,
            "central_service_time": self.central_service_time >= 0,
        }
        rules = {"duration": "> 0", "link_fidelity": "in [0.25, 1]",
                 "depolarizing_rate": "≥ 0", "dephasing_rate": "≥ 0", "cutoff_factor": "> 0",
                 "discard_factor": "in (0, 1]", "gem_latency_scale": "≥ 0",
                 "poll_fraction": "> 0", "leaf_buffer": "≥ 0",
                 "predist_links": "≥ 1", "predist_pairs": "≥ 1",
                 "predist_threshold": "in [0, predist_pairs] (0: predist_pairs)",
                 "predist_warmup": "> 0", "stock_cutoff_factor": "> 0 (inf: no cut-off)",
                 "arrivals": "≥ 0", "arrival_interval": "> 0",
                 "central_service_time": "≥ 0"}
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"runtime option {name} must be {rules[name]}, "
                                 f"got {getattr(self, name)!r}")
        if len(self.score_weights) != 3:
            raise ValueError("score_weights must be three numbers (benefit, loss, relief)")

    @classmethod
    def from_options(cls, **options: Any) -> RuntimeConfig:
        """A config from keyword options; unknown names are refused with a clear message."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown runtime option(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        if "score_weights" in options:
            options = {**options, "score_weights": tuple(float(x) for x in
                                                         options["score_weights"])}
        return cls(**options)

    def with_(self, **changes: Any) -> RuntimeConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def dynamic_connectionless(self) -> bool:
        """Whether the run is the plan-free connectionless baseline (``connectionless``)."""
        return self.policy == CONNECTIONLESS and self.connectionless == DYNAMIC

    @property
    def label(self) -> str:
        """Policy name with its discard and pre-distribution modes, e.g. ``oldest+discard``
        (``connectionless[plan-routes]`` for the former connectionless baseline)."""
        pd = "" if self.predistribution == "none" else f"+{self.predistribution}"
        name = self.policy
        if self.policy == CONNECTIONLESS and self.connectionless != DYNAMIC:
            name += f"[{self.connectionless}]"
        return name + ("+discard" if self.early_discard else "") + pd
