"""``--json`` prints JSON and nothing else on stdout, for every command and method."""

from __future__ import annotations

import json

import pytest
from cli_processes import ROOT, run_forked

from qdcopt.datacenter import JOB_METHODS, SCHEDULERS
from qdcopt.network.methods import METHODS as NETWORK_METHODS

TINY = "instances/tiny/double_switch.toml"
JOBS = "instances/jobs/ghz4_two_qpus.toml"
NET = "instances/network/diamond.toml"
LIMIT = ["--time-limit", "20"]


def _commands(tmp: str) -> list[list[str]]:
    cmds = [["solve", TINY, "-m", m, *LIMIT, "--json"] for m in SCHEDULERS]
    cmds += [["solve", JOBS, "-m", m, *LIMIT, "--json"] for m in JOB_METHODS]
    cmds += [["solve", NET, "-m", m, *LIMIT, "--json"] for m in NETWORK_METHODS]
    cmds += [
        ["compare", JOBS, "--out", f"{tmp}/cmp_a", *LIMIT, "--json"],
        ["compare", NET, "--out", f"{tmp}/cmp_b", *LIMIT, "--json"],
        ["solve", NET, "-m", "lp", "--out", f"{tmp}/plan_b", "--json"],
        ["validate", NET, f"{tmp}/plan_b", "--json"],
        ["export", TINY, "--out", f"{tmp}/exp_a", "-m", "milp", "--json"],
        ["export", NET, "--out", f"{tmp}/exp_b", "-m", "lp_hyperflow", "--json"],
        ["eds", JOBS, "--json"],
        ["study", "fig3", "--quick", "--out", f"{tmp}/study", "--json"],
        ["bench", "heuristics", "--sizes", "200", "--methods", "greedy,edf", "--json"],
    ]
    return cmds


def test_every_command_prints_only_json(tmp_path):
    ran = run_forked(_commands(str(tmp_path)), tmp_path / "io")
    for r in ran:
        assert r.code == 0, (r.argv, r.stderr[-2000:])
        try:
            data = json.loads(r.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"qdcopt {' '.join(r.argv)}: stdout is not JSON: {r.stdout[:300]!r}")
        assert isinstance(data, dict)
        assert "Running HiGHS" not in r.stdout
    by_method = {r.argv[3]: json.loads(r.stdout) for r in ran if r.argv[0] == "solve"
                 and r.argv[1] == NET}
    assert by_method["lp"]["solve_info"]["status"] == "optimal"
    bench = json.loads(ran[-1].stdout)
    assert bench["exit_code"] == 0 and any("edf" in line for line in bench["lines"])


def test_verbose_sends_the_solver_log_to_stderr(tmp_path):
    ran = run_forked([["solve", NET, "-m", m, "--verbose", "--json"] for m in
                      ("lp_hyperflow", "lp_pyomo")] +
                     [["solve", TINY, "-m", "milp-lp", "--verbose", "--json"]],
                     tmp_path / "io")
    for r in ran:
        assert r.code == 0, r.stderr[-2000:]
        json.loads(r.stdout)
        # the log itself (not only the banner) is on stderr
        assert "HiGHS" in r.stderr and "Objective value" in r.stderr, (r.argv, r.stderr)


@pytest.mark.slow
def test_study_fig4_prints_only_json(tmp_path):
    (r,) = run_forked([["study", "fig4", "--quick", "--out", str(tmp_path), "--json"]],
                      tmp_path / "io", cwd=ROOT)
    assert r.code == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["study"] == "fig4"
