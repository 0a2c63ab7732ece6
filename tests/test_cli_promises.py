"""The command line's smaller promises: --version, bench from anywhere, help texts, plan
folders like any other file, no empty report lines, no wrapping off a terminal, a reason
for every exit 1 of validate, and a MILP that stops when its start is optimal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pandas as pd
import pytest
from cli_processes import ROOT, run_forked

import qdcopt
from qdcopt.datacenter import SCHEDULERS
from qdcopt.tables import write_folder

TINY = ROOT / "instances" / "tiny" / "double_switch.toml"


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[str, object]:
    """One batch of commands, run from a folder that is not the project's."""
    tmp = tmp_path_factory.mktemp("promises")
    deep = tmp.joinpath(*["a_rather_long_folder_name_for_the_plan"] * 6)
    plan = tmp / "plan"
    commands = {
        "version": ["--version"],
        "bench": ["bench", "heuristics", "--sizes", "200", "--methods", "greedy", "--json"],
        "eds_help": ["eds", "--help"],
        "solve_help": ["solve", "--help"],
        "solve_text": ["solve", str(TINY), "-m", "edf", "--out", str(deep)],
        "solve_plan": ["solve", str(TINY), "-m", "greedy", "--out", str(plan)],
    }
    results = run_forked(list(commands.values()), tmp / "io", cwd=tmp)
    return {"tmp": tmp, "deep": deep, "plan": plan,
            **dict(zip(commands, results, strict=True))}


def test_version(ran):
    r = ran["version"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert r.code == 0 and r.stdout.strip() == f"qdcopt {version}" == f"qdcopt {qdcopt.__version__}"


def test_bench_runs_from_any_folder_and_prints_json(ran):
    r = ran["bench"]
    assert r.code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["suite"] == "heuristics" and data["exit_code"] == 0
    assert any("greedy" in line and "True" in line for line in data["lines"])


def test_help_shows_jobs_tables_and_the_default_time_limit(ran):
    assert "[[jobs]]" in ran["eds_help"].stdout
    words = [w for w in ran["solve_help"].stdout.split() if w != "│"]  # the help's box
    assert "default 60)" in " ".join(words)


def test_no_empty_report_lines_and_no_wrapping_off_a_terminal(ran):
    r = ran["solve_text"]
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert not [ln for ln in lines if ln.rstrip().endswith(":")], r.stdout
    # the long folder name stays on one line, as a file or a pipe needs it
    assert f"plan written to {ran['deep']}" in lines


def test_plan_folders_have_the_usual_permissions(ran):
    umask = os.umask(0)
    os.umask(umask)
    for folder in (ran["plan"], ran["deep"]):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~umask
        for f in folder.iterdir():
            assert f.stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p for p in ran["plan"].parent.iterdir() if p.name.startswith(".")]


def test_plan_folder_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        folder = write_folder(tmp_path / "plan", "datacenter", {"t": pd.DataFrame({"a": [1]})},
                              {})
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755


KILLED_WRITER = r"""
import sys, time
from qdcopt.tables import write_folder

class Slow:
    def to_csv(self, path, index=False):
        open(path, "w").write("a\n1\n")
        print("writing", flush=True)
        time.sleep(600)

write_folder(sys.argv[1], "datacenter", {"t": Slow()}, {})
"""


def test_a_killed_save_leaves_no_hidden_folder(tmp_path):
    folder = tmp_path / "plan"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(folder)], env=env,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "writing"
    p.kill()
    p.wait(600)
    assert [x for x in tmp_path.iterdir() if x.name.startswith(".")]  # what the kill left
    write_folder(folder, "datacenter", {"t": pd.DataFrame({"a": [1]})}, {})
    assert sorted(x.name for x in tmp_path.iterdir()) == ["plan"]


def test_validate_says_why_a_changed_objective_exits_1(ran, tmp_path):
    plan = ran["plan"]
    manifest = json.loads((plan / "plan.json").read_text())
    manifest["solve_info"]["objective"] = 99
    (plan / "plan.json").write_text(json.dumps(manifest))
    (r,) = run_forked([["validate", str(TINY), str(plan)]], tmp_path / "io")
    assert r.code == 1
    assert "objective" in r.stderr and "99" in r.stderr and "differs" in r.stderr


def test_milp_stops_when_the_start_meets_the_bound():
    inst = qdcopt.load_instance(TINY)
    _, info = SCHEDULERS["milp"](inst, time_limit=60)
    assert info.status == "optimal" and info.objective == info.bound == 3
    assert info.extra["columns"] == 0 and info.extra["blocks_settled_by_start"] == 1
    assert set(info.extra["phase_times"]) == {"heuristics", "anneal", "build", "solve",
                                              "fewest_changes", "assembly"}
    assert info.extra["phase_times"]["solve"] == 0.0
    # asked for, the secondary objective (fewest switch changes) builds the model
    _, lexi = SCHEDULERS["milp"](inst, time_limit=60, lexicographic=True)
    assert lexi.extra["columns"] > 0 and lexi.extra["phase_times"]["fewest_changes"] > 0
    assert lexi.objective == 3
