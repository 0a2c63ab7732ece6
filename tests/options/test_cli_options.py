"""Method options on the command line: bad names and values are exit 2 with one line naming
the option; ``qdcopt methods`` lists them; ``solve --help`` names the methods."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdcopt.cli import app
from qdcopt.families import family, known_kinds

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny" / "double_switch.toml"
DIAMOND = ROOT / "instances" / "network" / "diamond.toml"
JOBS = ROOT / "instances" / "jobs" / "random_four_qpus.toml"
runner = CliRunner()


@pytest.mark.parametrize(("args", "first"), [
    ([str(TINY), "-o", "time_limt=5"], "error: option time_limt: method greedy has no such"),
    ([str(DIAMOND), "-o", "varient=x"], "error: option varient: method lp has no such"),
    ([str(TINY), "-m", "milp", "-o", "varient=x"], "error: option varient: method milp"),
    ([str(TINY), "-m", "greedy-retry", "-o", "max_attempts=lots"],
     "error: option max_attempts: must be an integer >= 0, got 'lots'"),
    ([str(TINY), "-m", "greedy-retry", "-o", "max_attempts=-3"],
     "error: option max_attempts: must be an integer >= 0, got -3"),
    ([str(JOBS), "-m", "pipeline-retry", "-o", "max_attempts=-3"],
     "error: option max_attempts: must be an integer >= 0, got -3"),
    ([str(TINY), "-m", "milp", "-o", "time_limit=NaN"],
     "error: option time_limit: must be a finite number > 0"),
    ([str(TINY), "--time-limit", "-5"], "error: --time-limit must be a finite number"),
    ([str(TINY), "--time-limit", "nan"], "error: --time-limit must be a finite number"),
    ([str(TINY), "--time-limit", "0"], "error: --time-limit must be a finite number"),
    ([str(TINY), "--threads", "0"], "error: --threads must be at least 1, got 0"),
    ([str(TINY), "--threads", "-4"], "error: --threads must be at least 1, got -4"),
    ([str(TINY), "--seed", "-1"], "error: --seed must be between 0 and"),
    ([str(TINY), "-o", "=3"], "error: --option must be NAME=VALUE"),
])
def test_bad_option_is_exit_2_with_one_line_naming_it(args, first, tmp_path):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", *args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith(first), lines
    assert len(lines) == 1 and "Traceback" not in res.output
    assert res.stdout == "" and not out.exists()


def test_unknown_option_lists_the_known_ones():
    res = runner.invoke(app, ["solve", str(TINY), "-m", "scoring", "-o", "alhpa=2"])
    assert res.exit_code == 2
    line = res.stderr.splitlines()[0]
    assert "did you mean alpha?" in line
    known = line.split("(known: ")[1].rstrip(")").split(", ")
    assert known[:6] == ["alpha", "beta", "gamma", "delta", "breadth", "compiled"]


def test_compare_refuses_an_option_no_method_takes_before_solving(tmp_path):
    res = runner.invoke(app, ["compare", str(TINY), "--out", str(tmp_path / "c"),
                              "-o", "time_limt=5"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0].startswith("error: option time_limt: none of the methods")
    assert not (tmp_path / "c").exists()
    # an option some methods take goes to those only
    res = runner.invoke(app, ["compare", str(TINY), "--methods", "greedy,scoring",
                              "--out", str(tmp_path / "d"), "-o", "alpha=2", "--json"])
    assert res.exit_code == 0, res.output


def test_valid_options_still_run_and_defaults_change_nothing():
    plain = runner.invoke(app, ["solve", str(TINY), "-m", "scoring", "--json"])
    given = runner.invoke(app, ["solve", str(TINY), "-m", "scoring", "-o", "alpha=1",
                                "-o", "breadth=8", "-o", "compiled=false", "--time-limit", "5",
                                "--threads", "1", "--json"])
    assert plain.exit_code == given.exit_code == 0, given.output
    assert json.loads(plain.stdout)["report"] == json.loads(given.stdout)["report"]
    other = runner.invoke(app, ["solve", str(TINY), "-m", "scoring", "-o", "breadth=1",
                                "-o", "beta=5", "--json"])
    assert other.exit_code == 0, other.output


def test_pipeline_retry_records_the_scheduler_it_was_given(tmp_path):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["solve", str(JOBS), "-m", "pipeline-retry", "-o",
                              "scheduler=edf", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["solve_info"]["extra"]["scheduler"] == "edf" and data["report"]["valid"]
    saved = json.loads((out / "plan.json").read_text())
    assert saved["solve_info"]["extra"]["scheduler"] == "edf"


def test_methods_lists_every_method_with_its_options():
    res = runner.invoke(app, ["methods"])
    assert res.exit_code == 0, res.output
    text = res.stdout
    for kind in known_kinds():
        assert f"{kind} methods" in text
        for name, spec in family(kind).specs.items():
            assert f"  {name}: {spec.summary}" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["max_attempts", "int", ">=", "0", "10", "retries", "per", "request"] in rows
    res = runner.invoke(app, ["methods", "network", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert list(data) == ["network"]
    assert [m["method"] for m in data["network"]] == list(family("network").methods)
    res = runner.invoke(app, ["methods", "quantum"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: unknown family 'quantum'")


def test_solve_help_names_every_method():
    res = runner.invoke(app, ["solve", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    for kind in known_kinds():
        assert f"{kind}: {', '.join(family(kind).methods)}" in text
    assert "qdcopt methods" in text


def test_bad_option_in_a_fresh_process():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", "from qdcopt.cli import main; main()", "solve",
                          str(TINY), "-m", "greedy-retry", "-o", "max_attempts=lots"],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        "error: option max_attempts: must be an integer >= 0, got 'lots' (method greedy-retry)"]
    assert res.stdout == ""
