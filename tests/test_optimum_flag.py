"""``compare`` and ``solve`` flag a status ``optimal`` whose validated objective is not its
bound."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import qdcopt.cli.plans
from qdcopt.api import load_instance
from qdcopt.api import solve as real_solve
from qdcopt.cli import app
from qdcopt.compare import run_comparison
from qdcopt.status import OPTIMUM_FLAG, false_optimum, optimum_flag, shown_status

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = ROOT / "instances" / "tiny" / "double_switch.toml"
runner = CliRunner()
# the module, not the function ``qdcopt.compare`` the package exports under its name
compare_module = importlib.import_module("qdcopt.compare")


@pytest.mark.parametrize("status, objective, bound, flagged", [
    ("optimal", 2.0, 3.0, True),
    ("optimal", 3.0, 2.0, True),
    ("optimal", 3.0, 3.0, False),
    ("optimal", 3.0, 3.0 + 1e-9, False),
    ("optimal", 1000.0, 1000.5, True),
    ("optimal", 3.0, math.nan, False),
    ("feasible", 2.0, 3.0, False),
    ("time_limit", 2.0, 3.0, False),
])
def test_optimum_flag(status, objective, bound, flagged):
    assert bool(optimum_flag(status, objective, bound)) is flagged
    assert shown_status(status, objective, bound) == (f"{status}?" if flagged else status)


def _overclaiming_solve(*args, **kwargs):
    """The real solve, with milp's bound raised by one above what its plan serves."""
    plan, info = real_solve(*args, **kwargs)
    if info.method == "milp":
        assert info.status == "optimal"
        info = info.with_(bound=info.objective + 1)
    return plan, info


def test_compare_flags_an_optimum_below_its_bound(monkeypatch):
    monkeypatch.setattr(compare_module, "solve", _overclaiming_solve)
    result = run_comparison(load_instance(INSTANCE), ["edf", "milp"])
    flags = dict(zip(result.table["method"], result.table["flag"], strict=True))
    assert flags == {"edf": "", "milp": OPTIMUM_FLAG}
    assert any("milp reports status optimal" in p for p in result.problems)


def test_compare_keeps_an_unflagged_table_when_optimum_meets_its_bound():
    result = run_comparison(load_instance(INSTANCE), ["edf", "milp"])
    assert list(result.table["flag"]) == ["", ""] and not result.problems


def test_compare_command_shows_and_writes_the_flag(monkeypatch, tmp_path):
    monkeypatch.setattr(compare_module, "solve", _overclaiming_solve)
    res = runner.invoke(app, ["compare", str(INSTANCE), "--methods", "edf,milp",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert OPTIMUM_FLAG in res.stdout
    table = pd.read_csv(tmp_path / "out" / "compare.csv", keep_default_na=False)
    assert list(table["flag"]) == ["", OPTIMUM_FLAG]


def test_solve_command_shows_the_flag(monkeypatch):
    monkeypatch.setattr(qdcopt.cli.plans, "solve", _overclaiming_solve)
    res = runner.invoke(app, ["solve", str(INSTANCE), "-m", "milp"])
    assert res.exit_code == 1
    assert "status optimal?" in res.stdout
    assert OPTIMUM_FLAG in res.stderr


def test_solve_command_json_names_the_false_optimum(monkeypatch):
    monkeypatch.setattr(qdcopt.cli.plans, "solve", _overclaiming_solve)
    res = runner.invoke(app, ["solve", str(INSTANCE), "-m", "milp", "--json"])
    assert res.exit_code == 1
    assert OPTIMUM_FLAG in json.loads(res.stdout)["cross_check"]


def test_false_optimum_message():
    from qdcopt.status import SolveInfo

    info = SolveInfo(method="m", status="optimal", objective=2.0, bound=3.0)
    assert "validated objective 2 differs from its bound 3" in false_optimum(info, 2.0)
    assert false_optimum(info.with_(status="feasible"), 2.0) is None
    assert false_optimum(None, 2.0) is None
