"""The rows every statement of the hyperflow LP shares, and its solves' clock.

All statements (the swap-column LP of :mod:`~qdcopt.network.lp.hyperflow`, its pyomo
reference and the tree master of :mod:`~qdcopt.network.lp.hyperpaths`) start their rows
with one *node-capacity* row per node (attempts of the node's links per second within its
memories over the generation time, ``models/hyperflow.md``) and end them with one
*fairness* row per request (``y_r − w_r z ≥ 0``, which the max–min phase uses); the
swap-column LP puts its conservation rows (``≤ 0``) in between.
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np

from qdcopt.network.physics import LinkModel

SUM = "sum"
MAXMIN = "maxmin"
OBJECTIVES = (SUM, MAXMIN)
"""The objectives of every statement: total weighted rate, or the max–min fair level
first (then the total at that level)."""


def node_attempts(model: LinkModel) -> dict[int, list[tuple[int, float]]]:
    """Node → the links ending there with their attempts per pair (``1 / success``).

    Parameters
    ----------
    model
        The link model.

    Returns
    -------
    dict
        The node-capacity row of each node that has links, as ``(link, coefficient)``.
    """
    rows: dict[int, list[tuple[int, float]]] = {}
    for li in range(len(model.success)):
        for end in (int(model.link_u[li]), int(model.link_v[li])):
            rows.setdefault(end, []).append((li, 1.0 / model.success[li]))
    return rows


def row_bounds(model: LinkModel, n_middle: int, n_requests: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds: node capacities, ``n_middle`` rows ``≤ 0``, fairness rows ``≥ 0``.

    Parameters
    ----------
    model
        The link model (its node capacities).
    n_middle
        Rows between the node and the fairness rows (conservation rows, or none).
    n_requests
        Number of requests.

    Returns
    -------
    (row_lower, row_upper)
    """
    n = len(model.node_capacity)
    lower = np.concatenate([np.full(n + n_middle, -highspy.kHighsInf), np.zeros(n_requests)])
    upper = np.concatenate([model.node_capacity, np.zeros(n_middle),
                            np.full(n_requests, highspy.kHighsInf)])
    return lower, upper


def fairness_column(first_row: int, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and coefficients of the fairness level ``z``: ``−w_r`` in request r's row.

    Parameters
    ----------
    first_row
        Index of the first fairness row.
    weights
        Request weights.

    Returns
    -------
    (index, value)
    """
    index = np.arange(first_row, first_row + len(weights), dtype=np.int32)
    return index, -np.asarray(weights, dtype=float)


def limit_to_deadline(h: Any, deadline: float | None) -> None:
    """Give a persistent HiGHS object the time left until ``deadline`` (``perf_counter``).

    HiGHS compares its limit with the clock of the Highs object, which keeps running
    across calls: the limit is the time already used plus what is left.
    """
    if deadline is not None:
        h.setOptionValue("time_limit",
                         h.getRunTime() + max(0.01, deadline - time.perf_counter()))
