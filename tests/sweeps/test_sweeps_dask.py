"""The sweep runner on a local Dask cluster: one and two workers give the same table."""

from __future__ import annotations

from qdcopt.studies import run_study


def test_one_and_two_workers_give_equal_tables(tmp_path):
    one = run_study("fig3", tmp_path / "one", quick=True, workers=1)
    two = run_study("fig3", tmp_path / "two", quick=True, workers=2)
    assert one.complete and two.complete and one.executed == two.executed == 30
    assert ((tmp_path / "one" / "fig3_eds.csv").read_text()
            == (tmp_path / "two" / "fig3_eds.csv").read_text())


def test_an_existing_cluster_gives_the_table_of_a_run_in_this_process(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        there = run_study("fig3", tmp_path / "there", quick=True,
                          scheduler=cluster.scheduler_address)
        # the cluster is the user's: it is still up after the run
        assert cluster.scheduler_address and len(cluster.workers) == 1
    here = run_study("fig3", tmp_path / "here", quick=True, workers=0)
    assert there.complete and here.complete and there.executed == 30
    assert ((tmp_path / "there" / "fig3_eds.csv").read_text()
            == (tmp_path / "here" / "fig3_eds.csv").read_text())


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "qdcopt", "study", "fig3", "--quick", "--out",
         str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--scheduler tcp://127.0.0.1:9: cannot connect" in lines[0]
