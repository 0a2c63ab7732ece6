"""Plans of instances without GHZ requests are what they were before GHZ requests existed.

The CSV files in ``data/plans_without_ghz`` were written by the code before GHZ support
(``plan.to_tables()`` of each method on the shipped paths, the diamond and a seeded
Waxman network); the plans made now must match them byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import qdcopt
from qdcopt.network.methods import METHODS
from qdcopt.network.topology.waxman import waxman_instance

DATA = Path(__file__).parent / "data" / "plans_without_ghz"
ROOT = Path(__file__).resolve().parents[2]


def _compare(plan, prefix: str, tmp_path: Path) -> None:
    tables = plan.to_tables()
    assert "fusions" not in tables
    names = sorted(p.name[len(prefix) + 1:-4] for p in DATA.glob(f"{prefix}_*.csv")
                   if p.name[len(prefix) + 1:-4] in tables)
    assert names == sorted(tables)
    for name, frame in tables.items():
        out = tmp_path / f"{prefix}_{name}.csv"
        frame.to_csv(out, index=False)
        assert out.read_bytes() == (DATA / f"{prefix}_{name}.csv").read_bytes(), name


@pytest.mark.parametrize("name", ["path3", "path4", "diamond"])
@pytest.mark.parametrize("method", ["iterative", "greedy", "lp"])
def test_shipped_plans_are_byte_identical(name: str, method: str, tmp_path: Path) -> None:
    inst = qdcopt.load_instance(ROOT / "instances" / "network" / f"{name}.toml")
    assert inst.ghz == ()
    plan, _ = METHODS[method](inst)
    _compare(plan, f"{name}_{method}", tmp_path)


@pytest.mark.parametrize(("tag", "options"), [("iterative", {}),
                                             ("iterative_attempts", {"resources": "attempts"}),
                                             ("lp", {})])
def test_waxman_plans_are_byte_identical(tag: str, options: dict, tmp_path: Path) -> None:
    inst = waxman_instance(25, density=0.2, requests=4, seed=3)
    plan, _ = METHODS[tag.split("_")[0]](inst, **options)
    _compare(plan, f"waxman25_{tag}", tmp_path)
