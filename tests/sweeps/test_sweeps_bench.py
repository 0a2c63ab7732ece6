"""Benchmark suites on the sweep runner: stored cases, resume, series, failures, options."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import qdcopt
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.sweeps.bench import bench_main, load_suite

SUITE = '''
"""A toy suite: squares, logging each case it runs."""
import os
from pathlib import Path

from qdcopt.sweeps.bench import bench_main


def arguments(parser):
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--log", default="log.txt")
    parser.add_argument("--flag", default="flag")


def cases(args):
    if args.n < 1:
        raise ValueError(f"--n must be positive, got {args.n}")
    return [{"x": x, "log": args.log, "flag": args.flag} for x in range(args.n)]


def run_case(case):
    with open(case["log"], "a") as log:
        log.write(f"{case['x']} {os.getpid()}\\n")
    if case["x"] == 2 and Path(case["flag"]).exists():
        raise RuntimeError("x = 2 is broken")
    return {"y": case["x"] ** 2}


def show(frame, args):
    for r in frame.itertuples():
        print(f"{r.x} -> {r.y}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
'''


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The toy suite's file (a fresh module name per test) and its helpers."""
    name = f"bench_toy{abs(hash(tmp_path)) % 10**8}"
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(SUITE))
    monkeypatch.chdir(tmp_path)
    yield script
    sys.modules.pop(name, None)


def _runs(tmp: Path) -> list[int]:
    log = tmp / "log.txt"
    return [int(line.split()[0]) for line in log.read_text().splitlines()] if log.exists() else []


def test_cases_are_stored_and_a_second_run_shows_them_without_measuring(suite, capsys):
    tmp = suite.parent
    assert bench_main(suite, ["--workers", "0", "--out", "out"]) == 0
    first = capsys.readouterr().out
    assert first.splitlines() == ["0 -> 0", "1 -> 1", "2 -> 4", "3 -> 9"]
    assert sorted(_runs(tmp)) == [0, 1, 2, 3]
    table = pd.read_csv(tmp / "out" / f"{suite.stem}.csv")
    assert table["y"].tolist() == [0, 1, 4, 9] and "seed" not in table.columns
    assert bench_main(suite, ["--workers", "0", "--out", "out"]) == 0
    captured = capsys.readouterr()
    assert captured.out == first and "stored figures of series 0" in captured.err
    assert len(_runs(tmp)) == 4  # nothing measured again
    # --again measures a new series; the next plain run shows that one
    assert bench_main(suite, ["--workers", "0", "--out", "out", "--again"]) == 0
    assert len(_runs(tmp)) == 8
    capsys.readouterr()
    bench_main(suite, ["--workers", "0", "--out", "out", "--status"])
    status = capsys.readouterr().out.splitlines()[-1]
    assert "4 of 4 cases done" in status and "(series 1," in status


def test_other_options_are_another_series_and_grow_it_resumes(suite, capsys):
    tmp = suite.parent
    assert bench_main(suite, ["--workers", "0", "--out", "out", "--n", "2"]) == 0
    assert bench_main(suite, ["--workers", "0", "--out", "out", "--n", "3"]) == 0
    assert sorted(_runs(tmp)) == [0, 0, 1, 1, 2]  # --n is a setting: a new series


def test_a_failing_case_is_recorded_and_retry_reruns_it_alone(suite, capsys):
    tmp = suite.parent
    (tmp / "flag").touch()
    assert bench_main(suite, ["--workers", "0", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert "x=2" in err and "RuntimeError: x = 2 is broken" in err
    assert not (tmp / "out" / f"{suite.stem}.csv").exists()
    (tmp / "flag").unlink()
    before = len(_runs(tmp))
    assert bench_main(suite, ["--workers", "0", "--out", "out"]) == 1  # not retried
    assert len(_runs(tmp)) == before
    assert bench_main(suite, ["--workers", "0", "--out", "out", "--retry-failed"]) == 0
    assert _runs(tmp)[before:] == [2]


def test_cases_run_in_one_worker_process_by_default(suite, capsys):
    tmp = suite.parent
    assert bench_main(suite, ["--out", "out", "--n", "3"]) == 0
    pids = {line.split()[1] for line in (tmp / "log.txt").read_text().splitlines()}
    assert len(pids) == 1 and pids != {str(__import__("os").getpid())}
    assert capsys.readouterr().out.splitlines() == ["0 -> 0", "1 -> 1", "2 -> 4"]


def test_bad_options_give_one_line_and_exit_2(suite, capsys):
    for argv, text in ((["--n", "0"], "--n must be positive, got 0"),
                       (["--bogus"], "unrecognized arguments: --bogus"),
                       (["--workers", "-1"], "--workers must be 0 or more")):
        with pytest.raises(SystemExit) as exc:
            bench_main(suite, argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and text in err


def test_reserved_case_keys_are_refused(suite):
    module = load_suite(suite)
    module.cases = lambda args: [{"x": 1, "seed": 3}]
    with pytest.raises(TypeError, match=r"must not use the keys \['seed'\]"):
        bench_main(module, ["--workers", "0", "--out", "out"])


def test_the_heuristics_suite_through_the_command_measures_validated_plans(tmp_path):
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "qdcopt", "bench", "heuristics", "--json", "--sizes", "300",
         "--methods", "greedy,edf", "--workers", "0", "--out", str(tmp_path / "b")],
        capture_output=True, text=True, cwd=root, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    rows = {r["method"]: r for r in got["table"]}
    inst = random_instance(300, n_qpus=10, rate="1 GHz", t_max="1 us", seed=0)
    for method in ("greedy", "edf"):
        plan, _ = qdcopt.solve(inst, method)
        metrics = qdcopt.validate(inst, plan).metrics
        assert rows[method]["accepted"] == metrics["accepted"]
        assert rows[method]["valid"] is True
    assert got["lines"][0].split() == ["requests", "method", "solve_s", "floor_s", "x_floor",
                                       "validate_s", "x_fastest", "accepted", "ratio",
                                       "reconf", "valid", "warm-up"]
    # the floor is measured in each case, and the warm-up readies the compiled code once
    assert all(rows[m]["floor_s"] > 0 for m in ("greedy", "edf"))
    assert rows["(floor)"]["solve_s"] > 0
    assert rows["greedy"]["warm"] != "skipped" and rows["edf"]["warm"] == "ready"
    assert not any(rows[m]["solve_cold"] or rows[m]["validate_cold"] for m in ("greedy", "edf"))


@pytest.mark.parametrize("script", sorted(
    (Path(__file__).resolve().parents[2] / "benchmarks").glob("bench_*.py")),
    ids=lambda p: p.stem)
def test_every_suite_declares_plain_cases_under_its_default_options(script, tmp_path):
    from qdcopt.sweeps.bench import parser_for, suite_sweep

    module = load_suite(script)
    for name in ("arguments", "cases", "run_case", "show"):
        assert callable(getattr(module, name, None)), f"{script.name} lacks {name}()"
    args = parser_for(module).parse_args(["--out", str(tmp_path)])
    sweep = suite_sweep(module, args)  # refuses reserved keys and duplicate cases
    assert sweep.tasks
    for task in sweep.tasks:
        assert all(isinstance(v, str | int | float | bool) for _, v in task.point)


def test_an_out_that_is_a_file_is_one_line_and_exit_2(suite, capsys):
    (suite.parent / "taken").write_text("not a folder")
    with pytest.raises(SystemExit) as exc:
        bench_main(suite, ["--workers", "0", "--out", "taken"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out taken: is an existing file" in err[0]
