"""The command line under hostile use: output folders in the way of files, text that looks
like markup, options of the wrong type, plans of other instances, closed pipes, Ctrl-C.

Each bad use is refused before any work with exit code 2 and one message naming the
option or file and the rule; nothing the user had is moved or lost, and no half-written
output is left behind.  Commands run in-process (fast) except where a real pipe or signal
is the point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdcopt.cli import app
from qdcopt.runs import interrupt

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"
TINY = str(INSTANCES / "tiny" / "double_switch.toml")
PATH3 = str(INSTANCES / "network" / "path3.toml")
DIAMOND = str(INSTANCES / "network" / "diamond.toml")
ABILENE = str(INSTANCES / "network" / "abilene.gml")
K2 = str(INSTANCES / "linklayer" / "k2.toml")
LINE3 = str(INSTANCES / "service" / "line3.toml")
HUB = str(INSTANCES / "service" / "modenhub.toml")
TOFFOLI = str(INSTANCES / "jobs" / "toffoli.toml")
runner = CliRunner()


def _run(args: list[str]):
    res = runner.invoke(app, args)
    # a crash shows as an exception other than the exit itself
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"{args}: {res.exception!r}\n{res.output}")
    assert "Traceback" not in res.output
    return res


def _hidden(folder: Path) -> list[str]:
    """Leftovers of a write: hidden siblings beside the output."""
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


# every command that writes a folder, given its --out
WRITERS = {
    "solve": ["solve", TINY, "-m", "edf"],
    "compare": ["compare", TINY, "--methods", "edf,greedy"],
    "simulate": ["simulate", PATH3, "--seeds", "1", "--duration", "1"],
    "export": ["export", TINY, "-m", "edf"],
    "eds": ["eds", TOFFOLI],
    "study": ["study", "fig6", "--quick", "--workers", "0"],
}


@pytest.mark.parametrize("command", list(WRITERS))
@pytest.mark.parametrize("where", ["file", "under-file", "under-file-deep"])
def test_out_in_the_way_of_a_file_is_refused_up_front(command, where, tmp_path):
    mine = tmp_path / "f"
    mine.write_text("the user's own data\n")
    target = {"file": mine, "under-file": mine / "sub",
              "under-file-deep": mine / "a" / "b"}[where]
    res = _run([*WRITERS[command], "--out", str(target)])
    assert res.exit_code == 2, res.output
    assert f"--out {target}" in res.output
    assert ("is an existing file" if where == "file" else "lies under the file") in res.output
    assert mine.read_text() == "the user's own data\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_replacing_a_plan_folder_is_atomic_and_complete(tmp_path):
    out = tmp_path / "plan"
    assert _run(["solve", TINY, "-m", "edf", "--out", str(out)]).exit_code == 0
    assert _run(["solve", TINY, "-m", "greedy", "--out", str(out)]).exit_code == 0
    manifest = json.loads((out / "plan.json").read_text())
    assert manifest["solve_info"]["method"] == "greedy"
    assert _hidden(tmp_path) == []


def test_a_folder_with_other_files_is_not_replaced_by_a_plan(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = _run(["solve", TINY, "-m", "edf", "--out", str(out)])
    assert res.exit_code == 2
    assert "holding other files than a plan" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert _hidden(tmp_path) == []


def test_solve_into_the_current_folder_keeps_its_files(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("keep me")
    monkeypatch.chdir(tmp_path)
    res = _run(["solve", TINY, "-m", "edf", "--out", "."])
    assert res.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("command", ["compare", "simulate", "export", "eds"])
def test_writing_into_an_existing_folder_keeps_the_users_files(command, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = _run([*WRITERS[command], "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "notes.txt").read_text() == "keep me"
    assert len(list(out.iterdir())) > 1
    assert _hidden(tmp_path) == []


def test_compare_twice_replaces_its_plans(tmp_path):
    out = tmp_path / "c"
    assert _run(["compare", TINY, "--methods", "edf", "--out", str(out)]).exit_code == 0
    assert _run(["compare", TINY, "--methods", "edf,greedy", "--out", str(out)]).exit_code == 0
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["edf", "greedy"]
    assert _hidden(tmp_path) == [] and _hidden(out / "plans") == []


def test_compare_refuses_a_plans_entry_that_is_a_file(tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    (out / "plans").write_text("not a folder")
    res = _run(["compare", TINY, "--methods", "edf", "--out", str(out)])
    assert res.exit_code == 2
    assert (out / "plans").read_text() == "not a folder"
    assert not (out / "compare.csv").exists()


def test_a_plan_through_a_symbolic_link_replaces_the_folder_it_points_to(tmp_path):
    real = tmp_path / "real"
    assert _run(["solve", TINY, "-m", "edf", "--out", str(real)]).exit_code == 0
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    res = _run(["solve", TINY, "-m", "greedy", "--out", str(link)])
    assert res.exit_code == 0, res.output
    assert link.is_symlink()
    assert json.loads((real / "plan.json").read_text())["solve_info"]["method"] == "greedy"
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize("name, folder", [("../../escape", "_.._escape"), ("..", "instance"),
                                          (".hidden", "hidden"), ("a/b", "a_b")])
def test_compare_keeps_its_default_folder_under_results(name, folder, tmp_path, monkeypatch):
    inst = tmp_path / "named.toml"
    inst.write_text(Path(TINY).read_text().replace('name = "tiny-double-switch"',
                                                   f"name = {json.dumps(name)}"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = _run(["compare", str(inst), "--methods", "edf"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (work / "results" / "compare").iterdir()) == [folder]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.toml", "work"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("command", ["solve", "simulate", "eds"])
def test_an_output_folder_that_cannot_be_made_is_one_message(command):
    res = _run([*WRITERS[command], "--out", "/proc/qdcopt-nowhere/out"])
    assert res.exit_code == 2
    assert "--out /proc/qdcopt-nowhere/out: cannot be written" in res.output


def test_unicode_output_folder(tmp_path):
    out = tmp_path / "Zürich 日本" / "plan"
    assert _run(["solve", TINY, "-m", "edf", "--out", str(out)]).exit_code == 0
    assert (out / "plan.json").is_file()


# ---------------------------------------------------------------- markup and emoji

@pytest.mark.parametrize("text", ["[/x]-Brussels", "[/]-[b]", ":smile:-A", "[red]x-y",
                                  "Zürich-Genève", "-", ""])
def test_request_text_is_printed_as_written(text):
    res = _run(["solve", ABILENE, "--requests", text])
    assert res.exit_code == 2, res.output
    assert "error:" in res.output
    if text.split("-")[0]:
        assert text.split("-")[0] in res.output


def _injected(tmp_path: Path) -> Path:
    text = Path(TINY).read_text().replace('"A"', '"[/b]A"').replace(
        'name = "tiny-double-switch"', 'name = "[red]:smile:"')
    path = tmp_path / "inj.toml"
    path.write_text(text)
    return path


def test_markup_in_ids_does_not_crash_solve_validate_compare(tmp_path):
    inst = _injected(tmp_path)
    plan = tmp_path / "p"
    res = _run(["solve", str(inst), "-m", "edf", "--out", str(plan)])
    assert res.exit_code == 0
    assert "[/b]A=2" in res.output and "[red]:smile:" in res.output
    res = _run(["validate", str(inst), str(plan)])
    assert res.exit_code == 0 and "[/b]A=2" in res.output
    res = _run(["compare", str(inst), "--methods", "edf", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0 and "compare [red]:smile:" in res.output


def test_bracketed_words_stay_in_messages(tmp_path):
    path = tmp_path / "svc.toml"
    path.write_text('kind = "service"\n')
    res = _run(["solve", str(path)])
    assert res.exit_code == 2
    assert "[hub]" in res.output and "[network]" in res.output


def test_markup_in_an_option_value():
    res = _run(["solve", TINY, "-m", "edf", "-o", "[/x]=1"])
    assert res.exit_code == 2 and "[/x]" in res.output
    res = _run(["compare", TINY, "--methods", "[/b]"])
    assert res.exit_code == 2 and "'[/b]'" in res.output


# ---------------------------------------------------------------- options checked early

@pytest.mark.parametrize("args, message", [
    (["--policy", "bogus"], "--policy"),
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--duration", "-1"], "--duration"),
    (["--duration", "nan"], "--duration"),
])
def test_compare_simulate_options_are_checked_before_solving(args, message, tmp_path):
    out = tmp_path / "o"
    res = _run(["compare", PATH3, "--simulate", *args, "--out", str(out)])
    assert res.exit_code == 2 and message in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("instance", [TINY, K2, LINE3])
def test_compare_simulate_is_refused_where_plans_are_not_executed(instance, tmp_path):
    out = tmp_path / "o"
    res = _run(["compare", instance, "--simulate", "--out", str(out)])
    assert res.exit_code == 2 and "--simulate" in res.output
    assert not out.exists()


@pytest.mark.parametrize("instance, option, message", [
    (PATH3, "early_discard=maybe", "option early_discard: must be true or false"),
    (PATH3, "discard_factor=half", "option discard_factor: must be a number"),
    (PATH3, "leaf_buffer=1.5", "option leaf_buffer: must be an integer"),
    (PATH3, "score_weights=[1,2]", "option score_weights: must be a list of 3"),
    (PATH3, "duration=5", "-o duration: give it as --duration"),
    (PATH3, "seed=5", "-o seed: give it as --seed"),
    (PATH3, "=1", "--option must be NAME=VALUE"),
    (PATH3, "novalue", "--option must be NAME=VALUE"),
    (LINE3, "check=maybe", "option check: must be true or false"),
    (LINE3, "renewal_rate=fast", "option renewal_rate: must be a number"),
    (HUB, "sizes=maybe", "option sizes: must be a list of integers"),
])
def test_simulate_options_are_typed(instance, option, message, tmp_path):
    out = tmp_path / "o"
    seeds = [] if instance == LINE3 else ["--seeds", "1"]  # the demand service takes none
    res = _run(["simulate", instance, "-o", option, *seeds, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["study", "fig6", "--seed", "-1"], "--seed must be between 0 and"),
    (["study", "fig6", "--seed", "-1", "--status"], "--seed must be between 0 and"),
    (["study", "fig5", "--repetitions", "0"], "--repetitions must be at least 1"),
    (["study", "fig6", "--workers", "-2"], "--workers must be 0 or more"),
    (["simulate", PATH3, "--seed", "-1"], "--seed must be between 0 and"),
    (["simulate", PATH3, "--seeds", "0"], "--seeds must be at least 1"),
    (["simulate", PATH3, "--duration", "inf"], "--duration must be a finite number"),
    (["simulate", LINE3, "--days", "nan"], "--days must be a finite number"),
    (["solve", TINY, "--seed", "-1"], "--seed must be between 0 and"),
    (["solve", TINY, "--threads", "0"], "--threads must be at least 1"),
    (["methods", "nofamily"], "unknown family 'nofamily'"),
])
def test_bad_flags_name_the_option_and_rule(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _run(args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert list(tmp_path.iterdir()) == []


def test_hub_without_strategies_is_refused(tmp_path):
    text = Path(HUB).read_text()
    lines = [("strategies = []" if line.startswith("strategies") else line)
             for line in text.splitlines()]
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(lines) + "\n")
    res = _run(["simulate", str(path)])
    assert res.exit_code == 2
    assert "strategies" in res.output


# ---------------------------------------------------------------- plans of other instances

@pytest.fixture(scope="module")
def path3_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plans") / "path3"
    res = runner.invoke(app, ["solve", PATH3, "-m", "greedy", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_plan_records_its_instance(path3_plan):
    manifest = json.loads((path3_plan / "plan.json").read_text())
    assert manifest["instance"]["name"] == "path3"
    assert len(manifest["instance"]["fingerprint"]) == 16


def test_simulate_refuses_a_plan_of_another_instance(path3_plan, tmp_path):
    res = _run(["simulate", DIAMOND, "--plan", str(path3_plan), "--seeds", "1",
                "--duration", "1", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "the plan was made for instance 'path3'" in res.output
    assert not (tmp_path / "o").exists()


def test_simulate_runs_its_own_plan(path3_plan):
    res = _run(["simulate", PATH3, "--plan", str(path3_plan), "--seeds", "1",
                "--duration", "1"])
    assert res.exit_code == 0, res.output


def test_a_copied_instance_keeps_its_plans(path3_plan, tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text(Path(PATH3).read_text().replace('name = "path3"', 'name = "other"'))
    res = _run(["simulate", str(copy), "--plan", str(path3_plan), "--seeds", "1",
                "--duration", "1"])
    assert res.exit_code == 0, res.output


def test_simulate_refuses_plan_and_method_together(path3_plan):
    res = _run(["simulate", PATH3, "--plan", str(path3_plan), "-m", "greedy"])
    assert res.exit_code == 2
    assert "exclude each other" in res.output


def test_export_refuses_a_plan_of_another_instance(tmp_path):
    plan = tmp_path / "p"
    assert _run(["solve", TINY, "-m", "edf", "--out", str(plan)]).exit_code == 0
    other = tmp_path / "other.toml"
    other.write_text(Path(TINY).read_text().replace('t_need = "4 ns"', 't_need = "5 ns"', 1))
    res = _run(["export", str(other), "--plan", str(plan), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "the plan was made for instance" in res.output
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- smaller promises

@pytest.mark.parametrize("instance, kind", [(PATH3, "network"), (LINE3, "service"),
                                            (K2, "linklayer"), (ABILENE, "graph")])
def test_eds_says_it_needs_a_datacenter_instance(instance, kind):
    res = _run(["eds", instance])
    assert res.exit_code == 2
    assert "needs a datacenter instance" in res.output and "unknown field" not in res.output


def test_methods_help_names_every_family():
    res = _run(["methods", "--help"])
    for family in ("datacenter", "network", "linklayer", "service"):
        assert family in res.output


def test_simulate_seeds_on_a_demand_service_says_what_to_do():
    res = _run(["simulate", LINE3, "--seeds", "3"])
    assert res.exit_code == 2
    assert "--seeds:" in res.output and "per --seed" in res.output


def test_simulate_help_says_which_families_take_seeds():
    res = _run(["simulate", "--help"])
    text = " ".join(res.output.replace("│", " ").split())
    assert "The demand service is one run per --seed" in text


def test_compare_results_are_not_tracked():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "results/compare"], cwd=ROOT,
                             capture_output=True, text=True, check=False)
    if tracked.returncode != 0:
        pytest.skip("git is not available")
    assert tracked.stdout == ""
    ignored = subprocess.run(["git", "check-ignore", "-q", "results/compare/default/compare.csv"],
                             cwd=ROOT, check=False)
    assert ignored.returncode == 0


def _python(code: str, *args: str, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, **kw)


def test_a_closed_pipe_is_no_failure(tmp_path):
    plan = tmp_path / "p"
    assert _run(["solve", TINY, "-m", "edf", "--out", str(plan)]).exit_code == 0
    code = ("import sys; from qdcopt.cli import main; sys.argv = ['qdcopt', *sys.argv[1:]]; "
            "main()")
    # several commands in one interpreter would share state; one process per pipe
    for args in (["validate", TINY, str(plan)], ["methods", "--help"]):
        p = _python(code, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.readline()
        p.stdout.close()
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, (args, err)
        assert b"Traceback" not in err and b"Broken pipe" not in err


# ---------------------------------------------------------------- Ctrl-C

SECOND_SIGINT = r"""
import subprocess, sys, time
from qdcopt.runs import interrupt
# the child gets none of the test's pipes: were it left behind, it could not hold them
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with interrupt.second_sigint_quits("quit at once"):
    try:
        # printed inside the try, once the handler is in place: the test's first Ctrl-C
        # always meets both (printed before it, a Ctrl-C could land between the two)
        print(child.pid, flush=True)
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        print("clean stop begins", flush=True)
        time.sleep(600)  # a slow clean stop: closing a cluster
