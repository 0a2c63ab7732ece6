"""Demands for entanglement (paper 002 §4): what a node pair asks for, and its record.

A demand asks for at least ``min_packets`` packets of ``packet_size`` pairs before it
expires, at a PGA rate ``R``: fixed (0.001 Hz or 0.0005 Hz in the paper's evaluation)
or *adaptive* — set at admission so that the PGAs left before expiry give the minimum
with probability ``adaptive_target`` (paper 002 §5.4), never faster than one PGA per
PGA duration.  A pair submits its next demand ``Exponential(λ)`` after its previous one
completes (minimal service) or expires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import binom


@dataclass(frozen=True)
class DemandClass:
    """What one node pair asks for, demand after demand.

    Attributes
    ----------
    a, b
        The end nodes.
    min_packets
        Packets needed for minimal service.
    packet_size
        Entangled pairs per packet.
    rate
        PGA rate in Hz (fixed), or ``None`` for an adaptive rate.
    expiry
        Seconds from submission after which the demand expires.
    """

    a: str
    b: str
    min_packets: int = 10
    packet_size: int = 2
    rate: float | None = 0.001
    expiry: float = 28_800.0

    @property
    def pair(self) -> str:
        """``a–b``."""
        return f"{self.a}-{self.b}"


def pgas_needed(packets: int, p_success: float, target: float) -> int:
    """Smallest ``m`` with ``P[Binomial(m, p_success) ≥ packets] ≥ target``."""
    if packets <= 0:
        return 0
    m = packets
    while binom.sf(packets - 1, m, p_success) < target:
        m += max(1, m // 8)
    while m > packets and binom.sf(packets - 1, m - 1, p_success) >= target:
        m -= 1
    return m


def reach_probability(packets: int, pgas: int, p_success: float) -> float:
    """``P[Binomial(pgas, p_success) ≥ packets]``."""
    if packets <= 0:
        return 1.0
    return float(binom.sf(packets - 1, max(pgas, 0), p_success))


def adaptive_rate(packets: int, p_success: float, time_left: float, target: float,
                  max_rate: float) -> float:
    """PGA rate that leaves enough PGAs before expiry (capped at ``max_rate``)."""
    if time_left <= 0:
        return max_rate
    return min(max_rate, pgas_needed(packets, p_success, target) / time_left)


class Demand:
    """The record of one submitted demand as the service runs (mutable state).

    Attributes
    ----------
    id, cls, arrival, expires
        Identity, class, submission time and expiry time (seconds).
    admitted, start
        Admission time and service start (the first interval it is scheduled in).
    rate
        PGA rate fixed at admission.
    packets
        Packets made so far.
    outcome
        ``None`` while open; then ``"served"``, ``"expired"`` or ``"rejected"``.
    end
        Time it closed.
    next_period
        Index of its next PGA period not yet given to an interval.
    pgas_scheduled, pgas_run, pgas_dropped
        PGAs placed in schedules, run, and dropped (window missed).
    """

    __slots__ = ("admitted", "arrival", "cls", "end", "expires", "id", "next_period", "outcome",
                 "packets", "pgas_dropped", "pgas_run", "pgas_scheduled", "rate", "start")

    def __init__(self, id: int, cls: DemandClass, arrival: float) -> None:
        self.id = id
        self.cls = cls
        self.arrival = arrival
        self.expires = arrival + cls.expiry
        self.admitted: float | None = None
        self.start: float | None = None
        self.rate = math.nan
        self.packets = 0
        self.outcome: str | None = None
        self.end: float | None = None
        self.next_period = 0
        self.pgas_scheduled = 0
        self.pgas_run = 0
        self.pgas_dropped = 0
