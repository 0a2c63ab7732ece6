"""Studies: one module per paper figure or table, each regenerating its files in results/.

Every study module has ``run(out_dir, *, seed=0, quick=False) -> list[Path]``; ``quick``
runs a small version (for tests), the default the full one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

STUDIES: dict[str, tuple[str, str]] = {
    "fig3": ("qdcopt.studies.fig3_eds",
             "paper 000 Fig. 3: runtime and distributed depth vs circuit depth"),
    "fig4": ("qdcopt.studies.fig4_acceptance",
             "paper 000 Fig. 4: acceptance ratio vs t_max, heuristics vs MILP plan and bound"),
    "fig5": ("qdcopt.studies.fig5_jobs",
             "paper 000 Fig. 5: execution and completion time vs number of jobs"),
    "table5": ("qdcopt.studies.table5",
               "paper 004 Table V, Figs. 8, 10, 11: DQP and ESP latency, the optimum beside"),
}


def run_study(name: str, out_dir: str | Path, *, seed: int = 0, quick: bool = False,
              progress: Callable[[str], None] | None = None,
              repetitions: range | None = None,
              join: list[Path] | None = None) -> list[Path]:
    """Run study ``name`` and return the files it wrote.

    Parameters
    ----------
    repetitions
        Only these repetitions (studies with repeated runs, e.g. ``fig5``), so that parts
        can run side by side.
    join
        Instead of running, join the CSV files of parts into the study's files.

    Raises
    ------
    ValueError
        For an unknown study name, or an option the study does not take.
    """
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r} (known: {', '.join(STUDIES)})")
    module = import_module(STUDIES[name][0])
    if join is not None:
        if not hasattr(module, "join"):
            raise ValueError(f"study {name!r} has no parts to join")
        missing = [str(f) for f in join if not Path(f).is_file()]
        if missing:
            raise ValueError(f"--join: no such file: {', '.join(missing)}")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        return module.join([Path(f) for f in join], Path(out_dir))
    extra = {}
    if repetitions is not None:
        if "repetitions" not in inspect.signature(module.run).parameters:
            raise ValueError(f"study {name!r} has no repetitions to split")
        extra["repetitions"] = repetitions
    if progress:
        progress(f"running study {name}: {STUDIES[name][1]}")
    return module.run(Path(out_dir), seed=seed, quick=quick, **extra)
