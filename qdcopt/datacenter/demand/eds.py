"""The entanglement demand schedule of all jobs of an instance, as tables and CSV files.

:class:`EdsResult` gathers the :class:`~qdcopt.datacenter.demand.schedule.JobEds` of each
job (made by :mod:`~qdcopt.datacenter.demand.schedule`), numbers every request in
need-time order and writes the request and summary tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdcopt.datacenter.demand.schedule import JobEds
from qdcopt.datacenter.instance import Requests


@dataclass(frozen=True, eq=False)
class EdsResult:
    """The entanglement demand schedule of all jobs of an instance.

    Attributes
    ----------
    qpu_ids
        QPU ids of the instance, by index.
    jobs
        One :class:`JobEds` per job, in file order.
    requests
        Every request, sorted by need time (ties: job order, then gate order), with ids
        ``<job>.r<k>`` numbered in that order within each job.
    job_runtime
        Job id → tick at which the job's distributed circuit ends (start + runtime).
    file
        The instance file, if any.
    """

    qpu_ids: tuple[str, ...]
    jobs: tuple[JobEds, ...]
    requests: Requests
    job_runtime: dict[str, int] = field(default_factory=dict)
    file: str | None = None

    @classmethod
    def from_jobs(cls, qpu_ids: Sequence[str], jobs: Sequence[JobEds], file: str | None = None,
                  ) -> EdsResult:
        """Combine the jobs' requests into one table (Phase C: combined and sorted)."""
        cols: dict[str, list[np.ndarray]] = {"a": [], "b": [], "t": [], "j": [], "g": []}
        for j, eds in enumerate(jobs):
            cols["a"].append(eds.qpu_a)
            cols["b"].append(eds.qpu_b)
            cols["t"].append(eds.t_need + eds.start)
            cols["j"].append(np.full(eds.n_requests, j, dtype=np.int64))
            cols["g"].append(np.arange(eds.n_requests, dtype=np.int64))
        a, b, t, jj, gg = (np.concatenate(cols[k]) if jobs else np.zeros(0, np.int64)
                           for k in ("a", "b", "t", "j", "g"))
        order = np.lexsort((gg, jj, t))
        a, b, t, jj = a[order], b[order], t[order], jj[order]
        counters = [0] * len(jobs)
        ids = []
        names = []
        for j in jj.tolist():
            ids.append(f"{jobs[j].job}.r{counters[j]}")
            names.append(jobs[j].job)
            counters[j] += 1
        requests = Requests.from_columns(ids, names, a, b, t)
        runtime = {eds.job: eds.start + eds.runtime for eds in jobs}
        return cls(qpu_ids=tuple(qpu_ids), jobs=tuple(jobs), requests=requests,
                   job_runtime=runtime, file=file)

    def requests_frame(self) -> pd.DataFrame:
        """The request table: ``id, job, qpu_a, qpu_b, t_need_fs, t_need_ns``.

        ``qpu_a`` and ``qpu_b`` are QPU ids (``a < b`` by instance index) and need times
        are integer ticks of 1 fs (``t_need_ns`` is for reading only).
        """
        req = self.requests
        ids = np.asarray(self.qpu_ids, dtype=object)
        return pd.DataFrame({
            "id": req.id, "job": req.job, "qpu_a": ids[req.a] if len(req) else [],
            "qpu_b": ids[req.b] if len(req) else [], "t_need_fs": req.t_need,
            "t_need_ns": req.t_need / 1e6,
        })

    def summary_frame(self) -> pd.DataFrame:
        """One row per job: circuit, placement, depths, runtime, gate and request counts."""
        rows = []
        for eds in self.jobs:
            rows.append({
                "job": eds.job,
                "circuit": eds.circuit,
                "qubits": eds.n_qubits,
                "qpus": " ".join(self.qpu_ids[q] for q in eds.placement.qpus),
                "placement": eds.placement.method,
                "protocol": eds.options.protocol,
                "reuse": eds.options.reuse,
                "timing": eds.options.timing,
                "start_fs": eds.start,
                "depth": eds.depth,
                "distributed_depth": eds.distributed_depth,
                "runtime_fs": eds.runtime,
                "runtime_ns": eds.runtime / 1e6,
                "runtime_asap_ns": eds.runtime_asap / 1e6,
                "runtime_layers_ns": eds.runtime_layers / 1e6,
                "two_qubit_gates": eds.two_qubit_gates,
                "non_local_gates": eds.non_local_gates,
                "requests": eds.n_requests,
                "requests_saved": eds.requests_saved,
            })
        return pd.DataFrame(rows)

    def write_csv(self, folder: str | Path) -> list[Path]:
        """Write ``requests.csv`` and ``jobs.csv`` into ``folder``.

        ``requests.csv`` has the columns an instance's ``requests_csv`` accepts (``id, job,
        qpu_a, qpu_b, t_need_fs``), so the schedule can be reused as explicit requests.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        req_path = folder / "requests.csv"
        self.requests_frame().drop(columns=["t_need_ns"]).to_csv(req_path, index=False)
        sum_path = folder / "jobs.csv"
        self.summary_frame().to_csv(sum_path, index=False)
        return [req_path, sum_path]
