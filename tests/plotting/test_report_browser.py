"""The report page in a real browser: headless Chromium loads it with no console message,
the zoom script runs on every picture, and the screenshot is not blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from qdcopt.cli import app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium for the headless browser check "
    "(apt-get install chromium; .ci/run installs it)")
runner = CliRunner()


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # a profile of its own keeps runs apart; logging to stderr shows the page's console
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                           *args], capture_output=True, text=True, timeout=120, check=False)


def test_report_page_renders_without_console_errors(tmp_path):
    compare = tmp_path / "default"
    res = runner.invoke(app, ["compare", str(ROOT / "instances" / "default.toml"),
                              "--methods", "greedy,edf", "--out", str(compare)])
    assert res.exit_code == 0, res.output
    page = tmp_path / "report.html"
    res = runner.invoke(app, ["report", str(compare), "--out", str(page), "--instance",
                              str(ROOT / "instances" / "default.toml")])
    assert res.exit_code == 0, res.output

    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900",
                    page.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # the page logs nothing: any message is an error or a warning
    pixels = imread(shot)
    assert pixels.shape[:2] == (900, 1200)
    flat = pixels.reshape(-1, pixels.shape[-1])
    assert len(np.unique(flat, axis=0)) > 50  # text, table and pictures, not one colour

    dom = _chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert 'data-zoom-ready="2"' in dom.stdout  # the script ran and took both pictures
    assert "<svg" in dom.stdout and "<td>greedy</td>" in dom.stdout
