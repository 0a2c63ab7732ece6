"""Ctrl-C keeps the work and says so: status ``interrupted``, exit code 130, the best plan
so far validated and saved; ``compare`` stops and writes the rows it has."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_processes import qdcopt_process

from qdcopt import load_instance, load_plan, validate
from qdcopt.datacenter import SCHEDULERS
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.network.lp.hyperpaths import solve_tree_master
from qdcopt.runs import interrupt
from qdcopt.solvers.arrays import LinearSpec, solve_arrays
from qdcopt.solvers.highs import SolverOptions

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 600  # generous: the machine may be loaded


def _write_instance(folder: Path, n: int = 2000, comm: int = 4) -> Path:
    """A generated instance whose MILP runs for minutes: 5 QPUs, 1 GHz, memory binding."""
    inst = random_instance(n, n_qpus=5, comm_qubits=comm, seed=3)
    r = inst.requests
    ids = [q.id for q in inst.qpus]
    pd.DataFrame({"id": list(r.id), "qpu_a": [ids[a] for a in r.a],
                  "qpu_b": [ids[b] for b in r.b], "t_need_fs": r.t_need}).to_csv(
        folder / "requests.csv", index=False)
    qpus = "".join(f'[[qpus]]\nid = "{q}"\ndata_qubits = 100\ncomm_qubits = {comm}\n'
                   for q in ids)
    path = folder / "big.toml"
    # transit moves keep the slot model small enough to be built and handed to HiGHS
    # within seconds, so that the signal lands inside a HiGHS solve
    path.write_text(f'kind = "datacenter"\nname = "big"\nt_max = "100 ns"\n'
                    f'transit_moves = true\n'
                    f'requests_csv = "requests.csv"\n{qpus}'
                    f'[[sources]]\nid = "S0"\nrate = "1 GHz"\n')
    return path


def _interrupt_when_solving(args: list[str]) -> tuple[int, str, str]:
    """Run qdcopt ARGS (with --verbose), send SIGINT once HiGHS has started solving."""
    p = qdcopt_process(args)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in p.stderr:
            lines.append(line)
            if "HiGHS" in line:
                started.set()
        started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert started.wait(WAIT_S), "HiGHS never started"
    assert p.poll() is None, "".join(lines)
    time.sleep(2.0)  # well inside the solve (its limit is many minutes)
    p.send_signal(signal.SIGINT)
    out = p.stdout.read()
    p.wait(WAIT_S)
    reader.join(WAIT_S)
    return p.returncode, out, "".join(lines)


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    return _write_instance(tmp_path_factory.mktemp("big"))


def test_sigint_in_a_highs_solve_keeps_the_best_plan(big, tmp_path):
    plan_dir = tmp_path / "plan"
    code, out, err = _interrupt_when_solving(
        ["solve", str(big), "-m", "milp", "--time-limit", "900", "--verbose", "--json",
         "--out", str(plan_dir)])
    assert code == 130, err[-3000:]
    data = json.loads(out)
    assert data["solve_info"]["status"] == "interrupted"
    assert data["interrupted"] is True
    assert data["report"]["valid"] and data["report"]["objective"] > 0
    assert "interrupted" in err
    # the plan folder is written and holds a valid plan with the same objective
    inst = load_instance(big)
    plan, info = load_plan(plan_dir)
    assert info.status == "interrupted"
    report = validate(inst, plan)
    assert report.ok and report.objective == data["report"]["objective"]


def test_sigint_stops_compare_with_the_rows_it_has(big, tmp_path):
    code, out, err = _interrupt_when_solving(
        ["compare", str(big), "--methods", "greedy,milp,edf", "--time-limit", "900",
         "--verbose", "--json", "--out", str(tmp_path)])
    assert code == 130, err[-3000:]
    data = json.loads(out)
    assert data["interrupted"] is True
    assert [row["method"] for row in data["table"]] == ["greedy", "milp"]
    assert data["table"][1]["status"] == "interrupted" and data["table"][1]["valid"]
    table = pd.read_csv(tmp_path / "compare.csv")
    assert list(table.method) == ["greedy", "milp"]
    assert not (tmp_path / "plans" / "edf").exists()


def test_a_requested_stop_skips_the_models_and_keeps_the_start():
    inst = random_instance(400, n_qpus=5, comm_qubits=2, seed=5)
    interrupt.request()
    try:
        plan, info = SCHEDULERS["milp"](inst, time_limit=600)
    finally:
        interrupt.clear()
    assert info.status == "interrupted"
    assert info.extra["columns"] == 0  # no model was built
    assert set(info.extra["block_status"]) == {"interrupted"}
    report = validate(inst, plan)
    assert report.ok and report.objective == info.objective > 0


def test_a_requested_stop_ends_column_generation_with_a_valid_flow():
    inst = load_instance(ROOT / "instances" / "network" / "waxman100.toml")
    interrupt.request()
    try:
        flow = solve_tree_master(inst, options=SolverOptions(time_limit=600))
    finally:
        interrupt.clear()
    assert flow.status == "interrupted"
    assert flow.stats["rounds"] == 0


def _knapsacks(n: int = 300, m: int = 40) -> LinearSpec:
    rng = np.random.default_rng(1)
    spec = LinearSpec(sense="max", col_lb=[0.0] * n, col_ub=[1.0] * n,
                      col_cost=rng.integers(1, 100, n).astype(float).tolist(),
                      col_int=[True] * n)
    weights = rng.integers(1, 100, size=(m, n))
    spec.row_block("knapsack")
    for row in weights:
        spec.add_row(list(range(n)), row.astype(float).tolist(), -np.inf,
                     float(row.sum()) / 2)
    return spec


def test_highs_interrupt_is_read_as_interrupted_not_optimal():
    interrupt.request()
    try:
        res = solve_arrays(_knapsacks(), SolverOptions(time_limit=600))
    finally:
        interrupt.clear()
    assert res.status == "interrupted"
    assert res.bound > res.objective or res.x is None


def test_catch_sigint_sets_the_flag_then_raises_and_restores_the_handler():
    before = signal.getsignal(signal.SIGINT)
    with interrupt.catch_sigint():
        assert not interrupt.requested()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # let the handler run
        assert interrupt.requested()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is before
    assert not interrupt.requested()  # later solves are not stopped
