"""Operator files of a family-B plan: what each link generates and what each node swaps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import link_model
from qdcopt.network.plan import NetworkPlan


def export_plan(instance: NetworkInstance, plan: NetworkPlan, folder: Path) -> list[Path]:
    """Write ``link_generation.csv`` and ``node_swaps.csv`` into ``folder`` (and
    ``node_fusions.csv`` for a plan with GHZ requests).

    ``link_generation.csv`` lists per link the pairs/s to generate, the attempts/s each
    end must make and the share of each end's capacity; ``node_swaps.csv`` lists per node
    the swaps it performs (partners and rate), sorted by node; ``node_fusions.csv`` lists
    per node the fusions it performs: the GHZ request, the partners of the pairs it
    takes (space-separated), the fusions whose states it takes, its attempts/s and
    success.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = link_model(instance)
    index = instance.node_index
    rows = []
    for u, v, rate in plan.links:
        link = instance.find_link(index[u], index[v])
        attempts = rate / model.success[link]
        rows.append({"u": u, "v": v, "rate": rate, "attempts_per_s": attempts,
                     "share_u": attempts / model.node_capacity[index[u]],
                     "share_v": attempts / model.node_capacity[index[v]]})
    links = folder / "link_generation.csv"
    pd.DataFrame(rows, columns=["u", "v", "rate", "attempts_per_s", "share_u", "share_v"]
                 ).to_csv(links, index=False)
    swaps = folder / "node_swaps.csv"
    frame = pd.DataFrame(list(plan.swaps), columns=["node", "left", "right", "rate"])
    frame.sort_values(["node", "left", "right"], kind="stable").to_csv(swaps, index=False)
    if not plan.fusions:
        return [links, swaps]
    ends = {t.tree: (t.nodes[0].u, t.nodes[0].v) for t in plan.trees}
    rows = []
    for f in plan.fusions:
        partners = [ends[t][1] if ends[t][0] == f.centre else ends[t][0]
                    for t in f.trees if t in ends]
        children = [g.fusion for g in plan.fusions if g.parent == f.fusion]
        rows.append({"node": f.centre, "fusion": f.fusion, "request": f.request,
                     "pairs_with": " ".join(partners),
                     "states_of_fusions": " ".join(map(str, children)),
                     "parent": f.parent, "rate": f.rate, "success": f.success})
    fusions = folder / "node_fusions.csv"
    pd.DataFrame(rows, columns=["node", "fusion", "request", "pairs_with", "states_of_fusions",
                                "parent", "rate", "success"]
                 ).sort_values(["node", "fusion"], kind="stable").to_csv(fusions, index=False)
    return [links, swaps, fusions]
