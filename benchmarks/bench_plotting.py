"""Speed of the plan pictures and size of the HTML page at 10^4 and 10^5 deliveries.

Plans are the greedy scheduler's on seeded random datacenter instances (four QPUs, load
0.3, skewed pairs: about 99 % of the requests are served, so the requests asked for give
about as many deliveries).  Per size, one case each:

* ``gantt`` — :func:`~qdcopt.plotting.datacenter.switch_gantt` drawn, then saved as PNG;
* ``memory`` — :func:`~qdcopt.plotting.datacenter.memory_occupancy`, the same;
* ``page`` — the ``qdcopt plot --out x.html`` page (both pictures as compact SVG): the
  time to write it and its size in MB;
* ``browser`` — headless Chromium opening that page and taking a 1200 × 900 screenshot
  (skipped when ``chromium`` is not installed).

Usage: ``qdcopt bench plotting [--deliveries 10000,100000]`` or
``python benchmarks/bench_plotting.py …``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import qdcopt
from qdcopt.datacenter.scenarios.generate import random_instance
from qdcopt.sweeps.bench import bench_main

PARTS = ("gantt", "memory", "page", "browser")
IN_PROCESS = True  # the browser case starts Chromium


def arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options."""
    parser.add_argument("--deliveries", default="10000,100000")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--seed", type=int, default=0)


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One case per size and part."""
    try:
        sizes = [int(x) for x in args.deliveries.split(",")]
    except ValueError:
        raise ValueError("--deliveries must be integers separated by commas, got "
                         f"{args.deliveries!r}") from None
    parts = args.parts.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"--parts: unknown {', '.join(unknown)} (known: {', '.join(PARTS)})")
    return [{"deliveries": n, "part": p, "instance_seed": args.seed} for n in sizes for p in parts]


@lru_cache(maxsize=1)
def _plan(target: int, seed: int) -> tuple[Any, Any]:
    # the parts of one size share the plan within the process
    inst = random_instance(math.ceil(target * 1.02), n_qpus=4, load=0.3, skew=2.0, seed=seed)
    plan, _ = qdcopt.solve(inst, "greedy")
    return inst, plan


def _saved(ax: Any, folder: Path) -> float:
    t0 = time.perf_counter()
    ax.figure.savefig(folder / "picture.png", dpi=100)
    return time.perf_counter() - t0


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Draw and save one picture, or write the page (and open it in Chromium)."""
    from qdcopt.plotting import plan_figure
    from qdcopt.plotting.datacenter import memory_occupancy, switch_gantt
    from qdcopt.plotting.report import plan_page

    inst, plan = _plan(int(case["deliveries"]), int(case["instance_seed"]))
    row: dict[str, Any] = {"delivered": plan.n_accepted, "draw_s": math.nan,
                           "save_s": math.nan, "size_mb": math.nan}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        if case["part"] in ("gantt", "memory"):
            draw = switch_gantt if case["part"] == "gantt" else memory_occupancy
            ax = draw(inst, plan)
            row["draw_s"] = time.perf_counter() - t0
            row["save_s"] = _saved(ax, folder)
            return row
        page = folder / "plan.html"
        fig = plan_figure(inst, plan)
        row["draw_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.write_text(plan_page(inst, plan, fig), encoding="utf-8")
        row["save_s"] = time.perf_counter() - t1
        row["size_mb"] = page.stat().st_size / 1e6
        if case["part"] == "page":
            return row
        chromium = shutil.which("chromium")
        if chromium is None:
            row["save_s"] = math.nan
            return row
        t2 = time.perf_counter()
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={folder / 'profile'}",
                        f"--screenshot={folder / 'shot.png'}", "--window-size=1200,900",
                        page.as_uri()], capture_output=True, timeout=600, check=True)
        row["save_s"] = time.perf_counter() - t2
        return row


def show(frame: Any, args: argparse.Namespace) -> None:
    """One line per (size, part): draw time, then save (PNG, page, or browser) time."""
    print(f"{'deliveries':>10} {'part':>8} {'draw_s':>7} {'save_s':>7} {'size_MB':>8}  "
          "(save: PNG at 100 dpi · page: HTML written · browser: Chromium screenshot)")
    for r in frame.itertuples():
        size = f"{r.size_mb:8.2f}" if not math.isnan(r.size_mb) else f"{'':8}"
        print(f"{int(r.delivered):>10} {r.part:>8} {r.draw_s:7.2f} {r.save_s:7.2f} {size}")


if __name__ == "__main__":
    raise SystemExit(bench_main(__file__))
