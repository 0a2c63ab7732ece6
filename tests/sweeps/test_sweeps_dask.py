"""The sweep runner on a local Dask cluster: one and two workers give the same table."""

from __future__ import annotations

from qdcopt.studies import run_study


def test_one_and_two_workers_give_equal_tables(tmp_path):
    one = run_study("fig3", tmp_path / "one", quick=True, workers=1)
    two = run_study("fig3", tmp_path / "two", quick=True, workers=2)
    assert one.complete and two.complete and one.executed == two.executed == 30
    assert ((tmp_path / "one" / "fig3_eds.csv").read_text()
            == (tmp_path / "two" / "fig3_eds.csv").read_text())
