"""What one run of the demand service is: network, demand classes, controller settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from qdcopt.service.demand.demands import DemandClass
from qdcopt.service.demand.network import GraphNetwork, StarNetwork, star6

DAY = 86_400.0


@dataclass(frozen=True)
class ServiceConfig:
    """One run of the demand service.

    Attributes
    ----------
    network
        The network (a star, or any graph of nodes and links).
    classes
        What each node pair asks for (one class per pair).
    renewal_rate
        λ: a pair's next demand comes ``Exponential(λ)`` seconds (mean ``1/λ``) after its
        previous one closes.
    p_packet
        Probability a PGA must make its packet with (sets the PGA duration).
    interval
        Target seconds per scheduling interval (rounded down to whole slots).
    offset
        Intervals between admission and the first scheduled interval.
    admission
        ``"utilisation"`` or ``"schedule"``.
    utilisation_limit
        Limit of the utilisation rule.
    max_pgas
        PGAs per interval the scheduler may take (utilisation rule; ``None``: no limit).
    queue
        ``"fifo"`` or ``"skip"``.
    scheduler
        ``"edf"`` or ``"milp"``.
    milp_time_limit
        Seconds per interval for the MILP.
    adaptive_target
        Probability of minimal service an adaptive rate aims at.
    reach_target
        With the schedule-aware rule, also refuse a demand whose rate cannot give minimal
        service before expiry with at least this probability (``None``: do not).
    lookahead
        Intervals the schedule-aware rule checks.
    days
        Simulated days.
    seed
        Seed of arrivals and PGA outcomes.
    check
        Validate every interval schedule (slower; for tests).
    """

    network: StarNetwork | GraphNetwork = field(default_factory=star6)
    classes: tuple[DemandClass, ...] = ()
    renewal_rate: float = 1.0 / 3600.0
    p_packet: float = 0.9
    interval: float = 3600.0
    offset: int = 1
    admission: str = "utilisation"
    utilisation_limit: float = 0.75
    max_pgas: int | None = 1500
    queue: str = "fifo"
    scheduler: str = "edf"
    milp_time_limit: float = 5.0
    adaptive_target: float = 0.99
    reach_target: float | None = None
    lookahead: int = 2
    days: float = 360.0
    seed: int = 0
    check: bool = False

    def __post_init__(self) -> None:
        if self.admission not in ("utilisation", "schedule"):
            raise ValueError(f"admission must be utilisation or schedule, got {self.admission!r}")
        if self.scheduler not in ("edf", "milp"):
            raise ValueError(f"scheduler must be edf or milp, got {self.scheduler!r}")
        if self.queue not in ("fifo", "skip"):
            raise ValueError(f"queue must be fifo or skip, got {self.queue!r}")
        if self.renewal_rate <= 0 or self.interval <= 0 or self.days <= 0 or self.offset < 1:
            raise ValueError("renewal_rate, interval and days must be > 0, offset ≥ 1")


def cka_classes(network: StarNetwork | GraphNetwork, *, rate: float | None = 0.001,
                min_packets: int = 10, packet_size: int = 2,
                expiry: float = 28_800.0) -> tuple[DemandClass, ...]:
    """Client↔server CKA demands of paper 002: every end node but the last (the server)
    with the last."""
    server = network.nodes[-1]
    return tuple(DemandClass(c, server, min_packets, packet_size, rate, expiry)
                 for c in network.nodes[:-1])


def all_pair_classes(network: StarNetwork | GraphNetwork, *, rate: float | None = 0.001,
                     min_packets: int = 10, packet_size: int = 2,
                     expiry: float = 28_800.0) -> tuple[DemandClass, ...]:
    """Demands between every two end nodes (PGAs then contend for end-node and junction
    qubits at once, so EDF is no longer exact)."""
    nodes = network.nodes
    return tuple(DemandClass(a, b, min_packets, packet_size, rate, expiry)
                 for i, a in enumerate(nodes) for b in nodes[i + 1:])
