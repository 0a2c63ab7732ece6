"""The ``qdcopt`` command: exit codes, JSON output, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from qdcopt.cli import app

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny"
runner = CliRunner()


def test_solve_json_and_plan_folder(tmp_path):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", str(TINY / "double_switch.toml"), "-m", "edf",
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["report"]["valid"] and data["report"]["objective"] == 3
    assert (out / "plan.json").is_file() and (out / "deliveries.csv").is_file()


def test_validate_broken_plan_exits_1(tmp_path):
    out = tmp_path / "plan"
    runner.invoke(app, ["solve", str(TINY / "match_and_change.toml"), "--out", str(out)])
    frame = pd.read_csv(out / "deliveries.csv")
    frame.loc[frame.request == "r4", "event"] = 5  # reuse r2's event
    frame.to_csv(out / "deliveries.csv", index=False)
    res = runner.invoke(app, ["validate", str(TINY / "match_and_change.toml"), str(out),
                              "--json"])
    assert res.exit_code == 1
    assert "A2-EVENT-REUSED" in {v["code"] for v in json.loads(res.stdout)["report"]["violations"]}


def test_validate_plan_with_a_bad_cell_exits_2(tmp_path):
    out = tmp_path / "plan"
    runner.invoke(app, ["solve", str(TINY / "match_and_change.toml"), "--out", str(out)])
    text = (out / "deliveries.csv").read_text().replace("r2,S,5", "r2,S,five")
    (out / "deliveries.csv").write_text(text)
    res = runner.invoke(app, ["validate", str(TINY / "match_and_change.toml"), str(out)])
    assert res.exit_code == 2
    assert "deliveries.csv: row 3.event: must be an integer" in res.output


def test_compare_writes_table_and_plans(tmp_path):
    res = runner.invoke(app, ["compare", str(TINY / "double_switch.toml"), "--out",
                              str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table.method) >= {"greedy", "edf", "scoring", "greedy-retry"}
    assert table.valid.all()
    row = table.set_index("method")
    assert row.loc["greedy", "objective"] == 2 and row.loc["edf", "objective"] == 3
    assert (tmp_path / "plans" / "edf" / "plan.json").is_file()


def test_export_operator_files(tmp_path):
    res = runner.invoke(app, ["export", str(TINY / "double_switch.toml"), "-m", "edf",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    sw = pd.read_csv(tmp_path / "switch_control.csv")
    # initial A-B, then A-B -> A-C (line 1 moves B->C), then A-C -> C-D (line 0 moves A->D)
    assert sw.action.tolist() == ["initial", "reconfigure", "reconfigure"]
    assert sw[["line_0", "line_1"]].values.tolist() == [["A", "B"], ["A", "C"], ["D", "C"]]
    assert sw.lines_changed.tolist() == [0, 1, 1]
    alloc = pd.read_csv(tmp_path / "resource_allocation.csv")
    assert len(alloc) == 3
    # storage is the closed interval [emit, need]: r1 [0,4] and r3 [4,8] meet at A at 4 ns,
    # r3 [4,8] and r2 [7,8] meet at C, so the second pair at A and at C takes slot 1
    assert alloc.request.tolist() == ["r1", "r3", "r2"]
    assert alloc.comm_qubit_a.tolist() == [0, 1, 1]
    assert alloc.comm_qubit_b.tolist() == [0, 0, 0]


def test_unknown_method_exits_2():
    res = runner.invoke(app, ["solve", str(TINY / "double_switch.toml"), "-m", "magic"])
    assert res.exit_code == 2
    assert "unknown method" in res.output


def test_on_off_option_with_another_value_exits_2():
    for method, option in (("edf", "compiled=maybe"), ("milp", "anneal=1")):
        res = runner.invoke(app, ["solve", str(TINY / "double_switch.toml"), "-m", method,
                                  "-o", option])
        assert res.exit_code == 2, res.output
        assert "must be true or false" in res.output
    res = runner.invoke(app, ["solve", str(TINY / "double_switch.toml"), "-m", "edf",
                              "-o", "compiled=false"])
    assert res.exit_code == 0, res.output


def test_study_status_json_and_bad_study_options_exit_2(tmp_path):
    out = str(tmp_path / "fig5")
    res = runner.invoke(app, ["study", "fig5", "--quick", "--workers", "0", "--out", out,
                              "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # progress goes to stderr, stdout holds the JSON alone
    assert data["done"] == data["total"] == data["executed"] == 8 and data["failed"] == []
    assert {Path(f).name for f in data["files"]} == {"fig5_jobs.csv", "fig5_jobs_summary.csv",
                                                    "fig5_jobs.png"}
    res = runner.invoke(app, ["study", "fig5", "--quick", "--out", out, "--status", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["done"] == 8
    res = runner.invoke(app, ["study", "fig5", "--quick", "--repetitions", "2", "--out", out,
                              "--status"])
    assert "8 of 16 tasks done" in res.stdout  # a second repetition: eight more tasks
    for args in (["fig5", "--repetitions", "0"], ["fig3", "--repetitions", "2"],
                 ["fig9"], ["fig5", "--workers", "-1"],
                 ["fig5", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"]):
        res = runner.invoke(app, ["study", *args, "--out", str(tmp_path / "x")])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
