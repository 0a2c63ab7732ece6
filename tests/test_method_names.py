"""Method names: one convention (kebab-case) in every family, former names as aliases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.compare import run_comparison
from qdcopt.families import family, known_kinds

NETWORK = Path(__file__).resolve().parents[1] / "instances" / "network"
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.mark.parametrize("kind", known_kinds())
def test_method_names_are_kebab_case(kind):
    fam = family(kind)
    bad = [m for m in fam.methods if not KEBAB.match(m)]
    assert not bad, f"{kind}: {bad}"
    for old, new in fam.aliases.items():
        assert old not in fam.methods, f"alias {old!r} shadows a method"
        assert new in fam.methods, f"alias {old!r} points to unknown {new!r}"
        assert fam.method_name(old) == new
    assert all(fam.method_name(m) == m for m in fam.methods)


def test_network_former_names_are_aliases():
    assert family("network").aliases == {"lp_hyperflow": "lp-hyperflow",
                                         "lp_pruned": "lp-pruned", "lp_pyomo": "lp-pyomo"}


@pytest.mark.parametrize("old,new", [("lp_hyperflow", "lp-hyperflow"), ("lp_pruned", "lp-pruned"),
                                     ("lp_pyomo", "lp-pyomo")])
def test_solve_accepts_a_former_name_and_reports_the_current_one(old, new):
    inst = qdcopt.load_instance(NETWORK / "diamond.toml")
    plan_old, info_old = qdcopt.solve(inst, method=old)
    plan_new, info_new = qdcopt.solve(inst, method=new)
    assert plan_old.method == plan_new.method == new
    assert info_old.method == info_new.method == new
    assert info_old.objective == pytest.approx(info_new.objective, rel=1e-9)
    assert qdcopt.validate(inst, plan_old).ok


def test_unknown_name_is_still_refused():
    inst = qdcopt.load_instance(NETWORK / "diamond.toml")
    with pytest.raises(ValueError, match="unknown method 'lp_missing'"):
        qdcopt.solve(inst, method="lp_missing")


def test_compare_table_uses_current_names():
    inst = qdcopt.load_instance(NETWORK / "diamond.toml")
    result = run_comparison(inst, ["lp", "lp_pruned"])
    assert result.table["method"].tolist() == ["lp", "lp-pruned"]
    assert not result.problems


def test_cli_compare_accepts_a_former_name(tmp_path):
    res = CliRunner().invoke(app, ["compare", str(NETWORK / "diamond.toml"), "--methods",
                                   "lp,lp_hyperflow", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert "lp-hyperflow" in json.dumps(summary)
    assert "lp_hyperflow" not in json.dumps(summary)
