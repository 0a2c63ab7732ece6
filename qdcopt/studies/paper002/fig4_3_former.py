"""Paper 002 Fig. 4.3 with the study's former parameters: packets of 2 pairs made with
probability 0.9 (PGAs of 152 s), 10 packets within 8 h, λ = 0.25 … 8 per hour
(:data:`qdcopt.studies.paper002.fig4_3.VARIANTS`).  A lone demand at 0.0005 Hz gets at most 13
PGAs and obtains minimal service with probability 0.894 only; see ``models/service.md``.

Run ``qdcopt study fig4_3_former``; it writes ``fig4_3_former.csv`` and ``.png``.
"""

from __future__ import annotations

from qdcopt.studies.paper002 import fig4_3
from qdcopt.sweeps import Sweep

NAME = "fig4_3_former"


def sweep(*, seed: int = 0, quick: bool = False) -> Sweep:
    """The tasks of Fig. 4.3 under the former parameter set."""
    return fig4_3.sweep(seed=seed, quick=quick, variant="former")
