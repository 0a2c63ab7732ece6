"""Werner-state fidelity: decay in memory, a drop per operation, and the swap rule.

A Werner state of fidelity ``F`` is ``w·|Φ⁺⟩⟨Φ⁺| + (1 − w)·I/4`` with
``w = (4F − 1) / 3``.  Everything below acts on ``w``:

* storage: each stored qubit depolarises at rate ``γ``; a depolarised qubit takes the
  pair to ``I/4``, so ``w(t) = w(0) · exp(−2γ t)`` for a pair with both qubits stored;
* an operation of duration ``τ`` on a qubit dephases it with probability
  ``p = 1 − exp(−κ τ)``; after twirling back to a Werner state ``w → w · (1 − 4p/3)``;
* a swap of Werner pairs ``w₁, w₂`` gives a Werner pair ``w₁ · w₂`` (before the
  operation's own drop on its two measured qubits).
"""

from __future__ import annotations

import math
from typing import Any

from qdcopt.network.purification import operation_factor


def link_werner(instance: Any, default_fidelity: float) -> list[float]:
    """Werner parameter of a fresh pair on every link of ``instance``: the instance's own
    link fidelity where it states one (``physics.link_fidelity`` or a link's
    ``fidelity``, as the planners use), else ``default_fidelity`` (the run's
    ``link_fidelity``)."""
    ph = instance.physics
    return [werner(link.fidelity if link.fidelity is not None
                   else ph.link_fidelity if ph.link_fidelity is not None
                   else default_fidelity) for link in instance.links]


def werner(fidelity: float) -> float:
    """Werner parameter ``w`` of a fidelity."""
    return (4.0 * fidelity - 1.0) / 3.0


def fidelity(w: float) -> float:
    """Fidelity of a Werner parameter."""
    return (1.0 + 3.0 * w) / 4.0


def dephasing_factor(rate: float, duration: float) -> float:
    """Factor on ``w`` of one qubit dephasing at ``rate`` for ``duration`` seconds
    (:func:`qdcopt.network.purification.operation_factor`, the planners' rule)."""
    return operation_factor(rate, duration)


def noise_rates(instance: Any, config: Any) -> tuple[float, float]:
    """``(depolarizing_rate, dephasing_rate)`` of a run: the run's own when it sets them,
    else the instance's physics (the rates its plan was made with)."""
    ph = instance.physics
    depol = (config.depolarizing_rate if config.depolarizing_rate is not None
             else ph.depolarizing_rate)
    deph = config.dephasing_rate if config.dephasing_rate is not None else ph.dephasing_rate
    return float(depol), float(deph)


def decay(w: float, age: float, depolarizing_rate: float) -> float:
    """``w`` after both qubits of a pair were stored for ``age`` seconds."""
    return w * math.exp(-2.0 * depolarizing_rate * age)


def swap(w1: float, w2: float, operation_factor: float = 1.0) -> float:
    """``w`` of the product of swapping two Werner pairs (both measured qubits dephase)."""
    return w1 * w2 * operation_factor * operation_factor
