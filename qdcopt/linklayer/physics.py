"""The physical layer of one link: single-photon heralded generation (paper 004, Fig. 2).

Each end node prepares its communication qubit in ``sqrt(α)|0⟩ + sqrt(1-α)|1⟩`` and
emits a photon from the bright state ``|0⟩``; the heralding station midway interferes the
two photons.  To first order in α:

* the heralded state is the wanted Bell state unless *both* nodes emitted (probability
  ≈ α, the two-photon term that one detector click cannot exclude), so ``F ≈ 1 − α``;
* a click comes from one photon reaching a detector, either node's, so the success
  probability per attempt is ``p ≈ 2 α η`` where ``η`` lumps emission, fibre
  transmission to the station, and detection inside the window.

A request for fidelity ``F`` therefore runs at ``α = 1 − F`` and succeeds per attempt
with ``p = 2 (1 − F) η``.  ``η`` is calibrated once against the paper's K₂ latency (see
``models/linklayer.md``).  One attempt lasts the slower end node's clock cycle plus the
round trip of a photon to the station and of its herald back.
"""

from __future__ import annotations

# η calibrated so that a K2 link at F = 0.75 and 2 km serves a 3.5-pair request in the
# 18.8 ms the paper's Table V reports (derivation in models/linklayer.md).
DEFAULT_EFFICIENCY = 3.93e-3


def bright_state_population(fidelity: float) -> float:
    """α for a requested fidelity: ``α = 1 − F`` (first-order single-photon model).

    Parameters
    ----------
    fidelity
        Requested fidelity, in (0.5, 1).

    Returns
    -------
    float
        The bright-state population α.
    """
    return 1.0 - fidelity


def success_probability(fidelity: float, efficiency: float = DEFAULT_EFFICIENCY) -> float:
    """Success probability of one attempt: ``p = 2 α η`` with ``α = 1 − F``.

    Parameters
    ----------
    fidelity
        Requested fidelity F.
    efficiency
        η: emission × transmission to the station × detection in the window.

    Returns
    -------
    float
        p, capped at 1.
    """
    return min(1.0, 2.0 * bright_state_population(fidelity) * efficiency)


def herald_round_trip(length_km: float, station_position: float, speed_km_s: float) -> float:
    """Seconds from emission until the farther node hears the herald.

    Parameters
    ----------
    length_km
        Link length L.
    station_position
        Position of the heralding station as a fraction of L from one end (0.5 = L/2).
    speed_km_s
        Signal speed in fibre.
    """
    far = max(station_position, 1.0 - station_position) * length_km
    return 2.0 * far / speed_km_s


def attempt_period(clock_u: float, clock_v: float, round_trip: float) -> float:
    """Seconds per attempt on a link: the slower clock cycle plus the herald round trip."""
    return max(clock_u, clock_v) + round_trip
