"""``qdcopt simulate`` and ``qdcopt compare --simulate``: output, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qdcopt.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

PATH4 = """
kind = "network"
name = "path4m"
[physics]
swap_success = 0.5
memories = 3
generation_time = "1 ms"
[[nodes]]
id = "A"
x = 0.0
[[nodes]]
id = "B"
x = 10.0
[[nodes]]
id = "C"
x = 20.0
[[nodes]]
id = "D"
x = 30.0
[[links]]
u = "A"
v = "B"
rate = 300.0
[[links]]
u = "B"
v = "C"
rate = 300.0
[[links]]
u = "C"
v = "D"
rate = 300.0
[[requests]]
id = "AD"
source = "A"
destination = "D"
"""


def _instance(tmp_path: Path) -> Path:
    path = tmp_path / "path4m.toml"
    path.write_text(PATH4)
    return path


def test_simulate_prints_json_and_writes_csv(tmp_path):
    out = tmp_path / "sim"
    res = runner.invoke(app, ["simulate", str(_instance(tmp_path)), "-m", "iterative",
                              "--policy", "oldest", "--duration", "2", "--seeds", "3",
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    total = data["requests"][-1]
    assert total["request"] == "total" and total["policy"] == "oldest+discard"
    assert total["delivered_pairs"] > 0
    assert total["delivered_rate_low"] <= total["delivered_rate"] <= total["delivered_rate_high"]
    frame = pd.read_csv(out / "simulate.csv")
    assert list(frame["request"]) == ["AD", "total"]
    assert frame.loc[0, "promised_rate"] > 0


def test_simulate_table_and_options(tmp_path):
    res = runner.invoke(app, ["simulate", str(_instance(tmp_path)), "--policy", "fixed",
                              "--duration", "1", "--seeds", "2", "-o", "early_discard=false"])
    assert res.exit_code == 0, res.output
    assert "delivered/s" in res.stdout and "total" in res.stdout


def test_simulate_bad_input_exits_2(tmp_path):
    inst = str(_instance(tmp_path))
    for args in (["--policy", "nope"], ["-o", "bogus=1"], ["--seeds", "0"],
                 ["-m", "nope"], ["-o", "discard_factor=2"]):
        res = runner.invoke(app, ["simulate", inst, "--duration", "1", *args])
        assert res.exit_code == 2, (args, res.output)
    res = runner.invoke(app, ["simulate", str(ROOT / "instances" / "tiny" /
                                              "double_switch.toml")])
    assert res.exit_code == 2 and "no simulation" in res.output


def test_compare_simulate_adds_delivered_rates(tmp_path):
    res = runner.invoke(app, ["compare", str(_instance(tmp_path)), "--methods",
                              "lp,iterative", "--simulate", "--duration", "1", "--seeds", "2",
                              "--out", str(tmp_path / "cmp"), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["table"]
    assert [r["method"] for r in rows] == ["lp", "iterative"]
    assert all(r["delivered_rate"] > 0 and r["delivered_low"] <= r["delivered_rate"]
               for r in rows)
    # the promise beside the delivery: the validator's aggregate rate and the ratio
    for r in rows:
        assert r["promised_rate"] == pytest.approx(r["aggregate_rate"])
        assert r["delivered_over_promised"] == pytest.approx(
            r["delivered_rate"] / r["promised_rate"])


def test_simulate_a_saved_plan_folder(tmp_path):
    inst = str(_instance(tmp_path))
    plan_dir = tmp_path / "plan"
    assert runner.invoke(app, ["solve", inst, "-m", "greedy", "--out", str(plan_dir)]
                         ).exit_code == 0
    res = runner.invoke(app, ["simulate", inst, "--plan", str(plan_dir), "--duration", "1",
                              "--seeds", "2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["method"] == "greedy" and data["requests"][-1]["delivered_pairs"] > 0
