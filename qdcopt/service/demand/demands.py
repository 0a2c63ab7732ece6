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

import numpy as np
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


def lone_pgas(rate: float, time_left: float, slot: float, duration: int = 1) -> int:
    """PGAs a demand alone on the network runs before it expires.

    Its service starts on a slot boundary ``time_left`` seconds before expiry; period
    ``k`` of ``1/rate`` seconds is released at slot ``⌈k / (rate·slot)⌉`` after the start
    and, with nothing else to schedule, EDF starts its PGA (``duration`` slots) there.  A
    PGA counts when it ends by the expiry.
    """
    if rate <= 0 or time_left <= 0:
        return 0
    period = 1.0 / (rate * slot)
    room = time_left / slot - duration  # latest release slot that still ends in time
    if room < -1e-9:
        return 0
    k = math.floor(room / period + 1e-9) + 1  # at most this many, as ⌈kP⌉ ≥ kP
    while k > 0 and math.ceil((k - 1) * period - 1e-9) > room + 1e-9:
        k -= 1
    return k


def lone_share(min_packets: int, p_success: float, rate: float | None, expiry: float,
               slot: float, interval: float, offset: int = 1, duration: int = 1,
               adaptive_target: float = 0.99, max_rate: float | None = None) -> float:
    """Share of a lone pair's demands that obtain minimal service (λ → 0).

    With no other demand, a demand submitted at a uniform point of a scheduling interval
    of ``interval`` seconds waits ``q`` uniform on ``(offset·T, (offset + 1)·T]`` for its
    first scheduled interval (see :mod:`qdcopt.service.simulation.controller`), then runs
    ``m(q) = lone_pgas(R, expiry − q)`` PGAs, and obtains minimal service with
    ``P[Binomial(m(q), p_success) ≥ min_packets]``; the share is its mean over ``q``.
    For a fixed rate ``m(q)`` falls by one at each of a few break points, so the mean is
    exact; an adaptive rate (``rate = None``) is set at the start for the time left,
    and gives exactly ``pgas_needed(min_packets, p_success, adaptive_target)`` PGAs
    whenever its period spans at least ``duration + 1`` slots (otherwise the mean is
    taken over 4 096 points of ``q``).
    """
    cap = max_rate if max_rate is not None else 1.0 / (duration * slot)
    lo = offset * interval
    if rate is not None:
        r = min(rate, cap)
        period = 1.0 / (r * slot)
        # PGA k ends in time iff q ≤ c_k = expiry − (⌈kP⌉ + duration)·slot
        share, k = 0.0, 0
        prev = 1.0  # P[m ≥ k]
        while True:
            c = expiry - (math.ceil(k * period - 1e-9) + duration) * slot
            at_least_next = min(max((c - lo) / interval, 0.0), 1.0)  # P[m ≥ k + 1]
            share += (prev - at_least_next) * reach_probability(min_packets, k, p_success)
            if at_least_next <= 0.0:
                return share
            prev, k = at_least_next, k + 1
    need = pgas_needed(min_packets, p_success, adaptive_target)
    left = expiry - np.array([lo, lo + interval])
    if need / left.min() <= cap and left.min() / (need * slot) >= duration + 1:
        return reach_probability(min_packets, need, p_success)
    qs = lo + interval * (np.arange(4096) + 0.5) / 4096
    return float(np.mean([reach_probability(
        min_packets, lone_pgas(min(cap, need / (expiry - q)) if expiry > q else cap,
                               expiry - q, slot, duration), p_success) for q in qs]))


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