"""


def test_a_second_ctrl_c_quits_at_once():
    p = _python(SECOND_SIGINT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = int(p.stdout.readline())
    p.send_signal(signal.SIGINT)
    assert p.stdout.readline().strip() == "clean stop begins"
    p.send_signal(signal.SIGINT)
    # the clean stop would take 600 s: returning at all means the second Ctrl-C cut it
    # short (a time-out here is the failure; no wall-clock threshold on a shared machine)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130
    assert "quit at once" in err
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):  # the process it started is gone too
        for _ in range(50):
            os.kill(child, 0)
            time.sleep(0.1)


def test_ctrl_c_in_simulate_keeps_the_runs_that_ended(tmp_path, monkeypatch):
    import qdcopt.network.runtime as runtime

    made = []
    real = runtime.make_execution

    def stopping(*args, **kw):
        made.append(1)
        if len(made) == 3:  # Ctrl-C during the third run
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(runtime, "make_execution", stopping)
    out = tmp_path / "s"
    res = _run(["simulate", PATH3, "--seeds", "5", "--duration", "1", "--out", str(out)])
    assert res.exit_code == 130
    assert "interrupted: kept the 2 run(s) that ended" in res.output
    import pandas as pd

    assert set(pd.read_csv(out / "simulate.csv")["seeds"]) == {2}
    assert not interrupt.requested()


def test_ctrl_c_before_the_first_run_writes_nothing(tmp_path, monkeypatch):
    import qdcopt.network.runtime as runtime

    def stopping(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(runtime, "make_execution", stopping)
    out = tmp_path / "s"
    res = _run(["simulate", PATH3, "--seeds", "5", "--duration", "1", "--out", str(out)])
    assert res.exit_code == 130
    assert "nothing was written" in res.output
    assert list(tmp_path.iterdir()) == []
