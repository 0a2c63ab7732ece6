"""Operator files: switch control instructions and the resource allocation table.

``switch_control.csv`` lists, per source and in time order, what each of the switch's
two output lines must connect to and when the move starts and ends.  When the new pair
shares a QPU with the old one, the line already on that QPU stays put and only the other
moves (a single-line change).

``resource_allocation.csv`` lists every served request with the EPR event that serves
it, the emission time, and the communication qubit (slot number) that holds each half
until the pair is consumed; slots are assigned by interval colouring, which needs no
more slots than the peak the validator reports.
"""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pandas as pd

from qdcopt.datacenter.instance import DatacenterInstance
from qdcopt.datacenter.plan import DatacenterPlan
from qdcopt.datacenter.validate import effective_need
from qdcopt.timebase import TICKS_PER_SECOND


def switch_instructions(instance: DatacenterInstance, plan: DatacenterPlan) -> pd.DataFrame:
    """The switch control instructions as a DataFrame (one row per line setting)."""
    rows = []
    rc = plan.reconfigurations
    for source in instance.sources:
        init = plan.initial.get(source.id)
        lines: list[str] = list(init) if init is not None else ["", ""]
        if init is not None:
            rows.append((source.id, "initial", None, None, lines[0], lines[1], 0))
        sel = sorted(np.flatnonzero(rc.source == source.id).tolist(), key=lambda j: rc.start[j])
        for j in sel:
            new = [str(rc.to_a[j]), str(rc.to_b[j])]
            if new[0] in lines and new[1] not in lines:
                keep, move = new[0], new[1]
            elif new[1] in lines and new[0] not in lines:
                keep, move = new[1], new[0]
            else:
                keep = move = None
            if keep is not None:
                lines[1 - lines.index(keep)] = move
                changed = 1
            else:
                lines = new
                changed = 2
            rows.append((source.id, "reconfigure", int(rc.start[j]), int(rc.end[j]),
                         lines[0], lines[1], changed))
    frame = pd.DataFrame(rows, columns=["source", "action", "start_fs", "end_fs", "line_0",
                                        "line_1", "lines_changed"])
    frame["start_s"] = frame["start_fs"].astype(float) / TICKS_PER_SECOND
    frame["end_s"] = frame["end_fs"].astype(float) / TICKS_PER_SECOND
    frame[["start_fs", "end_fs"]] = frame[["start_fs", "end_fs"]].astype("Int64")
    return frame


def resource_allocation(instance: DatacenterInstance, plan: DatacenterPlan) -> pd.DataFrame:
    """One row per served request: event, emission time, need time and memory slots."""
    req = instance.requests
    index = req.index()
    sidx = instance.source_index()
    t_need = effective_need(instance, plan)
    i = np.array([index[r] for r in plan.delivery_request.tolist()], dtype=np.int64)
    s = np.array([sidx[x] for x in plan.delivery_source.tolist()], dtype=np.int64)
    starts = np.array([src.start for src in instance.sources], dtype=np.int64)
    periods = np.array([src.period for src in instance.sources], dtype=np.int64)
    emit = starts[s] + plan.delivery_event * periods[s] if len(i) else np.zeros(0, np.int64)
    need = t_need[i]
    slot_a = np.full(len(i), -1, dtype=np.int64)
    slot_b = np.full(len(i), -1, dtype=np.int64)
    for q in range(instance.n_qpus):
        rows_a = np.flatnonzero(req.a[i] == q)
        rows_b = np.flatnonzero(req.b[i] == q)
        rows = np.concatenate([rows_a, rows_b])
        side = np.concatenate([np.zeros(len(rows_a), int), np.ones(len(rows_b), int)])
        order = np.lexsort((rows, emit[rows]))
        free: list[int] = []
        busy: list[tuple[int, int]] = []  # (need time, slot)
        next_slot = 0
        for k in order.tolist():
            r = rows[k]
            while busy and busy[0][0] < emit[r]:  # closed intervals: free strictly before
                heapq.heappush(free, heapq.heappop(busy)[1])
            if free:
                slot = heapq.heappop(free)
            else:
                slot = next_slot
                next_slot += 1
            heapq.heappush(busy, (int(need[r]), slot))
            (slot_a if side[k] == 0 else slot_b)[r] = slot
    frame = pd.DataFrame({
        "request": plan.delivery_request, "job": req.job[i] if len(i) else [],
        "source": plan.delivery_source, "event": plan.delivery_event,
        "emit_fs": emit, "need_fs": need,
        "qpu_a": [instance.qpus[q].id for q in req.a[i]],
        "comm_qubit_a": slot_a,
        "qpu_b": [instance.qpus[q].id for q in req.b[i]],
        "comm_qubit_b": slot_b,
    })
    frame["emit_s"] = frame["emit_fs"].astype(float) / TICKS_PER_SECOND
    frame["storage_s"] = (frame["need_fs"] - frame["emit_fs"]).astype(float) / TICKS_PER_SECOND
    return frame.sort_values(["emit_fs", "source"], kind="stable").reset_index(drop=True)


def export_operator_files(instance: DatacenterInstance, plan: DatacenterPlan,
                          folder: str | Path) -> list[Path]:
    """Write ``switch_control.csv`` and ``resource_allocation.csv`` into ``folder``.

    Returns
    -------
    list[Path]
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, frame in (("switch_control.csv", switch_instructions(instance, plan)),
                        ("resource_allocation.csv", resource_allocation(instance, plan))):
        path = folder / name
        tmp = path.with_name(f".{name}.tmp")
        frame.to_csv(tmp, index=False)
        tmp.replace(path)
        out.append(path)
    return out
