"""Run ``qdcopt`` commands in child processes, each with its own stdout and stderr files.

Importing qdcopt takes seconds on a loaded machine; :func:`run_forked` imports it once
in one driver process and forks a child per command, so every command still runs in a
process of its own (its file descriptor 1 a real file, HiGHS never created before in it)
at a fraction of the cost of one interpreter per command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DRIVER = r"""
import json, os, sys, traceback
commands, folder = json.loads(sys.argv[1]), sys.argv[2]
import qdcopt.cli, qdcopt.datacenter, qdcopt.network, qdcopt.studies  # noqa: E401
codes = []
for i, argv in enumerate(commands):
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        for fd, name in ((1, "out"), (2, "err")):
            f = os.open(os.path.join(folder, f"{i}.{name}"), os.O_WRONLY | os.O_CREAT, 0o644)
            os.dup2(f, fd)
            os.close(f)
        sys.argv = ["qdcopt", *argv]
        code = 0
        try:
            qdcopt.cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    codes.append(os.waitstatus_to_exitcode(status))
print(json.dumps(codes))
"""


@dataclass(frozen=True)
class Ran:
    """One command's exit code and output."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str


def run_forked(commands: list[list[str]], folder: Path, cwd: Path = ROOT) -> list[Ran]:
    """Run each command line (arguments after ``qdcopt``) in a forked child."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands), str(folder)],
                         cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    codes = json.loads(res.stdout)
    return [Ran(argv, code, (folder / f"{i}.out").read_text(), (folder / f"{i}.err").read_text())
            for i, (argv, code) in enumerate(zip(commands, codes, strict=True))]


def qdcopt_process(args: list[str], cwd: Path = ROOT, **kw: object) -> subprocess.Popen:
    """Start ``qdcopt ARGS`` as a child process (stdout and stderr piped, text)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "from qdcopt.cli import main; main()",
                             *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
