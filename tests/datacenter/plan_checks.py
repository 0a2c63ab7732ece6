"""Helpers shared by the heuristic tests: random irregular instances, plan tables."""

from __future__ import annotations

from hypothesis import strategies as st

from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.scenarios.generate import random_instance

NS = 10**6


def plan_tables(plan) -> dict[str, dict[str, list]]:
    """Every table of a plan (initial states, switch, deliveries, rejections, shifts) as
    plain lists, for exact comparison of two plans."""
    return {name: frame.to_dict("list") for name, frame in plan.to_tables().items()}


def generated_instances() -> st.SearchStrategy[DatacenterInstance]:
    """Seeded :func:`random_instance` draws: 0–300 requests on 2–6 QPUs, short to long
    storage, unlimited or tight memory, one or two sources."""
    return st.builds(
        lambda n, qpus, t_max, comm, sources, seed: random_instance(
            n, n_qpus=qpus, t_max=t_max, comm_qubits=comm, n_sources=sources, seed=seed),
        st.integers(0, 300), st.integers(2, 6), st.sampled_from(["2 ns", "20 ns", "1 us"]),
        st.sampled_from([None, 1, 2]), st.integers(1, 2), st.integers(0, 10_000))


@st.composite
def irregular_instances(draw, *, max_qpus: int = 4, max_sources: int = 2,
                        periods: tuple[int, ...] = (NS, 3 * NS), min_requests: int = 1,
                        max_requests: int = 12, horizon: int = 30, max_start: int = 2,
                        max_t_max: int = 8, jobs: tuple[str, ...] = ("j0", "j1"),
                        ) -> DatacenterInstance:
    """Sources on different grids reaching different QPUs (so some pairs have no source),
    zero-length reconfigurations, per-QPU memories, need times before the first event."""
    n_q = draw(st.integers(2, max_qpus))
    caps = [draw(st.sampled_from([None, 1, 2, 3])) for _ in range(n_q)]
    qpus = tuple(Qpu(f"Q{i}", 4, caps[i]) for i in range(n_q))
    sources = []
    for s in range(draw(st.integers(1, max_sources))):
        period = draw(st.sampled_from(periods))
        ports = tuple(sorted(draw(st.sets(st.integers(0, n_q - 1), min_size=2))))
        t_single = draw(st.integers(0, 4)) * NS
        sources.append(Source(f"S{s}", period, draw(st.integers(0, max_start)) * NS, t_single,
                              t_single + draw(st.integers(0, 8)) * NS, ports))
    n = draw(st.integers(min_requests, max_requests))
    a, b = [], []
    for _ in range(n):
        x, y = draw(st.lists(st.integers(0, n_q - 1), min_size=2, max_size=2, unique=True))
        a.append(x)
        b.append(y)
    t = [draw(st.integers(0, horizon)) * NS for _ in range(n)]
    job = [draw(st.sampled_from(jobs)) for _ in range(n)]
    req = Requests.from_columns([f"r{i}" for i in range(n)], job, a, b, t)
    return DatacenterInstance("random", qpus, tuple(sources),
                              draw(st.integers(0, max_t_max)) * NS, req)
