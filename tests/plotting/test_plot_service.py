"""Family-D picture: the PGA schedule per resource."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from qdcopt.plotting import subplots
from qdcopt.plotting.figures import find
from qdcopt.plotting.service import pga_schedule


def test_one_bar_per_pga_and_resource_in_lanes_within_capacity(service_star):
    _, plan = service_star
    p = plan.problem
    _, ax = subplots()
    assert pga_schedule(plan, ax=ax) is ax
    bars = find(ax, "pgas").get_paths()
    want = sum(len(p.demand_resources[p.job_demand[j]]) for j in plan.job)
    assert len(bars) == want > len(plan.job)
    # bands: resource r holds lanes [base, base + capacity); a blank lane between bands
    base, start = [], 0
    for c in p.capacity:
        base.append(start)
        start += max(int(c), 1) + 1
    lanes = defaultdict(list)
    for bar in bars:
        x0, x1 = bar.vertices[:, 0].min(), bar.vertices[:, 0].max()
        y0, y1 = round(bar.vertices[:, 1].min()), round(bar.vertices[:, 1].max())
        r = max(i for i, b in enumerate(base) if b <= y0)
        assert y1 <= base[r] + p.capacity[r]  # never above the resource's capacity
        for lane in range(y0, y1):
            lanes[lane].append((x0, x1))
    for spans in lanes.values():  # a valid schedule never stacks two PGAs in one lane
        spans.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in pairwise(spans))
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"{n} ({int(c)})" for n, c in zip(p.resource_names, p.capacity, strict=True)]
