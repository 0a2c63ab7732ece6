"""Entanglement demand schedules (paper 000, Phase C): the distributed circuit and its requests.

Given a reduced circuit (:class:`~qdcopt.datacenter.demand.reduction.FlatCircuit`) and a
placement of its qubits on QPUs, :func:`distribute` builds the distributed circuit implicitly and
times it in one pass over integer qubit indices:

* a two-qubit gate whose qubits sit on different QPUs (a *non-local gate*) is carried out
  with **cat-entanglement** (Eisert et al. 2000; Yimsiriwattana & Lomonaco 2004).  With the
  control ``c`` on QPU A, the target ``t`` on QPU B and a Bell pair ``(e_A, e_B)``:

  ====  =======================================  ======  ===============================
  step  operation                                where   duration
  ====  =======================================  ======  ===============================
  1     CX(c, e_A)                               A       ``gate_2q(A)``
  2     measure e_A                              A       ``measure(A)``
  3     X on e_B if the outcome was 1            B       ``classical + gate_1q(B)``
  4     the gate, controlled by e_B, on t        B       ``gate_2q(B)``
  5     H on e_B                                 B       ``gate_1q(B)``
  6     measure e_B                              B       ``measure(B)``
  7     Z on c if the outcome was 1              A       ``classical + gate_1q(A)``
  ====  =======================================  ======  ===============================

  Steps 1–3 (*cat-entangle*) make e_B a linked copy of c; steps 5–7 (*disentangle*)
  remove it.  The Bell pair is consumed at step 1, which is therefore the request's need
  time.  The data qubit c is held from step 1 to step 7, t only during step 4.

* optionally (``protocol="teleport"``) the control is **teleported** to B, the gate runs
  locally, and the qubit is teleported back (two Bell pairs per non-local gate):
  CX(c, e_A), H(c), measure c and e_A, Pauli correction on e_B (``classical +
  gate_1q(B)``); the gate on B; then CX(e_B, f_B), H(e_B), measure both, correction on
  f_A.  The qubit continues on f_A (communication and data qubits are interchangeable
  here, so no swap back is timed).

* optionally (``reuse=True``) one link serves **consecutive remote gates with the same
  control qubit and QPU pair** (paper 000, §II): when the next operation on c is again a
  non-local gate controlled by c with its target on B, it runs on the open link (step 4
  again) and needs no new Bell pair; any other operation on c closes the link first.
  Diagonal gates (``cz``, ``cp``, ``rzz``, …) may use either qubit as the control, and the
  one with an open link to the other's QPU is chosen.

Timing.  Every operation has a duration from its QPU (one-qubit gate, two-qubit gate,
measurement; a reset is a measurement plus a one-qubit gate).  Two timings are offered:

``layers`` (the paper's rule, default)
    the distributed circuit is cut into as-soon-as-possible layers (each operation one
    layer, barriers synchronise); a layer lasts as long as its longest operation and starts
    when the previous one ends.  A request's need time is the start of the layer of its
    step 1; the runtime is the sum of the layer lengths.
``asap``
    each operation starts as soon as its own qubits are free (per-operation times, no
    layer synchronisation), except that step 1 of a non-local gate is put off while the
    target is busy so that step 4 starts the moment the target is free: the control is
    released at the same tick, and neither the Bell pair nor the linked copy waits for the
    target.  A request's need time is the start of its step 1.

Both are computed in the same pass; ``timing`` only chooses which one the requests use.
The distributed depth is the number of layers.  See ``models/eds.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qdcopt.datacenter.demand.placement import Placement, place
from qdcopt.datacenter.demand.reduction import (
    K_1Q,
    K_BARRIER,
    K_CTRL,
    K_DELAY,
    K_DIAG,
    K_MEASURE,
    FlatCircuit,
)
from qdcopt.datacenter.instance import EdsOptions, QpuTiming
from qdcopt.timebase import MAX_TICKS, MAX_TIME_TEXT, seconds

REQUESTS_PER_GATE = {"cat": 1, "teleport": 2}
"""Bell pairs one non-local gate consumes without reuse."""


@dataclass(frozen=True, eq=False)
class JobEds:
    """The entanglement demand schedule of one job, and its distributed circuit's figures.

    Attributes
    ----------
    job
        Job id.
    circuit
        Circuit name.
    n_qubits
        Qubits of the circuit.
    placement
        Where the qubits sit.
    options
        Protocol, reuse and timing used.
    start
        Tick at which the job starts (need times below are relative to it).
    qpu_a, qpu_b
        Instance QPU indices of each request: the control's QPU and the target's.
    t_need
        Need time of each request in ticks from the job start (by ``options.timing``).
    t_need_layers, t_need_asap
        Need times under both timings.
    layer
        Layer of the distributed circuit in which each request's pair is consumed.
    gate
        Position, in the reduced circuit, of the non-local gate each request serves.
    depth
        Depth of the reduced (monolithic) circuit.
    distributed_depth
        Layers of the distributed circuit.
    runtime_layers, runtime_asap
        Runtime estimate under both timings, in ticks.
    two_qubit_gates, non_local_gates
        Two-qubit gates, and those between QPUs.
    requests_saved
        Requests avoided by link reuse.
    """

    job: str
    circuit: str
    n_qubits: int
    placement: Placement
    options: EdsOptions
    start: int
    qpu_a: np.ndarray
    qpu_b: np.ndarray
    t_need_layers: np.ndarray
    t_need_asap: np.ndarray
    layer: np.ndarray
    gate: np.ndarray
    depth: int
    distributed_depth: int
    runtime_layers: int
    runtime_asap: int
    two_qubit_gates: int
    non_local_gates: int
    requests_saved: int

    def __post_init__(self) -> None:
        for name in ("qpu_a", "qpu_b", "t_need_layers", "t_need_asap", "layer", "gate"):
            getattr(self, name).setflags(write=False)

    @property
    def n_requests(self) -> int:
        """Number of requests."""
        return len(self.qpu_a)

    @property
    def t_need(self) -> np.ndarray:
        """Need times under the chosen timing (ticks from the job start)."""
        return self.t_need_layers if self.options.timing == "layers" else self.t_need_asap

    @property
    def runtime(self) -> int:
        """Runtime estimate under the chosen timing, in ticks."""
        return self.runtime_layers if self.options.timing == "layers" else self.runtime_asap


def distribute(flat: FlatCircuit, placement: Placement, timings: Sequence[QpuTiming],
               options: EdsOptions | None = None, *, job: str = "job0", start: int = 0,
               ) -> JobEds:
    """Time the distributed circuit and extract its entanglement requests.

    Parameters
    ----------
    flat
        The reduced circuit.
    placement
        Where its qubits sit.
    timings
        Durations on each of the placement's QPUs (same order as ``placement.qpus``).
    options
        Protocol, reuse and timing (defaults: cat-entanglement, no reuse, layers).
    job
        Job id.
    start
        Tick at which the job starts (kept in the result; need times are relative).

    Returns
    -------
    JobEds
    """
    opts = options or EdsOptions()
    if len(timings) != len(placement.qpus):
        raise ValueError("one QpuTiming per placement QPU is needed")
    if len(placement.part) != flat.n_qubits:
        raise ValueError("the placement does not match the circuit's qubits")
    n = flat.n_qubits
    part = placement.part.tolist()
    # durations per placement QPU (…p) and per qubit, on its QPU (…q)
    d1p = [t.gate_1q for t in timings]
    d2p = [t.gate_2q for t in timings]
    dmp = [t.measure_ticks for t in timings]
    d1q = [d1p[p] for p in part]
    d2q = [d2p[p] for p in part]
    dmq = [dmp[p] for p in part]
    cc = opts.classical
    reuse = opts.reuse
    teleport = opts.protocol == "teleport"
    per_gate = REQUESTS_PER_GATE[opts.protocol]

    rt = [0] * n        # tick at which each qubit is free (asap timing)
    lv = [0] * n        # first free layer of each qubit
    peer = [-1] * n     # QPU position of the open link's far copy, −1 if none
    lrt = [0] * n       # tick at which the far copy is free
    llv = [0] * n       # first free layer of the far copy
    lgate = [0] * n     # gate that opened / last used the link
    rec_l: list[int] = []   # (layer, duration) of every operation: layer lengths
    rec_d: list[int] = []
    req_a: list[int] = []
    req_b: list[int] = []
    req_t: list[int] = []
    req_l: list[int] = []
    req_g: list[int] = []
    saved = 0
    non_local = 0

    def close(q: int) -> None:
        """Disentangle (cat) or teleport back (teleport) the open link of qubit q."""
        b = peer[q]
        t0, l0 = lrt[q], llv[q]
        if teleport:
            req_a.append(part[q])
            req_b.append(b)
            req_t.append(t0)
            req_l.append(l0)
            req_g.append(lgate[q])
            rec_l.extend((l0, l0 + 1, l0 + 2, l0 + 3))
            rec_d.extend((d2p[b], d1p[b], dmp[b], cc + d1q[q]))
            lv[q] = l0 + 4
            rt[q] = t0 + d2p[b] + d1p[b] + dmp[b] + cc + d1q[q]
        else:
            rec_l.extend((l0, l0 + 1, l0 + 2))
            rec_d.extend((d1p[b], dmp[b], cc + d1q[q]))
            lv[q] = l0 + 3
            rt[q] = t0 + d1p[b] + dmp[b] + cc + d1q[q]
        peer[q] = -1

    def open_link(g: int, c: int, t: int) -> tuple[int, int]:
        """Open a link from control c to the QPU of target t for gate g; return the tick
        and the layer at which the linked copy is ready.

        The link is ready `pre` ticks (`steps` layers) after step 1.  Layers are the
        plain as-soon-as-possible levels of the distributed circuit (step 1 in the first
        layer where c is free).  In asap timing, step 1 starts when c is free, or later
        if t is still busy, so that the linked copy never waits for t: c is released at
        the same tick either way and the Bell pair is needed no earlier.
        """
        pt = part[t]
        if teleport:
            pre = d2q[c] + d1q[c] + dmq[c] + cc + d1p[pt]
            steps = 4
        else:
            pre = d2q[c] + dmq[c] + cc + d1p[pt]
            steps = 3
        s = rt[c] if rt[c] >= rt[t] - pre else rt[t] - pre
        lay = lv[c]
        req_a.append(part[c])
        req_b.append(pt)
        req_t.append(s)
        req_l.append(lay)
        req_g.append(g)
        if teleport:
            rec_l.extend((lay, lay + 1, lay + 2, lay + 3))
            rec_d.extend((d2q[c], d1q[c], dmq[c], cc + d1p[pt]))
        else:
            rec_l.extend((lay, lay + 1, lay + 2))
            rec_d.extend((d2q[c], dmq[c], cc + d1p[pt]))
        return s + pre, lay + steps

    def local_gate(a: int, b: int) -> None:
        """A two-qubit gate inside one QPU (open links of its qubits close first)."""
        if peer[a] >= 0:
            close(a)
        if peer[b] >= 0:
            close(b)
        s = rt[a] if rt[a] >= rt[b] else rt[b]
        lay = lv[a] if lv[a] >= lv[b] else lv[b]
        d = d2q[a]
        rec_l.append(lay)
        rec_d.append(d)
        rt[a] = rt[b] = s + d
        lv[a] = lv[b] = lay + 1

    def remote_gate(g: int, k: int, a: int, b: int) -> int:
        """A two-qubit gate across QPUs: on the control's link (opened here, or kept
        from an earlier gate with ``reuse``); return the Bell pairs reuse saved."""
        pa, pb = part[a], part[b]
        c, t = a, b
        if k == K_DIAG and reuse and peer[b] == pa and peer[a] != pb:
            c, t = b, a  # a diagonal gate may use either qubit as the control
        pt = part[t]
        if peer[t] >= 0:
            close(t)
        kept = 0
        if reuse and peer[c] == pt:
            kept = per_gate
            ready, lready = lrt[c], llv[c]
        else:
            if peer[c] >= 0:
                close(c)
            ready, lready = open_link(g, c, t)
        u = ready if ready >= rt[t] else rt[t]
        ul = lready if lready >= lv[t] else lv[t]
        d = d2p[pt]
        rec_l.append(ul)
        rec_d.append(d)
        rt[t] = lrt[c] = u + d
        lv[t] = llv[c] = ul + 1
        peer[c] = pt
        lgate[c] = g
        if not reuse:
            close(c)
        return kept

    def barrier(qs: Sequence[int]) -> None:
        """All of ``qs`` wait for the last of them (open links close first)."""
        for q in qs:
            if peer[q] >= 0:
                close(q)
        s = max(rt[q] for q in qs)
        lay = max(lv[q] for q in qs)
        for q in qs:
            rt[q] = s
            lv[q] = lay

    def one_qubit(k: int, a: int, arg: int) -> None:
        """A one-qubit operation: gate, measurement, delay of ``arg`` ticks or reset."""
        if peer[a] >= 0:
            close(a)
        if k == K_1Q:
            d = d1q[a]
        elif k == K_MEASURE:
            d = dmq[a]
        elif k == K_DELAY:
            d = arg
        else:  # reset: measure, then flip if the outcome was 1
            d = dmq[a] + d1q[a]
        rec_l.append(lv[a])
        rec_d.append(d)
        lv[a] += 1
        rt[a] += d

    args = flat.arg.tolist()
    for g, (k, a, b) in enumerate(zip(flat.kind.tolist(), flat.q0.tolist(), flat.q1.tolist(),
                                      strict=True)):
        if k >= K_CTRL:
            if part[a] == part[b]:
                local_gate(a, b)
            else:
                non_local += 1
                saved += remote_gate(g, k, a, b)
        elif k == K_BARRIER:
            qs = flat.barriers[args[g]]
            if qs:
                barrier(qs)
        else:
            one_qubit(k, a, args[g])
    for q in range(n):
        if peer[q] >= 0:
            close(q)

    distributed_depth = max(lv, default=0)
    _check_horizon(job, start, rec_l, rec_d, rt, req_t, distributed_depth)
    lengths = _layer_lengths(rec_l, rec_d, distributed_depth)
    layer_start = np.concatenate(([0], np.cumsum(lengths)))
    qpu_ids = np.asarray(placement.qpus, dtype=np.int64)
    layer = np.asarray(req_l, dtype=np.int64)
    return JobEds(
        job=job, circuit=flat.name, n_qubits=n, placement=placement, options=opts, start=start,
        qpu_a=qpu_ids[np.asarray(req_a, dtype=np.int64)] if req_a else np.zeros(0, np.int64),
        qpu_b=qpu_ids[np.asarray(req_b, dtype=np.int64)] if req_b else np.zeros(0, np.int64),
        t_need_layers=layer_start[layer] if req_l else np.zeros(0, np.int64),
        t_need_asap=np.asarray(req_t, dtype=np.int64),
        layer=layer, gate=np.asarray(req_g, dtype=np.int64),
        depth=flat.depth, distributed_depth=distributed_depth,
        runtime_layers=int(lengths.sum()), runtime_asap=max(rt, default=0),
        two_qubit_gates=placement.two_qubit_gates, non_local_gates=non_local,
        requests_saved=saved)


def _layer_lengths(rec_l: list[int], rec_d: list[int], depth: int) -> np.ndarray:
    """Length of every layer: its longest operation (``(layer, duration)`` records)."""
    lengths = np.zeros(depth, dtype=np.int64)
    if rec_l:
        np.maximum.at(lengths, np.asarray(rec_l, dtype=np.int64),
                      np.asarray(rec_d, dtype=np.int64))
    return lengths


def _check_horizon(job: str, start: int, rec_l: list[int], rec_d: list[int], rt: list[int],
                   req_t: list[int], depth: int) -> None:
    """Refuse a job that would run beyond :data:`~qdcopt.timebase.MAX_TICKS`.

    Checked in Python integers before numpy sums the layer lengths, which would wrap
    around int64 silently (long gate durations on a deep circuit).  The sum of all
    durations bounds both timings, so the exact layer sum is needed only past the limit.
    """
    longest = start + max(max(rt, default=0), max(req_t, default=0))
    if start + sum(rec_d) > MAX_TICKS:
        lengths = [0] * depth
        for layer, d in zip(rec_l, rec_d, strict=True):
            lengths[layer] = max(lengths[layer], d)
        longest = max(longest, start + sum(lengths))
    if longest > MAX_TICKS:
        raise ValueError(f"job {job!r} would run until {seconds(longest):.15g} s, beyond "
                         f"{MAX_TIME_TEXT} (the longest time qdcopt represents)")


def extract_job(flat: FlatCircuit, qpus: Sequence[int], capacities: Sequence[int],
                timings: Sequence[QpuTiming], *, placement: str = "graph",
                options: EdsOptions | None = None, seed: int = 0, job: str = "job0",
                start: int = 0) -> JobEds:
    """Place a reduced circuit on QPUs and extract its requests (Phases B and C).

    Parameters
    ----------
    flat
        The reduced circuit (:func:`qdcopt.datacenter.demand.reduction.flatten`).
    qpus
        Instance indices of the job's QPUs.
    capacities, timings
        Data qubits and durations of each of those QPUs.
    placement
        ``"contiguous"`` or ``"graph"``.
    options
        Protocol, reuse and timing.
    seed
        Seed of the placement heuristic.
    job, start
        Job id and start tick.

    Returns
    -------
    JobEds
    """
    where = place(flat, qpus, capacities, placement, seed=seed)
    return distribute(flat, where, timings, options, job=job, start=start)
